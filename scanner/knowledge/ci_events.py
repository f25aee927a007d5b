"""The CI events table (``ci_events.yaml``): which events outsiders can cause, with which input."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from scanner.knowledge import read_table


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(_Row):
    """One GitHub Actions event."""

    outsider: bool | Literal["depends"]
    privileged: bool
    head_code: bool = False
    #: A maintainer's command starts it (a comment), not the code it then checks out: gates admit the commander.
    command: bool = False


class UntrustedContext(_Row):
    """Expressions an outsider controls on some events."""

    events: tuple[str, ...]
    pattern: str


class ArtifactDownload(_Row):
    """An action that downloads a triggering run's artifacts."""

    uses: str
    run_inputs: tuple[str, ...] = ()
    script_pattern: str = ""
    #: From release ``forks_skipped_from`` (major version) on, a search for the run (no input of
    #: ``run_picked_by`` given) skips runs whose head is a fork unless ``forks_input`` is true: an
    #: outsider's pull request never supplies the artifact.
    forks_input: str = ""
    forks_skipped_from: int = 0
    run_picked_by: tuple[str, ...] = ()
    #: With ``pattern_input`` true (and ``merge_input`` not), the artifacts whose names match the pattern in
    #: ``name_input`` each land in a folder named for the artifact under ``path``, not in ``path`` itself.
    name_input: str = ""
    pattern_input: str = ""
    merge_input: str = ""


class AgentAction(_Row):
    """An AI agent action: what it is told to do, and who may start it."""

    uses: str
    prompt_inputs: tuple[str, ...]
    #: Set, the action admits actors without write access (who it names, or `*`); unset, it checks that the
    #: actor can write and stops otherwise.
    admits_input: str = ""
    #: The values of ``admits_input`` that admit anyone (empty: any value does).
    admits_values: tuple[str, ...] = ()
    #: The action checks the starter whatever its inputs say (or has no such check at all: False).
    checks_starter: bool = True

    def admits(self, inputs: Mapping[str, str]) -> bool:
        """Whether, with ``inputs``, the action runs for starters without write access."""
        if not self.checks_starter:
            return True
        value = inputs.get(self.admits_input, "").strip().strip("'\"") if self.admits_input else ""
        if not value:
            return False
        return not self.admits_values or value.lower() in self.admits_values


class PullRequestLookup(_Row):
    """An action that looks up the pull request a comment belongs to: which outputs name its head."""

    uses: str
    #: Outputs naming the head commit (the author's code as last pushed, from any fork).
    code: tuple[str, ...] = ()
    #: Outputs naming the head branch (text the author chose).
    text: tuple[str, ...] = ()


class RuntimeGateAction(_Row):
    """An action that fails the job unless its starter holds the permission named in ``input``."""

    uses: str
    input: str


class _Table(_Row):
    github_events: dict[str, Event]
    untrusted_contexts: tuple[UntrustedContext, ...]
    untrusted_output_actions: tuple[str, ...]
    untrusted_step_text: str
    untrusted_step_code: str
    typed_input_types: tuple[str, ...]
    gates: tuple[str, ...]
    gates_until_pushed: tuple[str, ...] = ()
    origin_gates: str = "(?!)"
    pull_request_refs: str = "(?!)"
    pull_request_checkouts: tuple[str, ...] = ()
    pull_request_lookups: tuple[PullRequestLookup, ...] = ()
    runtime_gates: str
    runtime_gate_actions: tuple[RuntimeGateAction, ...] = ()
    untrusted_refs: str
    untrusted_fetch: str
    non_executing_actions: str
    non_executing: str
    artifact_downloads: tuple[ArtifactDownload, ...]
    agent_actions: tuple[AgentAction, ...] = ()
    agent_commands: str = "(?!)"


@cache
def table() -> _Table:
    """The validated table."""
    t = _Table.model_validate(read_table("ci_events.yaml"))
    patterns = (
        *(c.pattern for c in t.untrusted_contexts),
        *t.gates,
        *t.gates_until_pushed,
        t.runtime_gates,
        t.untrusted_refs,
        t.origin_gates,
        t.pull_request_refs,
    )
    for rx in (*patterns, t.untrusted_fetch, t.untrusted_step_text, t.untrusted_step_code, t.non_executing_actions):
        re.compile(rx)
    return t


def github_event(name: str) -> Event | None:
    """The row of a GitHub event, or None for events outsiders cannot cause."""
    return table().github_events.get(name)


@cache
def untrusted_context(events: tuple[str, ...]) -> re.Pattern[str] | None:
    """Matches an expression an outsider controls on any of ``events`` (None: no such expression)."""
    rows = [c.pattern for c in table().untrusted_contexts if set(c.events) & set(events)]
    return re.compile("|".join(f"(?:{p})" for p in rows)) if rows else None


@cache
def origin_gate() -> re.Pattern[str]:
    """Matches a condition on where a pull request's code comes from (its head is this repository's branch)."""
    return re.compile(table().origin_gates)


@cache
def pull_request_ref() -> re.Pattern[str]:
    """Matches a checkout that names the pull request itself (its code as its author last pushed it)."""
    return re.compile(table().pull_request_refs)


@cache
def runtime_gate_action(name: str) -> RuntimeGateAction | None:
    """The row of an action (lower-case ``owner/repo``) that stops the job for starters without a permission."""
    return next((r for r in table().runtime_gate_actions if r.uses.lower() == name), None)


@cache
def pull_request_checkouts() -> frozenset[str]:
    """Actions (lower-case ``uses:`` path, no version) that check the pull request's head out themselves."""
    return frozenset(a.lower() for a in table().pull_request_checkouts)


@cache
def pull_request_lookup(uses_path: str) -> PullRequestLookup | None:
    """The row of an action (lower-case ``uses:`` path, no version) that looks up a comment's pull request."""
    return next((r for r in table().pull_request_lookups if r.uses.lower() == uses_path), None)


@cache
def untrusted_output_actions() -> frozenset[str]:
    """Actions (lower-case ``owner/repo``) whose outputs repeat outsider text."""
    return frozenset(a.lower() for a in table().untrusted_output_actions)


@cache
def untrusted_step_text() -> re.Pattern[str]:
    """A script that reads outsider text through the API."""
    return re.compile(table().untrusted_step_text)


@cache
def untrusted_step_code() -> re.Pattern[str]:
    """A script that names outsider code (a head SHA, a pull request ref)."""
    return re.compile(table().untrusted_step_code)


@cache
def non_executing_actions() -> re.Pattern[str]:
    """Actions that run nothing from the workspace."""
    return re.compile(table().non_executing_actions, re.IGNORECASE)


@cache
def gate(lasting: bool = False) -> re.Pattern[str]:
    """Matches a condition that keeps outsiders out; ``lasting``: only those that still hold after the
    pull request's author pushes new commits (not a label a maintainer put on it, which stays)."""
    t = table()
    return re.compile("|".join(f"(?:{p})" for p in (t.gates if lasting else (*t.gates, *t.gates_until_pushed))))


@cache
def runtime_gate() -> re.Pattern[str]:
    """Matches a step that checks the starter's permission at run time."""
    return re.compile(table().runtime_gates)


@cache
def untrusted_refs() -> re.Pattern[str]:
    """Matches an expression that names code an outsider wrote."""
    return re.compile(table().untrusted_refs)


@cache
def untrusted_fetch() -> re.Pattern[str]:
    """Matches a shell command that fetches code an outsider wrote."""
    return re.compile(table().untrusted_fetch)


@cache
def non_executing() -> re.Pattern[str]:
    """Matches a command that executes no file it reads."""
    return re.compile(table().non_executing)


@cache
def artifact_downloads() -> dict[str, ArtifactDownload]:
    """Artifact-downloading actions by lower-case ``owner/repo``."""
    return {a.uses.lower(): a for a in table().artifact_downloads}


@cache
def agent_actions() -> dict[str, AgentAction]:
    """AI agent actions by lower-case ``owner/repo``."""
    return {a.uses.lower(): a for a in table().agent_actions}


@cache
def agent_commands() -> re.Pattern[str]:
    """Commands that run an AI agent on what they are given."""
    return re.compile(table().agent_commands)
