"""Who outside the repository can make a job run what they choose. Pure: no I/O.

An outsider (anyone who can open a pull request, an issue or a comment on a public repository; in a
private one, anyone with read access) controls a job when the job runs on an event they can cause with
the repository's privileges (the ``ci_events`` knowledge table) and then either runs their code (checks
out the pull request's head and executes something there), pastes their text into a script (template
injection: the first edge of the Ultralytics 2024 and Nx 2025 compromises), or executes the artifacts of
their run (``workflow_run``). Outsider text and code also travel: through a step's outputs (an action
that lists a pull request's files, a script that reads the pull request through the API), through a job's
outputs to the jobs that need it, through ``env``. A condition or a check that admits only maintainers
keeps them out, unless the check itself can be injected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from connectors.ci.shell import STEP_OUTPUT, commands
from connectors.github.actions import action_name
from connectors.github.composite import local_key
from connectors.github.refs import EXPR
from connectors.github.workflows import Step
from scanner.knowledge.ci_events import (
    agent_actions,
    agent_commands,
    artifact_downloads,
    gate,
    github_event,
    non_executing,
    non_executing_actions,
    origin_gate,
    pull_request_checkouts,
    pull_request_lookup,
    pull_request_ref,
    runtime_gate,
    runtime_gate_action,
    table,
    untrusted_context,
    untrusted_output_actions,
    untrusted_refs,
    untrusted_step_code,
    untrusted_step_text,
)

TEXT, CODE, ARTIFACT = "text", "code", "artifact"
_STEP_OUT = re.compile(r"\bsteps\s*\.\s*([\w-]+)\s*\.\s*outputs\b(?:\s*\.\s*([\w-]+))?")
#: Outputs whose names say they hold an id, a number, a SHA or a flag: no text an outsider can shape.
_NO_TEXT_OUTPUT = re.compile(
    r"(?:^|[-_])(?:id|ids|number|num|count|sha|digest|conclusion|status|exists|found|changed|any_changed|"
    r"any_modified|any_deleted|result_code|exit_code|should[-_]\w+|is[-_]\w+)$",
    re.IGNORECASE,
)
_NEEDS_OUT = re.compile(r"\bneeds\s*\.\s*([\w-]+)\s*\.\s*outputs\b(?:\s*\.\s*([\w-]+))?")
_ENV_REF = re.compile(r"\benv\s*\.\s*([A-Za-z_]\w*)")


@dataclass(frozen=True)
class _NamedFolders:
    """Where a download puts each artifact: a folder named for it under ``base``, whose name ``pattern`` matches."""

    base: str
    pattern: str


#: A command that runs a file (the folder it is in follows): `bash x/run.sh`, `python x/y.py`, `chmod +x x/tool`.
_RUNS_FILE = r"(?:bash|sh|source|\.|python\d*|node|chmod\s+\+x|eval)\s+[\"']?"
#: Inputs that hand an action a file to read (its outputs then repeat what the file says).
_FILE_INPUTS = frozenset({"path", "file", "filename", "file-path", "file_path", "json-file", "json_file", "input-file"})
#: A variable a github-script exports by name (`core.exportVariable('PR_NUMBER', claimed)`).
_SCRIPT_EXPORT = re.compile(r"""core\.exportVariable\(\s*[`'"]([A-Za-z_]\w*)[`'"]""")
#: A variable a script line exports by name (`echo "PR=$n" >> "$GITHUB_ENV"`, `printf 'X=%s\n' … >> $GITHUB_ENV`).
_VISIBLE_EXPORT = re.compile(r"""\b([A-Za-z_]\w*)=[^\n]*?>>\s*["']?\$\{?GITHUB_ENV""")
_GIT_CHECKOUT = re.compile(
    r"^git\s+(?:checkout|switch|merge|pull|reset\s+--hard|rebase)\b|^(?:gh|hub)\s+pr\s+checkout\b"
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


def outsider_events(triggers: Iterable[str], upstream_outsider: bool | None) -> tuple[str, ...]:
    """The events among ``triggers`` by which an outsider starts a privileged run.

    ``upstream_outsider`` says whether the workflows a ``workflow_run`` follows can be started by
    outsiders (None: unknown, taken as yes — an upstream workflow that was not found cannot be ruled out).
    """
    out: list[str] = []
    for t in triggers:
        ev = github_event(t)
        if ev is None or not ev.privileged:
            continue
        if ev.outsider is True or (ev.outsider == "depends" and upstream_outsider is not False):
            out.append(t)
    return tuple(sorted(out))


def _or_alternatives(condition: str) -> list[str]:
    """The top-level alternatives of an ``if:`` (split at `||` outside parentheses and quotes)."""
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    alternatives, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and text.startswith("||", i):
            alternatives.append(text[start:i])
            start = i + 2
    alternatives.append(text[start:])
    return alternatives


_EVENT_IS = re.compile(r"github\.event_name\s*==\s*['\"]([\w-]+)['\"]")


def _other_events_only(alternative: str, events: tuple[str, ...]) -> bool:
    """An alternative that requires ``github.event_name == 'X'`` for events X outsiders cannot cause (a
    negation anywhere in it may turn its test around: not read)."""
    named = _EVENT_IS.findall(alternative)
    return bool(named) and "!" not in alternative.replace("!=", "") and all(e not in events for e in named)


def gated(condition: str | None, events: tuple[str, ...] = (), new_commits: bool = False) -> bool:
    """Whether an ``if:`` admits only maintainers (author association, a fixed actor, a label...): every
    top-level alternative holds a gate or runs only on events outsiders cannot cause. gemini-cli's
    `github.event_name == 'issues' || (… author_association …)` admits anyone who opens an issue.
    ``new_commits``: the author's pushes run it again, so a label on the pull request is no gate."""
    rx = gate(lasting=new_commits)
    if not condition or rx.search(condition) is None:
        return False
    return all(rx.search(a) is not None or _other_events_only(a, events) for a in _or_alternatives(condition))


def never_runs(condition: str | None) -> bool:
    """Whether an ``if:`` is the literal ``false`` (``if: false``, ``if: ${{ false }}``): a switched-off job
    or step runs on no event (vscode-icons' disabled Code Climate job)."""
    if not condition:
        return False
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    return text.lower() == "false"


def runs_only_on_other_events(condition: str | None, events: tuple[str, ...]) -> bool:
    """Whether an ``if:`` lets the step or job run only on events other than ``events``: each of its
    top-level alternatives requires ``github.event_name == 'X'`` for such an X (Kong's
    `github.event_name == 'push' && (startsWith(github.ref, …) || …)`)."""
    if not condition or "event_name" not in condition:
        return False
    return all(_other_events_only(a, events) for a in _or_alternatives(condition))


def checks_runtime_gate(step: Step) -> bool:
    """A step that checks the starter's permission (and stops the run, or says no, for others)."""
    if step.uses and (row := runtime_gate_action(action_name(step.uses))) is not None:
        return bool(step.with_.get(row.input, "").strip())
    text = (step.run or "") + " " + step.with_.get("script", "")
    return runtime_gate().search(text) is not None


@dataclass
class JobFacts:
    """One job as the workflow-level analysis needs it."""

    id: str
    steps: Sequence[Step]
    job_if: str | None
    needs: tuple[str, ...]
    outputs: Mapping[str, str]
    env: Mapping[str, str]
    #: A push to the pull request runs it again (see :attr:`Workflow.runs_on_new_commits`).
    new_commits: bool = False


@dataclass
class Verdict:
    """The outsiders' hold on one job."""

    controls: list[Control] = field(default_factory=list)
    gated: bool = False
    output_taint: frozenset[str] = frozenset()  # what its outputs carry (TEXT, CODE, ARTIFACT)
    #: Names of the artifacts it (or a job it needs) uploaded after checking out outsiders' code ("*": any name).
    untrusted_artifacts: frozenset[str] = frozenset()
    #: Gated only by a check of the starter's permission (a step or a job it needs): that binds who started the run,
    #: not what the triggering run's artifact says.
    starter_checked: bool = False


class _Taint:
    """Which values an outsider chooses in one job: event fields, tainted step and job outputs, env."""

    def __init__(self, events: tuple[str, ...], jobs: Mapping[str, frozenset[str]], env: Mapping[str, str]) -> None:
        self.context = untrusted_context(events)
        self.jobs = jobs
        self.env = env
        self.steps: dict[str, frozenset[str]] = {}
        #: Variables the workflow names itself: set in an `env:` block or exported by a visible line
        #: (`echo "X=…" >> $GITHUB_ENV`); filled in by :meth:`declare`.
        self.declared: set[str] = set(env)
        #: A script ran after the triggering run's artifact was unpacked: a variable the workflow does not
        #: name (`${{ env.PR_NUMBER }}`) was exported by such a script, from what it read there.
        self.hidden_env = False
        #: Single outputs of steps that looked up the comment's pull request (`pull_request_lookups`), by
        #: (step id, output): what each carries; and those naming its head commit.
        self.outputs: dict[tuple[str, str], frozenset[str]] = {}
        self.head_commits: set[tuple[str, str]] = set()
        #: Outputs a script wrote whose value is known exactly (:func:`_exact_outputs`): what each carries, in place
        #: of what its step carries as a whole.
        self.exact: dict[tuple[str, str], frozenset[str]] = {}

    def declare(self, steps: Sequence[Step]) -> None:
        """Note the variables the job's steps name themselves (see :attr:`declared`)."""
        for s in steps:
            self.declared.update(s.env)
            self.declared.update(_VISIBLE_EXPORT.findall(s.run or ""))
            self.declared.update(_SCRIPT_EXPORT.findall(s.with_.get("script", "") if s.uses else ""))

    def of(self, text: str, depth: int = 0) -> frozenset[str]:
        """What the expressions in ``text`` carry."""
        kinds: set[str] = set()
        for expr in EXPR.findall(text):
            expr = _same_repository_choice(expr)
            if self.context is not None and self.context.search(expr):
                kinds |= {TEXT, CODE}
            for sid, output in _STEP_OUT.findall(expr):
                if output and (sid, output) in self.exact:
                    kinds |= self.exact[(sid, output)]
                    continue
                kinds |= self.outputs.get((sid, output), frozenset()) if output else self._all_outputs(sid)
                carried = self.steps.get(sid, frozenset())
                if output and _NO_TEXT_OUTPUT.search(output) and ARTIFACT not in carried:
                    # (`pr_number` read from an artifact is whatever the artifact's maker wrote)
                    carried = carried - {TEXT}
                kinds |= carried
            for jid, output in _NEEDS_OUT.findall(expr):
                carried = self.jobs.get(jid, frozenset())
                if output and _NO_TEXT_OUTPUT.search(output) and ARTIFACT not in carried:
                    carried = carried - {TEXT}  # (KEDA's `needs.triage.outputs.pr_num`, `…commit_sha`)
                kinds |= carried
            for name in _ENV_REF.findall(expr):
                if depth < 3 and name in self.env:
                    kinds |= self.of(self.env[name], depth + 1)
                elif self.hidden_env and name not in self.declared and not name.startswith(("GITHUB_", "RUNNER_")):
                    # yew's size comment: `python3 ci/make_example_size_cmt.py` reads the pull request's artifact
                    # and exports PR_NUMBER, pasted as `issue_number: ${{ env.PR_NUMBER }}` into a script
                    kinds |= {TEXT, ARTIFACT}
            if untrusted_refs().search(expr):
                kinds.add(CODE)
        return frozenset(kinds)

    def _all_outputs(self, sid: str) -> frozenset[str]:
        """What a step's outputs carry together (`toJSON(steps.x.outputs)`)."""
        return frozenset().union(*(k for (step, _), k in self.outputs.items() if step == sid))

    def names_head_commit(self, text: str) -> bool:
        """Whether ``text`` pastes an output that names the pull request's head commit as looked up by a step."""
        return any((sid, out) in self.head_commits for e in EXPR.findall(text) for sid, out in _STEP_OUT.findall(e))

    def injected(self, text: str) -> list[str]:
        """The expressions of ``text`` that paste outsider text."""
        return [e.strip() for e in EXPR.findall(text) if TEXT in self.of("${{" + e + "}}")]

    def learn(self, s: Step, after_checkout: bool = False, artifact_here: bool = False) -> None:
        """Record what step ``s``'s outputs carry (``after_checkout``: the workspace holds outsiders'
        files, so whatever a step reports from it is theirs to shape; ``artifact_here``: the triggering
        run's artifact was unpacked into it, likewise)."""
        if artifact_here and s.run and _executes(s):
            self.hidden_env = True
        if not s.id:
            return
        kinds: set[str] = {TEXT} if after_checkout else set()
        if artifact_here:
            kinds |= {TEXT, ARTIFACT}
        if s.uses and action_name(s.uses) in untrusted_output_actions() and self.context is not None:
            kinds |= {TEXT, CODE}
        if s.uses and self.context is not None and (row := pull_request_lookup(_uses_path(s.uses))) is not None:
            # xt0rted/pull-request-comment-branch: `head_sha` is the author's commit, `head_ref` their branch's
            # name, `base_ref` this repository's branch
            self.outputs.update({(s.id, o): frozenset({CODE}) for o in row.code})
            self.outputs.update({(s.id, o): frozenset({TEXT, CODE}) for o in row.text})
            self.head_commits.update((s.id, o) for o in row.code)
        for text in (*s.with_.values(), *s.env.values(), s.run or ""):
            kinds |= self.of(text)
        script = (s.run or "") + " " + (s.with_.get("script", "") if s.uses else "")
        if self.context is not None and untrusted_step_text().search(script):
            kinds.add(TEXT)
        if self.context is not None and untrusted_step_code().search(script):
            kinds.add(CODE)
        if _downloads_run_artifacts(s) is not None:
            kinds |= {TEXT, CODE, ARTIFACT}
        if kinds:
            self.steps[s.id] = frozenset(kinds)
        if s.run and not s.uses and not ((after_checkout or artifact_here) and _executes(s)):
            # (a program from the workspace could write any output it likes: only a script that runs none is read so)
            for name, value in _exact_outputs(s.run).items():
                self.exact[(s.id, name)] = frozenset().union(*(self.of(v) for v in value))


def _exact_outputs(script: str) -> dict[str, list[str]]:
    """The outputs a script writes (`echo "name=value" >> "$GITHUB_OUTPUT"`) whose every value is known exactly: one
    built only of expressions and literal text (its expressions carry what it carries: JabRef's `workflow_run_id=${{
    github.event.workflow_run.id }}` beside a `pr_number` read from an artifact), or one shell variable the script
    tests to be digits only (`[[ "$PR_NUMBER" =~ ^[0-9]+$ ]]`, the check GitHub's guidance on `workflow_run` artifacts
    asks for: a number can neither carry text nor name a commit). By name: the values to judge, none for a number."""
    written: dict[str, list[str] | None] = {}
    for line in script.splitlines():
        m = STEP_OUTPUT.match(line.strip())
        if m is None:
            if "GITHUB_OUTPUT" in line:  # written some other way: no output of this script is known exactly
                return {}
            continue
        name, value = m.group(1), m.group(2)
        known = written.get(name, [])
        if known is None:
            continue
        bare = EXPR.sub("", value)
        var = re.fullmatch(r"\$\{?([A-Za-z_]\w*)\}?", value.strip())
        if "$" not in bare and "`" not in bare:
            written[name] = [*known, value]
        elif var and _digits_checked(var.group(1), script):
            written[name] = known
        else:
            written[name] = None
    return {k: v for k, v in written.items() if v is not None}


#: `cond && A || B` where the condition says the pull request comes from a fork (B is taken only for the repository's
#: own branches) or from this repository (A is taken only for them).
_FORK_CHOICE = re.compile(
    r"^\s*(?P<cond>!?\s*github\.event\.pull_request\.head\.repo\.fork"
    r"|github\.event\.pull_request\.head\.repo\.full_name\s*==\s*github\.repository)"
    r"\s*&&\s*(?P<a>[^&|]+?)\s*\|\|\s*(?P<b>[^&|]+?)\s*$"
)


def _same_repository_choice(expr: str) -> str:
    """An expression choosing by where the pull request comes from, without the choice taken only for the repository's
    own branches, which only those who can write to it push (ibis' `head.repo.fork && default_branch || head.sha`: a
    fork's run checks out the default branch)."""
    m = _FORK_CHOICE.match(expr)
    if m is None:
        return expr
    own_first = m.group("cond").startswith("!") or "full_name" in m.group("cond")
    return m.group("b") if own_first else m.group("a")


def _uses_path(uses: str) -> str:
    """A ``uses:`` reference without its version, lower case (`r-lib/actions/pr-fetch`)."""
    return uses.split("@", 1)[0].strip().lower()


#: How a checkout of a ref the triggering run's artifact named is described (kept past a check of the starter).
_ARTIFACT_REF = "a ref named by the triggering run's artifact"
#: How :func:`_checks_out` names a checkout of the pull request's head as its author last pushed it, where no ref in
#: the step says so (an action that checks it out itself, a head commit a step looked up).
_THE_HEAD = "the pull request's head"


def names_the_pull_request(detail: str) -> bool:
    """Whether a checkout's detail names the pull request itself: its code as its author last pushed it, when the
    job runs (`refs/pull/N/merge`, `gh pr checkout`, r-lib's pr-fetch, a head commit looked up by a step)."""
    return detail.startswith(_THE_HEAD) or pull_request_ref().search(detail) is not None


def _checks_out(step: Step, taint: _Taint, fetched: set[str]) -> str | None:
    """What an untrusted checkout in this step names, or None (a fetch is data until checked out).
    ``fetched``: local branches made from a pull request by earlier fetches (updated here)."""
    if step.uses and _uses_path(step.uses) in pull_request_checkouts():
        return f"{_THE_HEAD}, fetched by {_uses_path(step.uses)}"
    if step.uses and action_name(step.uses) == "actions/checkout":
        if taint.names_head_commit(ref := step.with_.get("ref", "")):
            return f"{_THE_HEAD} commit, looked up when the job runs: actions/checkout ref: {ref.strip()}"
        for key in ("ref", "repository"):
            value = step.with_.get(key, "")
            if CODE in taint.of(value) or TEXT in taint.of(value):
                return f"actions/checkout {key}: {value.strip()}"
        return None
    for cmd in commands(step.run or ""):
        if cmd.words[:2] == ("git", "fetch"):
            fetched.update(
                w.rsplit(":", 1)[1].removeprefix("refs/heads/") for w in cmd.words[2:] if "pull/" in w and ":" in w
            )
        if _GIT_CHECKOUT.search(cmd.text) and " -- " not in cmd.text and "--" not in cmd.words[-1:]:
            if any(w in fetched for w in cmd.words[2:]):
                return f"`{cmd.text[:80]}`"
            if taint.names_head_commit(cmd.text):
                return f"{_THE_HEAD} commit, looked up when the job runs: `{cmd.text[:80]}`"
            if (
                cmd.text.startswith(("gh pr checkout", "hub pr checkout"))
                or CODE in taint.of(cmd.text)
                or untrusted_refs().search(cmd.text)
            ):
                return f"`{cmd.text[:80]}`"
            if re.search(r"FETCH_HEAD|pull/|PR_BRANCH|pr_branch|HEAD_REF|head_ref", cmd.text):
                return f"`{cmd.text[:80]}`"
    return None


def _executes(step: Step) -> bool:
    """A step that runs code from the workspace: a script that is not only reading files, a local
    action, or any action that may build or test what is there."""
    if step.run:
        return any(_runs_something(c.text) for c in commands(step.run))
    if step.uses is None:
        return False
    if local_key(step.uses) is not None:
        return step.uses.startswith("./")  # `$/` runs the base commit's copy, not the workspace's
    name = action_name(step.uses)
    if name == "actions/github-script":
        return re.search(r"require\(\s*['\"]\.", step.with_.get("script", "")) is not None
    return not non_executing_actions().search(name)


#: Keywords before the command a line runs (`if ! gemini --yolo --prompt "${PROMPT}"; then`).
_KEYWORDS_BEFORE = re.compile(r"^(?:(?:if|then|else|elif|do|while|until|!|\{|\()\s+)+")
_SHELL_CONTROL = re.compile(r"^(?:for|while|until|if|case|select|done|fi|esac|then|else|do|\}|\)|;;)(?:\s|$)")


#: A shell assignment (`summary="$(cat report/summary.txt)"`): it runs only what its `$( … )` run.
_ASSIGNS = re.compile(r"^(?:(?:export|local|declare|readonly)\s+)?[A-Za-z_]\w*=")
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")


def _runs_something(text: str) -> bool:
    """A command that executes a program reading the workspace (not a loop header, not a reader, not an
    assignment or test whose command substitutions only read). The condition of an ``if``, ``while`` or
    ``until`` is a command too (`if ./build.sh; then`)."""
    body = _KEYWORDS_BEFORE.sub("", text.strip())
    if not body or _SHELL_CONTROL.search(body):
        return False
    if _ASSIGNS.match(body) or non_executing().search(body):
        return any(_runs_something(a or b) for a, b in _SUBSTITUTION.findall(body))
    return True


#: Commands that print or test values and read no file (`echo "old=${{ inputs.old-image }}" >> "$GITHUB_OUTPUT"`).
_PRINTS_VALUES = re.compile(r"^(?:echo|printf|test|\[\[?|true|false|exit|:)(?:\s|$)")


def _reports_only_values(step: Step) -> bool:
    """A script made only of prints, tests and assignments of the values it is given, with no command
    substitution and no file read: what it reports is its expressions' values, not the workspace's."""
    if step.uses is not None or not step.run:
        return False
    for cmd in commands(step.run):
        body = _KEYWORDS_BEFORE.sub("", cmd.text.strip())
        if not body or _SHELL_CONTROL.search(body):
            continue
        if "$(" in body or "`" in body or re.search(r"(?:^|[^<>])<(?![<(])", body):
            return False
        if not (_ASSIGNS.match(body) or _PRINTS_VALUES.match(body)) or re.search(r"\s-[efdrs]\s", body):
            return False
    return True


def _reaches(step: Step, path: str | None) -> bool:
    """Whether a step that executes something runs it where an untrusted checkout put its files: anywhere
    when they are the workspace (``path`` None); else when it works in that folder (`working-directory`,
    `cd`, `-C`, `--prefix`, an input naming it) or runs a file of it. A base script handed the folder as
    data (`python .github/check.py $(pwd)/pr_checkout`) does not run it."""
    if path is None:
        return True
    folder = re.escape(path.rstrip("/"))
    where = (step.working_directory or "").strip()
    if "${{" in where or re.match(rf"(?:\./)?{folder}(?:/|$)", where):
        return True  # (a folder named by an expression may be theirs)
    if step.uses is not None:
        return any(re.search(rf"(?:^|[\s/'\"=])(?:\./)?{folder}(?:/|$|[\s'\"])", v) for v in step.with_.values())
    in_folder = (
        rf"(?:cd|pushd|-C|--prefix|--cwd|--dir|--directory)[\s=]+[\"']?(?:\./|\$\(pwd\)/|\$PWD/|\${{PWD}}/)?{folder}\b"
    )
    runs_file = rf"(?:^|[\s;&|(])(?:bash|sh|source|\.|python\d*|node|ruby|perl)?\s*[\"']?(?:\./)?{folder}/\S+"
    for cmd in commands(step.run or ""):
        text = _KEYWORDS_BEFORE.sub("", cmd.text.strip())
        if re.search(in_folder, text) or re.match(runs_file, text):
            return True
    return False


#: A write to the files that set later steps' environment or path.
_ENV_FILE = re.compile(r"(?:>>?|\btee\b[^|;&]*)\s*[\"']?\$\{?(GITHUB_ENV|GITHUB_PATH)\b")


def _env_file_from_files(step: Step) -> str | None:
    """The environment file (``GITHUB_ENV``, ``GITHUB_PATH``) a script writes a value it read from a file
    into (a command substitution, `cat`, `<`, or a variable it set from one), or None."""
    if step.uses is not None or not step.run:
        return None
    from_files: set[str] = set()
    for cmd in commands(step.run):
        text = cmd.text
        m = re.match(r"(?:(?:export|local|declare|readonly)\s+)?([A-Za-z_]\w*)=(.*)", text.strip(), re.DOTALL)
        if m is not None and ("$(" in m.group(2) or "`" in m.group(2)):
            from_files.add(m.group(1))
        if cmd.words[:1] == ("read",) or (cmd.words[:2] == ("read", "-r")):
            from_files.update(w for w in cmd.words[1:] if re.fullmatch(r"[A-Za-z_]\w*", w))
        env_file = _ENV_FILE.search(text)
        if env_file is None:
            continue
        reads = "$(" in text or "`" in text or re.search(r"\bcat\b|(?:^|\s)<\s*\S", text) is not None
        used = [v for v in from_files if re.search(rf"\$\{{?{re.escape(v)}\b", text)]
        # a value checked to be digits only first (yew's `[[ "$pr_number" =~ ^[0-9]+$ ]] || exit 1`) sets nothing else
        if reads or any(not _digits_checked(v, step.run) for v in used):
            return env_file.group(1)
    return None


def _digits_checked(name: str, script: str) -> bool:
    """Whether ``script`` tests ``$name`` against a digits-only pattern (`[[ "$n" =~ ^[0-9]+$ ]]`)."""
    var = rf"""["']?\$\{{?{re.escape(name)}\}}?["']?"""
    digits = r"""["']?\^(?:\[0-9\]|\[\[:digit:\]\]|\\d)\+\$["']?"""
    return re.search(rf"\[\[\s*{var}\s*=~\s*{digits}\s*\]\]", script) is not None


def _downloads_run_artifacts(step: Step) -> str | _NamedFolders | None:
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
    if spec.forks_input and _skips_forks(step, spec.forks_input, spec.forks_skipped_from, spec.run_picked_by):
        return None  # it never takes a fork's run: outsiders cannot supply the artifact
    path = step.with_.get("path", "").strip().strip("'\"")
    workspace = path in ("", ".", "./", "${{ github.workspace }}")
    literal = (step.with_.get(spec.pattern_input) or "").strip().lower() if spec.pattern_input else ""
    merged = (step.with_.get(spec.merge_input) or "").strip().lower() if spec.merge_input else ""
    pattern = step.with_.get(spec.name_input, "").strip() if spec.name_input else ""
    if literal == "true" and merged in ("", "false") and pattern and "${{" not in pattern:
        # each matching artifact in a folder named for it (`coverage-html/`), the pattern saying what names
        # (an expression for either switch: it may land in `path` itself)
        return _NamedFolders("" if workspace else path.rstrip("/") + "/", pattern)
    return "." if workspace else path


def _skips_forks(step: Step, forks_input: str, since: int, picked_by: tuple[str, ...]) -> bool:
    """Whether a download action searching for the run skips forks' runs: a release that does so by
    default (a ``vN`` tag; a commit SHA says nothing, so it does not count), ``forks_input`` not set to
    anything that can be true, and no input that names the run outright."""
    if any(step.with_.get(k) for k in picked_by):
        return False
    allow = step.with_.get(forks_input)
    if allow is not None and allow.strip().lower() not in ("false", "no", "0", "off"):
        return False
    m = re.fullmatch(r"v?(\d+)(?:\.\d+)*", (step.uses or "").rsplit("@", 1)[-1].strip())
    return m is not None and int(m.group(1)) >= since


def _unzips_here(step: Step) -> bool:
    """A script that unpacks a zip into the workspace (no ``-d`` elsewhere)."""
    return any(c.words[:1] == ("unzip",) and "-d" not in c.words for c in commands(step.run or ""))


def _runs_artifact(step: Step, where: str | _NamedFolders) -> bool:
    """Whether a step executes what an artifact put at ``where``: anything that executes in the workspace
    when it was unpacked there, else a command that runs a file from that folder."""
    if where == ".":
        # scripts, local actions and scripts that load workspace files; a remote action brings its own code
        remote = (
            step.uses is not None and local_key(step.uses) is None and action_name(step.uses) != "actions/github-script"
        )
        return _executes(step) and not remote
    run = step.run or ""
    if isinstance(where, _NamedFolders):
        # folders named by a pattern: a command running a file from a folder whose name it matches
        try:
            named = re.compile(where.pattern)
        except re.error:
            return _executes(step)  # a pattern Python cannot read: any step that runs something may run theirs
        runs = rf"{_RUNS_FILE}(?:\./)?{re.escape(where.base)}([^/\s\"']+)/"
        return any(named.search(m.group(1)) for m in re.finditer(runs, run))
    return re.search(rf"{_RUNS_FILE}{re.escape(where.rstrip('/'))}/", run) is not None


def _uploaded_artifact(step: Step) -> str | None:
    """The name of the artifact ``actions/upload-artifact`` uploads ("*" when its name is computed)."""
    if step.uses is None or action_name(step.uses) != "actions/upload-artifact":
        return None
    name = step.with_.get("name", "").strip() or "artifact"
    return "*" if "${{" in name else name


def _unpacks_elsewhere(step: Step) -> str | None:
    """The folder a script unpacks an archive into when it is not the workspace (``tar -xf a.tar -C dir``,
    ``unzip a.zip -d dir``), or None."""
    for c in commands(step.run or ""):
        ws = list(c.words)
        flag = "-C" if ws[:1] == ["tar"] else "-d" if ws[:1] == ["unzip"] else None
        if flag is not None and flag in ws[:-1]:
            dest = ws[ws.index(flag) + 1].strip("'\"").rstrip("/")
            if dest not in ("", ".", "$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}"):
                return dest
    return None


def _names_folder(step: Step, folder: str) -> bool:
    """Whether a step may read what landed in ``folder``: anything may in the workspace (or the runner's temporary
    folder, where a script put it); in a folder of its own, a step that names it or runs a program that may open it
    (yew's `python3 ci/make_example_size_cmt.py`), not one whose commands are all in view and never name it
    (rollup's `gh api` lookup of the pull request's number beside `repl-artefacts/`)."""
    if folder in (".", "temp"):
        return True
    name = folder.rstrip("/").removeprefix("./")
    texts = (step.run or "", step.working_directory or "", *step.with_.values(), *step.env.values())
    if any(name in t for t in texts) or "${{" in (step.working_directory or ""):
        return True
    if step.run:
        return any(_runs_something(c.text) for c in commands(step.run))
    return step.uses is not None and _executes(step)


def _downloads_untrusted(step: Step, names: frozenset[str]) -> str | None:
    """Where ``actions/download-artifact`` unpacks one of ``names`` (artifacts an earlier job of the run made from
    outsiders' code), or None."""
    if not names or step.uses is None or action_name(step.uses) != "actions/download-artifact":
        return None
    name = step.with_.get("name", "").strip()
    if name and "${{" not in name and "*" not in names and name not in names:
        return None
    path = step.with_.get("path", "").strip().strip("'\"")
    return "." if path in ("", ".", "./", "${{ github.workspace }}") else path


def judge(
    job: JobFacts,
    events: tuple[str, ...],
    jobs: Mapping[str, frozenset[str]],
    gate_jobs: frozenset[str],
    gated_jobs: frozenset[str] = frozenset(),
    artifacts: frozenset[str] = frozenset(),
    past_gates: bool = False,
    starter_jobs: frozenset[str] = frozenset(),
) -> Verdict:
    """The ways an outsider controls ``job`` on ``events``. ``jobs``: what each earlier job's outputs
    carry; ``gate_jobs``: jobs of the workflow that check the starter's permission and cannot be
    injected (needing one of them keeps outsiders out); ``artifacts``: names of the artifacts jobs it needs
    uploaded from outsiders' code. ``past_gates``: judge as if no gate stood in the way (see below);
    ``starter_jobs``: gated jobs gated only by a check of the starter's permission."""
    if not events:
        return Verdict()
    if not past_gates and (gated(job.job_if, events, job.new_commits) or any(n in gate_jobs for n in job.needs)):
        starter = not gated(job.job_if, events, job.new_commits)
        return _checked_out_after_the_gate(job, events, jobs, artifacts, starter)
    if runs_only_on_other_events(job.job_if, events) or never_runs(job.job_if):
        return Verdict()  # it does not run on the events outsiders cause
    if (
        not past_gates
        and any(n in gated_jobs for n in job.needs)
        and not re.search(r"always\(\)|!\s*cancelled\(\)", job.job_if or "")
    ):
        # it runs only after a job that admits only maintainers
        gates = [n for n in job.needs if n in gated_jobs]
        return _checked_out_after_the_gate(job, events, jobs, artifacts, all(n in starter_jobs for n in gates))
    taint = _Taint(events, jobs, job.env)
    taint.declare(steps_of(job))
    event = "/".join(events)
    head_events = [e for e in events if (row := github_event(e)) is not None and row.head_code] or list(events)
    found: list[Control] = []
    checked_out: tuple[str, bool] | None = None  # what, and whether it came from an artifact
    fetched: set[str] = set()
    tree_is_theirs = False  # an untrusted checkout happened: later steps read outsiders' files
    downloaded: str | _NamedFolders | None = None
    artifact_here = False  # the triggering run's artifact was unpacked in an earlier step
    checkout_path: str | None = None  # where the untrusted checkout put the files, when not the workspace
    uploaded: set[str] = set()  # artifacts this job made after an untrusted checkout
    in_run: str | None = None  # where an artifact of an earlier job's untrusted checkout was unpacked
    artifact_folder = "."  # where the triggering run's artifact was unpacked (the workspace, a folder, "temp")
    for s in steps_of(job):
        texts = [s.run or ""]
        if s.uses and action_name(s.uses) == "actions/github-script":
            texts.append(s.with_.get("script", ""))
        agent = agent_actions().get(action_name(s.uses)) if s.uses else None
        agent_checks = agent is not None and not agent.admits(s.with_)
        if agent is not None and not agent_checks:
            texts += [s.with_.get(k, "") for k in agent.prompt_inputs]  # what the agent is told to do
        agent_runs = bool(s.run) and any(
            agent_commands().search(_KEYWORDS_BEFORE.sub("", c.text.strip())) for c in commands(s.run or "")
        )
        if (agent is not None and not agent_checks) or agent_runs:
            texts += list(s.env.values())  # an agent reads its environment too: quoting does not protect it
        injected = [expr for text in texts for expr in taint.injected(text)]
        if not found and not injected and (checks_runtime_gate(s) or agent_checks) and not past_gates:
            # the job checks the starter's permission before it acts
            return _checked_out_after_the_gate(job, events, jobs, artifacts, starter_only=True)
        stepped_over = gated(s.if_, events, job.new_commits) and not past_gates
        if stepped_over or runs_only_on_other_events(s.if_, events) or never_runs(s.if_):
            taint.learn(s)
            continue
        if checked_out is not None and _executes(s) and _reaches(s, checkout_path):
            what, from_artifact = checked_out
            found.append(Control("pr-head-checkout", "/".join(head_events), what, s.index, s.line))
            if from_artifact:
                found.append(
                    Control(
                        "artifact",
                        "workflow_run",
                        f"{_ARTIFACT_REF}: {what}",
                        s.index,
                        s.line,
                    )
                )
            checked_out = None  # one edge per checkout
        if in_run == "." and (dest := _unpacks_elsewhere(s)) is not None:
            in_run = dest  # an archive unpacked into a folder of its own (`tar -xvf report.tar -C .ci-temp/reports`)
        elif in_run is not None and _runs_artifact(s, in_run):
            # checkstyle's regression report: one job checks out the pull request and uploads the workspace, the
            # jobs after it download it and run its `.ci` scripts
            found.append(Control("artifact", event, "an artifact an earlier job made from their code", s.index, s.line))
            in_run = None
        if downloaded is not None and _runs_artifact(s, downloaded):
            found.append(Control("artifact", "workflow_run", "artifacts of the triggering run", s.index, s.line))
            downloaded = None
        elif artifact_here and (written := _env_file_from_files(s)) is not None:
            # `echo "PR_NUMBER=$(cat docs-preview/.pr_number)" >> $GITHUB_ENV`: the artifact's text, newlines and
            # all, sets any variable for the later steps (NODE_OPTIONS, LD_PRELOAD: GHSL-2024-177)
            found.append(Control("artifact", "workflow_run", f"artifact text written to {written}", s.index, s.line))
            artifact_here = False  # one edge per artifact
        for expr in injected:
            if ARTIFACT in taint.of("${{" + expr + "}}"):
                # text an artifact carried (`pr_number=$(cat ./pr_number)` → an output) pasted into a script
                found.append(Control("artifact", "workflow_run", f"artifact text pasted: {expr}", s.index, s.line))
            else:
                found.append(Control("injection", event, expr, s.index, s.line))
        if tree_is_theirs and (name := _uploaded_artifact(s)) is not None:
            uploaded.add(name)
        if in_run is None and (where := _downloads_untrusted(s, artifacts)) is not None:
            in_run = where
        checkout = _checks_out(s, taint, fetched)
        tree_is_theirs = tree_is_theirs or checkout is not None
        if checkout is not None:
            # actions/checkout's `path:` puts their files in a folder of their own (arrow-adbc's `pr_checkout`)
            path = s.with_.get("path", "").strip().strip("./") if s.uses else ""
            checkout_path = path if path and "${{" not in path else None
            value = " ".join(s.with_.get(k, "") for k in ("ref", "repository")) + (s.run or "")
            checked_out = (checkout, ARTIFACT in taint.of(value))
        if "workflow_run" in events and (landed := _downloads_run_artifacts(s)) is not None:
            downloaded = landed
            artifact_folder = landed if isinstance(landed, str) else (landed.base.rstrip("/") or ".")
        elif "workflow_run" in events and downloaded is None and _unzips_here(s):
            downloaded = artifact_folder = "."  # a zip in a workflow_run job is the triggering run's artifact
        artifact_here = artifact_here or downloaded is not None
        # a step that only echoes values it is given reports nothing it read from outsiders' files; a remote
        # action's outputs are what it computes (a test report's conclusion), not the files it read
        reads_files = not _reports_only_values(s)
        # (an action handed a file the artifact put there, `json-to-output` with `path: output.json`, outputs its text)
        script_reads = (
            reads_files
            and (
                s.uses is None
                or action_name(s.uses) == "actions/github-script"
                or any(k.lower() in _FILE_INPUTS for k in s.with_)
            )
            and _names_folder(s, artifact_folder)
        )
        taint.learn(s, after_checkout=tree_is_theirs and reads_files, artifact_here=artifact_here and script_reads)
    out_taint: set[str] = set()
    for value in job.outputs.values():
        out_taint |= taint.of(value)
    return Verdict(
        controls=found, output_taint=frozenset(out_taint), untrusted_artifacts=frozenset(uploaded) | artifacts
    )


def _checked_out_after_the_gate(
    job: JobFacts,
    events: tuple[str, ...],
    jobs: Mapping[str, frozenset[str]],
    artifacts: frozenset[str],
    starter_only: bool = False,
) -> Verdict:
    """A gated job's verdict. On a comment (``/deploy``, ``@bot pack this``) the gate admits the commenter, but the
    pull request's code the job checks out is whatever its author pushed by then, after the maintainer read it
    (a time-of-check to time-of-use race: zwave-js' `publish-pr`, admitted for one maintainer, builds and publishes
    `refs/pull/N/merge` with NPM_TOKEN). Such a checkout stays the outsiders' (pr-head-checkout); the rest of
    the job is gated. Likewise, on a `workflow_run` gated only by a check of the starter's permission (a maintainer's
    approving review started the run), a commit the triggering run's artifact names is the artifact maker's choice,
    not the maintainer's (amplify-ui's fork tests check out `commit_id` from the review run's artifact)."""
    commands_only = all((row := github_event(e)) is not None and row.command for e in events)
    artifact_named = starter_only and "workflow_run" in events
    if not events or not (commands_only or artifact_named) or origin_gate().search(job.job_if or ""):
        return Verdict(gated=True)  # (a gate on where the code comes from, not who asked, binds it)
    past = judge(job, events, jobs, frozenset(), frozenset(), artifacts, past_gates=True)
    named = {c.step for c in past.controls if c.via == "artifact" and c.detail.startswith(_ARTIFACT_REF)}
    kept = [
        replace(c, detail=f"{c.detail}, checked out when the job runs, after a maintainer's comment started it")
        for c in past.controls
        if commands_only and c.via == "pr-head-checkout" and names_the_pull_request(c.detail)
    ]
    kept += [
        c for c in past.controls if artifact_named and c.step in named and c.via in ("pr-head-checkout", "artifact")
    ]
    carried = past.output_taint if artifact_named else frozenset()
    return Verdict(controls=kept, gated=not kept, output_taint=carried, starter_checked=starter_only)


def steps_of(job: JobFacts) -> Sequence[Step]:
    """The job's steps in order."""
    return job.steps


def judge_workflow(
    jobs: Sequence[JobFacts],
    events_of: Mapping[str, tuple[str, ...]],
    outside: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, Verdict]:
    """Judge every job of a workflow, jobs after those they need (their outputs carry taint along).
    ``outside``: what the jobs of the workflows calling this one output, by job id (their `needs.X.outputs`
    reach this workflow through its inputs)."""
    judging = _Judging({j.id: j for j in jobs}, events_of, outside or {})
    for j in jobs:
        judging.visit(j)
    return judging.done


class _Judging:
    """:func:`judge_workflow`'s walk (a class, not a recursive closure: a closure that calls itself is a
    reference cycle, kept with all it holds until a collector pass; see scanner/heap.py)."""

    def __init__(
        self,
        by_id: dict[str, JobFacts],
        events_of: Mapping[str, tuple[str, ...]],
        outside: Mapping[str, frozenset[str]],
    ) -> None:
        self.by_id, self.events_of, self.outside = by_id, events_of, outside
        self.done: dict[str, Verdict] = {}
        self.gate_jobs: set[str] = set()

    def visit(self, j: JobFacts, stack: tuple[str, ...] = ()) -> Verdict:
        done = self.done
        if j.id in done:
            return done[j.id]
        for n in j.needs:
            if n in self.by_id and n not in stack:
                self.visit(self.by_id[n], (*stack, j.id))
        carried = {**self.outside, **{n: done[n].output_taint for n in j.needs if n in done}}
        gated_needs = frozenset(n for n in j.needs if n in done and done[n].gated)
        starters = frozenset(n for n in gated_needs if done[n].starter_checked or n in self.gate_jobs)
        made = frozenset(a for n in j.needs if n in done for a in done[n].untrusted_artifacts)
        verdict = judge(
            j,
            self.events_of.get(j.id, ()),
            carried,
            frozenset(self.gate_jobs),
            gated_needs,
            made,
            starter_jobs=starters,
        )
        done[j.id] = verdict
        if not verdict.controls and any(checks_runtime_gate(s) for s in j.steps):
            self.gate_jobs.add(j.id)
        return verdict


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
