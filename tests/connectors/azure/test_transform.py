"""The Azure transform over native fixtures: exact nodes and edges, link hints to CI jobs, and the
``az ... -o json`` spelling of the same records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from connectors.azure import SPEC
from scanner.bundle import BundleReader
from scanner.errors import BundleError
from scanner.link import resolve_hints
from scanner.model import Action, EdgeKind, Inventory, Lifetime, Node, NodeId, NodeKind, node_id

FIXTURE = Path(__file__).parents[2] / "fixtures" / "azure" / "bundle"
SUB = "00000000-0000-0000-0000-0000000000a1"
RGP = f"/subscriptions/{SUB}/resourcegroups/rg-ci/providers"
FAILACR = f"{RGP}/microsoft.containerregistry/registries/failacr"
PASSACR = f"{RGP}/microsoft.containerregistry/registries/passacr"
R, P, PR, A = Action.READ, Action.PUBLISH, Action.PROMOTE, Action.ADMIN


def o(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012x}"


def sp(n: int) -> NodeId:
    return NodeId(f"azure:sp:{o(0xB00 + n)}")


SECRET_FAIL = f"azure:client-secret:{o(0xD01)}/{o(0xE01)}"
SECRET_PASS = f"azure:client-secret:{o(0xD02)}/{o(0xE02)}"
SECRET_EXPIRED = f"azure:client-secret:{o(0xD02)}/{o(0xE03)}"
CERT = f"azure:certificate:{o(0xD03)}/{o(0xF01)}"
FIC_PROD = NodeId(f"azure:oidc-trust:{o(0xD03)}/{o(0x3001)}")
FIC_ANY = f"azure:oidc-trust:{o(0xD04)}/{o(0x3002)}"
FIC_MI = f"azure:oidc-trust:{RGP}/microsoft.managedidentity/userassignedidentities/pass-mi/federatedidentitycredentials/pass-main"
ADMIN = f"azure:acr-admin:{FAILACR}"
TOK = f"azure:acr-token-password:{FAILACR}/tokens"
GROUP = f"azure:group:{o(0xB06)}"
REG_FAIL, REG_PASS = f"azure:registry:{FAILACR}", f"azure:registry:{PASSACR}"

NODES = {
    (NodeKind.IDENTITY, sp(1)),
    (NodeKind.IDENTITY, sp(2)),
    (NodeKind.IDENTITY, sp(3)),
    (NodeKind.IDENTITY, sp(4)),
    (NodeKind.IDENTITY, sp(5)),
    (NodeKind.IDENTITY, sp(7)),
    (NodeKind.IDENTITY, GROUP),
    (NodeKind.CREDENTIAL, SECRET_FAIL),
    (NodeKind.CREDENTIAL, SECRET_PASS),
    (NodeKind.CREDENTIAL, SECRET_EXPIRED),
    (NodeKind.CREDENTIAL, CERT),
    (NodeKind.CREDENTIAL, FIC_PROD),
    (NodeKind.CREDENTIAL, FIC_ANY),
    (NodeKind.CREDENTIAL, FIC_MI),
    (NodeKind.CREDENTIAL, ADMIN),
    (NodeKind.CREDENTIAL, f"{TOK}/fail-push-token/password1"),
    (NodeKind.CREDENTIAL, f"{TOK}/pass-pull-token/password1"),
    (NodeKind.CREDENTIAL, f"{TOK}/pass-disabled-token/password1"),
    (NodeKind.RESOURCE, REG_FAIL),
    (NodeKind.RESOURCE, REG_PASS),
    (NodeKind.RESOURCE, f"azure:acr-subscription:{SUB}"),  # every registry of the subscription, listed or not
}
AUTH = EdgeKind.AUTHENTICATES_AS
G = EdgeKind.GRANTS
EDGES = {
    (SECRET_FAIL, sp(1), AUTH, frozenset()),
    (SECRET_PASS, sp(2), AUTH, frozenset()),
    (CERT, sp(3), AUTH, frozenset()),
    (FIC_PROD, sp(3), AUTH, frozenset()),
    (FIC_ANY, sp(4), AUTH, frozenset()),
    (FIC_MI, sp(5), AUTH, frozenset()),
    (ADMIN, REG_FAIL, G, frozenset({R, P})),
    (f"{TOK}/fail-push-token/password1", REG_FAIL, G, frozenset({R, P})),  # scope map _repositories_push
    (f"{TOK}/pass-pull-token/password1", REG_FAIL, G, frozenset({R})),
    (sp(1), REG_FAIL, G, frozenset({R, P})),  # AcrPush at the resource group covers both registries
    (sp(1), REG_PASS, G, frozenset({R, P})),
    (sp(2), REG_PASS, G, frozenset({R, P})),
    (sp(3), REG_PASS, G, frozenset({R, P})),
    (sp(4), REG_PASS, G, frozenset({R, P})),
    (sp(5), REG_PASS, G, frozenset({R})),
    (GROUP, REG_FAIL, G, frozenset({R, P, PR, A})),  # Owner at the management group
    (GROUP, REG_PASS, G, frozenset({R, P, PR, A})),
    (GROUP, sp(5), EdgeKind.CAN_ASSUME, frozenset()),  # may add a federated credential to the identity
    (sp(7), REG_FAIL, G, frozenset({R, PR})),
    (sp(7), REG_PASS, G, frozenset({R, PR})),
    # assignments at the subscription or above also reach the registries it will have (not the RG's AcrPush)
    (GROUP, f"azure:acr-subscription:{SUB}", G, frozenset({R, P, PR, A})),
    (sp(7), f"azure:acr-subscription:{SUB}", G, frozenset({R, PR})),
}


def inventory(root: Path = FIXTURE) -> Inventory:
    return SPEC.inventory(BundleReader(root))


def test_exact_nodes_and_edges() -> None:
    inv = inventory()
    assert {(n.kind, n.id) for n in inv.nodes()} == NODES
    assert {(e.src, e.dst, e.kind, e.actions) for e in inv.edges()} == EDGES
    assert not inv.dangling()
    assert [(g.scope, g.what) for g in inv.gaps] == [(SUB, f"role definition {o(0xDEAD)}")]


def test_credential_facts() -> None:
    inv = inventory()
    fail = inv.node(node_id("azure", "client-secret", f"{o(0xD01)}/{o(0xE01)}"))
    assert fail.credential is not None
    assert fail.credential.lifetime is Lifetime.STATIC
    assert fail.attrs["valid_days"] == 730
    assert fail.attrs["hint"] == "Fk1"
    expired = inv.node(node_id("azure", "client-secret", f"{o(0xD02)}/{o(0xE03)}"))
    assert expired.attrs["active"] is False
    admin = inv.node(node_id("azure", "acr-admin", FAILACR))
    assert admin.attrs["shared"] is True
    assert admin.credential is not None
    assert admin.credential.expires is None
    reg = inv.node(node_id("azure", "registry", FAILACR))
    assert reg.attrs["category"] == "registry"
    assert reg.attrs["exposures"] == ("admin-user-enabled", "anonymous-pull")
    assert inv.node(node_id("azure", "registry", PASSACR)).attrs["exposures"] == ()
    assert inv.node(sp(5)).subtype == "azure:managed-identity"
    assert inv.node(sp(5)).attrs["client_id"] == o(0xC05)


def test_oidc_trusts() -> None:
    inv = inventory()
    broad, pinned = inv.node(node_id("azure", "oidc-trust", f"{o(0xD04)}/{o(0x3002)}")), inv.node(FIC_PROD)
    assert broad.subtype == "azure:oidc-trust"
    assert broad.credential is not None
    assert broad.credential.lifetime is Lifetime.SHORT_LIVED
    assert broad.attrs["subject_too_broad"] is True
    assert broad.attrs["claims_matching_expression"] is True
    assert pinned.attrs["subject_too_broad"] is False
    assert pinned.attrs["issuer"] == "https://token.actions.githubusercontent.com"
    assert pinned.attrs["audience"] == "api://AzureADTokenExchange"


def _job(name: str, repo: str, environment: str | None, oidc: bool = True) -> Node:
    return Node(
        id=node_id("github", "job", name),
        kind=NodeKind.IDENTITY,
        name=name,
        provider="github",
        subtype="github:job",
        attrs={"repo": repo, "environment": environment, "oidc": oidc},
    )


def test_ci_jobs_are_linked_to_the_principals_they_can_assume() -> None:
    inv = inventory()
    for job in (
        _job("pass-deploy", "Acme/App", "prod"),
        _job("pass-build", "acme/app", None),
        _job("other-repo", "acme/lib", "prod"),
        _job("no-oidc", "acme/app", "prod", oidc=False),
    ):
        inv.add_node(job)
    resolve_hints(inv)
    assumed = {(e.src.split(":")[-1], e.dst) for e in inv.edges() if e.kind is EdgeKind.CAN_ASSUME}
    assert assumed == {
        ("pass-deploy", sp(3)),  # environment-pinned app credential
        ("pass-deploy", sp(5)),  # branch-pinned managed identity: the ref is kept as a condition
        ("pass-build", sp(5)),
        (o(0xB06), sp(5)),
    }
    edge = next(e for e in inv.edges() if e.dst == sp(3) and e.kind is EdgeKind.CAN_ASSUME)
    assert ("sub", "repo:acme/app:environment:prod") in edge.conditions


def _az_cli_bundle(tmp_path: Path) -> Path:
    """The same subscription as ``az ... -o json`` prints it: bare lists, properties flattened."""
    root = tmp_path / "bundle"
    shutil.copytree(FIXTURE, root)
    base = root / "azure" / "subscriptions" / SUB / "providers"
    for rel in ("Microsoft.Authorization/roleAssignments", "Microsoft.Authorization/roleDefinitions"):
        path = base / f"{rel}.json"
        flat = []
        for item in json.loads(path.read_text(encoding="utf-8"))["value"]:
            props = item.pop("properties")
            if "roleName" in props:
                props["roleType"] = props.pop("type")
            flat.append({**item, **props})
        path.write_text(json.dumps(flat), encoding="utf-8")
    return root


def test_az_cli_output_gives_the_same_inventory(tmp_path: Path) -> None:
    inv = inventory(_az_cli_bundle(tmp_path))
    assert {(n.kind, n.id) for n in inv.nodes()} == NODES
    assert {(e.src, e.dst, e.kind, e.actions) for e in inv.edges()} == EDGES


@pytest.mark.parametrize(
    ("rel", "content", "problem"),
    [
        ("graph/v1.0/applications.json", '{"value": [{"id": "x"}]}', "value.0.appId: Field required"),
        ("graph/v1.0/servicePrincipals.json", "{not json", "invalid JSON"),
        (
            f"subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries.json",
            '{"value": [{"id": "/x", "name": "r", "properties": {"loginServer": "r", "adminUserEnabled": "maybe"}}]}',
            "adminUserEnabled",
        ),
        (f"subscriptions/{SUB}.json", '{"subscriptionId": "someone-else"}', "does not match the file name"),
    ],
)
def test_malformed_files_name_the_file(tmp_path: Path, rel: str, content: str, problem: str) -> None:
    root = tmp_path / "bundle"
    shutil.copytree(FIXTURE, root)
    (root / "azure" / rel).write_text(content, encoding="utf-8")
    with pytest.raises(BundleError, match=problem) as err:
        inventory(root)
    assert err.value.file == f"azure/{rel}"


def test_missing_files_are_not_collected_not_empty(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    (root / "azure" / "graph" / "v1.0").mkdir(parents=True)
    shutil.copy(FIXTURE / "azure/graph/v1.0/applications.json", root / "azure/graph/v1.0/applications.json")
    inv = inventory(root)
    # Without service principals the apps' credentials sign in as application nodes, and the gap says why.
    assert {n.subtype for n in inv.nodes() if n.kind is NodeKind.IDENTITY} == {"azure:application"}
    # (and, since issue 15, the federated credentials of each listed application, which a collection has)
    assert [g.what for g in inv.gaps] == [
        "azure/graph/v1.0/servicePrincipals.json",
        *(f"azure/graph/v1.0/applications/00000000-0000-0000-0000-000000000d0{i}/federatedIdentityCredentials.json"
          for i in (1, 2, 3, 4)),
    ]  # fmt: skip
