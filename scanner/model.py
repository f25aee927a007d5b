"""The provider-neutral inventory: nodes, edges, action classes and the Inventory they merge into.

Every connector's ``transform`` returns an :class:`Inventory`; the scanner merges them and never
looks at provider-native data again. Ids are stable (``provider:kind:native-id``) so that the same
object seen by two connectors, or by two scans, is the same node.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NewType

NodeId = NewType("NodeId", str)

#: Scalar attribute values a node or edge may carry (JSON-compatible, hashable).
AttrValue = str | int | float | bool | None | tuple[str, ...]


class NodeKind(enum.StrEnum):
    """What a node is, in the terms of DESIGN.md."""

    IDENTITY = "identity"
    CREDENTIAL = "credential"
    SECRET = "secret"
    RESOURCE = "resource"
    THIRD_PARTY = "third_party"
    PERSON = "person"


class EdgeKind(enum.StrEnum):
    """A directed relation; ``A -> B`` means whoever controls A gains B (except where noted)."""

    AUTHENTICATES_AS = "authenticates_as"  # credential -> identity
    EXPOSES = "exposes"  # secret -> credential
    CAN_READ_SECRET = "can_read_secret"  # identity/job -> secret
    RUNS_CODE_OF = "runs_code_of"  # job -> third_party (reach walks it backwards)
    CAN_ASSUME = "can_assume"  # identity -> identity, trust conditions kept on the edge
    GRANTS = "grants"  # identity or scoped credential -> resource, with actions
    TRIGGERS = "triggers"  # resource -> pipeline/environment (publish starts it)
    CONSUMES = "consumes"  # pipeline/environment -> resource (it pulls from it)
    OWNED_BY = "owned_by"  # identity/credential -> person


class Action(enum.StrEnum):
    """The action classes every provider permission maps to."""

    READ = "READ"
    PUBLISH = "PUBLISH"
    PROMOTE = "PROMOTE"
    DEPLOY = "DEPLOY"
    ADMIN = "ADMIN"


#: Fixed order of action classes, used for bit positions and stable output.
ACTIONS: tuple[Action, ...] = (Action.READ, Action.PUBLISH, Action.PROMOTE, Action.DEPLOY, Action.ADMIN)
#: Actions that put code into a registry or move it towards production.
WRITE_ACTIONS: frozenset[Action] = frozenset({Action.PUBLISH, Action.PROMOTE, Action.ADMIN})


def expand_actions(actions: Iterable[Action]) -> frozenset[Action]:
    """ADMIN implies every other action class; return the closed set."""
    acts = frozenset(actions)
    if Action.ADMIN in acts:
        return frozenset(ACTIONS)
    return acts


class Lifetime(enum.StrEnum):
    """Whether a credential is a standing secret or minted per task."""

    STATIC = "static"
    SHORT_LIVED = "short_lived"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """Lifecycle metadata of a credential. Never a value: at most a keyed fingerprint."""

    lifetime: Lifetime
    created: datetime | None = None
    expires: datetime | None = None
    last_used: datetime | None = None
    last_rotated: datetime | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact came from: a bundle file (relative path) and optionally a line in it."""

    file: str
    line: int | None = None

    def __reduce__(self) -> tuple[type[Evidence], tuple[str, int | None]]:
        return (Evidence, (self.file, self.line))  # pickled by constructor: see Node.__reduce__


@dataclass(frozen=True, slots=True)
class Node:
    """One object of the estate. ``subtype`` is the provider's own word (``github:job``, ``pypi:project``)."""

    id: NodeId
    kind: NodeKind
    name: str
    provider: str
    subtype: str
    scope: str = ""
    attrs: Mapping[str, AttrValue] = field(default_factory=dict, hash=False)
    tags: tuple[tuple[str, str], ...] = ()
    credential: CredentialInfo | None = None
    evidence: tuple[Evidence, ...] = ()

    def attr(self, key: str) -> AttrValue:
        """An attribute's value, or None when absent."""
        return self.attrs.get(key)

    def __reduce__(self) -> tuple[type[Node], tuple[Any, ...]]:
        # Pickled as a constructor call (a worker process hands inventories back): about twice as
        # fast both ways as the per-field state functions dataclasses give slotted classes.
        return (Node, (self.id, self.kind, self.name, self.provider, self.subtype, self.scope, self.attrs,
                       self.tags, self.credential, self.evidence))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed edge. ``actions`` is set on ``grants`` (and on derived reach), empty otherwise."""

    src: NodeId
    dst: NodeId
    kind: EdgeKind
    actions: frozenset[Action] = frozenset()
    via: str = ""  # the policy, binding, secret reference or step that creates the edge
    conditions: tuple[tuple[str, str], ...] = ()  # trust conditions (e.g. OIDC sub/aud)
    approval_required: bool | None = None  # on triggers: is a human review in the way?
    evidence: tuple[Evidence, ...] = ()

    def __reduce__(self) -> tuple[type[Edge], tuple[Any, ...]]:
        return (
            Edge,
            (
                self.src,
                self.dst,
                self.kind,
                self.actions,
                self.via,
                self.conditions,
                self.approval_required,
                self.evidence,
            ),
        )  # fmt: skip  (see Node.__reduce__)

    @property
    def key(self) -> tuple[NodeId, NodeId, EdgeKind, str]:
        """Identity of the edge for merging: the same (src, dst, kind, via) from two sources is one edge."""
        return (self.src, self.dst, self.kind, self.via)


def fold(value: AttrValue) -> AttrValue:
    """Case-fold strings for matching: providers disagree on the case of names (``Acme/App`` vs ``acme/app``)."""
    return value.casefold() if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class Selector:
    """Matches nodes by provider, kind and a subset of attribute values, strings compared
    case-insensitively (used by link hints)."""

    provider: str
    kind: NodeKind
    attrs: tuple[tuple[str, AttrValue], ...] = ()
    subtype: str = ""

    def matches(self, node: Node) -> bool:
        """True when the node has this provider, kind, subtype (if set) and every listed attribute."""
        if node.provider != self.provider or node.kind != self.kind:
            return False
        if self.subtype and node.subtype != self.subtype:
            return False
        return all(fold(node.attrs.get(k)) == fold(v) for k, v in self.attrs)


@dataclass(frozen=True, slots=True)
class LinkHint:
    """An edge one connector knows must exist but cannot name both ends of.

    A GitHub workflow knows a secret is passed to PyPI's publish action but not which PyPI project
    the token can upload; PyPI knows a project's source repository. The scanner resolves hints
    after all inventories are merged: every node matched by ``src`` gets an edge to every node
    matched by ``dst``. When ``dst`` matches nothing and a ``fallback`` is given, the fallback node
    is added and linked instead (a CI job publishes to "the PyPI project of this repository" even
    when PyPI's files were not collected: the edge is a fact, only its end is less precise).
    """

    src: NodeId | Selector
    dst: NodeId | Selector
    kind: EdgeKind
    actions: frozenset[Action] = frozenset()
    via: str = ""
    conditions: tuple[tuple[str, str], ...] = ()
    approval_required: bool | None = None
    evidence: tuple[Evidence, ...] = ()
    fallback: Node | None = None


@dataclass(frozen=True, slots=True)
class Junction:
    """A many-to-many relation kept compact: every node with an edge into the junction holds each
    edge out of it, as if it had that edge itself — except an edge to itself.

    Twenty thousand principals allowed ``sts:AssumeRole`` on every role that trusts their account
    are one edge each into a junction and one edge from it to each such role, instead of one edge
    per (principal, role) pair. A junction is not a node of the estate: rules, reports and history
    never see it; :class:`~scanner.graph.ScanGraph` walks it, answers ``out_edges``/``in_edges``
    with the edges it stands for, and ``explain`` prints the real hop (docs/model.md).
    Edges into a junction are stored with kind :data:`JUNCTION_EDGE` (a control kind, so reach flows
    through); edges out of it carry the kind, actions, via and conditions of the edges it stands for.
    """

    id: NodeId
    provider: str
    name: str  # what the relation is, for GraphML and debugging
    scope: str = ""

    def __reduce__(self) -> tuple[type[Junction], tuple[str, str, str, str]]:
        return (Junction, (self.id, self.provider, self.name, self.scope))


#: The kind of every edge into a junction (``can_assume``: whoever holds it gains what the junction
#: holds, which is what a control edge means).
JUNCTION_EDGE = EdgeKind.CAN_ASSUME


def through(into: Edge, out: Edge) -> Edge:
    """The edge a junction stands for: ``into.src`` holds ``out`` (``into`` ends at the junction
    ``out`` leaves)."""
    return Edge(into.src, out.dst, out.kind, out.actions, out.via, out.conditions, out.approval_required, out.evidence)


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """A scope or call that was not assessed (a failed API call, a missing file)."""

    provider: str
    scope: str
    what: str
    reason: str


def _merge_attrs(a: Mapping[str, AttrValue], b: Mapping[str, AttrValue]) -> dict[str, AttrValue]:
    merged = dict(a)
    for k, v in b.items():
        if v is not None or k not in merged:
            merged[k] = v
    return merged


#: The attribute of a node seen only as another provider names it (an image a CI job pushes, named in the
#: workflow): hearsay, which never overrides the owning connector's own record of the same node.
HEARSAY = "named_in_ci"


def _hearsay(n: Node) -> bool:
    return n.attrs.get(HEARSAY) is True


def merge_nodes(a: Node, b: Node) -> Node:
    """Merge two sightings of the same node: later non-empty facts win, evidence and tags accumulate —
    except that the owning connector's record wins over hearsay (:data:`HEARSAY`) whatever the order."""
    if a.kind != b.kind:
        raise ValueError(f"node {a.id} seen as both {a.kind} and {b.kind}")
    if _hearsay(a) != _hearsay(b):
        first, last = (b, a) if _hearsay(b) else (a, b)  # the owner's record last: its facts win
        merged = _merge(first, last)
        return replace(
            merged,
            attrs={**merged.attrs, HEARSAY: False},
            evidence=_merge_evidence(a.evidence, b.evidence),
        )
    return _merge(a, b)


def _merge(a: Node, b: Node) -> Node:
    cred = b.credential or a.credential
    if a.credential and b.credential:
        cred = CredentialInfo(
            lifetime=b.credential.lifetime if b.credential.lifetime != Lifetime.UNKNOWN else a.credential.lifetime,
            created=b.credential.created or a.credential.created,
            expires=b.credential.expires or a.credential.expires,
            last_used=b.credential.last_used or a.credential.last_used,
            last_rotated=b.credential.last_rotated or a.credential.last_rotated,
            fingerprint=b.credential.fingerprint or a.credential.fingerprint,
        )
    return Node(  # the constructor: dataclasses.replace costs twice as much, on every merge
        a.id,
        a.kind,
        b.name or a.name,
        a.provider,
        b.subtype or a.subtype,
        b.scope or a.scope,
        _merge_attrs(a.attrs, b.attrs),
        tuple(sorted(set(a.tags) | set(b.tags))),
        cred,
        _merge_evidence(a.evidence, b.evidence),
    )


def _merge_evidence(a: tuple[Evidence, ...], b: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    return tuple(dict.fromkeys(a + b))


def merge_edges(a: Edge, b: Edge) -> Edge:
    """Merge two sightings of the same edge: actions and conditions are unioned."""
    approval: bool | None
    if a.approval_required is None:
        approval = b.approval_required
    elif b.approval_required is None:
        approval = a.approval_required
    else:
        # Approval is only guaranteed when every sighting says so.
        approval = a.approval_required and b.approval_required
    return Edge(  # the constructor: dataclasses.replace costs twice as much, on every merge
        a.src,
        a.dst,
        a.kind,
        a.actions | b.actions,
        a.via,
        tuple(sorted(set(a.conditions) | set(b.conditions))),
        approval,
        _merge_evidence(a.evidence, b.evidence),
    )


class Inventory:
    """Nodes and edges from one or more connectors. Adding an existing id merges, never duplicates."""

    def __init__(self) -> None:
        self._nodes: dict[NodeId, Node] = {}
        self._edges: dict[tuple[NodeId, NodeId, EdgeKind, str], Edge] = {}
        self._junctions: dict[NodeId, Junction] = {}
        self.hints: list[LinkHint] = []
        self.gaps: list[CoverageGap] = []

    def add_node(self, node: Node) -> Node:
        """Add or merge a node; return the stored node."""
        old = self._nodes.get(node.id)
        stored = node if old is None else merge_nodes(old, node)
        self._nodes[node.id] = stored
        return stored

    def add_attrs(self, node_id: NodeId, attrs: Mapping[str, AttrValue]) -> Node:
        """Merge ``attrs`` into a stored node: exactly ``add_node`` of the same node with those
        attributes added (tags sorted and evidence deduplicated as a merge leaves them), in one copy
        instead of two. Return the stored node."""
        old = self._nodes[node_id]
        stored = self._nodes[node_id] = Node(  # the constructor: dataclasses.replace costs twice as much
            old.id,
            old.kind,
            old.name,
            old.provider,
            old.subtype,
            old.scope,
            _merge_attrs(old.attrs, attrs),
            tuple(sorted(set(old.tags))),
            old.credential,
            _merge_evidence(old.evidence, ()),
        )
        return stored

    def add_edge(self, edge: Edge) -> Edge:
        """Add or merge an edge. Both ends should be added as nodes too (checked by :meth:`dangling`)."""
        key = (edge.src, edge.dst, edge.kind, edge.via)  # Edge.key, inlined: called millions of times
        old = self._edges.setdefault(key, edge)
        if old is edge:
            return edge
        stored = self._edges[key] = merge_edges(old, edge)
        return stored

    def add_junction(self, junction: Junction) -> Junction:
        """Add a junction (see :class:`Junction`); adding the same id again keeps the first."""
        return self._junctions.setdefault(junction.id, junction)

    def junctions(self) -> Iterator[Junction]:
        """All junctions, in insertion order."""
        return iter(self._junctions.values())

    def is_junction(self, node_id: NodeId) -> bool:
        """Whether ``node_id`` names a junction rather than a node."""
        return node_id in self._junctions

    def add_hint(self, hint: LinkHint) -> None:
        """Record a cross-provider link to resolve after merging."""
        self.hints.append(hint)

    def add_gap(self, gap: CoverageGap) -> None:
        """Record something that could not be assessed."""
        self.gaps.append(gap)

    def merge(self, other: Inventory) -> None:
        """Fold another inventory into this one."""
        for jid, j in other._junctions.items():
            self._junctions.setdefault(jid, j)
        if not self._nodes and not self._edges:  # the first connector's inventory: adopt it as is
            self._nodes = dict(other._nodes)
            self._edges = dict(other._edges)
        else:
            for n in other._nodes.values():
                self.add_node(n)
            edges = self._edges
            for key, e in other._edges.items():  # keys already computed
                old = edges.get(key)
                edges[key] = e if old is None else merge_edges(old, e)
        self.hints.extend(other.hints)
        self.gaps.extend(other.gaps)

    def nodes(self) -> Iterator[Node]:
        """All nodes, in insertion order."""
        return iter(self._nodes.values())

    def edges(self) -> Iterator[Edge]:
        """All edges, in insertion order."""
        return iter(self._edges.values())

    def expanded_edges(self) -> list[Edge]:
        """Every edge the inventory stands for, junctions expanded (one edge per pair they relate) and
        merged by key as :meth:`add_edge` merges: what the relations mean, at the size of their product.
        For tests and small inventories; the scanner walks junctions without expanding them."""
        if not self._junctions:
            return list(self._edges.values())
        into: dict[NodeId, list[Edge]] = {}
        out_of: dict[NodeId, list[Edge]] = {}
        merged: dict[tuple[NodeId, NodeId, EdgeKind, str], Edge] = {}
        for e in self._edges.values():
            if e.dst in self._junctions:
                into.setdefault(e.dst, []).append(e)
            elif e.src in self._junctions:
                out_of.setdefault(e.src, []).append(e)
            else:
                merged[e.key] = e
        for jid, ins in into.items():
            for i in ins:
                for o in out_of.get(jid, ()):
                    if i.src != o.dst:
                        e = through(i, o)
                        old = merged.get(e.key)
                        merged[e.key] = e if old is None else merge_edges(old, e)
        return list(merged.values())

    def node(self, node_id: NodeId) -> Node:
        """The node with this id (KeyError if absent)."""
        return self._nodes[node_id]

    def get(self, node_id: NodeId) -> Node | None:
        """The node with this id, or None."""
        return self._nodes.get(node_id)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    @property
    def edge_count(self) -> int:
        """How many distinct edges are stored (an edge into or out of a junction counts once)."""
        return len(self._edges)

    def dangling(self) -> list[Edge]:
        """Edges whose source or destination is neither a node nor a junction of this inventory."""
        known = self._nodes.keys() | self._junctions.keys() if self._junctions else self._nodes
        return [e for e in self._edges.values() if e.src not in known or e.dst not in known]


def node_id(provider: str, kind: str, native: str) -> NodeId:
    """Build a stable node id ``provider:kind:native-id``."""
    return NodeId(f"{provider}:{kind}:{native}")
