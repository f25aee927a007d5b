"""The GitHub transform on the hand-written bundle: exact nodes, edges and link hints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.github import SPEC
from scanner.bundle import BundleReader
from scanner.model import Action, EdgeKind, Evidence, Inventory, Lifetime, Node, NodeId, NodeKind, Selector

BUNDLE = Path(__file__).parents[2] / "fixtures" / "github" / "bundle"

APP = "github:job:acme/app/.github/workflows"
BUILD = f"{APP}/release.yml#build"
PYPI_TOKEN_JOB = f"{APP}/release.yml#pypi-token"
PYPI_TRUSTED_JOB = f"{APP}/release.yml#pypi-trusted"
DEPLOY = f"{APP}/release.yml#deploy"
NPM = f"{APP}/npm.yaml#npm"
IMAGE = f"{APP}/npm.yaml#image"
LABEL = f"{APP}/pr.yml#label"
CALL = f"{APP}/reuse.yml#call"
SITE_TEST = "github:job:acme/site/.github/workflows/ci.yml#test"

ORG_DOCKER = "github:org-secret:acme/DOCKERHUB_TOKEN"
ORG_NPM = "github:org-secret:acme/NPM_TOKEN"
ORG_PRIVATE = "github:org-secret:acme/PRIVATE_ONLY"
ORG_SHARED = "github:org-secret:acme/SHARED_TOKEN"
REPO_DEPLOY = "github:secret:acme/app/DEPLOY_KEY"
REPO_NPM = "github:secret:acme/app/NPM_TOKEN"
REPO_PYPI = "github:secret:acme/app/PYPI_TOKEN"
ENV_DEPLOY = "github:env-secret:acme/app/production/DEPLOY_KEY"

CHECKOUT_PINNED = "github:action:actions/checkout@a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2"
CHECKOUT_V4 = "github:action:actions/checkout@v4"
SETUP_PYTHON = "github:action:actions/setup-python@v5"
SETUP_NODE = "github:action:actions/setup-node@v4"
LABELER = "github:action:actions/labeler@v5"
LOGIN = "github:action:docker/login-action@v3"
PUBLISH_V1 = "github:action:pypa/gh-action-pypi-publish@release/v1"
PUBLISH_PINNED = "github:action:pypa/gh-action-pypi-publish@b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3"
SHARED_WF = "github:action:acme/shared-workflows/.github/workflows/deploy.yml@main"
DEPLOYER = "github:image:ghcr.io/acme/deployer@sha256:" + "0" * 64
REDIS = "github:image:redis:7"
HADOLINT = "github:image:hadolint/hadolint:v2.12.0"

PROD = "github:environment:acme/app/production"
STAGING = "github:environment:acme/app/staging"
PYPI_ENV = "github:environment:acme/app/pypi"

PYPI_CRED = "pypi:token:github/acme/app/PYPI_TOKEN"
NPM_CRED = "npm:token:github/acme/app/NPM_TOKEN"
DOCKER_CRED = "dockerhub:token:github/acme/DOCKERHUB_TOKEN"
# acme/site's secret list was not collected: the names its workflow reads are secrets of unknown level
SITE_PRIVATE = "github:secret:acme/site/PRIVATE_ONLY"
SITE_DOCKER = "github:secret:acme/site/DOCKERHUB_TOKEN"
SITE_DOCKER_CRED = "dockerhub:token:github/acme/site/DOCKERHUB_TOKEN"
APP_ACTIONS_TOKEN = "github:actions-token:acme/app#actions-write"
APP_CONTENTS_TOKEN = "github:actions-token:acme/app#contents-write"
SITE_ACTIONS_TOKEN = "github:actions-token:acme/site#actions-write"
SITE_CONTENTS_TOKEN = "github:actions-token:acme/site#contents-write"
WF = "github:workflow:acme/app/.github/workflows"

EXPECTED_NODES = {
    (NodeKind.RESOURCE, "github:repo:acme/app"),
    (NodeKind.RESOURCE, "github:repo:acme/site"),
    (NodeKind.RESOURCE, "github:workflow:acme/app/.github/workflows/release.yml"),
    (NodeKind.RESOURCE, "github:workflow:acme/app/.github/workflows/npm.yaml"),
    (NodeKind.RESOURCE, "github:workflow:acme/app/.github/workflows/pr.yml"),
    (NodeKind.RESOURCE, "github:workflow:acme/app/.github/workflows/reuse.yml"),
    (NodeKind.RESOURCE, "github:workflow:acme/site/.github/workflows/ci.yml"),
    (NodeKind.RESOURCE, PROD),
    (NodeKind.RESOURCE, STAGING),
    (NodeKind.RESOURCE, PYPI_ENV),
    (NodeKind.IDENTITY, BUILD),
    (NodeKind.IDENTITY, PYPI_TOKEN_JOB),
    (NodeKind.IDENTITY, PYPI_TRUSTED_JOB),
    (NodeKind.IDENTITY, DEPLOY),
    (NodeKind.IDENTITY, NPM),
    (NodeKind.IDENTITY, IMAGE),
    (NodeKind.IDENTITY, LABEL),
    (NodeKind.IDENTITY, CALL),
    (NodeKind.IDENTITY, SITE_TEST),
    (NodeKind.SECRET, ORG_DOCKER),
    (NodeKind.SECRET, ORG_NPM),
    (NodeKind.SECRET, ORG_PRIVATE),
    (NodeKind.SECRET, ORG_SHARED),
    (NodeKind.SECRET, REPO_DEPLOY),
    (NodeKind.SECRET, REPO_NPM),
    (NodeKind.SECRET, REPO_PYPI),
    (NodeKind.SECRET, ENV_DEPLOY),
    (NodeKind.THIRD_PARTY, CHECKOUT_PINNED),
    (NodeKind.THIRD_PARTY, CHECKOUT_V4),
    (NodeKind.THIRD_PARTY, SETUP_PYTHON),
    (NodeKind.THIRD_PARTY, SETUP_NODE),
    (NodeKind.THIRD_PARTY, LABELER),
    (NodeKind.THIRD_PARTY, LOGIN),
    (NodeKind.THIRD_PARTY, PUBLISH_V1),
    (NodeKind.THIRD_PARTY, PUBLISH_PINNED),
    (NodeKind.THIRD_PARTY, SHARED_WF),
    (NodeKind.THIRD_PARTY, DEPLOYER),
    (NodeKind.THIRD_PARTY, REDIS),
    (NodeKind.THIRD_PARTY, HADOLINT),
    (NodeKind.CREDENTIAL, PYPI_CRED),
    (NodeKind.CREDENTIAL, NPM_CRED),
    (NodeKind.CREDENTIAL, DOCKER_CRED),
    (NodeKind.SECRET, SITE_PRIVATE),
    (NodeKind.SECRET, SITE_DOCKER),
    (NodeKind.CREDENTIAL, SITE_DOCKER_CRED),
    # the GITHUB_TOKEN of each repository, per write scope some job holds
    (NodeKind.CREDENTIAL, APP_ACTIONS_TOKEN),
    (NodeKind.CREDENTIAL, APP_CONTENTS_TOKEN),
    (NodeKind.CREDENTIAL, SITE_ACTIONS_TOKEN),
    (NodeKind.CREDENTIAL, SITE_CONTENTS_TOKEN),
}

R, S, G, X, A = EdgeKind.RUNS_CODE_OF, EdgeKind.CAN_READ_SECRET, EdgeKind.GRANTS, EdgeKind.EXPOSES, EdgeKind.CAN_ASSUME
EXPECTED_EDGES = {
    (BUILD, R, CHECKOUT_PINNED),
    (BUILD, R, SETUP_PYTHON),
    (PYPI_TOKEN_JOB, R, PUBLISH_V1),
    (PYPI_TOKEN_JOB, S, REPO_PYPI),
    (PYPI_TRUSTED_JOB, R, PUBLISH_PINNED),
    (PYPI_TRUSTED_JOB, G, PYPI_ENV),
    # the environment secret shadows the repository secret of the same name
    (DEPLOY, S, ENV_DEPLOY),
    (DEPLOY, S, ORG_SHARED),
    (DEPLOY, G, PROD),
    (DEPLOY, R, DEPLOYER),
    (DEPLOY, R, REDIS),
    # the repository secret shadows the organization secret of the same name
    (NPM, S, REPO_NPM),
    (NPM, R, SETUP_NODE),
    (IMAGE, S, ORG_DOCKER),
    (IMAGE, R, LOGIN),
    (IMAGE, R, HADOLINT),
    # private-only org secret, readable because acme/app is private; the local action is not a third party
    (LABEL, S, ORG_PRIVATE),
    (LABEL, R, LABELER),
    # secrets: inherit passes every repository secret and every org secret visible to the repo
    (CALL, R, SHARED_WF),
    (CALL, S, REPO_DEPLOY),
    (CALL, S, REPO_NPM),
    (CALL, S, REPO_PYPI),
    (CALL, S, ORG_SHARED),
    (CALL, S, ORG_PRIVATE),
    (CALL, S, ORG_DOCKER),
    # acme/site is public and not selected: of the organization's secrets only the "all" one resolves;
    # its own list was not collected, so the other names may be repository secrets (level unknown)
    (SITE_TEST, S, ORG_SHARED),
    (SITE_TEST, S, SITE_PRIVATE),
    (SITE_TEST, S, SITE_DOCKER),
    # a secret named for Docker Hub is held as a Docker Hub credential (probable: no push is seen)
    (SITE_DOCKER, X, SITE_DOCKER_CRED),
    (SITE_TEST, R, CHECKOUT_V4),
    (REPO_PYPI, X, PYPI_CRED),
    (REPO_NPM, X, NPM_CRED),
    (ORG_DOCKER, X, DOCKER_CRED),
    # write-all (npm) and a write default (site) hold the repository's GITHUB_TOKEN with write scopes;
    # actions: write starts every workflow_dispatch workflow, and so reaches its jobs
    (NPM, S, APP_ACTIONS_TOKEN),
    (NPM, S, APP_CONTENTS_TOKEN),
    (SITE_TEST, S, SITE_ACTIONS_TOKEN),
    (SITE_TEST, S, SITE_CONTENTS_TOKEN),
    (APP_ACTIONS_TOKEN, G, f"{WF}/release.yml"),
    (APP_ACTIONS_TOKEN, G, f"{WF}/npm.yaml"),
    (APP_ACTIONS_TOKEN, A, BUILD),
    (APP_ACTIONS_TOKEN, A, PYPI_TOKEN_JOB),
    (APP_ACTIONS_TOKEN, A, PYPI_TRUSTED_JOB),
    (APP_ACTIONS_TOKEN, A, DEPLOY),
    (APP_ACTIONS_TOKEN, A, NPM),
    (APP_ACTIONS_TOKEN, A, IMAGE),
}


def _node(inv: Inventory, nid: str) -> Node:
    return inv.node(NodeId(nid))


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return SPEC.inventory(BundleReader(BUNDLE))


def test_spec() -> None:
    assert (SPEC.name, SPEC.title) == ("github", "GitHub")


def test_exact_nodes(inv: Inventory) -> None:
    assert {(n.kind, n.id) for n in inv.nodes()} == EXPECTED_NODES


def test_exact_edges(inv: Inventory) -> None:
    assert {(e.src, e.kind, e.dst) for e in inv.edges()} == EXPECTED_EDGES
    assert inv.dangling() == []
    # Each gap names the missing file by its bundle path; since issue 15 every file a collected repository
    # should have (its secrets, environments and each listed environment's secrets) is a gap when absent.
    assert [(g.scope, g.reason.split(" not collected")[0]) for g in inv.gaps] == [
        # pr.yml runs ./.github/actions/triage, whose steps were not collected
        ("acme/app", "github/repos/acme/app/contents/.github/actions/triage/action.yml"),
        ("acme/app", "github/repos/acme/app/actions/runs.json"),
        ("acme/app", "github/repos/acme/app/environments/staging/secrets.json"),
        ("acme/site", "github/repos/acme/site/actions/secrets.json"),
        ("acme/site", "github/repos/acme/site/environments.json"),
        ("acme/site", "github/repos/acme/site/actions/runs.json"),
    ]


def test_edge_vias(inv: Inventory) -> None:
    vias: dict[tuple[str, str], str] = {(e.src, e.dst): e.via for e in inv.edges()}
    assert vias[(DEPLOY, ENV_DEPLOY)] == "secrets.DEPLOY_KEY"  # written as secrets.deploy_key
    assert vias[(DEPLOY, ORG_SHARED)] == "secrets.SHARED_TOKEN"  # written as secrets['SHARED_TOKEN']
    assert vias[(CALL, REPO_PYPI)] == "secrets: inherit"
    assert vias[(PYPI_TOKEN_JOB, PUBLISH_V1)] == "Publish with an API token"
    assert vias[(BUILD, SETUP_PYTHON)] == "actions/setup-python@v5"
    assert vias[(DEPLOY, DEPLOYER)] == "container"
    assert vias[(DEPLOY, REDIS)] == "services.cache"
    assert vias[(DEPLOY, PROD)] == "environment: production"
    assert vias[(REPO_PYPI, PYPI_CRED)] == "with.password"
    assert vias[(REPO_NPM, NPM_CRED)] == "env.NODE_AUTH_TOKEN"
    deploy_env = next(e for e in inv.edges() if e.dst == PROD)
    assert deploy_env.actions == frozenset({Action.DEPLOY})


def test_job_attributes(inv: Inventory) -> None:
    trusted = _node(inv, PYPI_TRUSTED_JOB).attrs
    assert trusted["oidc"] is True
    assert trusted["pypi_trusted_publishing"] is True
    assert trusted["publishes"] == ("pypi",)
    assert trusted["environment"] == "pypi"
    assert trusted["triggers"] == ("push", "workflow_dispatch")
    token = _node(inv, PYPI_TOKEN_JOB).attrs
    assert (token["oidc"], token["pypi_trusted_publishing"], token["publishes"]) == (False, False, ("pypi",))
    # no permissions key: the repository default ("read") decides
    assert (token["contents_write"], token["actions_write"]) == (False, False)
    npm = _node(inv, NPM).attrs
    # write-all includes id-token
    assert (npm["oidc"], npm["contents_write"], npm["actions_write"]) == (True, True, True)
    assert npm["publishes"] == ("npm",)
    # job-level permissions override the workflow's write-all
    image = _node(inv, IMAGE).attrs
    # a registry login with no push: the job holds a Docker Hub credential but publishes nothing
    assert (image["oidc"], image["contents_write"], image["publishes"]) == (False, False, ())
    assert image["holds_credentials"] == ("dockerhub",)
    assert _node(inv, LABEL).attrs["untrusted_trigger"] is True
    # workflow_run after "Release", which runs on pushes only: outsiders cannot start it
    assert _node(inv, CALL).attrs["untrusted_trigger"] is False
    assert _node(inv, BUILD).attrs["untrusted_trigger"] is False
    site = _node(inv, SITE_TEST).attrs
    # a write default gives contents and actions write, but never id-token
    assert (site["contents_write"], site["actions_write"], site["oidc"]) == (True, True, False)
    deploy = _node(inv, DEPLOY)
    assert deploy.scope == "acme/app"
    assert deploy.attrs["workflow_file"] == "release.yml"
    assert deploy.attrs["workflow_path"] == ".github/workflows/release.yml"
    assert deploy.evidence == (Evidence("github/repos/acme/app/contents/.github/workflows/release.yml", 39),)


def test_resource_attributes(inv: Inventory) -> None:
    app = _node(inv, "github:repo:acme/app").attrs
    assert (app["category"], app["private"], app["archived"], app["default_permissions"]) == (
        "source",
        True,
        False,
        "read",
    )
    site = _node(inv, "github:repo:acme/site").attrs
    assert (site["private"], site["archived"], site["default_permissions"]) == (False, True, "write")
    prod = _node(inv, PROD).attrs
    assert (prod["required_reviewers"], prod["wait_timer"], prod["protected"], prod["branch_policy"]) == (
        2,
        30,
        True,
        True,
    )
    staging = _node(inv, STAGING).attrs
    assert (staging["protected"], staging["branch_policy"], staging["wait_timer"]) == (False, False, 0)
    # referenced by a job but not configured: GitHub creates it unprotected
    assert _node(inv, PYPI_ENV).attrs["protected"] is False
    wf = _node(inv, "github:workflow:acme/app/.github/workflows/release.yml").attrs
    assert (wf["category"], wf["triggers"]) == ("workflow", ("push", "workflow_dispatch"))


def test_secret_attributes(inv: Inventory) -> None:
    org = _node(inv, ORG_PRIVATE)
    assert org.subtype == "github:org-secret"
    assert org.attrs["visibility"] == "private"
    assert (org.attrs["created_at"], org.attrs["updated_at"]) == ("2023-07-04T08:30:00Z", "2024-01-02T08:30:00Z")
    assert _node(inv, REPO_PYPI).subtype == "github:actions-secret"
    env = _node(inv, ENV_DEPLOY)
    assert (env.subtype, env.attrs["environment"]) == ("github:environment-secret", "production")
    assert env.evidence == (Evidence("github/repos/acme/app/environments/production/secrets.json"),)


def test_third_party_attributes(inv: Inventory) -> None:
    pinned = _node(inv, CHECKOUT_PINNED).attrs
    assert (pinned["pinned"], pinned["owner"], pinned["first_party_github"]) == (True, "actions", True)
    v1 = _node(inv, PUBLISH_V1)
    assert (v1.subtype, v1.attrs["pinned"], v1.attrs["ref"], v1.attrs["first_party_github"]) == (
        "github:action",
        False,
        "release/v1",
        False,
    )
    assert _node(inv, SHARED_WF).subtype == "github:reusable-workflow"
    assert _node(inv, SHARED_WF).attrs["owner"] == "acme"
    assert (_node(inv, DEPLOYER).subtype, _node(inv, DEPLOYER).attrs["pinned"]) == ("container-image", True)
    assert _node(inv, REDIS).attrs["pinned"] is False
    assert _node(inv, HADOLINT).attrs["pinned"] is False


def test_credentials_and_hints(inv: Inventory) -> None:
    cred = _node(inv, PYPI_CRED)
    assert (cred.provider, cred.subtype) == ("pypi", "pypi:api-token")
    assert cred.name == "PyPI API token in secret PYPI_TOKEN of acme/app"
    assert cred.credential is not None
    assert cred.credential.lifetime == Lifetime.STATIC
    assert cred.credential.created == datetime(2022, 8, 15, 14, 20, tzinfo=UTC)
    assert (_node(inv, NPM_CRED).subtype, _node(inv, DOCKER_CRED).subtype) == ("npm:token", "dockerhub:token")
    # an organization secret holds one credential, whichever repositories use it
    docker = _node(inv, DOCKER_CRED)
    assert (docker.provider, docker.scope) == ("dockerhub", "acme")
    assert docker.name == "Docker Hub token in secret DOCKERHUB_TOKEN of organization acme"
    hints = {(h.src, h.dst, h.kind, h.actions, dict(h.conditions)["confidence"]) for h in inv.hints}
    publish = frozenset({Action.PUBLISH})

    def packages(provider: str, subtype: str) -> Selector:
        return Selector(provider, NodeKind.RESOURCE, (("source_repo", "acme/app"),), subtype)

    site_docker = Selector("dockerhub", NodeKind.RESOURCE, (("source_repo", "acme/site"),), "dockerhub:repository")
    assert hints == {
        (PYPI_CRED, packages("pypi", "pypi:project"), EdgeKind.GRANTS, publish, "certain"),
        # Trusted Publishing: the job's OIDC token is the credential
        (PYPI_TRUSTED_JOB, packages("pypi", "pypi:project"), EdgeKind.GRANTS, publish, "certain"),
        (NPM_CRED, packages("npm", "npm:package"), EdgeKind.GRANTS, publish, "certain"),
        (DOCKER_CRED, packages("dockerhub", "dockerhub:repository"), EdgeKind.GRANTS, publish, "held"),
        (SITE_DOCKER_CRED, site_docker, EdgeKind.GRANTS, publish, "held"),
    }
    vias: dict[object, str] = {h.src: h.via for h in inv.hints}
    assert vias[PYPI_CRED] == "PyPI credential used by pypa/gh-action-pypi-publish in .github/workflows/release.yml"
    assert vias[NPM_CRED] == "npm credential used by npm publish in .github/workflows/npm.yaml"
    assert vias[DOCKER_CRED].startswith("Docker Hub credential held by a job of .github/workflows/npm.yaml (logs in")
    # when the registry's packages of the repository were not collected, the edge ends at a node that says so
    fallback = next(h.fallback for h in inv.hints if h.src == PYPI_CRED)
    assert fallback is not None
    assert (fallback.id, fallback.name) == (
        "pypi:published-from:pypi/github/acme/app",
        "PyPI packages published from acme/app",
    )
    assert (fallback.attrs["collected"], fallback.attrs["production"]) == (False, True)


def test_no_secret_values_anywhere(inv: Inventory) -> None:
    # GitHub never returns values; make sure nothing value-like slipped into attributes.
    for n in inv.nodes():
        assert "value" not in n.attrs
        assert "encrypted_value" not in n.attrs
