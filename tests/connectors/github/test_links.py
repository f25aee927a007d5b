"""``[[links]]`` pins: a CI secret named by its scope and name (or node id) exposes a pinned credential."""

from __future__ import annotations

from scanner.link import pin_links
from scanner.model import CredentialInfo, EdgeKind, Inventory, Lifetime, Node, NodeId, NodeKind


def _inv() -> Inventory:
    inv = Inventory()
    for nid, scope in (
        ("github:secret:acme/app/PYPI_TOKEN", "acme/app"),
        ("github:secret:acme/lib/PYPI_TOKEN", "acme/lib"),
    ):
        inv.add_node(Node(NodeId(nid), NodeKind.SECRET, "PYPI_TOKEN", "github", "github:actions-secret", scope=scope))
    inv.add_node(
        Node(
            NodeId("pypi:token:release"),
            NodeKind.CREDENTIAL,
            "release token",
            "pypi",
            "pypi:api-token",
            credential=CredentialInfo(Lifetime.STATIC),
        )
    )
    return inv


def test_pin_by_scope_and_name_and_by_id() -> None:
    inv = _inv()
    missing = pin_links(
        inv,
        [
            ("ACME/App:pypi_token", "pypi:token:release"),
            ("github:secret:acme/lib/PYPI_TOKEN", "pypi:token:release"),
        ],
    )
    assert missing == []
    assert {(e.src, e.dst, e.kind, e.via) for e in inv.edges()} == {
        ("github:secret:acme/app/PYPI_TOKEN", "pypi:token:release", EdgeKind.EXPOSES, "pinned in [[links]]"),
        ("github:secret:acme/lib/PYPI_TOKEN", "pypi:token:release", EdgeKind.EXPOSES, "pinned in [[links]]"),
    }


def test_unmatched_pins_are_returned() -> None:
    inv = _inv()
    missing = pin_links(inv, [("acme/none:X", "pypi:token:release"), ("acme/app:PYPI_TOKEN", "pypi:token:gone")])
    assert missing == ["acme/none:X -> pypi:token:release", "acme/app:PYPI_TOKEN -> pypi:token:gone"]
    assert inv.edge_count == 0
