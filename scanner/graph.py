"""The identity-permission graph. This is the only module that imports networkx (for
:meth:`ScanGraph.to_networkx` alone).

:class:`ScanGraph` indexes an :class:`~scanner.model.Inventory` by integer node number and splits its
edges the way reach walks them:

* **control** edges — taking control of the source gives control of the destination
  (``authenticates_as``, ``exposes``, ``can_read_secret``, ``can_assume``, and ``runs_code_of``
  walked backwards: a third party's code controls the job it runs in);
* **grant** edges — an identity or scoped credential holds action classes on a resource;
* **downstream** edges — writing a resource reaches what it triggers (unless a human approval is
  in the way) and what consumes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from scanner.model import Action, Edge, EdgeKind, Inventory, Node, NodeId, expand_actions, through

CONTROL_KINDS = frozenset({EdgeKind.AUTHENTICATES_AS, EdgeKind.EXPOSES, EdgeKind.CAN_READ_SECRET, EdgeKind.CAN_ASSUME})
#: Resource categories whose downstream reach is a deployment rather than another registry write.
DEPLOY_CATEGORIES = frozenset({"pipeline", "environment", "deploy_target", "workflow"})


class Step(NamedTuple):
    """An edge in the direction reach walks it: ``src`` -> ``dst``, with the original edge.

    A named tuple rather than a dataclass: a large estate has a million of them, and a tuple is
    built several times faster."""

    src: int
    dst: int
    edge: Edge
    actions: frozenset[Action] = frozenset()


@dataclass(frozen=True, slots=True)
class Condensed:
    """Strongly connected components in reverse topological order (sinks first)."""

    comp_of: list[int]
    members: list[list[int]]
    succ: list[list[int]]  # component -> successor components (deduplicated)
    order: list[int]  # components, each after all its successors


class ScanGraph:
    """An Inventory indexed for reach. Node numbers are stable for one graph (insertion order); the
    inventory's junctions (:class:`~scanner.model.Junction`) are numbered after its nodes, from
    :attr:`node_count` on: reach walks through them, queries about nodes never list them."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.ids: list[NodeId] = [n.id for n in inventory.nodes()]
        #: Numbers below this are nodes; at and above it, junctions.
        self.node_count = len(self.ids)
        self.ids.extend(j.id for j in inventory.junctions())
        self.index: dict[NodeId, int] = {nid: i for i, nid in enumerate(self.ids)}
        n = len(self.ids)
        self.control: list[list[Step]] = [[] for _ in range(n)]
        self.grants: list[list[Step]] = [[] for _ in range(n)]
        self.downstream: list[list[Step]] = [[] for _ in range(n)]
        self._in: list[list[Edge]] = [[] for _ in range(n)]
        self._out: list[list[Edge]] = [[] for _ in range(n)]
        self._junction_out: dict[int, dict[NodeId, list[Edge]]] = {}  # junction -> its edges by destination
        # Grants carry few distinct action sets: close each under ADMIN once, not once per edge.
        expanded: dict[frozenset[Action], frozenset[Action]] = {}
        for e in inventory.edges():
            s, d = self.index.get(e.src), self.index.get(e.dst)
            if s is None or d is None:
                continue  # dangling edges are reported by the inventory check, not walked
            self._out[s].append(e)
            self._in[d].append(e)
            if e.kind in CONTROL_KINDS:
                self.control[s].append(Step(s, d, e))
            elif e.kind is EdgeKind.RUNS_CODE_OF:
                self.control[d].append(Step(d, s, e))
            elif e.kind is EdgeKind.GRANTS:
                acts = expanded.get(e.actions)
                if acts is None:
                    acts = expanded[e.actions] = expand_actions(e.actions)
                self.grants[s].append(Step(s, d, e, acts))
            elif e.kind is EdgeKind.TRIGGERS:
                if e.approval_required is not True:
                    self.downstream[s].append(Step(s, d, e, frozenset({self.downstream_action(d)})))
            elif e.kind is EdgeKind.CONSUMES:
                # P consumes R: whoever writes R puts code into P.
                self.downstream[d].append(Step(d, s, e, frozenset({self.downstream_action(s)})))

    def __len__(self) -> int:
        return len(self.ids)

    def is_junction(self, i: int) -> bool:
        """Whether number ``i`` is a junction rather than a node."""
        return i >= self.node_count

    def node(self, i: int) -> Node:
        """The node with number ``i``."""
        return self.inventory.node(self.ids[i])

    def nodes(self) -> Iterator[Node]:
        """All nodes in number order."""
        return self.inventory.nodes()

    def out_edges(self, node_id: NodeId, kind: EdgeKind | None = None) -> list[Edge]:
        """Edges leaving a node (not reversed), optionally of one kind; an edge into a junction is
        answered with the edges the junction stands for (:func:`~scanner.model.through`)."""
        out: list[Edge] = []
        nc = self.node_count
        for e in self._out[self.index[node_id]]:
            j = self.index[e.dst]
            if j >= nc:
                out.extend(through(e, o) for o in self._out[j] if o.dst != node_id and (kind is None or o.kind is kind))
            elif kind is None or e.kind is kind:
                out.append(e)
        return out

    def edges_between(self, src: NodeId, dst: NodeId, kind: EdgeKind | None = None) -> list[Edge]:
        """``out_edges(src, kind)`` that end at ``dst``, without expanding ``src``'s junctions whole."""
        out: list[Edge] = []
        nc = self.node_count
        for e in self._out[self.index[src]]:
            j = self.index[e.dst]
            if j >= nc:
                if dst != src:
                    out.extend(through(e, o) for o in self._by_dst(j).get(dst, ()) if kind is None or o.kind is kind)
            elif e.dst == dst and (kind is None or e.kind is kind):
                out.append(e)
        return out

    def _by_dst(self, j: int) -> dict[NodeId, list[Edge]]:
        found = self._junction_out.get(j)
        if found is None:
            found = self._junction_out[j] = {}
            for o in self._out[j]:
                found.setdefault(o.dst, []).append(o)
        return found

    def in_edges(self, node_id: NodeId, kind: EdgeKind | None = None) -> list[Edge]:
        """Edges entering a node (not reversed), optionally of one kind; an edge out of a junction is
        answered with one edge from each node that holds it."""
        out: list[Edge] = []
        nc = self.node_count
        for e in self._in[self.index[node_id]]:
            if kind is not None and e.kind is not kind:
                continue
            j = self.index[e.src]
            if j >= nc:
                out.extend(through(i, e) for i in self._in[j] if i.src != node_id)
            else:
                out.append(e)
        return out

    def downstream_action(self, i: int) -> Action:
        """What writing upstream of resource ``i`` amounts to there: DEPLOY for pipelines and
        environments, PUBLISH for registries and packages."""
        node = self.node(i)
        return Action.DEPLOY if node.attrs.get("category") in DEPLOY_CATEGORIES else Action.PUBLISH

    def count_edges(self) -> int:
        """Edges reach walks (control, grant and downstream)."""
        return sum(len(a) + len(b) + len(c) for a, b, c in zip(self.control, self.grants, self.downstream, strict=True))

    def to_networkx(self) -> Any:
        """The whole graph as a networkx MultiDiGraph (for exports such as GraphML), junctions included
        as nodes of kind ``junction``."""
        import networkx as nx  # only here: importing it costs more than analysing a small bundle

        g = nx.MultiDiGraph()
        for node in self.inventory.nodes():
            g.add_node(node.id, kind=str(node.kind), name=node.name, provider=node.provider)
        for j in self.inventory.junctions():
            g.add_node(j.id, kind="junction", name=j.name, provider=j.provider)
        for e in self.inventory.edges():
            g.add_edge(e.src, e.dst, kind=str(e.kind), actions=",".join(sorted(e.actions)), via=e.via)
        return g


def condense(succ: Sequence[Sequence[int]]) -> Condensed:
    """Condense a graph given as adjacency lists into its DAG of strongly connected components.

    Tarjan's algorithm with an explicit stack (long cycles and chains never hit the recursion
    limit), on plain lists: building a networkx graph of a million edges first cost more than the
    whole reach computation. Tarjan emits a component only after every component it reaches, so
    the emission order is already sinks first.
    """
    n = len(succ)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    comp_of = [-1] * n
    stack: list[int] = []
    members: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, iter(succ[root]))]
        while work:
            v, it = work[-1]
            descended = False
            for w in it:
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, iter(succ[w])))
                    descended = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if descended:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                c = len(members)
                comp: list[int] = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp_of[w] = c
                    comp.append(w)
                    if w == v:
                        break
                comp.sort()
                members.append(comp)
    csucc: list[list[int]] = []
    for c, comp in enumerate(members):
        out = {comp_of[w] for u in comp for w in succ[u]}
        out.discard(c)
        csucc.append(sorted(out))
    return Condensed(comp_of=comp_of, members=members, succ=csucc, order=list(range(len(members))))
