"""What a rule is, and what it is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from scanner.findings import Finding, PathStep, Severity, finding_id
from scanner.graph import ScanGraph
from scanner.model import Action, EdgeKind, Evidence, Node, NodeId, NodeKind
from scanner.reach import ReachIndex
from scanner.rules.controls import CONTROLS, Control

#: Order in which an evidence path is chosen when a subject reaches several resources.
_ACTION_PREFERENCE = (Action.PUBLISH, Action.PROMOTE, Action.ADMIN, Action.DEPLOY, Action.READ)


@dataclass(frozen=True)
class RuleContext:
    """The read-only inputs of every rule: the graph, reach for every node, and the clock."""

    graph: ScanGraph
    reach: ReachIndex
    now: datetime
    max_credential_age_days: int = 90

    def finding(
        self,
        rule: Rule,
        subject: Node,
        message: str,
        path: list[PathStep] | None = None,
        severity: Severity | None = None,
        qualifier: str = "",
        location: Evidence | None = None,
    ) -> Finding:
        """A finding of ``rule`` on ``subject``; its id is stable across scans. ``location`` is where to
        look (default: the subject's first evidence)."""
        return Finding(
            id=finding_id(rule.id, subject.id, qualifier),
            rule=rule.id,
            severity=severity or rule.severity,
            subject=subject.id,
            message=message,
            path=tuple(path or ()),
            blast_radius=self.reach.size(subject.id),
            location=location or (subject.evidence[0] if subject.evidence else None),
        )

    def evidence_path(self, subject: NodeId, actions: frozenset[Action]) -> list[PathStep]:
        """The shortest path from ``subject`` to the first resource it reaches with one of ``actions``
        (PUBLISH preferred, then PROMOTE, ADMIN, DEPLOY, READ; ties broken by resource id). A consumer
        reached that way — a repository or service that installs what the subject can publish — is
        preferred over the package itself: the path then ends where a malicious release would land."""
        for action in _ACTION_PREFERENCE:
            if action not in actions:
                continue
            target = self._consumer_reached(subject, action) or self.reach.first_reached(subject, action)
            if target is not None:
                path = self.reach.explain(subject, target, action)
                if path:
                    return path
        return []

    @cached_property
    def consumers(self) -> tuple[NodeId, ...]:
        """Resources that consume another resource (by id), other than registries: a virtual repository
        consuming its members is still the registry, not where a release lands."""
        g = self.graph
        return tuple(
            sorted(
                n.id
                for n in g.nodes()
                if n.kind is NodeKind.RESOURCE
                and n.attrs.get("category") != "registry"
                and g.out_edges(n.id, EdgeKind.CONSUMES)
            )
        )

    @cached_property
    def _consumer_bits(self) -> dict[Action, frozenset[int]]:
        return {a: self.reach.pair_bits((c, a) for c in self.consumers) for a in _ACTION_PREFERENCE}

    def _consumer_reached(self, subject: NodeId, action: Action) -> NodeId | None:
        """The first consumer (by id) ``subject`` reaches with ``action``: one set intersection decides
        whether there is any, then a check per consumer; no blast radius is decoded."""
        if not self.consumers or not self.reach.reaches_any(subject, self._consumer_bits[action]):
            return None
        return next((c for c in self.consumers if self.reach.can(subject, c, action)), None)


@dataclass(frozen=True)
class Rule:
    """A control check: metadata beside a pure ``evaluate`` that yields findings."""

    id: str
    title: str
    severity: Severity
    remediation: str
    evaluate: Callable[[RuleContext], Iterator[Finding]]
    #: How many subjects carry the facts this rule needs. Zero means the control was *not assessed*
    #: (no connector supplied those facts), which a report must never show as a pass.
    applies: Callable[[RuleContext], int] | None = None

    @property
    def control(self) -> Control:
        """The control this rule checks, with its framework mappings."""
        return CONTROLS[self.id]

    def subjects(self, ctx: RuleContext) -> int:
        """How many subjects the rule could judge (see :attr:`applies`); 1 when it does not say."""
        return self.applies(ctx) if self.applies is not None else 1


def count(ctx: RuleContext, pred: Callable[[Node], bool]) -> int:
    """Number of graph nodes for which ``pred`` holds."""
    return sum(1 for n in ctx.graph.nodes() if pred(n))
