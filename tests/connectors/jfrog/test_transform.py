"""JFrog transform from native fixtures: repositories and virtual membership, permission targets,
token scopes, and the mirror rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.jfrog import SPEC
from connectors.jfrog.transform import subject_user, token_groups
from scanner.analyse import analyse, load_bundle
from scanner.bundle import BundleReader
from scanner.errors import BundleError
from scanner.model import Action, EdgeKind, Inventory, Lifetime, NodeId, NodeKind

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "jfrog" / "bundle"


def repo(key: str) -> NodeId:
    return NodeId(f"jfrog:repository:{key}")


LOCAL, NREMOTE, NVIRTUAL, PREMOTE, PVIRTUAL = map(
    repo, ("npm-local", "npm-remote", "npm-virtual", "pypi-remote", "pypi-virtual")
)
BUILD = "jfrog:build-info:artifactory-build-info"
CI, DAVE, REL = "jfrog:user:ci-bot", "jfrog:user:dave", "jfrog:user:rel-bot"
ADMIN_USER = "jfrog:user:admin"  # the subject of the admin token: its owner
DEPLOYERS, READERS = "jfrog:group:deployers", "jfrog:group:readers"
FOREVER, DEPLOY_TOKEN, ADMIN = map(
    NodeId, ("jfrog:token:tok-ci-forever", "jfrog:token:tok-deployers", "jfrog:token:tok-admin-short")
)


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return SPEC.inventory(BundleReader(BUNDLE))


def test_nodes(inv: Inventory) -> None:
    assert {(n.kind, n.id) for n in inv.nodes()} == {
        *((NodeKind.RESOURCE, r) for r in (LOCAL, NREMOTE, NVIRTUAL, PREMOTE, PVIRTUAL, BUILD)),
        *((NodeKind.IDENTITY, i) for i in (CI, DAVE, REL, DEPLOYERS, READERS, ADMIN_USER)),
        *((NodeKind.CREDENTIAL, c) for c in (FOREVER, DEPLOY_TOKEN, ADMIN)),
    }
    remote = inv.node(NREMOTE)
    assert (remote.attrs["category"], remote.attrs["mirror"], remote.attrs["upstream_verification"]) == (
        "registry",
        True,
        False,
    )
    assert inv.node(PREMOTE).attrs["upstream_verification"] is True  # declared verified by the operator
    assert inv.node(NVIRTUAL).attrs["production"] is True
    assert inv.node(LOCAL).attrs.get("mirror") is None
    admin = inv.node(ADMIN).credential
    assert admin is not None
    assert admin.lifetime is Lifetime.SHORT_LIVED
    forever = inv.node(FOREVER).credential
    assert forever is not None
    assert (forever.lifetime, forever.expires) == (Lifetime.STATIC, None)


def test_edges(inv: Inventory) -> None:
    r, rp = frozenset({Action.READ}), frozenset({Action.READ, Action.PUBLISH})
    grants = {(e.src, e.dst, e.actions) for e in inv.edges() if e.kind is EdgeKind.GRANTS}
    assert grants == {
        (CI, LOCAL, rp),  # read, write, delete: delete/overwrite is a write
        (DEPLOYERS, LOCAL, rp),  # read, write, annotate
        (READERS, LOCAL, r),
        (REL, LOCAL, frozenset({Action.READ, Action.ADMIN})),  # ANY LOCAL, manage
        (REL, BUILD, frozenset({Action.READ, Action.PROMOTE})),  # build section write = promote
        *((ADMIN, x, frozenset({Action.ADMIN})) for x in (LOCAL, NREMOTE, NVIRTUAL, PREMOTE, PVIRTUAL)),
    }
    others = {(e.kind, e.src, e.dst) for e in inv.edges() if e.kind is not EdgeKind.GRANTS}
    assert others == {
        (EdgeKind.CONSUMES, NVIRTUAL, LOCAL),
        (EdgeKind.CONSUMES, NVIRTUAL, NREMOTE),
        (EdgeKind.CONSUMES, PVIRTUAL, PREMOTE),
        (EdgeKind.CAN_ASSUME, CI, DEPLOYERS),
        (EdgeKind.CAN_ASSUME, DAVE, DEPLOYERS),
        (EdgeKind.AUTHENTICATES_AS, FOREVER, CI),
        (EdgeKind.AUTHENTICATES_AS, DEPLOY_TOKEN, DEPLOYERS),
        # the user a token is issued to (its subject) owns it, whatever the token acts as
        (EdgeKind.OWNED_BY, FOREVER, CI),
        (EdgeKind.OWNED_BY, DEPLOY_TOKEN, CI),
        (EdgeKind.OWNED_BY, ADMIN, ADMIN_USER),
    }
    assert not inv.dangling()


def test_rules_on_the_fixture() -> None:
    loaded = load_bundle(BUNDLE, {"jfrog": SPEC})
    result = analyse(loaded.inventory, source="t", as_of=loaded.collected_at)
    found = {(f.rule, f.subject) for f in result.findings}
    assert ("RB02", NREMOTE) in found  # mirror feeding the production virtual, no verification
    assert ("RB02", PREMOTE) not in found
    assert ("RB01", FOREVER) in found  # standing token of a deployer, never expires
    assert ("RB01", ADMIN) not in found  # one hour, not refreshable
    # whoever can write npm-local reaches the production virtual through it
    reach = result.reach
    assert reach.can(FOREVER, NVIRTUAL, Action.PUBLISH)


@pytest.mark.parametrize(
    ("subject", "user"),
    [("jfac@01x/users/ci-bot", "ci-bot"), ("bob", "bob"), ("jfrt@01x/groups/g", None)],
)
def test_subject_user(subject: str, user: str | None) -> None:
    assert subject_user(subject) == user


def test_token_groups() -> None:
    assert token_groups("applied-permissions/groups:a,b") == ("a", "b")
    assert token_groups("api:* member-of-groups:readers") == ("readers",)
    assert token_groups("applied-permissions/user") is None


def test_malformed_file_names_the_file(tmp_path: Path) -> None:
    b = tmp_path / "b"
    shutil.copytree(BUNDLE, b)
    (b / "jfrog/artifactory/api/repositories/npm-local.json").write_text('{"key": "other", "rclass": "local"}')
    with pytest.raises(BundleError, match=r"repositories/npm-local.json: key"):
        SPEC.inventory(BundleReader(b))
