"""RB04 — registry events and token use are logged."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext, missing


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Registries whose connector established that audit or data-event logging is off."""
    for node in ctx.graph.nodes():
        if node.kind is NodeKind.RESOURCE and node.attrs.get("audit_logging") is False:
            detail = node.attrs.get("audit_detail") or "no audit trail records its events"
            yield ctx.finding(RULE, node, f"Registry {node.name!r}: {detail}.")


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Registries (not the account-wide "every registry" targets), judged when whether their events are
    logged is known."""
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.RESOURCE or node.attrs.get("category") != "registry":
            continue
        if node.attrs.get("account_wide") is True:
            continue
        yield node, None if node.attrs.get("audit_logging") is not None else missing("audit_logging", node)


RULE = Rule(
    id="RB04",
    title="Registry events are not logged",
    severity=Severity.MEDIUM,
    remediation=(
        "Enable audit and data-event logging for the registry (CloudTrail data events, Cloud Audit "
        "Logs data access, Azure diagnostic settings) and keep token last-use records."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="registries with their audit-logging configuration (AWS CloudTrail, GCP audit configs)",
)
