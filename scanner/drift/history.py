"""Scan-to-scan drift: a compact snapshot of each scan, and the difference between two snapshots.

A snapshot keeps what drift needs and no more: findings (id, rule, severity, subject, status), and
for every node that reaches something a hash and size of its whole blast radius and the key of its
reach summary — its write-set (PUBLISH, PROMOTE, DEPLOY, ADMIN per resource) and the production
resources it reaches —, plus each static credential's rotation deadline and expiry. Nodes that share
a reach set (a fleet of identical roles) share one summary: it is computed, stored and compared once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scanner.findings import Severity, Status
from scanner.model import Action, Lifetime, NodeId, NodeKind

if TYPE_CHECKING:
    from scanner.result import ScanResult

#: Action classes that put code somewhere: a change in these is what drift reports.
DRIFT_ACTIONS = (Action.PUBLISH, Action.PROMOTE, Action.DEPLOY, Action.ADMIN)
# Third-party code that newly reaches publish rights is a new writer too (the LiteLLM/tj-actions path).
_WRITER_KINDS = frozenset({NodeKind.IDENTITY.value, NodeKind.CREDENTIAL.value, NodeKind.THIRD_PARTY.value})


@dataclass(frozen=True, slots=True)
class FindingRow:
    """A finding as history keeps it."""

    id: str
    rule: str
    severity: str
    subject: str
    status: str


#: Bit of each drift action in a write mask (a summary stores one mask per resource, not one string
#: per resource and action).
WRITE_BIT = {a: 1 << i for i, a in enumerate(DRIFT_ACTIONS)}


def write_pairs(writes: Iterable[tuple[str, int]]) -> set[str]:
    """A write-set as ``resource|ACTION`` strings (what drift reports)."""
    return {f"{res}|{a.value}" for res, mask in writes for a, bit in WRITE_BIT.items() if mask & bit}


@dataclass(frozen=True, slots=True)
class ReachSummary:
    """What drift compares of a blast radius: the write-set and the production resources reached.

    Every node with the same reach has the same summary, so a snapshot stores each distinct summary
    once (keyed by :func:`summary_key`) and a node refers to it.
    """

    writes: tuple[tuple[str, int], ...]  # (resource, mask of WRITE_BIT), sorted by resource
    prod: tuple[str, ...]  # sorted production resources reached with any action


def summary_key(s: ReachSummary) -> str:
    """Content hash of a summary: equal keys mean equal write-sets and production reach."""
    h = hashlib.sha256()
    h.update("\n".join(f"{r}|{m}" for r, m in s.writes).encode())
    h.update(b"\n#prod\n")
    h.update("\n".join(s.prod).encode())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class NodeReach:
    """A node's reach: hash and size of its whole blast radius, and the key of its :class:`ReachSummary`."""

    node: str
    name: str
    kind: str
    subtype: str
    reach_hash: str
    reach_size: int  # (resource, action) pairs
    summary: str  # key into Snapshot.summaries


@dataclass(frozen=True, slots=True)
class CredentialRow:
    """A static credential's rotation deadline (last rotation or creation + max age) and expiry."""

    node: str
    name: str
    due: datetime | None
    expires: datetime | None


@dataclass(frozen=True)
class Snapshot:
    """One scan as stored in history."""

    time: datetime
    source: str
    counts: Mapping[str, int]
    findings: tuple[FindingRow, ...]
    reach: tuple[NodeReach, ...]
    credentials: tuple[CredentialRow, ...]
    #: Distinct reach summaries by key (a loaded snapshot decodes each one only when asked for it).
    summaries: Mapping[str, ReachSummary] = field(default_factory=dict)
    id: int | None = None
    partial: bool = False


class _Summariser:
    """Summaries of reach sets, with what is the same for every set computed once: which resources
    are production, and each action set's label and write mask."""

    def __init__(self, result: ScanResult) -> None:
        self.reach = result.reach
        self.prod = frozenset(
            n.id for n in result.inventory.nodes() if n.kind is NodeKind.RESOURCE and n.attr("production") is True
        )
        self._acts: dict[frozenset[Action], tuple[str, int]] = {}
        self._entries: dict[int, tuple[str, int, int, bool]] = {}

    def _label(self, actions: frozenset[Action]) -> tuple[str, int]:
        found = self._acts.get(actions)
        if found is None:
            mask = 0
            for a in actions:
                mask |= WRITE_BIT.get(a, 0)
            found = self._acts[actions] = (",".join(sorted(str(a) for a in actions)), mask)
        return found

    def __call__(self, node: NodeId) -> tuple[str, int, ReachSummary]:
        lines: list[str] = []
        writes: list[tuple[str, int]] = []
        prod: list[str] = []
        size = 0
        entries = self._entries
        for r in self.reach.blast_radius(node):  # sorted by resource id
            # Decoded entries are shared objects (ReachIndex keeps them for the scan), so each
            # distinct (resource, actions) is described once, whatever the number of sets holding it.
            got = entries.get(id(r))
            if got is None:
                text, mask = self._label(r.actions)
                got = entries[id(r)] = (f"{r.resource}|{text}", mask, len(r.actions), r.resource in self.prod)
            line, mask, n, is_prod = got
            lines.append(line)
            size += n
            if mask:
                writes.append((r.resource, mask))
            if is_prod:
                prod.append(r.resource)
        lines.append("")
        digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        return digest, size, ReachSummary(tuple(writes), tuple(prod))


def snapshot(result: ScanResult, *, max_age_days: int = 90) -> Snapshot:
    """The snapshot of a scan result. Nodes sharing a reach set are summarised once."""
    inv, reach = result.inventory, result.reach
    summarise = _Summariser(result)
    rows: list[NodeReach] = []
    creds: list[CredentialRow] = []
    summaries: dict[str, ReachSummary] = {}
    done: dict[int, tuple[str, int, str]] = {}  # reach.shared_key → (reach hash, size, summary key)
    for node in inv.nodes():
        if node.kind is NodeKind.RESOURCE or node.kind is NodeKind.PERSON:
            continue
        info = node.credential
        if node.kind is NodeKind.CREDENTIAL and info is not None and info.lifetime is Lifetime.STATIC:
            born = info.last_rotated or info.created
            due = born + timedelta(days=max_age_days) if born else None
            creds.append(CredentialRow(node.id, node.name, due, info.expires))
        if reach.size(node.id) == 0:
            continue
        shared = reach.shared_key(node.id)
        got = done.get(shared)
        if got is None:
            digest, size, summary = summarise(node.id)
            key = summary_key(summary)
            summaries.setdefault(key, summary)
            got = done[shared] = (digest, size, key)
        rows.append(NodeReach(node.id, node.name, node.kind.value, node.subtype, *got))
    findings = tuple(FindingRow(f.id, f.rule, f.severity.value, f.subject, f.status.value) for f in result.findings)
    counts = {s.value: 0 for s in Severity}
    counts["suppressed"] = 0
    for f in result.findings:
        counts["suppressed" if f.status is Status.SUPPRESSED else f.severity.value] += 1
    counts["nodes"] = len(inv)
    counts["edges"] = inv.edge_count
    return Snapshot(
        time=result.generated_at,
        source=result.source,
        counts=counts,
        findings=findings,
        reach=tuple(sorted(rows, key=lambda r: r.node)),
        credentials=tuple(sorted(creds, key=lambda c: c.node)),
        summaries=summaries,
        partial=result.partial,
    )


@dataclass(frozen=True, slots=True)
class ReachChange:
    """A node whose write-set changed: what it gained and what it lost."""

    node: str
    name: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProdPath:
    """A node that now reaches a production resource it did not reach before."""

    node: str
    name: str
    resource: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """A credential whose rotation deadline or expiry passed between the two scans."""

    node: str
    name: str
    what: str  # "rotation due" or "expired"
    when: datetime


@dataclass(frozen=True)
class ScanDrift:
    """What changed between two scans (``old`` None: the first scan, nothing to compare)."""

    old: int | None
    new: int | None
    old_time: datetime | None
    new_time: datetime
    new_writers: tuple[ReachChange, ...] = ()
    removed_writers: tuple[ReachChange, ...] = ()
    widened: tuple[ReachChange, ...] = ()
    narrowed: tuple[ReachChange, ...] = ()
    new_prod_paths: tuple[ProdPath, ...] = ()
    deadlines_crossed: tuple[Deadline, ...] = ()
    opened: tuple[FindingRow, ...] = ()
    closed: tuple[FindingRow, ...] = ()
    first_seen: Mapping[str, tuple[datetime, datetime]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (
            self.new_writers
            or self.removed_writers
            or self.widened
            or self.narrowed
            or self.new_prod_paths
            or self.deadlines_crossed
            or self.opened
            or self.closed
        )


def _by_node(rows: Iterable[NodeReach]) -> dict[str, NodeReach]:
    return {r.node: r for r in rows}


def diff(old: Snapshot | None, new: Snapshot) -> ScanDrift:
    """The drift from ``old`` to ``new``."""
    if old is None:
        return ScanDrift(None, new.id, None, new.time)
    o, n = _by_node(old.reach), _by_node(new.reach)
    new_writers, removed_writers, widened, narrowed = [], [], [], []
    prod: list[ProdPath] = []
    for node in sorted(set(o) | set(n)):
        a, b = o.get(node), n.get(node)
        if a is not None and b is not None and a.summary == b.summary:
            continue  # same write-set, same production reach: the common case, decided by the key alone
        sa_ = old.summaries[a.summary] if a else None
        sb = new.summaries[b.summary] if b else None
        if b is not None and sb is not None:
            before = set(sa_.prod) if sa_ else set()
            prod.extend(ProdPath(node, b.name, res) for res in sb.prod if res not in before)
        if (sa_.writes if sa_ else ()) == (sb.writes if sb else ()):
            continue
        aw = write_pairs(sa_.writes) if sa_ else set()
        bw = write_pairs(sb.writes) if sb else set()
        ref = b or a
        assert ref is not None
        if not aw and bw and ref.kind in _WRITER_KINDS:
            new_writers.append(ReachChange(node, ref.name, tuple(sorted(bw))))
        elif aw and not bw and ref.kind in _WRITER_KINDS:
            removed_writers.append(ReachChange(node, ref.name, (), tuple(sorted(aw))))
        elif bw - aw:
            widened.append(ReachChange(node, ref.name, tuple(sorted(bw - aw)), tuple(sorted(aw - bw))))
        elif aw - bw:
            narrowed.append(ReachChange(node, ref.name, (), tuple(sorted(aw - bw))))
    old_creds = {c.node for c in old.credentials}
    crossed: list[Deadline] = []
    for c in new.credentials:
        if c.node not in old_creds:
            continue  # a new credential has no "since the last scan"
        for what, when in (("rotation due", c.due), ("expired", c.expires)):
            if when is not None and old.time < when <= new.time:
                crossed.append(Deadline(c.node, c.name, what, when))
    old_open = {f.id: f for f in old.findings if f.status == Status.OPEN.value}
    new_open = {f.id: f for f in new.findings if f.status == Status.OPEN.value}
    return ScanDrift(
        old=old.id,
        new=new.id,
        old_time=old.time,
        new_time=new.time,
        new_writers=tuple(new_writers),
        removed_writers=tuple(removed_writers),
        widened=tuple(widened),
        narrowed=tuple(narrowed),
        new_prod_paths=tuple(prod),
        deadlines_crossed=tuple(crossed),
        opened=tuple(new_open[i] for i in sorted(set(new_open) - set(old_open))),
        closed=tuple(old_open[i] for i in sorted(set(old_open) - set(new_open))),
    )
