"""RB04 — registry events and token use are logged."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import NodeKind
from scanner.rules.base import Rule, RuleContext, count


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Registries whose connector established that audit or data-event logging is off."""
    for node in ctx.graph.nodes():
        if node.kind is NodeKind.RESOURCE and node.attrs.get("audit_logging") is False:
            detail = node.attrs.get("audit_detail") or "no audit trail records its events"
            yield ctx.finding(RULE, node, f"Registry {node.name!r}: {detail}.")


def applies(ctx: RuleContext) -> int:
    """Registries whose audit logging is known."""
    return count(ctx, lambda n: n.kind is NodeKind.RESOURCE and n.attrs.get("audit_logging") is not None)


RULE = Rule(
    id="RB04",
    title="Registry events are not logged",
    severity=Severity.MEDIUM,
    remediation=(
        "Enable audit and data-event logging for the registry (CloudTrail data events, Cloud Audit "
        "Logs data access, Azure diagnostic settings) and keep token last-use records."
    ),
    evaluate=evaluate,
    applies=applies,
)
