"""Findings and the framework metadata of the controls they map to."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from scanner.model import Action, EdgeKind, Evidence, NodeId


class Severity(enum.StrEnum):
    """Finding severity; :attr:`rank` orders them (higher is worse)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info."""
        return _RANK[self]


_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.INFO: 0}


class Status(enum.StrEnum):
    """Whether a finding stands or has been accepted by a suppression."""

    OPEN = "open"
    SUPPRESSED = "suppressed"


@dataclass(frozen=True, slots=True)
class PathStep:
    """One edge of an evidence path, as the reach walk took it (``runs_code_of`` already reversed)."""

    src: NodeId
    dst: NodeId
    kind: EdgeKind
    actions: frozenset[Action] = frozenset()
    via: str = ""


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact that makes a finding true, with the bundle files it was read from."""

    text: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's verdict on one subject, with the path that proves it."""

    id: str
    rule: str
    severity: Severity
    subject: NodeId
    message: str
    path: tuple[PathStep, ...] = ()
    blast_radius: int = 0
    status: Status = Status.OPEN
    location: Evidence | None = None
    suppression: str | None = None
    #: The facts that make it true, each with its evidence files (the version and upload time of a release
    #: no tag explains, the trigger and expression that let outsiders in, the edges of its path).
    facts: tuple[Fact, ...] = ()


def finding_id(rule: str, subject: str, qualifier: str = "") -> str:
    """Stable id of a finding: a hash of the rule and its subject (plus an optional qualifier)."""
    digest = hashlib.sha256(f"{rule}\x00{subject}\x00{qualifier}".encode()).hexdigest()
    return f"{rule}-{digest[:16]}"
