"""RB09 — identities are offboarded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from scanner.findings import Finding, Severity
from scanner.model import EdgeKind, Lifetime, NodeKind
from scanner.rules.base import Judgement, Missing, Rule, RuleContext, missing, recorded_elsewhere


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
                    how = " (the last run of a workflow that reads it)" if node.attrs.get("use_from") else ""
                    message = f"{node.name!r} was last used {info.last_used.date().isoformat()} ({idle} days ago){how}."
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
            elif isinstance(unused := node.attrs.get("unused_since"), str):
                since = datetime.fromisoformat(unused)
                since = since if since.tzinfo is not None else since.replace(tzinfo=ctx.now.tzinfo)
                idle = (ctx.now - since).days
                # ">=": the run history is collected for as many days as the limit (90) by default, so a
                # window with no run at all is as long as the limit, never longer.
                if idle >= limit:
                    message = (
                        f"{node.name!r} is held for workflows none of which has run since {since.date().isoformat()} "
                        f"({idle} days of run history collected): unused."
                    )
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


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Standing credentials (judged when their last use and, for a token acting as a person, its owner are
    known) and identities whose enabled state is known."""
    for n in ctx.graph.nodes():
        if n.kind is NodeKind.IDENTITY and n.attrs.get("disabled") is not None:
            yield n, None
            continue
        info = n.credential
        if n.kind is not NodeKind.CREDENTIAL or info is None or info.lifetime is not Lifetime.STATIC:
            continue
        runs_unread = n.attrs.get("runs_unread")
        if "owner" in n.attrs and n.attrs.get("owner") is None:
            yield n, missing("owner", n)
        elif isinstance(runs_unread, tuple) and info.last_used is None:
            # Used when a workflow that reads its secret runs: the run history judges it once collected.
            files = ", ".join(runs_unread)
            yield (
                n,
                Missing(f"when it was last used: {files} not collected (the runs of the workflows that read it)", True),
            )
        elif (
            n.attrs.get("active") is False
            or info.last_used is not None
            or "never_used" in n.attrs
            or "unused_since" in n.attrs
            or recorded_elsewhere(ctx, n, "last_used")
        ):
            yield n, None
        else:
            yield n, missing("last_used", n)


RULE = Rule(
    id="RB09",
    title="Unused or orphaned non-human identity",
    severity=Severity.MEDIUM,
    remediation=(
        "Revoke credentials unused for more than 90 days, delete identities that no pipeline uses, and "
        "revoke the credentials of disabled identities."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="credentials with their last use and owner, and identities with their enabled state",
)
