"""Docker Hub transform from native fixtures: exact nodes and edges, scope caps, and the rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.dockerhub import SPEC
from scanner.analyse import analyse, load_bundle
from scanner.bundle import BundleReader
from scanner.errors import BundleError
from scanner.model import Action, EdgeKind, Inventory, NodeId, NodeKind

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "dockerhub" / "bundle"
ADMIN_IDLE = NodeId("dockerhub:token:b30bbf97-0000-4ecd-aabc-000000000001")
READ_RECENT = NodeId("dockerhub:token:b30bbf97-0000-4ecd-aabc-000000000002")
DISABLED = NodeId("dockerhub:token:b30bbf97-0000-4ecd-aabc-000000000003")
OAT = NodeId("dockerhub:org-token:a7a5ef25-8889-43a0-8cc7-000000000001")
API, WEB, TOOLS = map(
    NodeId, ("dockerhub:repository:acme/api", "dockerhub:repository:acme/web", "dockerhub:repository:alice/tools")
)
ALICE, CAROL = "dockerhub:user:alice", "dockerhub:user:carol"
CI, OWNERS = "dockerhub:team:acme/ci", "dockerhub:team:acme/owners"
R, P, A = frozenset({Action.READ}), frozenset({Action.PUBLISH}), frozenset({Action.ADMIN})


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return SPEC.inventory(BundleReader(BUNDLE))


def test_nodes(inv: Inventory) -> None:
    assert {(n.kind, n.id) for n in inv.nodes()} == {
        *((NodeKind.RESOURCE, r) for r in (API, WEB, TOOLS)),
        *((NodeKind.IDENTITY, i) for i in (ALICE, CAROL, CI, OWNERS)),
        *((NodeKind.CREDENTIAL, c) for c in (ADMIN_IDLE, READ_RECENT, DISABLED, OAT)),
    }
    assert inv.node(API).subtype == "dockerhub:repository"
    assert inv.node(API).attrs["category"] == "package"
    idle = inv.node(ADMIN_IDLE)
    assert idle.credential is not None
    assert idle.credential.last_used is not None
    assert idle.credential.last_used.isoformat().startswith("2026-04-15")
    assert inv.node(DISABLED).attrs["active"] is False


def test_edges(inv: Inventory) -> None:
    grants = {(e.src, e.dst, e.actions) for e in inv.edges() if e.kind is EdgeKind.GRANTS}
    assert grants == {
        (CAROL, API, A),
        (CAROL, WEB, A),
        (OWNERS, API, A),
        (OWNERS, WEB, A),
        (ALICE, TOOLS, A),
        # repo:admin: ADMIN on her own namespace; on acme, where she is a plain member, her teams' repository
        # permissions are not readable (Hub documents no such call), so the scope is the only limit known
        (ADMIN_IDLE, TOOLS, A),
        (ADMIN_IDLE, API, A),
        (ADMIN_IDLE, WEB, A),
        (READ_RECENT, TOOLS, R),
        (READ_RECENT, API, R),
        (READ_RECENT, WEB, R),
        (OAT, API, R | P),
        (OAT, WEB, R | P),
        (OAT, WEB, R),
        (OAT, TOOLS, R),
    }
    assumes = {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.CAN_ASSUME}
    assert assumes == {(ALICE, CI), (CAROL, OWNERS)}
    owned = {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.OWNED_BY}
    assert owned == {(t, ALICE) for t in (ADMIN_IDLE, READ_RECENT, DISABLED)}
    assert inv.node(ADMIN_IDLE).attrs["reach_upper_bound"] is True
    assert not inv.dangling()


def test_tokens_without_owner_file_are_kept_with_a_gap(tmp_path: Path) -> None:
    b = tmp_path / "b"
    shutil.copytree(BUNDLE, b)
    (b / "dockerhub/regwarden-settings.json").unlink()
    inv = SPEC.inventory(BundleReader(b))
    for t in (ADMIN_IDLE, READ_RECENT, DISABLED):
        assert inv.node(t).kind is NodeKind.CREDENTIAL
        assert inv.node(t).attrs["owner"] is None
    assert [g.what for g in inv.gaps] == ["dockerhub/regwarden-settings.json"]
    assert not [e for e in inv.edges() if e.src in (ADMIN_IDLE, READ_RECENT, DISABLED)]


def test_undocumented_repository_listing_is_refused(tmp_path: Path) -> None:
    b = tmp_path / "b"
    shutil.copytree(BUNDLE, b)
    (b / "dockerhub/v2/repositories").mkdir()
    (b / "dockerhub/v2/repositories/acme.json").write_text('{"results": []}')
    with pytest.raises(BundleError, match=r"dockerhub/v2/repositories/acme.json: GET /v2/repositories"):
        SPEC.inventory(BundleReader(b))


def test_rules_on_the_fixture() -> None:
    loaded = load_bundle(BUNDLE, {"dockerhub": SPEC})
    result = analyse(loaded.inventory, source="t", as_of=loaded.collected_at)
    found = {(f.rule, f.subject) for f in result.findings}
    assert ("RB09", ADMIN_IDLE) in found  # last used 200 days before collection
    assert ("RB01", ADMIN_IDLE) in found  # ADMIN, never expires
    for quiet in (READ_RECENT, DISABLED, OAT):
        assert not [f for f in found if f[1] == quiet], quiet


def test_malformed_file_names_the_file(tmp_path: Path) -> None:
    b = tmp_path / "b"
    shutil.copytree(BUNDLE, b)
    (b / "dockerhub/v2/access-tokens.json").write_text('{"results": [{"uuid": "x"}]}')
    with pytest.raises(BundleError, match=r"dockerhub/v2/access-tokens.json: results.0.scopes"):
        SPEC.inventory(BundleReader(b))
