"""RB06 — workload identity instead of standing secrets, with strict claims."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import WRITE_ACTIONS, NodeKind
from scanner.rules.base import Rule, RuleContext, count


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Federated trusts whose subject is missing or too broad, and CI secrets holding static cloud keys
    where the CI could federate."""
    for node in ctx.graph.nodes():
        if node.kind is NodeKind.CREDENTIAL and node.attrs.get("subject_too_broad") is True:
            reached = ctx.reach.actions_reached(node.id)
            reason = node.attrs.get("broad_reason") or "no subject condition"
            sev = Severity.HIGH if reached & WRITE_ACTIONS else Severity.MEDIUM
            message = (
                f"Federated trust {node.name!r} (issuer {node.attrs.get('issuer')}) accepts too many workloads: "
                f"{reason}."
            )
            yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, reached), severity=sev)
        elif node.kind is NodeKind.SECRET and node.attrs.get("static_cloud_credential") is True:
            reached = ctx.reach.actions_reached(node.id)
            message = (
                f"CI secret {node.name!r} holds a static cloud or registry key although the CI can use OIDC federation."
            )
            yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, reached), qualifier="static")


def applies(ctx: RuleContext) -> int:
    """Federated trusts whose claims were judged, and CI secrets (judged by name and use)."""
    return count(
        ctx,
        lambda n: (
            (n.kind is NodeKind.CREDENTIAL and n.attrs.get("subject_too_broad") is not None)
            or (n.kind is NodeKind.SECRET and n.provider in {"github", "gitlab"})
        ),
    )


RULE = Rule(
    id="RB06",
    title="Standing secrets or loose claims where workload identity fits",
    severity=Severity.MEDIUM,
    remediation=(
        "Use OIDC workload identity federation and pin its trust to one repository and one ref or "
        "environment (sub), with the expected audience; remove static cloud keys from CI secrets."
    ),
    evaluate=evaluate,
    applies=applies,
)
