"""Scan-to-scan drift: a compact snapshot of each scan, and the difference between two snapshots.

A snapshot keeps what drift needs and no more: findings (id, rule, severity, subject, status), and
for every node that reaches something a reach summary — a hash of its whole blast radius, its
write-set (``resource|ACTION`` for PUBLISH, PROMOTE, DEPLOY, ADMIN) and the production resources
it reaches — plus each static credential's rotation deadline and expiry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scanner.findings import Severity, Status
from scanner.model import Action, Lifetime, NodeKind

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


@dataclass(frozen=True, slots=True)
class NodeReach:
    """A node's reach summary: hash of the whole blast radius, the write-set, production reached."""

    node: str
    name: str
    kind: str
    subtype: str
    reach_hash: str
    reach_size: int
    writes: tuple[str, ...]  # sorted "resource|ACTION"
    prod: tuple[str, ...]  # sorted production resources reached with any action


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
    id: int | None = None
    partial: bool = False


def snapshot(result: ScanResult, *, max_age_days: int = 90) -> Snapshot:
    """The snapshot of a scan result."""
    inv, reach = result.inventory, result.reach
    rows: list[NodeReach] = []
    creds: list[CredentialRow] = []
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
        full: list[str] = []
        writes: list[str] = []
        prod: set[str] = set()
        for r in reach.blast_radius(node.id):
            res = inv.get(r.resource)
            if res is not None and res.attr("production") is True:
                prod.add(r.resource)
            for a in sorted(r.actions, key=list(Action).index):
                full.append(f"{r.resource}|{a.value}")
                if a in DRIFT_ACTIONS:
                    writes.append(f"{r.resource}|{a.value}")
        digest = hashlib.sha256("\n".join(full).encode()).hexdigest()
        rows.append(
            NodeReach(
                node.id, node.name, node.kind.value, node.subtype, digest, len(full), tuple(writes), tuple(sorted(prod))
            )
        )
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
    for node in sorted(set(o) | set(n)):
        a, b = o.get(node), n.get(node)
        aw, bw = set(a.writes) if a else set(), set(b.writes) if b else set()
        if aw == bw:
            continue
        ref = b or a
        assert ref is not None
        if not aw and bw and ref.kind in _WRITER_KINDS:
            new_writers.append(ReachChange(node, ref.name, tuple(sorted(bw))))
        elif aw and not bw and ref.kind in _WRITER_KINDS:
            removed_writers.append(ReachChange(node, ref.name, (), tuple(sorted(aw))))
        else:
            if bw - aw:
                widened.append(ReachChange(node, ref.name, tuple(sorted(bw - aw)), tuple(sorted(aw - bw))))
            elif aw - bw:
                narrowed.append(ReachChange(node, ref.name, (), tuple(sorted(aw - bw))))
    prod = [
        ProdPath(node, r.name, res)
        for node, r in sorted(n.items())
        for res in r.prod
        if res not in (o[node].prod if node in o else ())
    ]
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
