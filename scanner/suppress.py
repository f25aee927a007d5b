"""Suppressions: accepted findings stay in the report with status ``suppressed`` and their
justification; a suppression past its expiry date no longer applies and the finding is open again."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from scanner.findings import Finding, Status

if TYPE_CHECKING:  # pydantic settings: imported by whoever read the configuration
    from scanner.drift.settings import Suppression

log = logging.getLogger("regwarden")


def matches(s: Suppression, f: Finding) -> bool:
    """True when the suppression names this finding (by id, or by rule and subject patterns)."""
    if s.id:
        return s.id == f.id
    return fnmatchcase(f.rule, s.rule or "*") and fnmatchcase(f.subject, s.subject or "*")


def justification(s: Suppression) -> str:
    """The text kept on a suppressed finding."""
    return f"{s.reason} (owner: {s.owner}; expires {s.expires.isoformat()})"


def apply(findings: Sequence[Finding], suppressions: Iterable[Suppression], today: date) -> tuple[Finding, ...]:
    """Findings with active suppressions applied. A suppression is active through its expiry day."""
    rules = list(suppressions)
    out: list[Finding] = []
    for f in findings:
        hit = next((s for s in rules if matches(s, f) and today <= s.expires), None)
        if hit is not None:
            out.append(replace(f, status=Status.SUPPRESSED, suppression=justification(hit)))
            continue
        expired = next((s for s in rules if matches(s, f)), None)
        if expired is not None:
            log.warning("suppression of %s (owner %s) expired on %s: the finding is open again",
                        f.id, expired.owner, expired.expires.isoformat())  # fmt: skip
        out.append(f)
    return tuple(out)
