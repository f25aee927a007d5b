"""RB08 — no shared or reused credentials across pipelines or environments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import WRITE_ACTIONS, EdgeKind, NodeId, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext


def _repos_reading(ctx: RuleContext, secret: NodeId) -> set[str]:
    out = set()
    for e in ctx.graph.in_edges(secret, EdgeKind.CAN_READ_SECRET):
        job = ctx.graph.inventory.node(e.src)
        out.add(str(job.attrs.get("repo") or job.scope or job.id))
    return out


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Write credentials used by several repositories/pipelines, and one value stored in several places."""
    inv = ctx.graph.inventory
    by_fingerprint: dict[str, list[NodeId]] = defaultdict(list)
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.CREDENTIAL:
            continue
        if node.credential and node.credential.fingerprint:
            by_fingerprint[node.credential.fingerprint].append(node.id)
        if not ctx.reach.actions_reached(node.id) & WRITE_ACTIONS:
            continue
        users: set[str] = set()
        for e in ctx.graph.in_edges(node.id, EdgeKind.EXPOSES):
            users |= _repos_reading(ctx, e.src)
        if len(users) > 1:
            shown = ", ".join(sorted(users)[:5]) + (" …" if len(users) > 5 else "")
            message = f"Publish credential {node.name!r} is used by {len(users)} repositories or pipelines: {shown}."
            yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, WRITE_ACTIONS))
    for fp, ids in sorted(by_fingerprint.items()):
        if len(ids) < 2:
            continue
        first = inv.node(sorted(ids)[0])
        names = ", ".join(inv.node(i).name for i in sorted(ids)[:5])
        message = f"The same credential value is stored in {len(ids)} places: {names}."
        yield ctx.finding(RULE, first, message, qualifier=fp)


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Credentials: who reads each is in the graph, so each is judged."""
    for n in ctx.graph.nodes():
        if n.kind is NodeKind.CREDENTIAL:
            yield n, None


RULE = Rule(
    id="RB08",
    title="Credential shared across pipelines",
    severity=Severity.MEDIUM,
    remediation=(
        "Give every pipeline and environment its own, narrowly scoped credential (better: its own OIDC "
        "trust), and remove organisation-wide publish secrets."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="credentials and the CI secrets and pipelines that hold them",
)
