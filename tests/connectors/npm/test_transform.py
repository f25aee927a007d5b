"""npm transform from native fixtures: exact nodes and edges, the worm's blast radius, and the rules."""

from __future__ import annotations

import json
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
SCOPED = NodeId("npm:token:9a57" + "4" * 124)
READ_ALL = NodeId("npm:token:9a58" + "5" * 124)
REVOKED = NodeId("npm:token:9a59" + "6" * 124)
TOKENS = (FOREVER, AUTOMATION, READONLY, GRANULAR, SCOPED, READ_ALL, REVOKED)
W, L, N, P, U = map(
    NodeId,
    (
        "npm:package:@acme/widgets",
        "npm:package:@acme/legacy",
        "npm:package:@acme/internal",
        "npm:package:left-pad-fake",
        "npm:package:alice-utils",
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
        *((NodeKind.CREDENTIAL, t) for t in TOKENS),
        *((NodeKind.RESOURCE, p) for p in (W, L, N, P, U)),
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
    assert inv.node(AUTOMATION).attrs["cidr"] == ("192.0.2.0/24",)
    assert inv.node(AUTOMATION).attrs["bypass_2fa"] is True


def test_granular_tokens_are_modelled_as_the_registry_lists_them(inv: Inventory) -> None:
    """npm/cli#9443: ``expiry``, ``cidr``, ``accessed``, ``permissions[]`` and ``scopes`` as objects."""
    g = inv.node(GRANULAR)
    assert g.attrs["token_type"] == "granular"
    assert g.attrs["packages"] == ("@acme/widgets",)
    assert g.attrs["permissions"] == ("package:write",)
    assert g.attrs["read_only"] is False
    assert g.attrs["bypass_2fa"] is False
    assert g.credential is not None
    assert g.credential.expires is not None
    assert g.credential.last_used is not None
    assert g.credential.last_used.isoformat().startswith("2026-10-30")
    scoped = inv.node(SCOPED)
    assert (scoped.attrs["scopes"], scoped.attrs["orgs"]) == (("@acme",), ("acme",))
    assert scoped.attrs["cidr"] == ("192.0.2.0/24",)
    assert scoped.attrs["bypass_2fa"] is True
    assert inv.node(READ_ALL).attrs["read_only"] is True
    assert inv.node(REVOKED).attrs["active"] is False


def test_edges(inv: Inventory) -> None:
    grants = {(e.src, e.dst, e.actions) for e in inv.edges() if e.kind is EdgeKind.GRANTS}
    pub, read, admin = frozenset({Action.PUBLISH}), frozenset({Action.READ}), frozenset({Action.ADMIN})
    assert grants == {
        *((ALICE, p, admin) for p in (W, L, N)),  # org owner
        *((ALICE, p, pub) for p in (W, L, N, U)),  # maintainer and package access (U outside the org)
        (ALICE, P, read),
        (BOB, W, pub),
        *((READONLY, p, read) for p in (W, L, N, P, U)),
        (GRANULAR, W, pub),
        *((SCOPED, p, admin) for p in (W, L, N)),  # @acme scope write, and org write of an org owner
        *((READ_ALL, p, read) for p in (W, L, N, P, U)),  # "all packages", read
    }
    # Classic read-write tokens act as their owner: token -> user -> every package the user can publish.
    assert {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.AUTHENTICATES_AS} == {
        (FOREVER, ALICE),
        (AUTOMATION, ALICE),
    }
    owned = {(e.src, e.dst, e.via) for e in inv.edges() if e.kind is EdgeKind.OWNED_BY}
    assert {src for src, dst, via in owned if via == "token owner" and dst == ALICE} == set(TOKENS)
    # the maintainers a packument lists own the package; a package whose packument is not collected (P) has none
    assert {(src, dst) for src, dst, via in owned if via == "package maintainer"} == {
        (W, ALICE), (W, BOB), (L, ALICE), (N, ALICE), (U, ALICE)
    }  # fmt: skip
    assert {via for _, _, via in owned} == {"token owner", "package maintainer"}
    assert {e.kind for e in inv.edges()} == {EdgeKind.GRANTS, EdgeKind.AUTHENTICATES_AS, EdgeKind.OWNED_BY}
    assert not inv.dangling()


def test_classic_token_blast_radius_holds_every_package_of_its_owner(inv: Inventory) -> None:
    """The 2025 worm: one classic token publishes every package its maintainer can, in the org or not."""
    reach = ReachIndex.build(ScanGraph(inv))
    published = {r.resource for r in reach.blast_radius(FOREVER) if Action.PUBLISH in r.actions}
    assert published == {W, L, N, U}
    path = reach.explain(FOREVER, U, Action.PUBLISH)
    assert path is not None
    assert [s.kind for s in path] == [EdgeKind.AUTHENTICATES_AS, EdgeKind.GRANTS]
    assert path[0].dst == ALICE
    assert {r.resource for r in reach.blast_radius(GRANULAR) if Action.PUBLISH in r.actions} == {W}
    assert not reach.blast_radius(REVOKED)


def test_rules_on_the_fixture() -> None:
    loaded = load_bundle(BUNDLE, {"npm": SPEC})
    result = analyse(loaded.inventory, source="t", as_of=loaded.collected_at)
    found = {(f.rule, f.subject) for f in result.findings}
    assert ("RB01", FOREVER) in found  # publish token, never expires, created 2024
    assert ("RB01", AUTOMATION) in found  # a classic token: never expires
    assert ("RB01", SCOPED) in found  # granular, but valid for 365 days
    assert ("RB01", GRANULAR) not in found  # 47 days, created two weeks ago
    assert ("RB01", READONLY) not in found
    assert ("RB01", READ_ALL) not in found
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


def test_tokens_without_owner_are_kept_with_a_gap(tmp_path: Path) -> None:
    b = _copy(tmp_path)
    (b / "npm/-/whoami.json").unlink()
    inv = SPEC.inventory(BundleReader(b))
    assert {n.id for n in inv.nodes() if n.kind is NodeKind.CREDENTIAL} == set(TOKENS)
    assert all(inv.node(t).attrs["owner"] is None for t in TOKENS)
    assert [g.what for g in inv.gaps] == ["npm/-/whoami.json"]
    # Only what a granular token names is known without its owner.
    assert {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.GRANTS and e.src in TOKENS} == {
        (GRANULAR, W),
        *((SCOPED, p) for p in (W, L, N)),
    }


def test_access_list_in_both_spellings(tmp_path: Path) -> None:
    """``GET /-/user/<u>/package`` answers read/write; ``npm access list packages --json`` prints
    read-only/read-write: both give the same grants."""
    b = _copy(tmp_path)
    (b / "npm/-/user/alice/package.json").write_text(
        '{"@acme/widgets": "write", "@acme/legacy": "write", "@acme/internal": "write",'
        ' "left-pad-fake": "read", "alice-utils": "write"}'
    )
    raw_api = {(e.src, e.dst, e.actions) for e in SPEC.inventory(BundleReader(b)).edges()}
    assert raw_api == {(e.src, e.dst, e.actions) for e in SPEC.inventory(BundleReader(BUNDLE)).edges()}


@pytest.mark.parametrize("field", ["created", "updated", "expiry", "accessed"])
def test_a_token_time_that_is_not_a_time_is_refused_naming_the_file(tmp_path: Path, field: str) -> None:
    """A token list whose times are not ISO-8601 is bad input (exit 2 naming the file), not an internal error."""
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    tokens = bundle / "npm" / "-" / "npm" / "v1" / "tokens.json"
    doc = json.loads(tokens.read_text(encoding="utf-8"))
    doc["objects"][0][field] = "yesterday"
    tokens.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BundleError, match=rf"npm/-/npm/v1/tokens.json: objects\.0\.{field}"):
        load_bundle(bundle, {"npm": SPEC})
