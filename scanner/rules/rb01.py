"""RB01 — publish/promote rights use short-lived, per-task credentials, not standing tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from scanner.findings import Fact, Finding, Severity
from scanner.model import Action, Lifetime, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext, missing, recorded_elsewhere, unknown

_WRITE = frozenset({Action.PUBLISH, Action.PROMOTE, Action.ADMIN})


def _days(a: datetime, b: datetime) -> int:
    return (a - b).days


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Static credentials that reach PUBLISH/PROMOTE and never expire, expire late, or are not rotated."""
    limit = ctx.max_credential_age_days
    for node in ctx.graph.nodes():
        info = node.credential
        if node.kind is not NodeKind.CREDENTIAL or info is None or info.lifetime is not Lifetime.STATIC:
            continue
        reached = ctx.reach.actions_reached(node.id) & _WRITE
        if not reached:
            continue
        problems: list[str] = []
        if info.expires is None:
            if not unknown(node, "expires"):  # else only its issuer knows: see judge()
                problems.append("never expires")
        elif info.created is not None and _days(info.expires, info.created) > limit:
            problems.append(f"valid for {_days(info.expires, info.created)} days (limit {limit})")
        born = info.last_rotated or info.created
        if born is not None and _days(ctx.now, born) > limit:
            what = "last rotated" if info.last_rotated else "created"
            problems.append(f"{what} {born.date().isoformat()}, {_days(ctx.now, born)} days ago")
        if not problems:
            continue
        acts = "/".join(a.value for a in sorted(reached, key=list(Action).index))
        message = f"Standing credential {node.name!r} holds {acts}: " + "; ".join(problems) + "."
        facts = [Fact(f"{node.name}: {p}", node.evidence) for p in problems]
        yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, reached), facts=facts)


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Standing credentials (and those whose lifetime is unknown); one that reaches publish or promote
    rights is judged when its lifetime and expiry are known."""
    for node in ctx.graph.nodes():
        info = node.credential
        if node.kind is not NodeKind.CREDENTIAL or info is None or info.lifetime is Lifetime.SHORT_LIVED:
            continue
        if not ctx.reach.actions_reached(node.id) & _WRITE:
            yield node, None
        elif info.lifetime is Lifetime.UNKNOWN:
            yield node, missing("lifetime", node)
        elif info.expires is None and unknown(node, "expires") and not recorded_elsewhere(ctx, node, "expires"):
            yield node, missing("expires", node)
        else:
            yield node, None


RULE = Rule(
    id="RB01",
    title="Standing credential with publish or promote rights",
    severity=Severity.HIGH,
    remediation=(
        "Replace the token with short-lived, per-job credentials (PyPI/npm Trusted Publishing, "
        "cloud OIDC federation). Until then, scope it to one package, give it an expiry of at most "
        "90 days and rotate it."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="credentials with their lifetime and expiry (token lists of the registries, cloud keys)",
)
