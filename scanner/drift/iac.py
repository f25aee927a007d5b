"""IaC drift: the live inventory against what Terraform declares.

* **unmanaged** — a live NHI of a subtype Terraform can declare, declared in no state (a shadow
  identity);
* **missing** — declared, not live (only for providers the scan covered: a provider that was not
  scanned is not assessed, never "missing");
* **changed** — in both, but the member-level grants, the trust (who may assume it) or a compared
  attribute differ: ``widened`` (live reaches more than declared) or ``narrowed``.

Declared ids may hold ``*`` where Terraform cannot know part of an id (a GitHub owner, an ECR
region); they are resolved against the live ids here. The declared inventory names the subtypes
Terraform can declare in one bookkeeping node, so the core needs no provider table.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from scanner.model import ACTIONS, Action, Edge, EdgeKind, Inventory, Node, NodeId, NodeKind, expand_actions, through

#: Bundle folders that hold declared (IaC) state rather than live inventory.
DECLARED_FOLDERS = frozenset({"terraform"})
#: The declared inventory's bookkeeping node (see connectors/terraform/transform.py).
MANAGEABLE_NODE = NodeId("terraform:manageable:subtypes")
_NHI_KINDS = frozenset({NodeKind.IDENTITY, NodeKind.CREDENTIAL, NodeKind.SECRET, NodeKind.RESOURCE})


class DriftKind(enum.StrEnum):
    """The three kinds of IaC drift."""

    UNMANAGED = "unmanaged"
    MISSING = "missing"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class IacItem:
    """One drifted object, with where it is declared (empty for unmanaged objects)."""

    kind: DriftKind
    node: NodeId
    provider: str
    subtype: str
    name: str
    state: str = ""
    address: str = ""
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many live objects of the manageable subtypes of one provider are declared."""

    provider: str
    managed: int
    total: int

    @property
    def percent(self) -> float:
        """Managed share in percent (100 when there is nothing to manage)."""
        return 100.0 if self.total == 0 else round(100.0 * self.managed / self.total, 1)


@dataclass(frozen=True)
class IacDrift:
    """The outcome of comparing a live inventory with the declared states."""

    items: tuple[IacItem, ...]
    coverage: tuple[Coverage, ...]
    states: tuple[str, ...]

    def of(self, kind: DriftKind) -> tuple[IacItem, ...]:
        """The items of one kind."""
        return tuple(i for i in self.items if i.kind is kind)


def _pairs(grants: Iterable[tuple[NodeId, frozenset[Action]]]) -> set[tuple[NodeId, Action]]:
    return {(r, a) for r, acts in grants for a in expand_actions(acts)}


def _fmt(pairs: Iterable[tuple[NodeId, Action]]) -> str:
    by: dict[NodeId, set[Action]] = {}
    for r, a in pairs:
        by.setdefault(r, set()).add(a)
    return "; ".join(f"{r} [{','.join(a.value for a in ACTIONS if a in acts)}]" for r, acts in sorted(by.items()))


class _Compare:
    def __init__(self, live: Inventory, declared: Inventory) -> None:
        self.live = live
        meta = declared.get(MANAGEABLE_NODE)
        subtypes = meta.attr("subtypes") if meta else ()
        states = meta.attr("states") if meta else ()
        self.manageable = frozenset(subtypes) if isinstance(subtypes, tuple) else frozenset()
        self.states = tuple(states) if isinstance(states, tuple) else ()
        self.declared = [n for n in declared.nodes() if n.id != MANAGEABLE_NODE and n.attr("tf_address")]
        self.decl_grants: dict[NodeId, list[Edge]] = {}
        self.decl_trust: dict[NodeId, list[Edge]] = {}
        for e in declared.edges():
            if e.kind is EdgeKind.GRANTS:
                self.decl_grants.setdefault(e.src, []).append(e)
            elif e.kind is EdgeKind.CAN_ASSUME:
                self.decl_trust.setdefault(e.dst, []).append(e)
        self.live_grants: dict[NodeId, list[Edge]] = {}
        self.live_trust: dict[NodeId, list[Edge]] = {}
        # Junctions (scanner.model.Junction) are expanded per compared node only, never wholesale.
        self.held: dict[NodeId, list[Edge]] = {}  # node -> its edges into junctions
        self.into: dict[NodeId, list[Edge]] = {}  # junction -> the edges into it
        self.out_of: dict[NodeId, list[Edge]] = {}  # junction -> the edges out of it
        for e in live.edges():
            if live.is_junction(e.dst):
                self.held.setdefault(e.src, []).append(e)
                self.into.setdefault(e.dst, []).append(e)
            elif live.is_junction(e.src):
                self.out_of.setdefault(e.src, []).append(e)
                if e.kind is EdgeKind.CAN_ASSUME:
                    self.live_trust.setdefault(e.dst, []).append(e)
            elif e.kind is EdgeKind.GRANTS:
                self.live_grants.setdefault(e.src, []).append(e)
            elif e.kind is EdgeKind.CAN_ASSUME:
                self.live_trust.setdefault(e.dst, []).append(e)
        self.live_ids = [n.id for n in live.nodes()]
        self.live_providers = {n.provider for n in live.nodes()}
        self._glob_cache: dict[NodeId, list[NodeId]] = {}

    def grants_of(self, nid: NodeId) -> list[Edge]:
        """The live node's grant edges, those it holds through junctions included."""
        out = list(self.live_grants.get(nid, ()))
        for into in self.held.get(nid, ()):
            out += [through(into, o) for o in self.out_of.get(into.dst, ()) if o.kind is EdgeKind.GRANTS]
        return out

    def trusted_by(self, nid: NodeId) -> set[NodeId]:
        """Who may assume the live node, those allowed through a junction included (never itself)."""
        out: set[NodeId] = set()
        for e in self.live_trust.get(nid, ()):
            if self.live.is_junction(e.src):
                out.update(i.src for i in self.into.get(e.src, ()) if i.src != nid)
            else:
                out.add(e.src)
        return out

    def resolve(self, nid: NodeId) -> list[NodeId]:
        """Live ids a declared id stands for (itself when it has no wildcard)."""
        if "*" not in nid:
            return [nid]
        if nid not in self._glob_cache:
            self._glob_cache[nid] = [x for x in self.live_ids if fnmatchcase(x, nid)]
        return self._glob_cache[nid]

    def run(self) -> IacDrift:
        items: list[IacItem] = []
        matched: dict[NodeId, Node] = {}  # live id -> declared node
        for d in self.declared:
            hits = [x for x in self.resolve(d.id) if x in self.live]
            if not hits:
                if d.provider in self.live_providers:
                    items.append(self._item(DriftKind.MISSING, d, d.id))
                continue
            for h in hits:
                matched[h] = d
        for live_id, d in sorted(matched.items()):
            details = self._changes(live_id, d)
            if details:
                items.append(self._item(DriftKind.CHANGED, d, live_id, details))
        cov: dict[str, list[int]] = {}
        for n in self.live.nodes():
            if n.subtype not in self.manageable or n.kind not in _NHI_KINDS:
                continue
            c = cov.setdefault(n.provider, [0, 0])
            c[1] += 1
            if n.id in matched:
                c[0] += 1
            else:
                items.append(IacItem(DriftKind.UNMANAGED, n.id, n.provider, n.subtype, n.name))
        order = {DriftKind.UNMANAGED: 0, DriftKind.MISSING: 1, DriftKind.CHANGED: 2}
        items.sort(key=lambda i: (order[i.kind], i.node))
        coverage = tuple(Coverage(p, m, t) for p, (m, t) in sorted(cov.items()))
        return IacDrift(tuple(items), coverage, self.states)

    @staticmethod
    def _item(kind: DriftKind, d: Node, node: NodeId, details: tuple[str, ...] = ()) -> IacItem:
        return IacItem(
            kind, node, d.provider, d.subtype, d.name, str(d.attr("tf_state")), str(d.attr("tf_address")), details
        )

    def _changes(self, live_id: NodeId, d: Node) -> tuple[str, ...]:
        out: list[str] = []
        declared_ids = set(self.resolve(d.id)) | {d.id}
        # grants: member-level (resource, action) pairs on both sides
        opaque = d.attr("tf_opaque_policies")
        opaque_vias = set(opaque) if isinstance(opaque, tuple) else set()
        decl: set[tuple[NodeId, Action]] = set()
        for src in declared_ids:
            for e in self.decl_grants.get(src, ()):
                decl |= _pairs((r, e.actions) for r in self.resolve(e.dst))
        live: set[tuple[NodeId, Action]] = set()
        for e in self.grants_of(live_id):
            if e.via not in opaque_vias:
                live |= _pairs([(e.dst, e.actions)])
        if live - decl:
            out.append(f"widened: {_fmt(live - decl)}")
        if decl - live:
            out.append(f"narrowed: {_fmt(decl - live)}")
        # trust: who may assume it
        trust_edges = [e for dst in declared_ids for e in self.decl_trust.get(dst, ())]
        decl_trust = {x for e in trust_edges for x in self.resolve(e.src)}
        live_trust = self.trusted_by(live_id)
        if trust_edges:
            if live_trust - decl_trust:
                out.append(f"trust widened: {', '.join(sorted(live_trust - decl_trust))}")
            if decl_trust - live_trust:
                out.append(f"trust narrowed: {', '.join(sorted(decl_trust - live_trust))}")
        # attributes both sides know
        node = self.live.node(live_id)
        for key, want in sorted(d.attrs.items()):
            if key.startswith("tf_") or key == "value_fingerprint" or want is None:
                continue
            have = node.attr(key)
            if have is not None and have != want:
                out.append(f"{key}: declared {want!r}, live {have!r}")
        return tuple(out)


def compare(live: Inventory, declared: Inventory) -> IacDrift:
    """Compare a live inventory with the declared one (see the module docstring)."""
    return _Compare(live, declared).run()


def split_declared(providers: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split bundle provider folders into (live, declared)."""
    ps = list(providers)
    return [p for p in ps if p not in DECLARED_FOLDERS], [p for p in ps if p in DECLARED_FOLDERS]
