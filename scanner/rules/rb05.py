"""RB05 — release approval is separate from ingestion."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Fact, Finding, Severity
from scanner.model import Action, EdgeKind, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext, missing

_WRITE = frozenset({Action.PUBLISH, Action.PROMOTE})


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """A publish that starts a production deploy with no approval, and CI jobs that publish
    without passing a protected environment (required reviewers)."""
    inv = ctx.graph.inventory
    for edge in inv.edges():
        if edge.kind is not EdgeKind.TRIGGERS or edge.approval_required is not False:
            continue
        dst = inv.node(edge.dst)
        if dst.attrs.get("production") is not True:
            continue
        src = inv.node(edge.src)
        message = f"A publish to {src.name!r} starts {dst.name!r} (production) with no required approval."
        path = ctx.reach.explain(src.id, dst.id) or []
        yield ctx.finding(RULE, src, message, path, qualifier=dst.id)
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.IDENTITY or not node.subtype.endswith(":job"):
            continue
        reached = ctx.reach.actions_reached(node.id) & _WRITE
        if not reached:
            continue
        envs = [inv.node(e.dst) for e in ctx.graph.out_edges(node.id, EdgeKind.GRANTS)]
        envs = [e for e in envs if e.attrs.get("category") == "environment"]
        if any(e.attrs.get("protected") in (True, None) for e in envs):
            continue  # protected, or its protection was not collected (not assessed: see judge())
        env_names = [e.name for e in envs]
        gate = f"environment {env_names[0]!r} has no required reviewers" if env_names else "it uses no environment"
        message = f"CI job {node.name!r} can publish with no human approval: {gate}."
        where = envs[0].evidence if envs else node.evidence
        yield ctx.finding(
            RULE, node, message, ctx.evidence_path(node.id, reached), facts=[Fact(f"{node.name}: {gate}", where)]
        )


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """CI jobs (one that can publish is judged when whether its environments require a reviewer is known)
    and the resources whose publish starts a deploy."""
    inv = ctx.graph.inventory
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.IDENTITY or not node.subtype.endswith(":job"):
            continue
        if not ctx.reach.actions_reached(node.id) & _WRITE:
            yield node, None
            continue
        envs = [inv.node(e.dst) for e in ctx.graph.out_edges(node.id, EdgeKind.GRANTS)]
        envs = [e for e in envs if e.attrs.get("category") == "environment"]
        if any(e.attrs.get("protected") is True for e in envs):
            yield node, None
            continue
        unread = next((e for e in envs if e.attrs.get("protected") is None), None)
        if unread is None:
            yield node, None
        else:
            said = unread.attrs.get("unknown_why")  # the connector names the file that was not collected
            why = f": {said}" if isinstance(said, str) else " were not collected"
            yield node, missing("reviewers", unread, why=f"the protection rules of {unread.name}{why}")
    seen: set[str] = set()
    for edge in inv.edges():
        if edge.kind is EdgeKind.TRIGGERS and edge.src not in seen:
            seen.add(edge.src)
            yield inv.node(edge.src), None


RULE = Rule(
    id="RB05",
    title="Publishing or deploying without a required approval",
    severity=Severity.HIGH,
    remediation=(
        "Gate the release job behind a protected environment with required reviewers (GitHub "
        "environments, GitLab protected environments) or a manual approval stage before production."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="CI jobs and their environments' protection rules, and what a publish triggers",
)
