"""The inventory merges sightings of the same id instead of duplicating them; link hints resolve."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scanner.link import resolve_hints
from scanner.model import (
    Action,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    LinkHint,
    Node,
    NodeId,
    NodeKind,
    Selector,
    node_id,
)


def test_same_id_from_two_sources_merges() -> None:
    a, b = Inventory(), Inventory()
    nid = node_id("pypi", "token", "x")
    a.add_node(
        Node(
            nid,
            NodeKind.CREDENTIAL,
            "tok",
            "pypi",
            "pypi:api-token",
            attrs={"repo": "acme/app"},
            credential=CredentialInfo(Lifetime.STATIC, created=datetime(2024, 1, 1, tzinfo=UTC)),
        )
    )
    b.add_node(
        Node(
            nid,
            NodeKind.CREDENTIAL,
            "",
            "pypi",
            "",
            attrs={"scope": "project"},
            credential=CredentialInfo(Lifetime.UNKNOWN, last_used=datetime(2026, 1, 1, tzinfo=UTC)),
        )
    )
    a.add_edge(Edge(nid, NodeId("p"), EdgeKind.GRANTS, frozenset({Action.PUBLISH}), via="v"))
    b.add_edge(Edge(nid, NodeId("p"), EdgeKind.GRANTS, frozenset({Action.READ}), via="v"))
    a.merge(b)
    assert len(a) == 1
    assert a.edge_count == 1
    node = a.node(nid)
    assert node.name == "tok"
    assert node.subtype == "pypi:api-token"
    assert dict(node.attrs) == {"repo": "acme/app", "scope": "project"}
    assert node.credential is not None
    assert node.credential.lifetime is Lifetime.STATIC
    assert node.credential.created
    assert node.credential.last_used
    assert next(a.edges()).actions == {Action.PUBLISH, Action.READ}
    assert [e.dst for e in a.dangling()] == ["p"]


def test_approval_holds_only_if_every_sighting_says_so() -> None:
    inv = Inventory()
    for approval in (True, False):
        inv.add_edge(Edge(NodeId("r"), NodeId("p"), EdgeKind.TRIGGERS, approval_required=approval))
    assert next(inv.edges()).approval_required is False


def test_hints_link_by_attributes() -> None:
    inv = Inventory()
    tok = node_id("pypi", "token", "gh/acme/app/PYPI")
    inv.add_node(Node(tok, NodeKind.CREDENTIAL, "t", "pypi", "pypi:api-token"))
    for name, repo in [("app", "acme/app"), ("lib", "acme/lib"), ("app2", "Acme/App")]:
        inv.add_node(
            Node(
                node_id("pypi", "project", name),
                NodeKind.RESOURCE,
                name,
                "pypi",
                "pypi:project",
                attrs={"source_repo": repo},
            )
        )
    inv.add_hint(
        LinkHint(
            tok,
            Selector("pypi", NodeKind.RESOURCE, (("source_repo", "acme/app"),), "pypi:project"),
            EdgeKind.GRANTS,
            frozenset({Action.PUBLISH}),
            via="hint",
        )
    )
    inv.add_hint(LinkHint(tok, Selector("npm", NodeKind.RESOURCE, (("source_repo", "acme/app"),)), EdgeKind.GRANTS))
    assert resolve_hints(inv) == 2
    assert sorted(e.dst for e in inv.edges()) == ["pypi:project:app", "pypi:project:app2"]


def test_nodes_and_edges_survive_pickling_with_every_field() -> None:
    import pickle

    node = Node(
        NodeId("aws:user:u"), NodeKind.CREDENTIAL, "u", "aws", "aws:access-key", "123",
        {"a": 1, "b": ("x",)}, (("team", "ci"),),
        CredentialInfo(Lifetime.STATIC, created=datetime(2026, 1, 1, tzinfo=UTC)),
        (Evidence("aws/x.json", 3),),
    )  # fmt: skip
    edge = Edge(
        NodeId("a"), NodeId("b"), EdgeKind.GRANTS, frozenset({Action.PUBLISH}), "policy p",
        (("sub", "repo:o/r"),), True, (Evidence("f.json"),),
    )  # fmt: skip
    for obj in (node, edge, Evidence("f", None)):
        back = pickle.loads(pickle.dumps(obj))  # noqa: S301 - our own bytes
        assert back == obj
        assert [getattr(back, f) for f in obj.__slots__] == [getattr(obj, f) for f in obj.__slots__]


@pytest.mark.parametrize("owner_first", [True, False])
def test_the_owners_record_wins_over_what_a_pipeline_names(owner_first: bool) -> None:
    """A CI job that pushes an image names the registry's repository (hearsay); the registry connector's own
    record of it keeps its facts whichever sighting is merged first, and the hearsay fills in the rest."""
    nid = NodeId("aws:ecr-repository:arn:aws:ecr:eu-west-1:111122223333:repository/app")
    owner = Node(nid, NodeKind.RESOURCE, "app", "aws", "aws:ecr-repository",
                 attrs={"category": "registry", "audit_logging": True}, evidence=(Evidence("aws/x.json"),))  # fmt: skip
    ci = Node(nid, NodeKind.RESOURCE, "111122223333.dkr.ecr.eu-west-1.amazonaws.com/app", "aws",
              "aws:ecr-repository", attrs={"category": "package", "named_in_ci": True, "source_repo": "acme/app"},
              evidence=(Evidence("github/repos/acme/app/contents/.github/workflows/push.yml", 9),))  # fmt: skip
    inv = Inventory()
    for n in (owner, ci) if owner_first else (ci, owner):
        inv.add_node(n)
    got = inv.node(nid)
    assert got.name == "app"
    assert got.attrs["category"] == "registry"
    assert got.attrs["audit_logging"] is True
    assert got.attrs["source_repo"] == "acme/app"  # what only the pipeline knows is kept
    assert got.attrs["named_in_ci"] is False
    assert len(got.evidence) == 2
