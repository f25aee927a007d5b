"""RB07 — internal registries are held to the same rules."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext, missing

_SEVERITY = {
    "anonymous-push": Severity.CRITICAL,
    "public-principal": Severity.HIGH,
    "cross-account-write": Severity.HIGH,
    "admin-user-enabled": Severity.HIGH,
    "basic-role-write": Severity.MEDIUM,
    "anonymous-pull": Severity.MEDIUM,
}


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Registries exposed to anonymous or over-broad principals, or with shared admin credentials."""
    for node in ctx.graph.nodes():
        exposures = node.attrs.get("exposures")
        if node.kind is not NodeKind.RESOURCE or not isinstance(exposures, tuple) or not exposures:
            continue
        sev = max((_SEVERITY.get(x, Severity.MEDIUM) for x in exposures), key=lambda s: s.rank)
        message = f"Registry {node.name!r} is exposed: {', '.join(sorted(exposures))}."
        yield ctx.finding(RULE, node, message, severity=sev)


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Registries (not the account-wide "every registry" targets), judged when who their policy admits
    was examined."""
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.RESOURCE or node.attrs.get("category") != "registry":
            continue
        if node.attrs.get("account_wide") is True:
            continue
        yield node, None if isinstance(node.attrs.get("exposures"), tuple) else missing("exposures", node)


RULE = Rule(
    id="RB07",
    title="Internal registry exposed beyond its owners",
    severity=Severity.HIGH,
    remediation=(
        "Remove anonymous and wildcard principals and cross-account write from registry policies, "
        "disable registry admin users, and replace basic owner/editor roles with registry-scoped roles."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="registries with their resource policies and role bindings",
)
