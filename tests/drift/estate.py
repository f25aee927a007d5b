"""A seeded live estate, with the ids the live connectors produce, that tests/fixtures/terraform/
estate.tfstate declares most of: exactly 4 unmanaged, 1 missing and 3 changed objects."""

from __future__ import annotations

from datetime import UTC, datetime

from scanner.model import (
    Action,
    CredentialInfo,
    Edge,
    EdgeKind,
    Inventory,
    Lifetime,
    Node,
    NodeId,
    NodeKind,
    node_id,
)

ACCT = "111122223333"
ECR = f"arn:aws:ecr:eu-west-1:{ACCT}:repository/app"
CA = f"arn:aws:codeartifact:eu-west-1:{ACCT}:repository/acme/pypi-internal"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.containerregistry"
ACR = f"{SUB}/registries/acmeacr"
APP = "aaaaaaaa-0000-0000-0000-000000000001"
R, P, PR = Action.READ, Action.PUBLISH, Action.PROMOTE


def nid(provider: str, kind: str, native: str) -> NodeId:
    return node_id(provider, kind, native)


USER = {
    n: nid("aws", "user", f"arn:aws:iam::{ACCT}:user/{n}") for n in ("ci-0", "ci-1", "shadow-bot", "legacy-deployer")
}
ROLE = nid("aws", "role", f"arn:aws:iam::{ACCT}:role/release")
KEY = nid("aws", "access-key", "AKIAFAKEKEY000000001")
SHADOW_KEY = nid("aws", "access-key", "AKIAFAKESHADOWKEY001")
ECR_ID = nid("aws", "ecr-repository", ECR)
CA_ID = nid("aws", "codeartifact-repository", CA)
SA = {
    k: nid("gcp", "service-account", f"{k}@acme-prod.iam.gserviceaccount.com")
    for k in ("builder", "deployer", "shadow")
}
SA_KEY = nid(
    "gcp", "sa-key", "projects/acme-prod/serviceAccounts/builder@acme-prod.iam.gserviceaccount.com/keys/0123abcd"
)
WIF = nid("gcp", "wif-provider", "projects/123456789/locations/global/workloadIdentityPools/ci/providers/github")
GROUP = nid("gcp", "group", "release-admins@acme.example")
AR = nid("gcp", "ar-repository", "projects/acme-prod/locations/europe-west1/repositories/images")
SP = nid("azure", "sp", "11111111-2222-3333-4444-555555555555")
REGISTRY = nid("azure", "registry", ACR)
TOKEN_PW = nid("azure", "acr-token-password", f"{ACR}/tokens/ci/password1")
CLIENT_SECRET = nid("azure", "client-secret", f"{APP}/bbbbbbbb-0000-0000-0000-000000000002")
FIC = nid("azure", "oidc-trust", f"{APP}/cccccccc-0000-0000-0000-000000000003")
GH = {
    "pypi": nid("github", "secret", "acme-corp/app/PYPI_TOKEN"),
    "aws": nid("github", "secret", "acme-corp/app/AWS_SECRET_ACCESS_KEY"),
    "legacy": nid("github", "secret", "acme-corp/app/LEGACY_TOKEN"),
    "env": nid("github", "env-secret", "acme-corp/app/prod/DEPLOY_KEY"),
    "org": nid("github", "org-secret", "acme-corp/NPM_TOKEN"),
    "environment": nid("github", "environment", "acme-corp/app/prod"),
}

EXPECTED_UNMANAGED = {USER["shadow-bot"], SHADOW_KEY, SA["shadow"], GH["legacy"]}
EXPECTED_MISSING = {USER["legacy-deployer"]}
EXPECTED_CHANGED = {ROLE, FIC, GH["environment"]}


def _node(i: NodeId, kind: NodeKind, subtype: str, name: str, **attrs: object) -> Node:
    cred = None
    if kind is NodeKind.CREDENTIAL:
        cred = CredentialInfo(Lifetime.STATIC, created=datetime(2026, 1, 5, tzinfo=UTC))
    return Node(i, kind, name, i.split(":", 1)[0], subtype, attrs=attrs, credential=cred)  # type: ignore[arg-type]


def live_inventory(*, include_legacy: bool = False) -> Inventory:
    """The seeded estate as the live connectors would report it."""
    inv = Inventory()
    ID, C, S, RES = NodeKind.IDENTITY, NodeKind.CREDENTIAL, NodeKind.SECRET, NodeKind.RESOURCE
    users = ["ci-0", "ci-1", "shadow-bot"] + (["legacy-deployer"] if include_legacy else [])
    for n in users:
        inv.add_node(_node(USER[n], ID, "aws:iam-user", n))
    inv.add_node(_node(ROLE, ID, "aws:iam-role", "release"))
    inv.add_node(_node(KEY, C, "aws:access-key", "ci-0 key", active=True, user="ci-0"))
    inv.add_node(_node(SHADOW_KEY, C, "aws:access-key", "shadow key", active=True, user="shadow-bot"))
    inv.add_node(_node(ECR_ID, RES, "aws:ecr-repository", "app", category="registry", production=True))
    inv.add_node(_node(CA_ID, RES, "aws:codeartifact-repository", "acme/pypi-internal", category="registry"))
    inv.add_edge(Edge(KEY, USER["ci-0"], EdgeKind.AUTHENTICATES_AS))
    inv.add_edge(Edge(SHADOW_KEY, USER["shadow-bot"], EdgeKind.AUTHENTICATES_AS))
    inv.add_edge(Edge(USER["ci-0"], ECR_ID, EdgeKind.GRANTS, frozenset({R, P}), via="inline push"))
    inv.add_edge(Edge(USER["ci-1"], ROLE, EdgeKind.CAN_ASSUME, via="trust"))
    inv.add_edge(Edge(ROLE, CA_ID, EdgeKind.GRANTS, frozenset({P}), via="codeartifact-publish"))
    inv.add_edge(Edge(ROLE, CA_ID, EdgeKind.GRANTS, frozenset({R, PR}), via="repository policy"))
    inv.add_edge(Edge(ROLE, ECR_ID, EdgeKind.GRANTS, frozenset({R}), via="repository policy"))
    inv.add_edge(Edge(ROLE, ECR_ID, EdgeKind.GRANTS, frozenset({R}), via="arn:aws:iam::aws:policy/ReadOnlyAccess"))
    # the seeded change: someone attached a push policy to the release role by hand
    inv.add_edge(Edge(ROLE, ECR_ID, EdgeKind.GRANTS, frozenset({P}), via="hotfix-push (console)"))
    for k in ("builder", "deployer", "shadow"):
        inv.add_node(_node(SA[k], ID, "gcp:service-account", k))
    inv.add_node(_node(SA_KEY, C, "gcp:sa-key", "0123abcd"))
    inv.add_node(
        Node(WIF, C, "ci/providers/github", "gcp", "gcp:oidc-trust",
             attrs={"issuer": "https://token.actions.githubusercontent.com"},
             credential=CredentialInfo(Lifetime.SHORT_LIVED))
    )  # fmt: skip
    inv.add_node(_node(GROUP, ID, "gcp:group", "release-admins"))
    inv.add_node(_node(AR, RES, "gcp:ar-repository", "images", category="registry"))
    inv.add_edge(Edge(SA_KEY, SA["builder"], EdgeKind.AUTHENTICATES_AS))
    # as the GCP connector expands the writer role (tags.create/update move tags: PROMOTE)
    inv.add_edge(Edge(SA["builder"], AR, EdgeKind.GRANTS, frozenset({R, P, PR}), via="roles/artifactregistry.writer"))
    inv.add_edge(Edge(SA["deployer"], AR, EdgeKind.GRANTS, frozenset({R}), via="roles/artifactregistry.reader"))
    inv.add_edge(Edge(GROUP, SA["deployer"], EdgeKind.CAN_ASSUME, via="roles/iam.serviceAccountTokenCreator"))
    inv.add_node(_node(SP, ID, "azure:service-principal", "ci-sp"))
    inv.add_node(_node(REGISTRY, RES, "azure:container-registry", "acmeacr", category="registry"))
    inv.add_node(_node(TOKEN_PW, C, "azure:acr-token-password", "acmeacr/ci password1", token_enabled=True))
    inv.add_node(_node(CLIENT_SECRET, C, "azure:client-secret", "ci"))
    inv.add_node(
        Node(FIC, C, "app/github-prod", "azure", "azure:oidc-trust",
             attrs={"issuer": "https://token.actions.githubusercontent.com",
                    "subject": "repo:acme-corp/app:ref:refs/heads/main",  # the seeded change
                    "audience": "api://AzureADTokenExchange"},
             credential=CredentialInfo(Lifetime.SHORT_LIVED))
    )  # fmt: skip
    inv.add_edge(Edge(SP, REGISTRY, EdgeKind.GRANTS, frozenset({R, P}), via="AcrPush"))
    inv.add_edge(Edge(TOKEN_PW, REGISTRY, EdgeKind.GRANTS, frozenset({R}), via="scope map push"))
    inv.add_edge(Edge(TOKEN_PW, REGISTRY, EdgeKind.GRANTS, frozenset({P}), via="scope map push"))
    for key in ("pypi", "aws", "legacy"):
        inv.add_node(_node(GH[key], S, "github:actions-secret", GH[key].rsplit("/", 1)[-1], repo="acme-corp/app"))
    inv.add_node(_node(GH["env"], S, "github:environment-secret", "DEPLOY_KEY"))
    inv.add_node(_node(GH["org"], S, "github:org-secret", "NPM_TOKEN", visibility="private"))
    # the seeded change: the required reviewers were removed from the prod environment
    inv.add_node(_node(GH["environment"], RES, "github:environment", "prod", category="environment", protected=False))
    return inv
