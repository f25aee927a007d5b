"""The outcome of one analysis, which every report format renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from scanner.findings import Finding
from scanner.model import CoverageGap, Inventory
from scanner.owners import OwnerIndex
from scanner.reach import ReachIndex
from scanner.rules.base import Coverage, Rule, Unjudged

if TYPE_CHECKING:
    from scanner.drift.history import ScanDrift
    from scanner.drift.iac import IacDrift


@dataclass(frozen=True)
class ScanResult:
    """Everything a report needs: the inventory, reach for every node, findings (most severe first),
    the controls that were evaluated, and what could not be assessed."""

    generated_at: datetime
    source: str  # the bundle (or "demo") the scan read
    scopes: tuple[str, ...]
    inventory: Inventory
    reach: ReachIndex
    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]
    gaps: tuple[CoverageGap, ...]
    iac: IacDrift | None = None  # live vs Terraform, when the bundle holds states
    drift: ScanDrift | None = None  # vs the previous scan in history, when history is on
    scan_id: int | None = None  # this scan's id in history
    #: rule id -> the subjects the rule applies to and those it could not judge (and what is missing)
    coverage: Mapping[str, Coverage] = field(default_factory=dict)
    #: every node's owners (scanner/owners.py); a finding's are ``owners.for_finding(f)``
    owners: OwnerIndex = field(default_factory=OwnerIndex)

    @property
    def unjudged(self) -> tuple[tuple[str, Unjudged], ...]:
        """(rule id, subject) for every subject a rule applies to but could not judge."""
        return tuple((rid, u) for rid, c in sorted(self.coverage.items()) for u in c.unjudged)

    @property
    def uncollected(self) -> int:
        """Subjects not judged because a file or call was missing from the bundle."""
        return sum(1 for _, u in self.unjudged if u.collectable)

    @property
    def partial(self) -> bool:
        """True when some scope or call could not be assessed, or some subject was not judged because a file
        or call it needs was missing."""
        return bool(self.gaps) or self.uncollected > 0


def verdict(open_findings: int, coverage: Coverage | None) -> Literal["pass", "fail", "not-assessed"]:
    """A control's verdict: ``fail`` on any open finding; else ``pass`` only when it applied to something
    and judged every subject it applies to; else ``not-assessed`` (no rule ran, nothing to judge was
    collected, or some subject lacked a fact)."""
    if open_findings:
        return "fail"
    if coverage is None or coverage.subjects == 0 or coverage.unjudged:
        return "not-assessed"
    return "pass"
