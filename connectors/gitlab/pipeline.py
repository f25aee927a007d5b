"""A project's pipeline as GitLab would run it: includes merged, ``extends:`` and ``!reference`` resolved,
``default:`` and global ``variables:`` inherited (``inherit:``), then one :class:`JobDef` per job. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.gitlab.ciyaml import line_of
from connectors.gitlab.includes import Assembled, Assembler, CiSource, Context, FileSource, IncludeUse
from connectors.gitlab.merge import flatten, resolve_extends, resolve_references

#: Top-level keywords that are not jobs (``image`` and friends: the deprecated globals).
GLOBAL_KEYWORDS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "before_script",
     "after_script", "cache", "spec"}
)  # fmt: skip
#: What ``default:`` gives a job that does not set it.
DEFAULT_KEYS = ("image", "services", "before_script", "after_script", "cache", "artifacts", "retry", "timeout",
                "interruptible", "tags", "hooks", "id_tokens")  # fmt: skip
LEGACY_GLOBALS = ("image", "services", "before_script", "after_script", "cache")
DEFAULT_STAGES = (".pre", "build", "test", "deploy", ".post")
SCRIPT_KEYS = ("before_script", "script", "after_script")


@dataclass(frozen=True)
class ScriptLine:
    """One entry of a job's ``before_script``/``script``/``after_script``: its text and line."""

    text: str
    line: int | None
    section: str


@dataclass(frozen=True)
class Need:
    """One ``needs:`` entry: a job of this pipeline (or another project's), and whether its artifacts come."""

    job: str
    artifacts: bool = True
    project: str | None = None


@dataclass(frozen=True)
class Trigger:
    """``trigger:``: a child pipeline (files of this project) or another project's pipeline."""

    kind: str  # "child" | "multi-project"
    project: str | None = None  # multi-project: the downstream project
    branch: str | None = None
    files: tuple[str, ...] = ()  # child: the local files of the child pipeline
    artifact_job: str | None = None  # dynamic child pipeline: the job whose artifact is the configuration
    other: tuple[str, ...] = ()  # child includes that are not local files (project:, template:...)
    forward_variables: bool = True


@dataclass(frozen=True)
class JobDef:
    """A job with everything it inherits resolved."""

    name: str
    file: str  # repository path of the file that defines it
    line: int | None
    body: Mapping[str, Any]
    image: str | None
    services: tuple[str, ...]
    scripts: tuple[ScriptLine, ...]
    variables: Mapping[str, str]  # the YAML variables it sees (global + its own), as written
    own_variables: Mapping[str, str]  # its own `variables:` (and its templates'), without the global ones
    environment: str | None
    environment_action: str | None
    id_tokens: tuple[tuple[str, tuple[str, ...]], ...]  # (variable name, audiences)
    secrets: tuple[str, ...]  # ``secrets:`` (Vault, cloud secret managers): variable names
    stage: str
    needs: tuple[Need, ...] | None  # None: not declared (artifacts of every earlier stage)
    dependencies: tuple[str, ...] | None
    has_artifacts: bool
    trigger: Trigger | None
    release: Mapping[str, Any] | None
    release_line: int | None
    #: ``extends:`` bases (direct or inherited) the pipeline does not hold: a template of an include that
    #: was not collected
    unknown_bases: tuple[str, ...] = ()


@dataclass
class Pipeline:
    """One project's pipeline."""

    jobs: list[JobDef] = field(default_factory=list)
    stages: tuple[str, ...] = DEFAULT_STAGES
    workflow_rules: Any = None
    includes: list[IncludeUse] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def variables_of(value: object) -> dict[str, str]:
    """A ``variables:`` block as name → value text (``{value: …, description: …}`` forms too)."""
    if not isinstance(value, Mapping):
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, Mapping):
            v = v.get("value", "")
        if isinstance(v, Mapping | list):
            continue
        out[str(k)] = _text(v)
    return out


def _image(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("name")
    return str(value) if isinstance(value, str) and value else None


def _inherits(body: Mapping[str, Any], what: str, key: str) -> bool:
    inherit = body.get("inherit")
    if not isinstance(inherit, Mapping) or what not in inherit:
        return True
    rule = inherit[what]
    if isinstance(rule, bool):
        return rule
    if isinstance(rule, list):
        return key in [str(x) for x in rule]
    return True


def _needs(value: object) -> tuple[Need, ...] | None:
    if value is None:
        return None
    out: list[Need] = []
    for item in flatten(value):
        if isinstance(item, str):
            out.append(Need(item))
        elif isinstance(item, Mapping) and item.get("job"):
            project = item.get("project")
            out.append(
                Need(str(item["job"]), item.get("artifacts", True) is not False, str(project) if project else None)
            )
        elif isinstance(item, Mapping) and item.get("pipeline"):
            continue  # artifacts of an upstream pipeline's job
    return tuple(out)


def _trigger(value: object) -> Trigger | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Trigger("multi-project", project=value)
    if not isinstance(value, Mapping):
        return None
    forward = value.get("forward")
    fwd = not (isinstance(forward, Mapping) and forward.get("yaml_variables") is False)
    if "project" in value:
        branch = value.get("branch")
        return Trigger("multi-project", project=str(value["project"]), branch=str(branch) if branch else None,
                       forward_variables=fwd)  # fmt: skip
    files: list[str] = []
    other: list[str] = []
    artifact_job: str | None = None
    for item in flatten(value.get("include")):
        if isinstance(item, str):
            (other if item.startswith(("http://", "https://")) else files).append(item.lstrip("/"))
        elif isinstance(item, Mapping):
            if "local" in item:
                files.append(str(item["local"]).lstrip("/"))
            elif "artifact" in item:
                artifact_job = str(item.get("job") or "")
            else:
                other.append(str(next(iter(item.values()), "")))
    return Trigger("child", files=tuple(files), artifact_job=artifact_job, other=tuple(other), forward_variables=fwd)


def _id_tokens(value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        return ()
    out: list[tuple[str, tuple[str, ...]]] = []
    for name, spec in value.items():
        aud = spec.get("aud") if isinstance(spec, Mapping) else None
        auds = tuple(str(a) for a in aud) if isinstance(aud, list) else ((str(aud),) if aud else ())
        out.append((str(name), auds))
    return tuple(out)


def _origin(assembled: Assembled, name: str, body: Mapping[str, Any], root: str) -> tuple[str, int | None]:
    """The file a job is defined in: the first, in GitLab's merge order, that writes it (an included file
    before the file that includes it, which may only adjust the job)."""
    seen = assembled.origins.get(name) or [(root, None)]
    return seen[0]


def _job(
    name: str, body: Mapping[str, Any], top: Mapping[str, Any], file: str, line: int | None, unknown: tuple[str, ...]
) -> JobDef:
    default = top.get("default") if isinstance(top.get("default"), Mapping) else {}
    assert isinstance(default, Mapping)
    eff: dict[str, Any] = dict(body)
    for key in DEFAULT_KEYS:
        if key in eff or not _inherits(body, "default", key):
            continue
        if key in default:
            eff[key] = default[key]
        elif key in LEGACY_GLOBALS and key in top:
            eff[key] = top[key]
    global_vars = variables_of(top.get("variables"))
    variables = {k: v for k, v in global_vars.items() if _inherits(body, "variables", k)}
    variables.update(variables_of(body.get("variables")))
    scripts = tuple(
        ScriptLine(str(item), line_of(item), section)
        for section in SCRIPT_KEYS
        for item in flatten(eff.get(section))
        if isinstance(item, str | int | float)
    )
    env = eff.get("environment")
    env_name = env.get("name") if isinstance(env, Mapping) else env
    action = env.get("action") if isinstance(env, Mapping) else None
    release = eff.get("release") if isinstance(eff.get("release"), Mapping) else None
    secrets = eff.get("secrets")
    artifacts = eff.get("artifacts")
    return JobDef(
        name=name,
        file=file,
        line=line,
        body=eff,
        image=_image(eff.get("image")),
        services=tuple(s for s in (_image(v) for v in flatten(eff.get("services"))) if s),
        scripts=scripts,
        variables=variables,
        own_variables=variables_of(body.get("variables")),
        environment=str(env_name) if isinstance(env_name, str) and env_name else None,
        environment_action=str(action) if action else None,
        id_tokens=_id_tokens(eff.get("id_tokens")),
        secrets=tuple(str(k) for k in secrets) if isinstance(secrets, Mapping) else (),
        stage=str(eff.get("stage") or "test"),
        needs=_needs(eff.get("needs")),
        dependencies=tuple(str(d) for d in flatten(eff["dependencies"])) if "dependencies" in eff else None,
        has_artifacts=isinstance(artifacts, Mapping) and bool(artifacts.get("paths") or artifacts.get("reports")),
        trigger=_trigger(eff.get("trigger")),
        release=release,
        release_line=next((line_of(k) for k in eff if k == "release"), None),
        unknown_bases=unknown,
    )


def resolve(root: CiSource, source: FileSource, context: Context, project: str, server: str) -> Pipeline:
    """The jobs of ``root`` (a project's CI file) with includes, ``extends:`` and ``!reference`` applied."""
    assembled = Assembler(source, context, project, server).assemble(root)
    out = Pipeline(
        includes=assembled.includes, problems=list(assembled.problems), missing=assembled.missing,
        files=assembled.files,
    )  # fmt: skip
    extended, problems, unknown = resolve_extends(assembled.config)
    top, ref_problems = resolve_references(extended)
    out.problems += [(root.file, p) for p in [*problems, *ref_problems]]
    stages = top.get("stages")
    if isinstance(stages, list) and stages:
        out.stages = (".pre", *(str(s) for s in flatten(stages)), ".post")
    workflow = top.get("workflow")
    out.workflow_rules = workflow.get("rules") if isinstance(workflow, Mapping) else None
    for name, body in top.items():
        key = str(name)
        if key in GLOBAL_KEYWORDS or key.startswith(".") or not isinstance(body, Mapping):
            continue
        file, line = _origin(assembled, key, body, root.path)
        out.jobs.append(_job(key, body, top, file, line, unknown.get(key, ())))
    return out
