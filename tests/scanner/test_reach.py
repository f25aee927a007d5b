"""Reach for every node at once: correctness against a naive search, scale, and explainability."""

from __future__ import annotations

import itertools
from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.graph import DEPLOY_CATEGORIES, ScanGraph
from scanner.model import (
    ACTIONS,
    JUNCTION_EDGE,
    WRITE_ACTIONS,
    Action,
    Edge,
    EdgeKind,
    Inventory,
    Junction,
    NodeId,
    NodeKind,
    expand_actions,
)
from scanner.reach import ReachIndex
from tests.scanner.graphs import add, link, nid

CONTROL = {EdgeKind.AUTHENTICATES_AS, EdgeKind.EXPOSES, EdgeKind.CAN_READ_SECRET, EdgeKind.CAN_ASSUME}


def litellm_chain() -> Inventory:
    inv = Inventory()
    add(inv, "action", NodeKind.THIRD_PARTY, pinned=False)
    add(inv, "job", NodeKind.IDENTITY)
    add(inv, "secret", NodeKind.SECRET)
    add(inv, "token", NodeKind.CREDENTIAL)
    add(inv, "project", NodeKind.RESOURCE, category="package")
    add(inv, "deploy", NodeKind.RESOURCE, category="pipeline")
    add(inv, "gated", NodeKind.RESOURCE, category="environment")
    add(inv, "other", NodeKind.RESOURCE, category="package")
    link(inv, "job", "action", EdgeKind.RUNS_CODE_OF)
    link(inv, "job", "secret", EdgeKind.CAN_READ_SECRET)
    link(inv, "secret", "token", EdgeKind.EXPOSES)
    link(inv, "token", "project", EdgeKind.GRANTS, {Action.PUBLISH})
    link(inv, "project", "deploy", EdgeKind.TRIGGERS, approval=False)
    link(inv, "project", "gated", EdgeKind.TRIGGERS, approval=True)
    link(inv, "job", "other", EdgeKind.GRANTS, {Action.READ})
    return inv


def test_chain_blast_radius_and_reverse() -> None:
    idx = ReachIndex.build(ScanGraph(litellm_chain()))
    radius = {(r.resource, a) for r in idx.blast_radius(nid("action")) for a in r.actions}
    assert radius == {("project", Action.PUBLISH), ("deploy", Action.DEPLOY), ("other", Action.READ)}
    # A human approval on the trigger stops the automatic chain.
    assert not idx.can(nid("action"), nid("gated"), Action.DEPLOY)
    assert idx.who_can_reach(nid("project"), Action.PUBLISH) == ["action", "job", "secret", "token"]
    assert idx.who_can_reach(nid("other"), Action.READ) == ["action", "job"]
    assert idx.blast_radius(nid("project")) == []


def test_explain_gives_the_incident_path() -> None:
    idx = ReachIndex.build(ScanGraph(litellm_chain()))
    path = idx.explain(nid("action"), nid("deploy"), Action.DEPLOY)
    assert path is not None
    assert [(s.src, s.kind.value, s.dst) for s in path] == [
        ("action", "runs_code_of", "job"),
        ("job", "can_read_secret", "secret"),
        ("secret", "exposes", "token"),
        ("token", "grants", "project"),
        ("project", "triggers", "deploy"),
    ]
    assert idx.explain(nid("action"), nid("gated")) is None
    assert idx.explain(nid("other"), nid("project")) is None


def test_admin_implies_every_action() -> None:
    inv = Inventory()
    add(inv, "role", NodeKind.IDENTITY)
    add(inv, "repo", NodeKind.RESOURCE, category="registry")
    link(inv, "role", "repo", EdgeKind.GRANTS, {Action.ADMIN})
    idx = ReachIndex.build(ScanGraph(inv))
    assert idx.actions_reached(nid("role")) == frozenset(ACTIONS)


def test_long_cycle_of_50k_nodes_is_one_pass() -> None:
    inv = Inventory()
    n = 50_000
    for i in range(n):
        add(inv, f"r{i}", NodeKind.IDENTITY)
    for i in range(n):
        link(inv, f"r{i}", f"r{(i + 1) % n}", EdgeKind.CAN_ASSUME)
    # a tail hanging off the cycle, and a few resources granted at points of it
    for i in range(0, n, 10_000):
        add(inv, f"repo{i}", NodeKind.RESOURCE, category="registry")
        link(inv, f"r{i}", f"repo{i}", EdgeKind.GRANTS, {Action.PUBLISH})
    add(inv, "key", NodeKind.CREDENTIAL)
    link(inv, "key", "r123", EdgeKind.AUTHENTICATES_AS)
    graph = ScanGraph(inv)
    idx = ReachIndex.build(graph)
    v, e = len(graph), graph.count_edges()
    # every edge is looked at a bounded number of times — no search per node
    assert idx.stats.edge_visits <= 2 * (v + e)
    assert idx.stats.searches == 0
    assert idx.stats.components == 2 + 5  # the cycle, the key, and the five resources
    assert idx.size(nid("key")) == 5
    assert idx.size(nid("r49999")) == 5
    # members of one component share one set: no per-node copies
    assert idx._reach[0] is idx._reach[n - 1]
    assert len(idx.who_can_reach(nid("repo0"), Action.PUBLISH)) == n + 1


def test_long_chain_shares_sets() -> None:
    inv = Inventory()
    n = 20_000
    for i in range(n):
        add(inv, f"c{i}", NodeKind.IDENTITY)
    for i in range(n - 1):
        link(inv, f"c{i}", f"c{i + 1}", EdgeKind.CAN_ASSUME)
    add(inv, "repo", NodeKind.RESOURCE)
    link(inv, f"c{n - 1}", "repo", EdgeKind.GRANTS, {Action.PROMOTE})
    idx = ReachIndex.build(ScanGraph(inv))
    assert idx.stats.unions == 1
    assert idx.can(nid("c0"), nid("repo"), Action.PROMOTE)


# -- against a naive reference: one search per node, written independently ----------------------


def naive_reach(inv: Inventory) -> dict[NodeId, set[tuple[NodeId, Action]]]:
    succ: dict[NodeId, list[NodeId]] = {n.id: [] for n in inv.nodes()}
    grants: dict[NodeId, list[tuple[NodeId, frozenset[Action]]]] = {n.id: [] for n in inv.nodes()}
    down: dict[NodeId, list[NodeId]] = {n.id: [] for n in inv.nodes()}
    for e in inv.edges():
        if e.kind in CONTROL:
            succ[e.src].append(e.dst)
        elif e.kind is EdgeKind.RUNS_CODE_OF:
            succ[e.dst].append(e.src)
        elif e.kind is EdgeKind.GRANTS:
            grants[e.src].append((e.dst, expand_actions(e.actions)))
        elif e.kind is EdgeKind.TRIGGERS and e.approval_required is not True:
            down[e.src].append(e.dst)
        elif e.kind is EdgeKind.CONSUMES:
            down[e.dst].append(e.src)

    def act(r: NodeId) -> Action:
        return Action.DEPLOY if inv.node(r).attrs.get("category") in DEPLOY_CATEGORIES else Action.PUBLISH

    out: dict[NodeId, set[tuple[NodeId, Action]]] = {}
    for start in succ:
        seen = {start}
        q = deque([start])
        while q:
            u = q.popleft()
            for v in succ[u]:
                if v not in seen:
                    seen.add(v)
                    q.append(v)
        got: set[tuple[NodeId, Action]] = set()
        written: deque[NodeId] = deque()
        for u in seen:
            for r, acts in grants[u]:
                got |= {(r, a) for a in acts}
                if acts & WRITE_ACTIONS:
                    written.append(r)
        wseen = set(written)
        while written:
            r = written.popleft()
            for d in down[r]:
                got.add((d, act(d)))
                if d not in wseen:
                    wseen.add(d)
                    written.append(d)
        out[start] = got
    return out


KINDS = [NodeKind.IDENTITY, NodeKind.CREDENTIAL, NodeKind.SECRET, NodeKind.THIRD_PARTY, NodeKind.RESOURCE]
EDGE_KINDS = [*CONTROL, EdgeKind.RUNS_CODE_OF, EdgeKind.GRANTS, EdgeKind.TRIGGERS, EdgeKind.CONSUMES]


@st.composite
def random_inventory(draw: st.DrawFn) -> Inventory:
    n = draw(st.integers(2, 25))
    inv = Inventory()
    for i in range(n):
        kind = draw(st.sampled_from(KINDS))
        cat = draw(st.sampled_from(["registry", "pipeline", "environment", "package"]))
        add(inv, f"n{i}", kind, category=cat)
    for _ in range(draw(st.integers(0, 3 * n))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        ekind = draw(st.sampled_from(EDGE_KINDS))
        acts = set(draw(st.sets(st.sampled_from(list(Action)), min_size=1))) if ekind is EdgeKind.GRANTS else None
        approval = draw(st.sampled_from([None, True, False])) if ekind is EdgeKind.TRIGGERS else None
        link(inv, f"n{a}", f"n{b}", ekind, acts, approval)
    return inv


@settings(max_examples=150, deadline=None)
@given(random_inventory())
def test_reach_equals_naive_search_and_every_result_is_explained(inv: Inventory) -> None:
    graph = ScanGraph(inv)
    idx = ReachIndex.build(graph)
    expected = naive_reach(inv)
    edges = {(e.src, e.dst, e.kind) for e in inv.edges()}
    for node in inv.nodes():
        got = {(r.resource, a) for r in idx.blast_radius(node.id) for a in r.actions}
        assert got == expected[node.id], node.id
        for resource, action in sorted(got):
            path = idx.explain(node.id, resource, action)
            assert path, (node.id, resource, action)
            assert path[0].src == node.id
            assert path[-1].dst == resource
            assert action in path[-1].actions
            for a, b in itertools.pairwise(path):
                assert a.dst == b.src
            for s in path:
                stored = (s.dst, s.src, s.kind) if s.kind is EdgeKind.RUNS_CODE_OF else (s.src, s.dst, s.kind)
                if s.kind is EdgeKind.CONSUMES:
                    stored = (s.dst, s.src, s.kind)
                assert stored in edges
            assert node.id in idx.who_can_reach(resource, action)
        # targeted searches (direct grant first, pruned, early stop) give exactly the path of the
        # full, unpruned search; first_reached is the first entry of the decoded blast radius
        for action in ACTIONS:
            full = idx.paths_from(node.id, None, action)
            targets = sorted({r for r, a in got if a is action})
            assert {t: idx.explain(node.id, t, action) for t in targets} == {t: full[t] for t in targets}
            assert idx.first_reached(node.id, action) == (targets[0] if targets else None)
    for resource in {r for rs in expected.values() for r, _ in rs}:
        for action in ACTIONS:
            assert idx.count_who_can(resource, action) == len(idx.who_can_reach(resource, action))
        assert idx.count_who_can_each(resource) == {a: idx.count_who_can(resource, a) for a in ACTIONS}


@settings(max_examples=80, deadline=None)
@given(
    own_first=st.booleans(),
    junction_acts=st.sets(st.sampled_from(list(Action)), min_size=1),
    own_acts=st.sets(st.sampled_from(list(Action)), min_size=1),
    holders=st.integers(min_value=1, max_value=3),
)
def test_one_target_paths_through_junctions_are_the_full_search_s(
    own_first: bool, junction_acts: set[Action], own_acts: set[Action], holders: int
) -> None:
    # A node that holds a grant to the target both through a junction and by its own edge: the
    # targeted search (one grant looked up without listing the others) takes the hop the full search
    # takes, with the via of that hop.
    inv = Inventory()
    add(inv, "reg", NodeKind.RESOURCE, category="registry")
    add(inv, "other", NodeKind.RESOURCE, category="registry")
    inv.add_junction(Junction(nid("j"), "test", "account-wide"))
    inv.add_edge(Edge(nid("j"), nid("other"), EdgeKind.GRANTS, frozenset({Action.READ}), via="junction-other"))
    inv.add_edge(Edge(nid("j"), nid("reg"), EdgeKind.GRANTS, frozenset(junction_acts), via="junction-grant"))
    for i in range(holders):
        add(inv, f"u{i}", NodeKind.IDENTITY)
        own = Edge(nid(f"u{i}"), nid("reg"), EdgeKind.GRANTS, frozenset(own_acts), via=f"own-{i}")
        into = Edge(nid(f"u{i}"), nid("j"), JUNCTION_EDGE, via="holds")
        for e in (own, into) if own_first else (into, own):
            inv.add_edge(e)
    idx = ReachIndex.build(ScanGraph(inv))
    for i in range(holders):
        u = nid(f"u{i}")
        for action in ACTIONS:
            full = idx.paths_from(u, None, action)
            if nid("reg") in full:
                assert idx.explain(u, nid("reg"), action) == full[nid("reg")]
                assert full[nid("reg")][0].src == u


@st.composite
def inventory_with_junctions(draw: st.DrawFn) -> Inventory:
    """Random identities, resources and junctions: identities hold junctions (and their own grants),
    assume one another, and resources trigger or are consumed downstream, so one-target searches
    cross junctions several hops from where they start and go on downstream."""
    inv = Inventory()
    n_id, n_res, n_j = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 3))
    for i in range(n_id):
        add(inv, f"u{i}", NodeKind.IDENTITY)
    for r in range(n_res):
        add(inv, f"r{r}", NodeKind.RESOURCE, category=draw(st.sampled_from(["registry", "pipeline", "package"])))
    for j in range(n_j):
        inv.add_junction(Junction(nid(f"j{j}"), "test", f"junction {j}"))
    acts = st.sets(st.sampled_from(list(Action)), min_size=1)
    for _ in range(draw(st.integers(0, 4 * n_j))):
        j, r = draw(st.integers(0, n_j - 1)), draw(st.integers(0, n_res - 1))
        inv.add_edge(Edge(nid(f"j{j}"), nid(f"r{r}"), EdgeKind.GRANTS, frozenset(draw(acts)), via=f"j{j}-r{r}"))
    for _ in range(draw(st.integers(0, 3 * n_id))):
        u = draw(st.integers(0, n_id - 1))
        what = draw(st.sampled_from(["junction", "grant", "assume"]))
        if what == "junction":
            inv.add_edge(Edge(nid(f"u{u}"), nid(f"j{draw(st.integers(0, n_j - 1))}"), JUNCTION_EDGE, via="holds"))
        elif what == "grant":
            r = draw(st.integers(0, n_res - 1))
            inv.add_edge(Edge(nid(f"u{u}"), nid(f"r{r}"), EdgeKind.GRANTS, frozenset(draw(acts)), via=f"u{u}-r{r}"))
        else:
            link(inv, f"u{u}", f"u{draw(st.integers(0, n_id - 1))}", EdgeKind.CAN_ASSUME)
    for _ in range(draw(st.integers(0, n_res))):
        a, b = draw(st.integers(0, n_res - 1)), draw(st.integers(0, n_res - 1))
        if draw(st.booleans()):
            link(inv, f"r{a}", f"r{b}", EdgeKind.TRIGGERS, approval=draw(st.sampled_from([None, False])))
        else:
            link(inv, f"r{a}", f"r{b}", EdgeKind.CONSUMES)
    return inv


@settings(max_examples=200, deadline=None)
@given(inventory_with_junctions())
def test_one_target_searches_across_junctions_and_downstream_are_the_full_search_s(inv: Inventory) -> None:
    # The one-target search looks up each node's grant to the target and lists only the grants that
    # can continue downstream: every path it gives is the one the full search records, hop for hop.
    idx = ReachIndex.build(ScanGraph(inv))
    for node in inv.nodes():
        for action in ACTIONS:
            full = idx.paths_from(node.id, None, action)
            for target, path in full.items():
                assert idx.explain(node.id, target, action) == path, (node.id, target, action)
            reached = {r.resource for r in idx.blast_radius(node.id) if action in r.actions}
            assert set(full) == reached
