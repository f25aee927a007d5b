"""RB09 — identities are offboarded."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import EdgeKind, NodeKind
from scanner.rules.base import Rule, RuleContext, count


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Credentials unused for longer than the limit (or never used), and disabled identities whose
    credentials still work."""
    limit = ctx.max_credential_age_days
    inv = ctx.graph.inventory
    for node in ctx.graph.nodes():
        if node.kind is NodeKind.CREDENTIAL and node.credential is not None:
            info = node.credential
            if node.attrs.get("active") is False:
                continue
            if info.last_used is not None:
                idle = (ctx.now - info.last_used).days
                if idle > limit:
                    message = f"{node.name!r} was last used {info.last_used.date().isoformat()} ({idle} days ago)."
                    yield ctx.finding(
                        RULE, node, message, ctx.evidence_path(node.id, ctx.reach.actions_reached(node.id))
                    )
            elif node.attrs.get("never_used") is True and info.created is not None:
                age = (ctx.now - info.created).days
                if age > limit:
                    message = f"{node.name!r} was created {age} days ago and has never been used."
                    yield ctx.finding(
                        RULE, node, message, ctx.evidence_path(node.id, ctx.reach.actions_reached(node.id))
                    )
        elif node.kind is NodeKind.IDENTITY and node.attrs.get("disabled") is True:
            live = [
                inv.node(e.src).name
                for e in ctx.graph.in_edges(node.id, EdgeKind.AUTHENTICATES_AS)
                if inv.node(e.src).attrs.get("active") is not False
            ]
            if live:
                message = f"Identity {node.name!r} is disabled but {len(live)} credential(s) still authenticate as it."
                yield ctx.finding(RULE, node, message, qualifier="disabled", severity=Severity.HIGH)


def applies(ctx: RuleContext) -> int:
    """Credentials whose last use is known, and identities whose enabled state is known."""
    return count(
        ctx,
        lambda n: (
            (n.credential is not None and (n.credential.last_used is not None or "never_used" in n.attrs))
            or (n.kind is NodeKind.IDENTITY and n.attrs.get("disabled") is not None)
        ),
    )


RULE = Rule(
    id="RB09",
    title="Unused or orphaned non-human identity",
    severity=Severity.MEDIUM,
    remediation=(
        "Revoke credentials unused for more than 90 days, delete identities that no pipeline uses, and "
        "revoke the credentials of disabled identities."
    ),
    evaluate=evaluate,
    applies=applies,
)
