"""The outcome of one analysis, which every report format renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from scanner.findings import Finding
from scanner.model import CoverageGap, Inventory
from scanner.reach import ReachIndex
from scanner.rules.base import Rule

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
    #: rule id -> how many subjects carried the facts the rule needs; 0 means "not assessed"
    assessed: Mapping[str, int] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """True when some scope or call could not be assessed."""
        return bool(self.gaps)
