"""What a rule is, and what it is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from scanner.findings import Fact, Finding, PathStep, Severity, finding_id
from scanner.graph import ScanGraph
from scanner.knowledge.facts import fact, source
from scanner.model import Action, EdgeKind, Evidence, Node, NodeId, NodeKind
from scanner.reach import ReachIndex
from scanner.rules.controls import CONTROLS, Control

#: Order in which an evidence path is chosen when a subject reaches several resources.
_ACTION_PREFERENCE = (Action.PUBLISH, Action.PROMOTE, Action.ADMIN, Action.DEPLOY, Action.READ)
_ACTION_ORDER = list(Action)


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
        facts: Sequence[Fact] = (),
    ) -> Finding:
        """A finding of ``rule`` on ``subject``; its id is stable across scans. ``location`` is where to
        look (default: the subject's first evidence). ``facts`` are what make it true; the edges of its path
        follow them, each with the files it was read from."""
        steps = tuple(path or ())
        return Finding(
            id=finding_id(rule.id, subject.id, qualifier),
            rule=rule.id,
            severity=severity or rule.severity,
            subject=subject.id,
            message=message,
            path=steps,
            blast_radius=self.reach.size(subject.id),
            location=location or (subject.evidence[0] if subject.evidence else None),
            facts=(*facts, *self.path_facts(steps)),
        )

    def path_facts(self, path: Sequence[PathStep]) -> tuple[Fact, ...]:
        """Each edge of an evidence path as a fact: what links the two ends, read from which files."""
        known = self._step_facts  # paths share their later steps (a group, a policy, a registry)
        out = []
        for step in path:
            found = known.get(step)
            if found is None:
                found = known[step] = self._step_fact(step)
            out.append(found)
        return tuple(out)

    @cached_property
    def _step_facts(self) -> dict[PathStep, Fact]:
        return {}

    def _step_fact(self, step: PathStep) -> Fact:
        g = self.graph
        inv = g.inventory
        # runs_code_of is walked backwards: the edge is job -> third party.
        src, dst = (step.dst, step.src) if step.kind is EdgeKind.RUNS_CODE_OF else (step.src, step.dst)
        between = g.edges_between(src, dst, step.kind) if src in g.index and dst in g.index else []
        edge = next((e for e in between if e.via == step.via), between[0] if between else None)
        a = inv.node(src).name if src in inv else src  # in the edge's own direction: "job runs code of X"
        b = inv.node(dst).name if dst in inv else dst
        acts = "/".join(x.value for x in sorted(step.actions, key=_ACTION_ORDER.index))
        text = f"{a} {step.kind.value.replace('_', ' ')}{f' ({acts})' if acts else ''} {b}"
        return Fact(text + (f": {step.via}" if step.via else ""), edge.evidence if edge is not None else ())

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


@dataclass(frozen=True, slots=True)
class Missing:
    """What kept a rule from judging one subject: the fact, and where it would have been read.

    ``collectable`` is True when regwarden reads that fact for the subject's provider, so a file or call
    was missing from the bundle (the scan is partial); False when no collection would supply it."""

    what: str
    collectable: bool


def missing(key: str, node: Node, *, why: str = "") -> Missing:
    """The fact ``key`` (a row of ``scanner/knowledge/facts.yaml``) is unknown for ``node``: where it is
    read for the node's provider, else that regwarden does not read it there. A connector says why it
    does not know in the node's ``unknown_why.<key>`` attribute, or ``unknown_why`` for every fact it lacks
    (``why`` overrides both), and that the provider does
    not report the fact at all for this subject by naming it in ``unread`` (then no collection would help)."""
    row = fact(key)
    where = source(key, node.provider)
    said = why or node.attrs.get(f"unknown_why.{key}") or node.attrs.get("unknown_why")
    said = said if isinstance(said, str) else ""
    unread = node.attrs.get("unread")
    if isinstance(unread, tuple) and key in unread:
        where = None  # the provider does not report it for this subject: no collection would help
    if where is not None:
        if isinstance(node.attrs.get("secret"), str):
            # Known only as what a CI secret holds: the registry's record judges it once the two are pinned.
            where += ", then the CI secret pinned to that token with [[links]]"
        return Missing(f"{row.label}: {said or 'not collected'} (read from {where})", collectable=True)
    unread_here = f"regwarden does not read it for {node.subtype or node.provider or 'these subjects'}"
    return Missing(f"{row.label}: {said + '; ' if said else ''}{unread_here}", collectable=False)


def unknown(node: Node, key: str) -> bool:
    """Whether the connector said it does not know fact ``key`` of ``node`` (its ``unknown`` attribute)."""
    said = node.attrs.get("unknown")
    return isinstance(said, tuple) and key in said


def recorded_elsewhere(ctx: RuleContext, node: Node, key: str) -> bool:
    """Whether the CI secret that holds credential ``node`` (its ``secret`` attribute) also exposes a
    credential whose own record has fact ``key`` (a ``[[links]]`` pin, or a connector that matched it):
    that record is then judged in its place."""
    secret = node.attrs.get("secret")
    if not isinstance(secret, str) or secret not in ctx.graph.inventory:
        return False
    for e in ctx.graph.out_edges(NodeId(secret), EdgeKind.EXPOSES):
        other = ctx.graph.inventory.node(e.dst)
        if other.id != node.id and other.credential is not None and not unknown(other, key):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Unjudged:
    """A subject a rule applies to but could not judge, and what is missing."""

    subject: NodeId
    missing: str
    collectable: bool


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of what a control applies to was judged."""

    subjects: int
    unjudged: tuple[Unjudged, ...] = ()

    @property
    def judged(self) -> int:
        """Subjects judged with every fact the rule needs."""
        return self.subjects - len(self.unjudged)


#: What a rule says of each subject it applies to: None when it has every fact it needs.
Judgement = tuple[Node, Missing | None]


@dataclass(frozen=True)
class Rule:
    """A control check: metadata beside a pure ``evaluate`` that yields findings."""

    id: str
    title: str
    severity: Severity
    remediation: str
    evaluate: Callable[[RuleContext], Iterator[Finding]]
    #: Every subject the rule applies to, each with what is missing to judge it (None: nothing). A
    #: control with no subject, or with a subject it could not judge, is never shown as a pass.
    judge: Callable[[RuleContext], Iterator[Judgement]] | None = None
    #: What the rule reads, named when it finds no subject at all ("no subject: needs …").
    needs: str = ""
    #: Older form of :attr:`judge` (a plugin's rule): how many subjects carry the facts it needs.
    applies: Callable[[RuleContext], int] | None = None

    @property
    def control(self) -> Control:
        """The control this rule checks, with its framework mappings."""
        return CONTROLS[self.id]

    def coverage(self, ctx: RuleContext, found: frozenset[NodeId] = frozenset()) -> Coverage:
        """Its subjects and those it could not judge; a subject in ``found`` (it has a finding of this
        rule) was judged, whatever else is missing. A rule that does not say counts as one judged subject."""
        if self.judge is None:
            return Coverage(self.applies(ctx) if self.applies is not None else 1)
        subjects = 0
        unjudged: list[Unjudged] = []
        for node, miss in self.judge(ctx):
            subjects += 1
            if miss is not None and node.id not in found:
                unjudged.append(Unjudged(node.id, miss.what, miss.collectable))
        return Coverage(subjects, tuple(sorted(unjudged, key=lambda u: u.subject)))


def count(ctx: RuleContext, pred: Callable[[Node], bool]) -> int:
    """Number of graph nodes for which ``pred`` holds."""
    return sum(1 for n in ctx.graph.nodes() if pred(n))
