"""RB11 — third-party code cannot reach publish credentials."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import Action, EdgeKind, NodeId, NodeKind
from scanner.rules.base import Rule, RuleContext, count

_WRITE = frozenset({Action.PUBLISH, Action.PROMOTE, Action.ADMIN})


def _severity(ctx: RuleContext, third_party: NodeId, first_party: bool) -> Severity:
    """Critical when the code runs as a bystander in a job that can publish (it was handed no secret,
    yet can read them all: the LiteLLM/tj-actions pattern); high when it is only ever the step the
    secret is handed to. One step lower for GitHub's own actions."""
    bystander = False
    for e in ctx.graph.in_edges(third_party, EdgeKind.RUNS_CODE_OF):
        if ctx.reach.actions_reached(e.src) & _WRITE and not any(k == "receives_secret" for k, _ in e.conditions):
            bystander = True
            break
    levels = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM)
    return levels[(0 if bystander else 1) + (1 if first_party else 0)]


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Unpinned third-party code whose job can publish, and jobs on untrusted triggers that can publish."""
    for node in ctx.graph.nodes():
        if node.kind is NodeKind.THIRD_PARTY and node.attrs.get("pinned") is False:
            reached = ctx.reach.actions_reached(node.id) & _WRITE
            if not reached:
                continue
            ref = node.attrs.get("ref") or "a mutable reference"
            message = (
                f"{node.name!r} is not pinned to a digest (runs {ref}) and its code runs in a job "
                f"that can {'/'.join(sorted(a.value for a in reached))}: whoever can move that "
                "reference can publish."
            )
            sev = _severity(ctx, node.id, node.attrs.get("first_party_github") is True)
            yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, reached), severity=sev)
        elif node.kind is NodeKind.IDENTITY and node.attrs.get("untrusted_trigger") is True:
            reached = ctx.reach.actions_reached(node.id) & _WRITE
            if not reached:
                continue
            # Checking out the pull request's head runs an outsider's code beside the secrets (critical);
            # a job known not to do so is exposed only through expressions and downloads (high).
            checks_out = node.attrs.get("checks_out_untrusted")
            message = (
                f"CI job {node.name!r} runs on an untrusted trigger (pull_request_target/workflow_run)"
                + (" and checks out the pull request's code" if checks_out is True else "")
                + " and can reach publish rights."
            )
            sev = Severity.HIGH if checks_out is False else Severity.CRITICAL
            path = ctx.evidence_path(node.id, reached)
            yield ctx.finding(RULE, node, message, path, severity=sev, qualifier="trigger")


def applies(ctx: RuleContext) -> int:
    """Third-party code, and CI jobs whose triggers are known."""
    return count(
        ctx,
        lambda n: (
            n.kind is NodeKind.THIRD_PARTY
            or (n.kind is NodeKind.IDENTITY and n.attrs.get("untrusted_trigger") is not None)
        ),
    )


RULE = Rule(
    id="RB11",
    title="Third-party code runs beside publish credentials",
    severity=Severity.CRITICAL,
    remediation=(
        "Pin every action and image to a full commit SHA or digest, move scanners and other "
        "third-party steps out of the job that holds publish credentials, and publish with Trusted "
        "Publishing (OIDC) from a protected environment instead of a stored token."
    ),
    evaluate=evaluate,
    applies=applies,
)
