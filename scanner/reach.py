"""Blast radius and its reverse, for every node at once, each result explainable as a path.

The control graph (who controls what) is condensed into its DAG of strongly connected components.
Every member of a component controls every other, so they share one reach set. Components are
visited once, sinks first; a component's reach is its own grants (closed under ``ADMIN`` and
extended downstream through ``triggers``/``consumes``) joined with its successors' reach. Sets are
shared, not copied, when a component adds nothing to a single successor — long chains cost
nothing extra. Total work is O(V + E) walks plus the set unions; :attr:`ReachIndex.stats` counts
the walks so a test can hold the algorithm to that.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from scanner.findings import PathStep
from scanner.graph import ScanGraph, Step, condense
from scanner.model import ACTIONS, WRITE_ACTIONS, Action, EdgeKind, NodeId, expand_actions

_NA = len(ACTIONS)
_ACTION_BIT = {a: i for i, a in enumerate(ACTIONS)}
_EMPTY: frozenset[int] = frozenset()
#: Action sets by bit mask (bit i = ACTIONS[i]): decoding a reach set builds no new frozensets.
_BY_MASK: tuple[frozenset[Action], ...] = tuple(
    frozenset(a for i, a in enumerate(ACTIONS) if m >> i & 1) for m in range(1 << _NA)
)


@dataclass
class ReachStats:
    """Work counters: graph walks done while computing reach for all nodes."""

    nodes: int = 0
    components: int = 0
    edge_visits: int = 0  # control, grant and downstream edges looked at
    unions: int = 0  # set unions performed (shared sets are not counted)
    searches: int = 0  # breadth-first searches (only ``explain`` runs them)


@dataclass(frozen=True, slots=True)
class Reached:
    """One entry of a blast radius: a resource and the action classes reached on it."""

    resource: NodeId
    actions: frozenset[Action]


@dataclass
class ReachIndex:
    """Reach for every node of a :class:`ScanGraph`."""

    graph: ScanGraph
    stats: ReachStats = field(default_factory=ReachStats)
    _reach: list[frozenset[int]] = field(default_factory=list, repr=False)
    _who: tuple[dict[int, list[int]], list[list[int]]] | None = field(default=None, repr=False)
    # Equal reach sets are stored once (hash-consed), so the per-set caches below are shared by
    # every node with the same reach: a fleet of identical roles is decoded once.
    _interned: dict[frozenset[int], frozenset[int]] = field(default_factory=dict, repr=False)
    _radius: dict[int, tuple[Reached, ...]] = field(default_factory=dict, repr=False)
    _acts: dict[int, frozenset[Action]] = field(default_factory=dict, repr=False)
    _rank: list[int] | None = field(default=None, repr=False)
    _counts: tuple[frozenset[str] | None, dict[int, int]] | None = field(default=None, repr=False)
    _down: list[frozenset[int]] = field(default_factory=list, repr=False)  # downstream closure per node
    _made: dict[int, Reached] = field(default_factory=dict, repr=False)  # decoded entries, shared
    _first: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)  # (set, action) -> resource
    _steps: dict[tuple[int, int], PathStep] = field(default_factory=dict, repr=False)  # (node, step) -> path step
    _onward_steps: dict[int, list[Step]] = field(default_factory=dict, repr=False)  # see _onward

    @classmethod
    def build(cls, graph: ScanGraph) -> ReachIndex:
        """Compute every node's reach in one pass over the condensed graph."""
        idx = cls(graph=graph)
        idx._compute()
        return idx

    def _compute(self) -> None:
        g, st = self.graph, self.stats
        n = len(g)
        st.nodes = n
        down = self._down = self._downstream_closure()
        cond = condense([[s.dst for s in g.control[u]] for u in range(n)])
        st.components = len(cond.members)
        st.edge_visits += sum(len(g.control[u]) for u in range(n))
        comp_reach: list[frozenset[int]] = [_EMPTY] * len(cond.members)
        for c in cond.order:
            own: set[int] = set()
            for u in cond.members[c]:
                for s in g.grants[u]:
                    st.edge_visits += 1
                    for a in s.actions:
                        own.add(s.dst * _NA + _ACTION_BIT[a])
                    if s.actions & WRITE_ACTIONS:
                        own |= down[s.dst]
            succ_sets = [comp_reach[d] for d in cond.succ[c]]
            comp_reach[c] = self._union(own, succ_sets)
        self._reach = [comp_reach[cond.comp_of[u]] for u in range(n)]
        self._interned.clear()  # only needed while building

    def _union(self, own: set[int], succ_sets: list[frozenset[int]]) -> frozenset[int]:
        nonempty = [s for s in succ_sets if s]
        if not own:
            if not nonempty:
                return _EMPTY
            biggest = max(nonempty, key=len)
            if all(s is biggest or s <= biggest for s in nonempty):
                return biggest  # shared: nothing new here
        self.stats.unions += 1
        out = set(own)
        for s in nonempty:
            out |= s
        fs = frozenset(out)
        return self._interned.setdefault(fs, fs)

    def _downstream_closure(self) -> list[frozenset[int]]:
        """For each resource, the (resource, action) bits reached by writing it (excluding itself)."""
        g, st = self.graph, self.stats
        n = len(g)
        cond = condense([[s.dst for s in g.downstream[u]] for u in range(n)])
        comp_down: list[frozenset[int]] = [_EMPTY] * len(cond.members)
        for c in cond.order:
            own: set[int] = set()
            succ_sets: list[frozenset[int]] = []
            for u in cond.members[c]:
                for s in g.downstream[u]:
                    st.edge_visits += 1
                    for a in s.actions:
                        own.add(s.dst * _NA + _ACTION_BIT[a])
                    dc = cond.comp_of[s.dst]
                    if dc != c:
                        succ_sets.append(comp_down[dc])
            comp_down[c] = self._union(own, succ_sets)
        return [comp_down[cond.comp_of[u]] for u in range(n)]

    # -- queries -------------------------------------------------------------------------------

    def blast_radius(self, node: NodeId) -> list[Reached]:
        """Every resource the node can reach and with which actions, sorted by resource id."""
        s = self._reach[self.graph.index[node]]
        found = self._radius.get(id(s))
        if found is None:
            found = self._radius[id(s)] = self._decode(s)
        return list(found)

    def _ranks(self) -> list[int]:
        """Each node's position in id order (blast radii are sorted by resource id)."""
        if self._rank is None:
            ids = self.graph.ids
            rank = [0] * len(ids)
            for r, i in enumerate(sorted(range(len(ids)), key=ids.__getitem__)):
                rank[i] = r
            self._rank = rank
        return self._rank

    def _decode(self, s: frozenset[int]) -> tuple[Reached, ...]:
        rank = self._ranks()
        masks: dict[int, int] = {}
        for bit in s:
            r, a = divmod(bit, _NA)
            masks[r] = masks.get(r, 0) | 1 << a
        ids, made = self.graph.ids, self._made
        out = []
        for r in sorted(masks, key=rank.__getitem__):
            key = r * 32 + masks[r]  # the same entry in many sets is one object
            entry = made.get(key)
            if entry is None:
                entry = made[key] = Reached(ids[r], _BY_MASK[masks[r]])
            out.append(entry)
        return tuple(out)

    def first_reached(self, node: NodeId, action: Action) -> NodeId | None:
        """The first resource (by id) that ``node`` reaches with ``action``, without decoding its
        blast radius."""
        s, a = self._reach[self.graph.index[node]], _ACTION_BIT[action]
        key = (id(s), a)  # the answer depends on the reach set alone: once per distinct set
        best = self._first.get(key)
        if best is None:
            rank = self._ranks()
            best = -1
            for bit in s:
                if bit % _NA == a:
                    r = bit // _NA
                    if best < 0 or rank[r] < rank[best]:
                        best = r
            self._first[key] = best
        return None if best < 0 else self.graph.ids[best]

    def pair_bits(self, pairs: Iterable[tuple[NodeId, Action]]) -> frozenset[int]:
        """(resource, action) pairs encoded for :meth:`reaches_any` (pairs of unknown nodes are dropped)."""
        index = self.graph.index
        return frozenset(index[r] * _NA + _ACTION_BIT[a] for r, a in pairs if r in index)

    def reaches_any(self, node: NodeId, bits: frozenset[int]) -> bool:
        """Does ``node`` reach at least one of the encoded pairs (see :meth:`pair_bits`)? A set
        intersection test: no blast radius is decoded."""
        return not self._reach[self.graph.index[node]].isdisjoint(bits)

    def shared_key(self, node: NodeId) -> int:
        """Nodes with the same key reach exactly the same pairs (the key is only meaningful within this
        index): work that depends only on the reach set can be done once per key."""
        return id(self._reach[self.graph.index[node]])

    def size(self, node: NodeId) -> int:
        """Number of (resource, action) pairs the node reaches."""
        return len(self._reach[self.graph.index[node]])

    def can(self, node: NodeId, resource: NodeId, action: Action) -> bool:
        """Can ``node`` reach ``resource`` with ``action``?"""
        bit = self.graph.index[resource] * _NA + _ACTION_BIT[action]
        return bit in self._reach[self.graph.index[node]]

    def actions_reached(self, node: NodeId) -> frozenset[Action]:
        """The action classes the node reaches on any resource."""
        s = self._reach[self.graph.index[node]]
        found = self._acts.get(id(s))
        if found is None:
            mask = 0
            for b in s:
                mask |= 1 << b % _NA
                if mask == (1 << _NA) - 1:
                    break
            found = self._acts[id(s)] = _BY_MASK[mask]
        return found

    def who_can_reach(self, resource: NodeId, action: Action) -> list[NodeId]:
        """Every node that can reach ``resource`` with ``action``, sorted (the reverse of blast radius)."""
        if self._who is None:
            self._who = self._invert()
        bit = self.graph.index[resource] * _NA + _ACTION_BIT[action]
        sets_with, holders = self._who
        ids = self.graph.ids
        return sorted(ids[u] for k in sets_with.get(bit, ()) for u in holders[k])

    def count_who_can(self, resource: NodeId, action: Action, kinds: frozenset[str] | None = None) -> int:
        """How many nodes (of ``kinds``, if given: node kind values) can reach ``resource`` with
        ``action``: ``len(who_can_reach(...))`` without listing them, from one pass over the distinct
        reach sets."""
        if self._counts is None or self._counts[0] != kinds:
            g = self.graph
            holders: dict[int, int] = {}
            sets: dict[int, frozenset[int]] = {}
            for u, s in enumerate(self._reach[: g.node_count]):  # junctions are nobody
                if s and (kinds is None or g.node(u).kind.value in kinds):
                    holders[id(s)] = holders.get(id(s), 0) + 1
                    sets[id(s)] = s
            # Sets with the same number of holders are counted together at C speed (Counter.update),
            # then weighted: a few distinct holder counts, millions of bits.
            by_weight: dict[int, list[frozenset[int]]] = {}
            for key, h in holders.items():
                by_weight.setdefault(h, []).append(sets[key])
            counts: dict[int, int] = {}
            for h, group in by_weight.items():
                seen = Counter(itertools.chain.from_iterable(group))
                for bit, n in seen.items():
                    counts[bit] = counts.get(bit, 0) + n * h
            self._counts = (kinds, counts)
        bit = self.graph.index[resource] * _NA + _ACTION_BIT[action]
        return self._counts[1].get(bit, 0)

    def count_who_can_each(self, resource: NodeId, kinds: frozenset[str] | None = None) -> dict[Action, int]:
        """:meth:`count_who_can` for every action class at once, in ACTIONS order."""
        self.count_who_can(resource, ACTIONS[0], kinds)  # builds the counts for ``kinds`` once
        assert self._counts is not None
        counts, base = self._counts[1], self.graph.index[resource] * _NA
        return {a: counts.get(base + i, 0) for i, a in enumerate(ACTIONS)}

    def _invert(self) -> tuple[dict[int, list[int]], list[list[int]]]:
        # At the level of distinct sets: for each (resource, action) bit the numbers of the sets that
        # hold it, and for each set the nodes holding it — work and memory grow with the distinct
        # sets, not with nodes × reach. Every node holds exactly one set: no deduplication needed.
        number: dict[int, int] = {}
        holders: list[list[int]] = []
        sets: list[frozenset[int]] = []
        for u, s in enumerate(self._reach[: self.graph.node_count]):  # junctions are nobody
            if s:
                k = number.get(id(s))
                if k is None:
                    k = number[id(s)] = len(holders)
                    holders.append([])
                    sets.append(s)
                holders[k].append(u)
        sets_with: dict[int, list[int]] = {}
        for k, s in enumerate(sets):
            for bit in s:
                found = sets_with.get(bit)
                if found is None:
                    sets_with[bit] = [k]
                else:
                    found.append(k)
        return sets_with, holders

    def explain(self, src: NodeId, dst: NodeId, action: Action | None = None) -> list[PathStep] | None:
        """A shortest path of edges by which ``src`` reaches ``dst`` (with ``action`` if given), or None."""
        paths = self.paths_from(src, [dst], action)
        return paths.get(dst)

    def paths_from(
        self, src: NodeId, targets: Iterable[NodeId] | None = None, action: Action | None = None
    ) -> dict[NodeId, list[PathStep]]:
        """Shortest evidence paths from ``src`` to each reached resource (or only to ``targets``).

        One breadth-first search over (node, how-reached) states: control nodes walk control and
        grant edges; a resource continues downstream only when it was reached with a write action.
        A junction is not a hop: its edges are walked as edges of the node that holds it, and the path
        shows the edge the junction stands for.
        """
        g = self.graph
        self.stats.searches += 1
        start = g.index[src]
        want = None if targets is None else {g.index[t] for t in targets}
        if want is not None and len(want) == 1:
            # One target held by a direct grant: that one step is a shortest path, and the first such
            # grant is the one the search below would record first.
            (t,) = want
            first = self._direct_grant(start, t, action)
            if first is not None:
                return {g.ids[t]: [self._to_path_step(first)]}
        # state: (node, written) where written=False means "controlled" for control nodes
        parent: dict[tuple[int, bool], tuple[tuple[int, bool], _Hop]] = {}
        found: dict[int, tuple[tuple[int, bool], _Hop]] = {}
        seen = {(start, False)}
        queue = deque([(start, False)])
        # With targets, a state whose reach holds none of them is never entered: it cannot lie on a
        # path to one, and every state that does is first found from a state that reaches it too, so
        # the search records exactly the paths the unpruned search would, in the same order.
        bits: frozenset[int] | None = None
        if want is not None:
            acts = range(_NA) if action is None else (_ACTION_BIT[action],)
            bits = frozenset(t * _NA + a for t in want for a in acts)
        reach, down, nc = self._reach, self._down, g.node_count
        opened: set[int] = set()  # junctions walked: what they lead to is seen or found already
        one = next(iter(want)) if want is not None and len(want) == 1 else None

        while queue:
            state = queue.popleft()
            u, written = state
            hops: list[_Hop]
            if not written:
                for s in g.control[u]:
                    if s.dst >= nc:
                        if s.dst in opened:
                            continue
                        nexts: list[_Hop] = [(s, s2) for s2 in g.control[s.dst] if s2.dst != u]
                    else:
                        nexts = [(s,)]
                    for hop in nexts:
                        nxt = (hop[-1].dst, False)
                        if nxt not in seen and (bits is None or not reach[nxt[0]].isdisjoint(bits)):
                            seen.add(nxt)
                            parent[nxt] = (state, hop)
                            queue.append(nxt)
                if one is None:
                    hops = self._grants_of(u, opened)
                else:
                    # One target: whether this node's grants reach it is one lookup (the hop the loop
                    # below would find first); of its other grants only those that can continue
                    # downstream could be entered, so only they are listed.
                    hit = self._direct_grant(u, one, action, opened)
                    if hit is not None:
                        found[one] = (state, hit)
                        break
                    hops = self._onward(u, opened)
            else:
                hops = [(s,) for s in g.downstream[u]]
            for hop in hops:
                s = hop[-1]
                d = s.dst
                if d not in found and (want is None or d in want) and (action is None or action in s.actions):
                    found[d] = (state, hop)
                    if want is not None and len(found) == len(want):
                        queue.clear()
                        break
                if written or s.actions & WRITE_ACTIONS:
                    nxt = (d, True)
                    if nxt not in seen and (bits is None or not down[d].isdisjoint(bits)):
                        seen.add(nxt)
                        parent[nxt] = (state, hop)
                        queue.append(nxt)
        out: dict[NodeId, list[PathStep]] = {}
        for d, (state, last) in found.items():
            chain = [last]
            while state in parent:
                state, hop = parent[state]
                chain.append(hop)
            out[g.ids[d]] = [self._to_path_step(h) for h in reversed(chain)]
        return out

    def _direct_grant(
        self, u: int, t: int, action: Action | None, walked: frozenset[int] | set[int] = frozenset()
    ) -> _Hop | None:
        """The first of ``u``'s grant edges (in :meth:`_grants_of` order, junctions in ``walked``
        left out as it leaves them out) to ``t`` with ``action``, found without listing the others:
        most evidence paths are one grant."""
        g = self.graph
        nc = g.node_count
        opened: set[int] = set()
        for s in g.control[u]:
            if s.dst >= nc and s.dst not in opened and s.dst not in walked:
                opened.add(s.dst)
                for s2 in g.grants[s.dst]:
                    if s2.dst == t and (action is None or action in s2.actions):
                        return (s, s2)
        for s in g.grants[u]:
            if s.dst == t and (action is None or action in s.actions):
                return (s,)
        return None

    def _grants_of(self, u: int, opened: set[int]) -> list[_Hop]:
        """``u``'s grant edges: those of the junctions it holds (not yet walked: ``opened`` records
        them), then its own."""
        g = self.graph
        out: list[_Hop] = []
        for s in g.control[u]:
            if s.dst >= g.node_count and s.dst not in opened:
                opened.add(s.dst)
                out.extend((s, s2) for s2 in g.grants[s.dst])
        out.extend((s,) for s in g.grants[u])
        return out

    def _onward(self, u: int, opened: set[int]) -> list[_Hop]:
        """The hops of :meth:`_grants_of` (in its order, recording junctions in ``opened`` as it
        does) that can continue a path: a write grant to a node with something downstream. The
        others can only end a path, so a search for one target lists them no more."""
        g = self.graph
        nc = g.node_count
        out: list[_Hop] = []
        for s in g.control[u]:
            if s.dst >= nc and s.dst not in opened:
                opened.add(s.dst)
                out.extend((s, s2) for s2 in self._onward_of(s.dst))
        out.extend((s,) for s in self._onward_of(u))
        return out

    def _onward_of(self, x: int) -> list[Step]:
        found = self._onward_steps.get(x)
        if found is None:
            down = self._down
            found = self._onward_steps[x] = [
                s for s in self.graph.grants[x] if s.actions & WRITE_ACTIONS and down[s.dst]
            ]
        return found

    def _to_path_step(self, hop: _Hop) -> PathStep:
        # The step depends only on the node the hop leaves and the edge it ends with (graph steps
        # live as long as the index, so their ids are stable keys): shared by every path through it.
        s = hop[-1]
        u = hop[0].src
        key = (u, id(s))
        found = self._steps.get(key)
        if found is None:
            found = self._steps[key] = self._make_path_step(hop)
        return found

    def _make_path_step(self, hop: _Hop) -> PathStep:
        g = self.graph
        s = hop[-1]
        u = hop[0].src
        if s.edge.kind is EdgeKind.GRANTS and any(c.dst >= g.node_count for c in g.control[u]):
            # A node holding junctions may hold parts of one grant edge through several of them (and
            # directly): the edge they stand for holds every action of its parts.
            src, dst = g.ids[u], g.ids[s.dst]
            acts = expand_actions(
                a for e in g.edges_between(src, dst, EdgeKind.GRANTS) if e.via == s.edge.via for a in e.actions
            )
            return PathStep(src=src, dst=dst, kind=s.edge.kind, actions=acts, via=s.edge.via)
        if len(hop) == 1:
            return _to_path_step(g, s)
        return PathStep(src=g.ids[u], dst=g.ids[s.dst], kind=s.edge.kind, actions=s.actions, via=s.edge.via)


#: One hop of a path: an edge, or an edge into a junction and the edge out of it it stands for.
_Hop = tuple[Step] | tuple[Step, Step]


def _to_path_step(g: ScanGraph, s: Step) -> PathStep:
    return PathStep(src=g.ids[s.src], dst=g.ids[s.dst], kind=s.edge.kind, actions=s.actions, via=s.edge.via)
