"""RB03 — read, publish and promote are separate."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.graph import DEPLOY_CATEGORIES
from scanner.model import Action, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Identities that, directly or through assume paths, hold both PUBLISH and PROMOTE on registries."""
    # The (resource, action) pairs that count, encoded once; each identity is then a set
    # intersection test on its reach instead of a decoded blast radius.
    eligible = [n for n in ctx.graph.nodes() if n.attrs.get("category") not in DEPLOY_CATEGORIES]
    publish = ctx.reach.pair_bits((n.id, Action.PUBLISH) for n in eligible)
    # Where a registry has no promotion step (PyPI), ADMIN's implied PROMOTE separates nothing.
    promote = ctx.reach.pair_bits((n.id, Action.PROMOTE) for n in eligible if n.attrs.get("promotion") is not False)
    read = ctx.reach.pair_bits((n.id, Action.READ) for n in eligible)
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.IDENTITY:
            continue
        if not (ctx.reach.reaches_any(node.id, publish) and ctx.reach.reaches_any(node.id, promote)):
            continue
        all_three = ctx.reach.reaches_any(node.id, read)
        held = "READ, PUBLISH and PROMOTE" if all_three else "PUBLISH and PROMOTE"
        message = f"{node.name!r} holds {held}: one identity can both upload and move releases forward."
        path = ctx.evidence_path(node.id, frozenset({Action.PROMOTE}))
        yield ctx.finding(RULE, node, message, path, severity=Severity.HIGH if all_three else None)


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Identities: what each can reach is in the graph, so each is judged."""
    for node in ctx.graph.nodes():
        if node.kind is NodeKind.IDENTITY:
            yield node, None


RULE = Rule(
    id="RB03",
    title="One identity can publish and promote",
    severity=Severity.MEDIUM,
    remediation=(
        "Split the roles: the identity that uploads builds must not be the one that promotes them "
        "to a release or production repository; require a separate identity (and review) for promotion."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="identities and their permissions (cloud IAM, registry roles, CI jobs)",
)
