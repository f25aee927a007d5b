"""The inventory merges sightings of the same id instead of duplicating them; link hints resolve."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.link import resolve_hints
from scanner.model import (
    HEARSAY,
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


@settings(max_examples=200, deadline=None)
@given(
    tags=st.lists(st.sampled_from([("team", "b"), ("env", "a"), ("team", "a")]), max_size=4),
    evidence=st.lists(st.sampled_from([Evidence("x.json"), Evidence("y.json", 3), Evidence("x.json", 1)]), max_size=4),
    attrs=st.dictionaries(st.sampled_from(["repo", "k", "owners_not_collected"]), st.none() | st.text(max_size=3)),
    extra=st.dictionaries(st.sampled_from(["k", "owners_not_collected", "new"]), st.none() | st.text(max_size=3)),
    hearsay=st.sampled_from([None, True, False]),
    cred=st.booleans(),
)
def test_add_attrs_is_a_sighting_with_those_attributes(
    tags: list[tuple[str, str]],
    evidence: list[Evidence],
    attrs: dict[str, str | None],
    extra: dict[str, str | None],
    hearsay: bool | None,
    cred: bool,
) -> None:
    # The shortcut the owners passes take must store exactly what adding the node again with the
    # attributes added stores (a merge sorts tags and deduplicates evidence).
    if hearsay is not None:
        attrs = {**attrs, HEARSAY: hearsay}  # type: ignore[dict-item]
    node = Node(
        NodeId("n"),
        NodeKind.CREDENTIAL if cred else NodeKind.RESOURCE,
        "name",
        "github",
        "github:x",
        scope="acme/app",
        attrs=attrs,
        tags=tuple(tags),
        evidence=tuple(evidence),
        credential=CredentialInfo(Lifetime.STATIC, created=datetime(2024, 1, 1, tzinfo=UTC)) if cred else None,
    )
    a, b = Inventory(), Inventory()
    a.add_node(node)
    b.add_node(node)
    got = a.add_attrs(node.id, extra)
    want = b.add_node(replace(node, attrs={**node.attrs, **extra}))
    assert got == want
    assert dict(got.attrs) == dict(want.attrs)
    assert list(got.attrs) == list(want.attrs)
    assert a.node(node.id) == b.node(node.id)


def test_node_and_edge_fields_are_in_the_order_the_merges_construct_them() -> None:
    # merge_nodes, merge_edges, Inventory.add_attrs and the pickling of both call the constructors
    # positionally (dataclasses.replace costs twice as much): a field added or moved must be added
    # there too.
    assert [f.name for f in fields(Node)] == [
        "id", "kind", "name", "provider", "subtype", "scope", "attrs", "tags", "credential", "evidence",
    ]  # fmt: skip
    assert [f.name for f in fields(Edge)] == [
        "src", "dst", "kind", "actions", "via", "conditions", "approval_required", "evidence",
    ]  # fmt: skip
