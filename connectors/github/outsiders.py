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

from connectors.github.actions import action_name
from connectors.github.composite import local_key
from connectors.github.refs import EXPR
from connectors.github.workflows import Step
from scanner.knowledge.ci_events import (
    artifact_downloads,
    gate,
    github_event,
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


def _checks_out_head(step: Step) -> str | None:
    """What an untrusted checkout or fetch in this step names, or None."""
    if step.uses and action_name(step.uses) == "actions/checkout":
        for key in ("ref", "repository"):
            value = step.with_.get(key, "")
            if untrusted_refs().search(value) or ("head.repo" in value):
                return f"actions/checkout {key}: {value.strip()}"
    run = step.run or ""
    fetches = any(w in run for w in ("checkout", "fetch", "pull", "gh pr"))
    if fetches and (untrusted_fetch().search(run) or untrusted_refs().search(run)):
        return "a fetch of the pull request's head"
    return None


def _executes(step: Step) -> bool:
    """A step that runs code from the workspace: a script, or a local action."""
    return bool(step.run) or (step.uses is not None and local_key(step.uses) is not None and step.uses.startswith("./"))


def _downloads_run_artifacts(step: Step) -> bool:
    if step.uses is None:
        return False
    spec = artifact_downloads().get(action_name(step.uses))
    if spec is None:
        return False
    if spec.script_pattern:
        return re.search(spec.script_pattern, step.with_.get("script", "")) is not None
    return any(step.with_.get(k) for k in spec.run_inputs)


def controls(steps: Sequence[Step], events: tuple[str, ...], job_if: str | None) -> tuple[list[Control], bool]:
    """The ways an outsider controls a job on ``events``, and whether the job's condition gates them out.

    In a private repository the "outsiders" are everyone with read access (they can fork it and open
    pull requests or comments): fewer people, the same escalation to the job's write rights.
    """
    if not events:
        return [], False
    if gated(job_if):
        return [], True
    event = events[0] if len(events) == 1 else "/".join(events)
    found: list[Control] = []
    checked_out: str | None = None
    downloaded = False
    head_events = [e for e in events if (row := github_event(e)) is not None and row.head_code]
    for s in steps:
        if gated(s.if_):
            continue
        if checked_out is not None and _executes(s):
            found.append(Control("pr-head-checkout", "/".join(head_events) or event, checked_out, s.index, s.line))
            checked_out = None  # one edge per checkout
        if downloaded and s.run:
            found.append(Control("artifact", "workflow_run", "artifacts of the triggering run", s.index, s.line))
            downloaded = False
        texts = [s.run or ""]
        if s.uses and action_name(s.uses) == "actions/github-script":
            texts.append(s.with_.get("script", ""))
        for text in texts:
            for expr in _injections(text):
                found.append(Control("injection", event, expr, s.index, s.line))
        if head_events and (what := _checks_out_head(s)) is not None:
            checked_out = what
        if "workflow_run" in events and _downloads_run_artifacts(s):
            downloaded = True
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
