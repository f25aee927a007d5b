"""A GitHub Actions workflow file, parsed YAML → jobs and steps. Pure: no I/O.

Only what regwarden reasons about is kept: triggers, ``permissions``, environments, ``uses:``
references, container images, and every ``${{ secrets.X }}`` a job can evaluate. A document
GitHub itself would reject (not a mapping, ``jobs`` not a mapping, a step not a mapping) is a
:class:`~scanner.errors.BundleError` naming the file and the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from scanner.errors import BundleError

_ComposeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Permission scopes of the GITHUB_TOKEN; ``read-all``/``write-all`` set every one of them.
TOKEN_SCOPES: tuple[str, ...] = (
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
)

_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_SECRET_REF = re.compile(r"\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
_JOB_KEY = re.compile(r"""^(\s+)(?:"([^"]+)"|'([^']+)'|([A-Za-z_][A-Za-z0-9_-]*))\s*:""")


@dataclass(frozen=True)
class Permissions:
    """A ``permissions:`` value: ``all`` is the level of a ``read-all``/``write-all`` shorthand."""

    scopes: Mapping[str, str] = field(default_factory=dict)
    all: str = "none"

    def level(self, scope: str) -> str:
        """``read``, ``write`` or ``none`` for one scope."""
        return self.scopes.get(scope, self.all)

    @classmethod
    def default(cls, repo_default: str) -> Permissions:
        """The token a job gets with no ``permissions`` key, from the repository default.

        ``id-token`` is never granted by default: a workflow has to ask for it.
        """
        if repo_default == "write":
            return cls(scopes={"id-token": "none"}, all="write")
        return cls(scopes={"contents": "read", "packages": "read", "metadata": "read"}, all="none")


@dataclass(frozen=True)
class Step:
    """One step of a job (steps of a ``parallel:`` group are listed in place, in order)."""

    index: int
    name: str | None
    id: str | None
    uses: str | None
    run: str | None
    with_: Mapping[str, str]
    env: Mapping[str, str]
    if_: str | None = None
    line: int | None = None
    #: Set on steps expanded from a composite action: the ``uses:`` of the step that ran it.
    via: str | None = None
    working_directory: str | None = None

    @property
    def label(self) -> str:
        """How a report names the step: its name, else what it uses, else its position."""
        return self.name or self.uses or self.id or f"step {self.index + 1}"


@dataclass(frozen=True)
class Job:
    """One job: either runs ``steps`` or calls a reusable workflow (``uses``)."""

    id: str
    name: str | None
    permissions: Permissions | None  # None: no ``permissions`` key on the job
    environment: str | None
    env: Mapping[str, str]
    steps: tuple[Step, ...]
    uses: str | None = None  # reusable workflow call
    secrets_inherit: bool = False
    container: str | None = None
    services: tuple[tuple[str, str], ...] = ()  # (service name, image)
    secret_refs: frozenset[str] = frozenset()  # every secrets.X the job can evaluate, as written
    line: int | None = None
    if_: str | None = None
    with_: Mapping[str, str] = field(default_factory=dict)  # inputs of a reusable workflow call
    secrets_map: Mapping[str, str] = field(default_factory=dict)  # secrets passed to a reusable workflow
    needs: tuple[str, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)  # the job's outputs: name -> expression
    #: The combinations of ``strategy.matrix`` written out in the file (:func:`matrix_combinations`).
    matrix: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class Workflow:
    """A parsed workflow file."""

    name: str | None
    triggers: tuple[str, ...]
    permissions: Permissions | None
    env: Mapping[str, str]
    jobs: tuple[Job, ...]
    secret_refs: frozenset[str] = frozenset()  # secrets.X in the workflow-level ``env``
    # Git refs a run can have, as patterns (``refs/heads/main``, ``refs/tags/v*``); ``*`` is any
    # ref (workflow_dispatch), ``<default>`` the default branch (schedule, pull_request_target...).
    refs: tuple[str, ...] = ()
    #: Inputs of ``workflow_dispatch`` and ``workflow_call`` by name → declared type (``string`` when
    #: not declared, as GitHub assumes).
    inputs: Mapping[str, str] = field(default_factory=dict)
    #: Names of the workflows a ``workflow_run`` trigger follows.
    run_workflows: tuple[str, ...] = ()
    #: Whether a push to a pull request runs the workflow again (`pull_request_target` with no ``types:``,
    #: whose defaults include it, or with ``synchronize``): a label checked then may predate the commits.
    runs_on_new_commits: bool = False


#: At most this many matrix combinations are kept for a job (a job's publish steps are read once per
#: distinct combination of the matrix values they use).
MAX_MATRIX = 16


def _flat(value: object, prefix: str, out: dict[str, str]) -> None:
    # A matrix value as the strings ``matrix.X`` expressions read: objects by dotted key, lists left out.
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flat(v, f"{prefix}.{k}", out)
    elif isinstance(value, bool):
        out[prefix] = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        out[prefix] = str(value)
    elif value is None:
        out[prefix] = ""


def _same(a: object, b: object) -> bool:
    # matrix values compare as GitHub compares them: `1` is not `true` (as it is in Python)
    return type(a) is type(b) and a == b


def matrix_combinations(strategy: object) -> tuple[Mapping[str, str], ...]:
    """The jobs a ``strategy.matrix`` makes, as GitHub expands it, each as ``{key: value}`` (object
    values by dotted key, ``os.name``): the product of the listed values, less ``exclude``, with each
    ``include`` entry added to every combination whose listed values it does not change, or as a new
    one. A matrix or key given by an expression (``${{ fromJSON(…) }}``) is known only at run time: such
    a key is left out. At most :data:`MAX_MATRIX` combinations; none when there is no matrix."""
    matrix = strategy.get("matrix") if isinstance(strategy, Mapping) else None
    if not isinstance(matrix, Mapping):
        return ()
    keys = {str(k): v for k, v in matrix.items() if k not in ("include", "exclude") and isinstance(v, list)}
    combos: list[dict[str, object]] = [{}]
    for k, values in keys.items():
        combos = [{**c, k: v} for c in combos for v in values][: MAX_MATRIX * 4]
    if not keys:
        combos = []
    listed_excludes = matrix.get("exclude")
    excludes = [e for e in listed_excludes if isinstance(e, Mapping)] if isinstance(listed_excludes, list) else []
    combos = [c for c in combos if not any(all(_same(c.get(str(k)), v) for k, v in e.items()) for e in excludes)]
    # an include entry extends the combinations of the listed values (never changing one of those, but
    # what an earlier entry added), not the combinations earlier entries made
    base = [dict(c) for c in combos]
    made: list[dict[str, object]] = []
    listed_includes = matrix.get("include")
    for entry in listed_includes if isinstance(listed_includes, list) else []:
        if not isinstance(entry, Mapping):
            continue
        added = False
        for c, original in zip(combos, base, strict=True):
            if all(str(k) not in original or _same(original[str(k)], v) for k, v in entry.items()):
                c.update({str(k): v for k, v in entry.items()})
                added = True
        if not added:
            made.append({str(k): v for k, v in entry.items()})
    combos += made
    out: list[Mapping[str, str]] = []
    for c in combos[:MAX_MATRIX]:
        flat: dict[str, str] = {}
        for k, v in c.items():
            _flat(v, k, flat)
        out.append(flat)
    return tuple(out)


def secret_refs(value: object) -> Iterator[str]:
    """Every secret name referenced in ``${{ }}`` expressions anywhere in a YAML value."""
    if isinstance(value, str):
        for expr in _EXPR.findall(value):
            for dotted, indexed in _SECRET_REF.findall(expr):
                yield dotted or indexed
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from secret_refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from secret_refs(v)


def job_lines(text: str) -> dict[str, int]:
    """1-based line of each job key under the top-level ``jobs:`` (a best effort for evidence)."""
    lines: dict[str, int] = {}
    in_jobs = False
    indent: str | None = None
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            head = line.split("#", 1)[0].rstrip()
            in_jobs = head == "jobs:"
            indent = None
            continue
        if not in_jobs:
            continue
        m = _JOB_KEY.match(line)
        if m is None:
            continue
        if indent is None:
            indent = m.group(1)
        if m.group(1) == indent:
            lines.setdefault(m.group(2) or m.group(3) or m.group(4), no)
    return lines


class _Parser:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> BundleError:
        return BundleError(self.file, f"{where}: {problem}" if where else problem)

    def mapping(self, value: object, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected a mapping, got {_kind(value)}")
        return {str(k): v for k, v in value.items()}

    def strings(self, value: object, where: str) -> dict[str, str]:
        return {k: _scalar(v) for k, v in self.mapping(value, where).items()}

    def opt_str(self, value: object, where: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, Mapping | list):
            raise self.fail(where, f"expected a string, got {_kind(value)}")
        return _scalar(value)

    def triggers(self, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            return tuple(sorted({self.opt_str(v, "on") or "" for v in value} - {""}))
        return tuple(sorted(self.mapping(value, "on")))

    def permissions(self, value: object, where: str) -> Permissions:
        if isinstance(value, str):
            if value in ("read-all", "write-all"):
                return Permissions(all=value.removesuffix("-all"))
            raise self.fail(where, f"unknown permissions shorthand {value!r}")
        return Permissions(scopes=self.strings(value, where))

    def environment(self, value: object, where: str) -> str | None:
        if isinstance(value, Mapping):
            return self.opt_str(self.mapping(value, where).get("name"), f"{where}.name")
        return self.opt_str(value, where)

    def image(self, value: object, where: str) -> str | None:
        if isinstance(value, Mapping):
            return self.opt_str(self.mapping(value, where).get("image"), f"{where}.image")
        return self.opt_str(value, where)

    def step(self, index: int, value: object, where: str, line: int | None = None) -> Step:
        raw = self.mapping(value, where)
        return Step(
            index=index,
            name=self.opt_str(raw.get("name"), f"{where}.name"),
            id=self.opt_str(raw.get("id"), f"{where}.id"),
            uses=self.opt_str(raw.get("uses"), f"{where}.uses"),
            run=self.opt_str(raw.get("run"), f"{where}.run"),
            with_=self.strings(raw.get("with"), f"{where}.with"),
            env=self.strings(raw.get("env"), f"{where}.env"),
            if_=self.opt_str(raw.get("if"), f"{where}.if"),
            line=line,
            working_directory=self.opt_str(raw.get("working-directory"), f"{where}.working-directory"),
        )

    def flat_steps(self, value: object, where: str) -> list[tuple[str, object]]:
        """Steps in order, with the steps of ``parallel:`` groups (and their ``sequential:`` runs) in place."""
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_kind(value)}")
        out: list[tuple[str, object]] = []
        for i, item in enumerate(value):
            at = f"{where}[{i}]"
            if isinstance(item, Mapping) and "parallel" in item and not ({"run", "uses"} & set(item)):
                group = item["parallel"]
                if isinstance(group, Mapping):
                    group = group.get("steps", [])
                out += self.flat_steps(group, f"{at}.parallel")
            elif isinstance(item, Mapping) and "sequential" in item and not ({"run", "uses"} & set(item)):
                out += self.flat_steps(item["sequential"], f"{at}.sequential")
            else:
                out.append((at, item))
        return out

    def job(self, job_id: str, value: object, line: int | None, step_lines: list[int] | None = None) -> Job:
        where = f"jobs.{job_id}"
        raw = self.mapping(value, where)
        flat = self.flat_steps(raw.get("steps") or [], f"{where}.steps")
        step_lines = step_lines or []
        services = tuple(
            (name, image)
            for name, svc in sorted(self.mapping(raw.get("services"), f"{where}.services").items())
            if (image := self.image(svc, f"{where}.services.{name}"))
        )
        secrets = raw.get("secrets")
        perms = raw.get("permissions")
        secrets_map = self.strings(secrets, f"{where}.secrets") if isinstance(secrets, Mapping) else {}
        return Job(
            id=job_id,
            name=self.opt_str(raw.get("name"), f"{where}.name"),
            permissions=None if "permissions" not in raw else self.permissions(perms, f"{where}.permissions"),
            environment=self.environment(raw.get("environment"), f"{where}.environment"),
            env=self.strings(raw.get("env"), f"{where}.env"),
            steps=tuple(
                self.step(i, st, at, step_lines[i] if i < len(step_lines) else None) for i, (at, st) in enumerate(flat)
            ),
            uses=self.opt_str(raw.get("uses"), f"{where}.uses"),
            secrets_inherit=secrets == "inherit",
            container=self.image(raw.get("container"), f"{where}.container"),
            services=services,
            secret_refs=frozenset(secret_refs(raw)),
            line=line,
            if_=self.opt_str(raw.get("if"), f"{where}.if"),
            with_=self.strings(raw.get("with"), f"{where}.with") if raw.get("uses") else {},
            secrets_map=secrets_map,
            needs=tuple(_patterns(raw.get("needs"))),
            outputs=self.strings(raw.get("outputs"), f"{where}.outputs"),
            matrix=matrix_combinations(raw.get("strategy")),
        )

    def inputs(self, on: object) -> dict[str, str]:
        """Declared inputs of ``workflow_dispatch`` and ``workflow_call``, with their types."""
        if not isinstance(on, Mapping):
            return {}
        out: dict[str, str] = {}
        for event in ("workflow_dispatch", "workflow_call"):
            spec = on.get(event)
            declared = spec.get("inputs") if isinstance(spec, Mapping) else None
            if not isinstance(declared, Mapping):
                continue
            for name, decl in declared.items():
                typ = decl.get("type") if isinstance(decl, Mapping) else None
                out.setdefault(str(name), str(typ) if typ else "string")
        return out


def parse_workflow(
    file: str,
    data: object,
    lines: Mapping[str, int] | None = None,
    steps: Mapping[str, list[int]] | None = None,
) -> Workflow:
    """Turn a workflow document (already parsed YAML) into a :class:`Workflow`.

    ``file`` is the bundle path, used in errors; ``lines`` maps job ids to their line numbers and
    ``steps`` to the lines of their steps (see :func:`positions`).
    """
    p = _Parser(file)
    if not isinstance(data, Mapping):
        raise p.fail("", f"a workflow must be a YAML mapping, got {_kind(data)}")
    doc = p.mapping(data, "")
    jobs = p.mapping(doc.get("jobs"), "jobs")
    lines = lines or {}
    steps = steps or {}
    on = doc.get("on")
    run_spec = on.get("workflow_run") if isinstance(on, Mapping) else None
    run_workflows = _patterns(run_spec.get("workflows")) if isinstance(run_spec, Mapping) else []
    return Workflow(
        name=p.opt_str(doc.get("name"), "name"),
        triggers=p.triggers(on),
        permissions=None if "permissions" not in doc else p.permissions(doc["permissions"], "permissions"),
        env=p.strings(doc.get("env"), "env"),
        jobs=tuple(p.job(job_id, job, lines.get(job_id), steps.get(job_id)) for job_id, job in jobs.items()),
        secret_refs=frozenset(secret_refs(doc.get("env"))),
        refs=trigger_refs(on),
        inputs=p.inputs(on),
        run_workflows=tuple(run_workflows),
        runs_on_new_commits=_runs_on_new_commits(on),
    )


def _runs_on_new_commits(on: object) -> bool:
    """`pull_request_target` with no ``types:`` (opened, synchronize, reopened) or with ``synchronize``."""
    if on == "pull_request_target" or (isinstance(on, list) and "pull_request_target" in on):
        return True
    if not isinstance(on, Mapping) or "pull_request_target" not in on:
        return False
    spec = on["pull_request_target"]
    types = spec.get("types") if isinstance(spec, Mapping) else None
    if types is None:
        return True
    return "synchronize" in (types if isinstance(types, list) else [types])


def _flat_nodes(seq: yaml.Node) -> list[yaml.Node]:
    """The step nodes of a ``steps:`` sequence node, ``parallel:`` groups flattened like the parser does."""
    out: list[yaml.Node] = []
    if not isinstance(seq, yaml.SequenceNode):
        return out
    for item in seq.value:
        if isinstance(item, yaml.MappingNode):
            keys = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
            if "parallel" in keys and not ({"run", "uses"} & set(keys)):
                group = keys["parallel"]
                if isinstance(group, yaml.MappingNode):
                    group = next((v for k, v in group.value if getattr(k, "value", None) == "steps"), group)
                out += _flat_nodes(group)
                continue
            if "sequential" in keys and not ({"run", "uses"} & set(keys)):
                out += _flat_nodes(keys["sequential"])
                continue
        out.append(item)
    return out


def positions(text: str) -> tuple[dict[str, int], dict[str, list[int]]]:
    """1-based lines of each job under ``jobs:`` and of each of its (flattened) steps; empty when the
    text does not compose as YAML (the loader reports that)."""
    try:
        root = yaml.compose(text, Loader=_ComposeLoader)
    except yaml.YAMLError:
        return {}, {}
    return node_positions(root)


def node_positions(root: yaml.Node | None) -> tuple[dict[str, int], dict[str, list[int]]]:
    """:func:`positions` of an already composed document (``scanner.yaml12.load_yaml_node``)."""
    jobs_at: dict[str, int] = {}
    steps_at: dict[str, list[int]] = {}
    if not isinstance(root, yaml.MappingNode):
        return jobs_at, steps_at
    for k, v in root.value:
        if getattr(k, "value", None) != "jobs" or not isinstance(v, yaml.MappingNode):
            continue
        for jk, jv in v.value:
            name = str(jk.value)
            jobs_at.setdefault(name, jk.start_mark.line + 1)
            if isinstance(jv, yaml.MappingNode):
                for sk, sv in jv.value:
                    if getattr(sk, "value", None) == "steps":
                        steps_at[name] = [n.start_mark.line + 1 for n in _flat_nodes(sv)]
    return jobs_at, steps_at


#: Triggers whose runs use the default branch's workflow and ref.
_DEFAULT_BRANCH_TRIGGERS = frozenset(
    {"schedule", "pull_request_target", "workflow_run", "issue_comment", "issues", "repository_dispatch"}
)


def _patterns(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def trigger_refs(on: object) -> tuple[str, ...]:
    """The refs a workflow's runs can have, from its triggers and their branch and tag filters."""
    events: dict[str, object]
    if isinstance(on, str):
        events = {on: None}
    elif isinstance(on, list):
        events = {str(e): None for e in on}
    elif isinstance(on, Mapping):
        events = {str(k): v for k, v in on.items()}
    else:
        return ()
    refs: set[str] = set()
    for event, cfg in events.items():
        spec = cfg if isinstance(cfg, Mapping) else {}
        if event == "push":
            branches, tags = _patterns(spec.get("branches")), _patterns(spec.get("tags"))
            if not branches and not tags:
                refs |= {"refs/heads/*", "refs/tags/*"} if not spec.get("branches-ignore") else {"refs/heads/*"}
            refs |= {f"refs/heads/{b}" for b in branches if not b.startswith("!")}
            refs |= {f"refs/tags/{t}" for t in tags if not t.startswith("!")}
        elif event == "pull_request":
            refs.add("refs/pull/*/merge")
        elif event == "release":
            refs.add("refs/tags/*")
        elif event == "workflow_dispatch":
            refs.add("*")
        elif event in _DEFAULT_BRANCH_TRIGGERS:
            refs.add("<default>")
    return tuple(sorted(refs))


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        # Some inputs take structured values; keep them searchable as text.
        return repr(value)
    return str(value)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a scalar ({type(value).__name__})"
