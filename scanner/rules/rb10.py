"""RB10 — humans do not use NHIs."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import EdgeKind, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Identities that allow interactive sign-in while programmatic credentials also act as them."""
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.IDENTITY or node.attrs.get("interactive_login") is not True:
            continue
        creds = ctx.graph.in_edges(node.id, EdgeKind.AUTHENTICATES_AS)
        if not creds:
            continue
        message = (
            f"{node.name!r} has an interactive login (console password) and {len(creds)} programmatic "
            "credential(s): a person and automation share one identity."
        )
        yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, ctx.reach.actions_reached(node.id)))


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Identities whose interactive login is known (cloud users; a CI job or role never signs in)."""
    for n in ctx.graph.nodes():
        if n.kind is NodeKind.IDENTITY and n.attrs.get("interactive_login") is not None:
            yield n, None


RULE = Rule(
    id="RB10",
    title="Interactive login on a non-human identity",
    severity=Severity.MEDIUM,
    remediation=(
        "Remove the console password or interactive sign-in from identities used by automation; give "
        "people their own identities with MFA."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="identities with their interactive login (AWS IAM users' console passwords)",
)
