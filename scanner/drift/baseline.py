"""Policy drift: the estate against the expectations in ``[baseline]``.

Each kind of expectation is a rule of its own (ids ``BASELINE-…``), built from the config and run
with the control rules, so violations are findings like any other (suppressible, in every report,
counted by ``--fail-on``). Each rule's title names the control it tightens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from fnmatch import fnmatchcase

from scanner.drift.settings import BaselineSettings, OidcRule, PublisherRule
from scanner.findings import Finding, Severity
from scanner.model import WRITE_ACTIONS, Action, EdgeKind, Lifetime, Node, NodeId, NodeKind
from scanner.rules.base import Rule, RuleContext


def _allowed(node: Node, patterns: list[str]) -> bool:
    return any(fnmatchcase(node.id, p) for p in patterns)


def _judged(ctx: RuleContext, node: Node) -> bool:
    """Identities, and credentials that stand alone (scoped tokens with grants of their own)."""
    if node.kind is NodeKind.IDENTITY:
        return True
    return node.kind is NodeKind.CREDENTIAL and not ctx.graph.out_edges(node.id, EdgeKind.AUTHENTICATES_AS)


def _publishers(rules: list[PublisherRule]) -> Callable[[RuleContext], Iterator[Finding]]:
    def evaluate(ctx: RuleContext) -> Iterator[Finding]:
        for i, rule in enumerate(rules):
            resources = [
                n for n in ctx.graph.nodes() if n.kind is NodeKind.RESOURCE and fnmatchcase(n.id, rule.resource)
            ]
            hits: dict[NodeId, list[str]] = {}
            for res in resources:
                for action in rule.actions:
                    for who in ctx.reach.who_can_reach(res.id, action):
                        hits.setdefault(who, []).append(f"{action.value} {res.name}")
            for who, what in sorted(hits.items()):
                node = ctx.graph.inventory.node(who)
                if not _judged(ctx, node) or _allowed(node, rule.allowed):
                    continue
                message = (
                    f"{node.name!r} can {', '.join(sorted(set(what))[:5])}"
                    f"{' …' if len(set(what)) > 5 else ''}, but the baseline allows only "
                    f"{', '.join(rule.allowed) or 'nobody'} on {rule.resource}."
                )
                acts = frozenset(rule.actions)
                yield ctx.finding(PUBLISHERS, node, message, ctx.evidence_path(node.id, acts), qualifier=str(i))

    return evaluate


def _days(a: datetime, b: datetime) -> int:
    return (a - b).days


def _credential_age(b: BaselineSettings) -> Callable[[RuleContext], Iterator[Finding]]:
    def evaluate(ctx: RuleContext) -> Iterator[Finding]:
        for node in ctx.graph.nodes():
            info = node.credential
            if node.kind is not NodeKind.CREDENTIAL or info is None or info.lifetime is not Lifetime.STATIC:
                continue
            problems: list[str] = []
            born = info.last_rotated or info.created
            if b.max_credential_age_days and born is not None and _days(ctx.now, born) > b.max_credential_age_days:
                problems.append(f"{_days(ctx.now, born)} days old (baseline {b.max_credential_age_days})")
            if b.max_credential_lifetime_days:
                if info.expires is None:
                    problems.append("never expires")
                elif info.created and _days(info.expires, info.created) > b.max_credential_lifetime_days:
                    problems.append(
                        f"valid for {_days(info.expires, info.created)} days (baseline {b.max_credential_lifetime_days})"
                    )
            if problems:
                writes = ctx.reach.actions_reached(node.id) & WRITE_ACTIONS
                sev = Severity.HIGH if writes else Severity.MEDIUM
                message = f"Credential {node.name!r}: " + "; ".join(problems) + "."
                yield ctx.finding(CREDENTIAL_AGE, node, message, ctx.evidence_path(node.id, writes), severity=sev)

    return evaluate


def _static_publish(ctx: RuleContext) -> Iterator[Finding]:
    for node in ctx.graph.nodes():
        info = node.credential
        if node.kind is not NodeKind.CREDENTIAL or info is None or info.lifetime is not Lifetime.STATIC:
            continue
        reached = ctx.reach.actions_reached(node.id) & frozenset({Action.PUBLISH, Action.PROMOTE, Action.ADMIN})
        if reached:
            acts = "/".join(a.value for a in sorted(reached, key=list(Action).index))
            message = f"Static credential {node.name!r} holds {acts}; the baseline allows no static tokens for PUBLISH."
            yield ctx.finding(STATIC_PUBLISH, node, message, ctx.evidence_path(node.id, reached))


def _oidc(rules: list[OidcRule]) -> Callable[[RuleContext], Iterator[Finding]]:
    def evaluate(ctx: RuleContext) -> Iterator[Finding]:
        for node in ctx.graph.nodes():
            issuer, subject = node.attr("issuer"), node.attr("subject")
            if node.kind is not NodeKind.CREDENTIAL or not isinstance(issuer, str):
                continue
            for rule in rules:
                if not fnmatchcase(issuer, rule.issuer):
                    continue
                if isinstance(subject, str) and any(fnmatchcase(subject, p) for p in rule.allowed_subjects):
                    continue
                message = (
                    f"Federated trust {node.name!r} from {issuer} accepts subject {subject!r}, "
                    f"not one the baseline allows ({', '.join(rule.allowed_subjects)})."
                )
                reached = ctx.reach.actions_reached(node.id)
                yield ctx.finding(OIDC_SUBJECT, node, message, ctx.evidence_path(node.id, reached))
                break

    return evaluate


def _never(_ctx: RuleContext) -> Iterator[Finding]:
    return iter(())


PUBLISHERS = Rule(
    "BASELINE-PUBLISHERS",
    "Baseline (RB03/RB05): an identity outside the allowed publishers can publish or promote",
    Severity.HIGH,
    "Remove the grant or path that lets this identity write, or add it to [[baseline.publishers]] if intended.",
    _never,
)
CREDENTIAL_AGE = Rule(
    "BASELINE-CREDENTIAL-AGE",
    "Baseline (RB01): credential older or longer-lived than the baseline allows",
    Severity.MEDIUM,
    "Rotate the credential and give it an expiry within the baseline, or replace it with short-lived federation.",
    _never,
)
STATIC_PUBLISH = Rule(
    "BASELINE-STATIC-PUBLISH",
    "Baseline (RB01/RB06): static credential with publish rights",
    Severity.HIGH,
    "Publish with short-lived credentials (Trusted Publishing, OIDC federation) and revoke the static token.",
    _never,
)
OIDC_SUBJECT = Rule(
    "BASELINE-OIDC-SUBJECT",
    "Baseline (RB06): federated trust accepts a subject the baseline does not allow",
    Severity.HIGH,
    "Restrict the trust's subject condition to the allowed repositories, refs or environments.",
    _never,
)


def _with(rule: Rule, evaluate: Callable[[RuleContext], Iterator[Finding]]) -> Rule:
    return Rule(rule.id, rule.title, rule.severity, rule.remediation, evaluate)


def baseline_rules(b: BaselineSettings | None) -> tuple[Rule, ...]:
    """The rules the baseline asks for (none without a ``[baseline]`` section)."""
    if b is None:
        return ()
    rules: list[Rule] = []
    if b.publishers:
        rules.append(_with(PUBLISHERS, _publishers(list(b.publishers))))
    if b.max_credential_age_days or b.max_credential_lifetime_days:
        rules.append(_with(CREDENTIAL_AGE, _credential_age(b)))
    if b.no_static_publish:
        rules.append(_with(STATIC_PUBLISH, _static_publish))
    if b.oidc:
        rules.append(_with(OIDC_SUBJECT, _oidc(list(b.oidc))))
    return tuple(rules)
