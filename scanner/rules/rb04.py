"""RB04 — registry events and token use are logged."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import NodeKind
from scanner.rules.base import Rule, RuleContext


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Registries whose connector established that audit or data-event logging is off."""
    for node in ctx.graph.nodes():
        if node.kind is NodeKind.RESOURCE and node.attrs.get("audit_logging") is False:
            detail = node.attrs.get("audit_detail") or "no audit trail records its events"
            yield ctx.finding(RULE, node, f"Registry {node.name!r}: {detail}.")


RULE = Rule(
    id="RB04",
    title="Registry events are not logged",
    severity=Severity.MEDIUM,
    remediation=(
        "Enable audit and data-event logging for the registry (CloudTrail data events, Cloud Audit "
        "Logs data access, Azure diagnostic settings) and keep token last-use records."
    ),
    evaluate=evaluate,
)
