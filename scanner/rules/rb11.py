"""RB11 — third-party code cannot reach publish credentials.

One finding per (job that can publish, code it runs that someone else controls), located at the line
of the job that runs it (its ``uses:``, or the step where outsiders' input gets in), so the reports —
and SARIF on code scanning — point at the line to change. The subject is the third party (the
action, image or "outsiders of this repository"), so the HTML groups the jobs one action runs beside.
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Fact, Finding, PathStep, Severity
from scanner.model import Action, Edge, EdgeKind, Node, NodeId, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext, missing, unknown

_WRITE = frozenset({Action.PUBLISH, Action.PROMOTE, Action.ADMIN})
_LEVELS = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def _is_job(node: Node) -> bool:
    return node.kind is NodeKind.IDENTITY and node.subtype.endswith(":job")


def _path(ctx: RuleContext, edge: Edge, reached: frozenset[Action]) -> list[PathStep]:
    """The third party → the job that runs it → the job's shortest path to what it can write."""
    first = PathStep(src=edge.dst, dst=edge.src, kind=EdgeKind.RUNS_CODE_OF, via=edge.via)
    return [first, *ctx.evidence_path(edge.src, reached)]


def _inferred(ctx: RuleContext, job: Node, writes: frozenset[Action]) -> bool:
    """Whether the job's path to what it can write runs over an inferred edge (a probable publish or a
    credential held by its name)."""
    for step in ctx.evidence_path(job.id, writes):
        for e in ctx.graph.out_edges(step.src, step.kind):
            if e.dst == step.dst and dict(e.conditions).get("confidence") in ("probable", "held"):
                return True
    return False


def _public(ctx: RuleContext, job: Node) -> list[Fact]:
    """That the job's repository is public, when it is: its Actions logs are public, so whatever a step
    prints — a secret, as the tj-actions payload printed them — anyone can read."""
    repo = job.attrs.get("repo")
    node = ctx.graph.inventory.get(NodeId(f"{job.provider}:repo:{repo}")) if isinstance(repo, str) else None
    if node is None or node.attrs.get("private") is not False:
        return []
    return [Fact(f"repository {node.name} is public: its Actions logs are public too", node.evidence)]


def _outsider(ctx: RuleContext, job: Node, edge: Edge, tp: Node) -> Finding:
    cond = dict(edge.conditions)
    reached = ctx.reach.actions_reached(job.id)
    writes = reached & _WRITE
    if writes:
        level = 0
    elif Action.DEPLOY in reached or job.attrs.get("contents_write") or job.attrs.get("actions_write"):
        level = 1
    elif ctx.graph.out_edges(job.id, EdgeKind.CAN_READ_SECRET):
        level = 2
    else:
        level = 3
    how = {
        "pr-head-checkout": "checks out and runs the pull request's code",
        "injection": f"pastes ${{{{ {cond.get('detail', '')} }}}} into a script",
        "artifact": "runs the artifacts of the run that triggered it",
    }.get(cond.get("outsider", ""), edge.via)
    can = f"and can {'/'.join(sorted(a.value for a in writes))}" if writes else "with the job's token and secrets"
    message = (
        f"Outsiders ({cond.get('audience', 'anyone')}) control CI job {job.name!r}: on "
        f"{cond.get('trigger', 'an outsider trigger')} it {how}, {can}."
    )
    return ctx.finding(
        RULE,
        tp,
        message,
        _path(ctx, edge, writes or reached),
        severity=_LEVELS[level],
        qualifier=f"{job.id}#{cond.get('outsider', '')}#{cond.get('detail', '')}",
        location=edge.evidence[0] if edge.evidence else None,
        facts=[
            Fact(
                f"trigger: {cond.get('trigger', 'an outsider trigger')} ({cond.get('audience', 'anyone')})",
                job.evidence,
            ),
            *([Fact(f"expression: ${{{{ {cond['detail']} }}}}", edge.evidence)] if cond.get("detail") else []),
            Fact(f"how they get in: {how}", edge.evidence),
            *_public(ctx, job),
        ],
    )


def _unpinned(ctx: RuleContext, job: Node, edge: Edge, tp: Node, writes: frozenset[Action]) -> Finding:
    # Critical when the code runs as a bystander (handed no secret, yet able to read them all: the
    # LiteLLM/tj-actions pattern); high when it is the step the secret is handed to. One step lower for
    # GitHub's own actions, and one lower again when the publish right was only inferred.
    bystander = not any(k == "receives_secret" for k, _ in edge.conditions)
    level = (0 if bystander else 1) + (1 if tp.attrs.get("first_party_github") is True else 0)
    inferred = _inferred(ctx, job, writes)
    level = min(level + (1 if inferred else 0), 3)
    ref = tp.attrs.get("ref") or "a mutable reference"
    role = "beside the job's secrets" if bystander else "and is handed its secret"
    message = (
        f"{tp.name!r} is not pinned to a digest (runs {ref}) {role} in CI job {job.name!r}, which can "
        f"{'/'.join(sorted(a.value for a in writes))}"
        + (" (inferred)" if inferred else "")
        + ": whoever can move that reference can publish."
    )
    return ctx.finding(
        RULE,
        tp,
        message,
        _path(ctx, edge, writes),
        severity=_LEVELS[level],
        qualifier=job.id,
        location=edge.evidence[0] if edge.evidence else None,
        facts=[
            Fact(f"{tp.name} runs {ref}, which whoever controls {tp.name.split('@', 1)[0]} can move", edge.evidence),
            Fact(
                "it is handed the job's secret"
                if not bystander
                else "it is handed no secret, but runs in the job "
                "that holds them (every step can read the job's environment and files)",
                edge.evidence,
            ),
            *_public(ctx, job),
        ],
    )


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Per job: outsiders who control it, and unpinned third-party code beside its publish rights."""
    inv = ctx.graph.inventory
    for job in ctx.graph.nodes():
        if not _is_job(job):
            continue
        writes = ctx.reach.actions_reached(job.id) & _WRITE
        controlled = False
        for edge in ctx.graph.out_edges(job.id, EdgeKind.RUNS_CODE_OF):
            tp = inv.node(edge.dst)
            if tp.kind is not NodeKind.THIRD_PARTY:
                continue
            if "outsider" in dict(edge.conditions):
                controlled = True
                yield _outsider(ctx, job, edge, tp)
            elif writes and tp.attrs.get("pinned") is False:
                yield _unpinned(ctx, job, edge, tp, writes)
        if writes and not controlled and job.attrs.get("untrusted_trigger") is True:
            # Outsiders start it with publish rights in reach, though no way in was found.
            events = job.attrs.get("outsider_events")
            named = ", ".join(events) if isinstance(events, tuple) else "an outsider trigger"
            message = (
                f"CI job {job.name!r} runs on a trigger outsiders can cause ({named}) and can reach publish "
                "rights; no step was found that runs their code or input, but any added later would."
            )
            path = ctx.evidence_path(job.id, writes)
            yield ctx.finding(RULE, job, message, path, severity=Severity.MEDIUM, qualifier="trigger")


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Third-party code (its pin is read from the reference that runs it), and CI jobs whose triggers are
    known."""
    for n in ctx.graph.nodes():
        if n.kind is NodeKind.THIRD_PARTY:
            yield n, None
        elif n.kind is NodeKind.IDENTITY and n.attrs.get("untrusted_trigger") is not None:
            yield n, None if not unknown(n, "steps") else missing("steps", n)


RULE = Rule(
    id="RB11",
    title="Third-party code runs beside publish credentials",
    severity=Severity.CRITICAL,
    remediation=(
        "Pin every action and image to a full commit SHA or digest, move scanners and other "
        "third-party steps out of the job that holds publish credentials, never paste event fields "
        "into scripts (pass them through env: and quote them), keep pull_request_target and comment "
        "triggers away from the pull request's code, and publish with Trusted Publishing (OIDC) from "
        "a protected environment instead of a stored token."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="CI pipeline files (GitHub workflows, .gitlab-ci.yml) and the third-party code their jobs run",
)
