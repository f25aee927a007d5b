"""npm transform from native fixtures: exact nodes and edges, the worm's blast radius, and the rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.npm import SPEC
from connectors.npm.transform import github_repo
from scanner.analyse import analyse, load_bundle
from scanner.bundle import BundleReader
from scanner.errors import BundleError
from scanner.graph import ScanGraph
from scanner.model import Action, EdgeKind, Inventory, Lifetime, NodeId, NodeKind
from scanner.reach import ReachIndex

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "npm" / "bundle"
FOREVER = NodeId("npm:token:fa11" + "0" * 124)
AUTOMATION = NodeId("npm:token:fa12" + "1" * 124)
READONLY = NodeId("npm:token:9a55" + "2" * 124)
GRANULAR = NodeId("npm:token:9a56" + "3" * 124)
W, L, N, P = map(
    NodeId,
    (
        "npm:package:@acme/widgets",
        "npm:package:@acme/legacy",
        "npm:package:@acme/internal",
        "npm:package:left-pad-fake",
    ),
)
ALICE, BOB = NodeId("npm:user:alice"), NodeId("npm:user:bob")


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return SPEC.inventory(BundleReader(BUNDLE))


def test_nodes(inv: Inventory) -> None:
    assert {(n.kind, n.id) for n in inv.nodes()} == {
        (NodeKind.IDENTITY, ALICE),
        (NodeKind.IDENTITY, BOB),
        *((NodeKind.CREDENTIAL, t) for t in (FOREVER, AUTOMATION, READONLY, GRANULAR)),
        *((NodeKind.RESOURCE, p) for p in (W, L, N, P)),
    }
    widgets, legacy = inv.node(W), inv.node(L)
    assert widgets.attrs["source_repo"] == "acme/widgets"
    assert widgets.attrs["latest_attested"] is True
    assert legacy.attrs["source_repo"] == "acme/legacy"
    assert legacy.attrs["latest_attested"] is False
    assert inv.node(N).attrs["latest_attested"] is False  # no dist.attestations (and a 404 in the manifest)
    assert inv.node(N).attrs["source_repo"] is None  # on GitLab
    assert {n.attrs["category"] for n in inv.nodes() if n.kind is NodeKind.RESOURCE} == {"package"}
    forever = inv.node(FOREVER)
    assert forever.credential is not None
    assert forever.credential.lifetime is Lifetime.STATIC
    assert forever.credential.expires is None
    assert forever.attrs["token_type"] == "publish"
    assert inv.node(GRANULAR).credential.expires is not None  # type: ignore[union-attr]
    assert inv.node(AUTOMATION).attrs["cidr"] == ("192.0.2.0/24",)


def test_edges(inv: Inventory) -> None:
    grants = {(e.src, e.dst, e.actions) for e in inv.edges() if e.kind is EdgeKind.GRANTS}
    pub, read, admin = frozenset({Action.PUBLISH}), frozenset({Action.READ}), frozenset({Action.ADMIN})
    assert grants == {
        *((ALICE, p, admin) for p in (W, L, N)),  # org owner
        *((ALICE, p, pub) for p in (W, L, N)),  # maintainer and package access
        (ALICE, P, read),
        (BOB, W, pub),
        *((FOREVER, p, pub) for p in (W, L, N)),
        (FOREVER, P, read),
        *((AUTOMATION, p, pub) for p in (W, L, N)),
        (AUTOMATION, P, read),
        *((READONLY, p, read) for p in (W, L, N, P)),
        (GRANULAR, W, pub),
    }
    assert {e.kind for e in inv.edges()} == {EdgeKind.GRANTS}
    assert not inv.dangling()


def test_classic_token_blast_radius_holds_every_package_of_its_owner(inv: Inventory) -> None:
    reach = ReachIndex.build(ScanGraph(inv))
    published = {r.resource for r in reach.blast_radius(FOREVER) if Action.PUBLISH in r.actions}
    assert published == {W, L, N}
    assert {r.resource for r in reach.blast_radius(GRANULAR) if Action.PUBLISH in r.actions} == {W}


def test_rules_on_the_fixture() -> None:
    loaded = load_bundle(BUNDLE, {"npm": SPEC})
    result = analyse(loaded.inventory, source="t", as_of=loaded.collected_at)
    found = {(f.rule, f.subject) for f in result.findings}
    assert ("RB01", FOREVER) in found  # publish token, never expires, created 2024
    assert ("RB01", AUTOMATION) in found  # expires after 224 days
    assert ("RB01", GRANULAR) not in found  # 47 days, created two weeks ago
    assert ("RB01", READONLY) not in found
    assert ("RB02", L) in found  # no provenance, standing tokens can publish it
    assert ("RB02", W) not in found


@pytest.mark.parametrize(
    ("url", "repo"),
    [
        ("git+https://github.com/acme/widgets.git", "acme/widgets"),
        ("github:acme/legacy", "acme/legacy"),
        ("acme/short", "acme/short"),
        ("git+ssh://git@github.com/acme/ssh.git", "acme/ssh"),
        ("git@github.com:acme/scp.git", "acme/scp"),
        ("https://github.com/acme/mono/tree/main/packages/a", "acme/mono"),
        ("https://gitlab.com/acme/x.git", None),
        ("", None),
    ],
)
def test_github_repo(url: str, repo: str | None) -> None:
    assert github_repo(url) == repo


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "b"
    shutil.copytree(BUNDLE, dst)
    return dst


def test_malformed_files_name_the_file(tmp_path: Path) -> None:
    b = _copy(tmp_path)
    (b / "npm/-/npm/v1/tokens.json").write_text('{"objects": [{"created": "2024-01-01"}]}')
    with pytest.raises(BundleError, match=r"npm/-/npm/v1/tokens.json: objects.0.key"):
        SPEC.inventory(BundleReader(b))
    b = _copy(tmp_path / "2")
    (b / "npm/@acme/legacy.json").write_text('{"name": "@acme/other"}')
    with pytest.raises(BundleError, match=r"npm/@acme/legacy.json: name"):
        SPEC.inventory(BundleReader(b))
    b = _copy(tmp_path / "3")
    (b / "npm/-/org/acme/user.json").write_text('{"bob": "superuser"}')
    with pytest.raises(BundleError, match=r"npm/-/org/acme/user.json"):
        SPEC.inventory(BundleReader(b))


def test_tokens_without_owner_are_a_gap(tmp_path: Path) -> None:
    b = _copy(tmp_path)
    (b / "npm/-/whoami.json").unlink()
    inv = SPEC.inventory(BundleReader(b))
    assert not [n for n in inv.nodes() if n.kind is NodeKind.CREDENTIAL]
    assert [g.what for g in inv.gaps] == ["npm/-/whoami.json"]
