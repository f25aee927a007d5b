"""Who outside the repository can make a job run what they choose. Pure: no I/O.

An outsider (anyone who can open a pull request, an issue or a comment on a public repository)
controls a job when the job runs on an event they can cause with the repository's privileges (the
``ci_events`` knowledge table) and then either runs their code (checks out the pull request's head
and executes something from it), pastes their text into a shell (template injection: the first edge
of the Ultralytics 2024 and Nx 2025 compromises), or executes the artifacts of their run
(``workflow_run``). A job condition that admits only maintainers keeps them out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from connectors.ci.shell import commands
from connectors.github.actions import action_name
from connectors.github.composite import local_key
from connectors.github.refs import EXPR
from connectors.github.workflows import Step
from scanner.knowledge.ci_events import (
    artifact_downloads,
    gate,
    github_event,
    non_executing,
    runtime_gate,
    table,
    untrusted_context,
    untrusted_fetch,
    untrusted_refs,
)


@dataclass(frozen=True)
class Control:
    """One way an outsider controls a job."""

    via: str  # pr-head-checkout | injection | artifact
    event: str
    detail: str  # the expression, or what is checked out / downloaded
    step: int
    line: int | None

    @property
    def label(self) -> str:
        """How reports describe it."""
        what = {
            "pr-head-checkout": "runs the pull request's code",
            "injection": "injects",
            "artifact": "runs artifacts",
        }
        return f"{self.event}: {what.get(self.via, self.via)} {self.detail}".strip()


def outsider_events(triggers: Iterable[str], upstream_from_prs: bool | None) -> tuple[str, ...]:
    """The events among ``triggers`` by which an outsider starts a privileged run.

    ``upstream_from_prs`` says whether the workflows a ``workflow_run`` follows run on pull requests
    (None: unknown, taken as yes — an upstream workflow that was not found cannot be ruled out).
    """
    out: list[str] = []
    for t in triggers:
        ev = github_event(t)
        if ev is None or not ev.privileged:
            continue
        if ev.outsider is True or (ev.outsider == "depends" and upstream_from_prs is not False):
            out.append(t)
    return tuple(sorted(out))


def gated(condition: str | None) -> bool:
    """Whether an ``if:`` admits only maintainers (author association, a fixed actor, a label...)."""
    return bool(condition) and gate().search(condition or "") is not None


def _injections(text: str) -> list[str]:
    found: list[str] = []
    for expr in EXPR.findall(text):
        m = untrusted_context().search(expr)
        if m:
            found.append(m.group(0))
    return found


def checks_runtime_gate(step: Step) -> bool:
    """A step that checks the starter's permission and stops the run for others."""
    text = (step.run or "") + " " + step.with_.get("script", "")
    return runtime_gate().search(text) is not None


def _untrusted_value(value: str, by_id: Mapping[str, Step]) -> bool:
    """A value naming outsiders' code: directly, or through a step output whose step computes it from
    such a value (``haya14busa/action-cond`` choosing ``refs/pull/N/merge``)."""
    if untrusted_refs().search(value) or "head.repo" in value:
        return True
    for sid in re.findall(r"steps\.([\w-]+)\.outputs", value):
        src = by_id.get(sid)
        if src is not None and any(untrusted_refs().search(v) for v in (*src.with_.values(), src.run or "")):
            return True
    return False


def _checks_out_head(step: Step, by_id: Mapping[str, Step]) -> str | None:
    """What an untrusted checkout or fetch in this step names, or None."""
    if step.uses and action_name(step.uses) == "actions/checkout":
        for key in ("ref", "repository"):
            value = step.with_.get(key, "")
            if _untrusted_value(value, by_id):
                return f"actions/checkout {key}: {value.strip()}"
    run = step.run or ""
    fetches = any(w in run for w in ("checkout", "fetch", "pull", "gh pr"))
    if fetches and (untrusted_fetch().search(run) or untrusted_refs().search(run)):
        return "a fetch of the pull request's head"
    return None


def _executes(step: Step) -> bool:
    """A step that runs code from the workspace: a script, or a local action."""
    return bool(step.run) or (step.uses is not None and local_key(step.uses) is not None and step.uses.startswith("./"))


def _downloads_run_artifacts(step: Step) -> str | None:
    """Where a step unpacks the triggering run's artifacts (``.`` for the workspace), or None."""
    if step.uses is None:
        return None
    spec = artifact_downloads().get(action_name(step.uses))
    if spec is None:
        return None
    if spec.script_pattern:
        script = step.with_.get("script", "")
        if re.search(spec.script_pattern, script) is None:
            return None
        # a script that writes the zip somewhere and unzips it: into the workspace unless told otherwise
        return "." if not re.search(r"RUNNER_TEMP|runner\.temp|/tmp/", script) else "temp"
    if not any(step.with_.get(k) for k in spec.run_inputs):
        return None
    path = step.with_.get("path", "").strip().strip("'\"")
    return "." if path in ("", ".", "./", "${{ github.workspace }}") else path


def _runs_artifact(step: Step, where: str) -> bool:
    """Whether a step executes what an artifact put at ``where``: anything in the workspace when it was
    unpacked there, else a command that runs a file from that folder."""
    if where == ".":
        if step.run is not None:
            return any(not non_executing().search(c.text) for c in commands(step.run))
        return _executes(step)
    run = step.run or ""
    folder = re.escape(where.rstrip("/"))
    return re.search(rf"(?:bash|sh|source|\.|python\d*|node|chmod\s+\+x|eval)\s+[\"']?{folder}/", run) is not None


def controls(
    steps: Sequence[Step], events: tuple[str, ...], job_if: str | None, gated_before: bool = False
) -> tuple[list[Control], bool]:
    """The ways an outsider controls a job on ``events``, and whether the job's condition gates them out.

    In a private repository the "outsiders" are everyone with read access (they can fork it and open
    pull requests or comments): fewer people, the same escalation to the job's write rights.
    """
    if not events:
        return [], False
    if gated(job_if) or gated_before:
        return [], True
    event = events[0] if len(events) == 1 else "/".join(events)
    found: list[Control] = []
    checked_out: str | None = None
    downloaded: str | None = None
    head_events = [e for e in events if (row := github_event(e)) is not None and row.head_code]
    by_id = {s.id: s for s in steps if s.id}
    for s in steps:
        if gated(s.if_):
            continue
        if checks_runtime_gate(s) and not found:
            return [], True  # the job checks the starter's permission before it acts
        if checked_out is not None and _executes(s):
            found.append(Control("pr-head-checkout", "/".join(head_events) or event, checked_out, s.index, s.line))
            checked_out = None  # one edge per checkout
        if downloaded is not None and _runs_artifact(s, downloaded):
            found.append(Control("artifact", "workflow_run", "artifacts of the triggering run", s.index, s.line))
            downloaded = None
        texts = [s.run or ""]
        if s.uses and action_name(s.uses) == "actions/github-script":
            texts.append(s.with_.get("script", ""))
        for text in texts:
            for expr in _injections(text):
                found.append(Control("injection", event, expr, s.index, s.line))
        if head_events and (what := _checks_out_head(s, by_id)) is not None:
            checked_out = what
        if "workflow_run" in events and (where := _downloads_run_artifacts(s)) is not None:
            downloaded = where
    return found, False


def starter_injections(steps: Sequence[Step], inputs: Mapping[str, str]) -> list[tuple[str, int, int | None]]:
    """Free-text ``workflow_dispatch``/``workflow_call`` inputs pasted into a shell: (input, step, line).
    Typed inputs (choice, boolean, number, environment) carry no text and are not reported."""
    typed = set(table().typed_input_types)
    free = {n for n, t in inputs.items() if t not in typed}
    out: list[tuple[str, int, int | None]] = []
    if not free:
        return out
    for s in steps:
        for expr in EXPR.findall(s.run or ""):
            for m in re.finditer(
                r"\b(?:github\.event\.)?inputs\s*(?:\.\s*([\w-]+)|\[\s*['\"]([\w-]+)['\"]\s*\])", expr
            ):
                name = m.group(1) or m.group(2)
                if name in free:
                    out.append((name, s.index, s.line))
    return out
