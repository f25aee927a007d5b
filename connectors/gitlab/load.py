"""Read the ``gitlab/`` folder of a bundle into a validated :class:`GitLabRaw`.

Layout (named after the API paths, with the group or project path in plain text where the API takes
it URL-encoded): ``gitlab/groups/{group}.json``, ``gitlab/groups/{group}/projects.json``,
``gitlab/groups/{group}/{variables,deploy_tokens,access_tokens,members}.json``,
``gitlab/projects/{path}/{variables,deploy_tokens,access_tokens,members,protected_environments,protected_branches,
protected_tags}.json``, ``gitlab/projects/{path}/job_token_scope.json`` (and ``job_token_scope/allowlist.json``,
``job_token_scope/groups_allowlist.json``), ``gitlab/admin/ci/variables.json`` (instance variables), and the
pipeline files: ``gitlab/projects/{path}/repository/files/{file}`` (the project's files at the pipeline's
ref: its CI file and local includes), ``gitlab/projects/{path}/-/raw/{ref}/{file}`` (a file at a named ref:
``project:`` includes and components; a ``/`` in the ref is ``%2F``) and
``gitlab/templates/gitlab_ci_ymls/{name}`` (GitLab's templates).

A pipeline file that does not parse is not bad input: it is loaded as a problem, and the project's
analysis reports it as a coverage gap.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, TypeVar
from urllib.parse import unquote

from connectors.github.plaintext import scan
from connectors.gitlab.ciyaml import load_documents
from connectors.gitlab.includes import CiSource
from connectors.gitlab.raw import (
    AccessToken,
    AllowedGroup,
    AllowedProject,
    DeployToken,
    GitLabRaw,
    Group,
    JobTokenAccess,
    JobTokenScope,
    Member,
    Project,
    ProjectRaw,
    ProtectedEnvironment,
    ProtectedRef,
    ScopeRaw,
    Variable,
)
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

T = TypeVar("T")
ROOT = "gitlab"
CI_PATH = ".gitlab-ci.yml"
FILES = "repository/files"
CI_FILE = f"{FILES}/{CI_PATH}"
RAW = "-/raw"
TEMPLATES = f"{ROOT}/templates/gitlab_ci_ymls"
INSTANCE_VARIABLES = f"{ROOT}/admin/ci/variables.json"
SCOPE_FILES = ("variables", "deploy_tokens", "access_tokens", "members")
PROJECT_FILES = (*SCOPE_FILES, "protected_environments", "protected_branches", "protected_tags", "job_token_scope")


def _opt(bundle: BundleReader, rel: str, typ: type[T]) -> T | None:
    return bundle.model(rel, typ) if bundle.exists(rel) else None


def _scope_kw(bundle: BundleReader, base: str) -> dict[str, Any]:
    return {
        "variables": _opt(bundle, f"{base}/variables.json", list[Variable]),
        "deploy_tokens": _opt(bundle, f"{base}/deploy_tokens.json", list[DeployToken]),
        "access_tokens": _opt(bundle, f"{base}/access_tokens.json", list[AccessToken]),
        "members": _opt(bundle, f"{base}/members.json", list[Member]),
    }


def ci_source(bundle: BundleReader, rel: str, path: str) -> CiSource:
    """A pipeline file as loaded (its documents), or the problem that keeps it from being read."""
    try:
        text = bundle.text(rel)
        docs = bundle.yaml(rel, text, load=load_documents)
    except BundleError as e:
        return CiSource(rel, path, problem=e.problem)
    return CiSource(rel, path, tuple(docs), hits=scan(text))


def _pipeline_file(rel: str) -> tuple[str, str | None, str] | None:
    """(project, ref or None, repository path) of a pipeline file's bundle path."""
    p = rel.removeprefix(f"{ROOT}/projects/")
    for marker in (f"/{FILES}/", f"/{RAW}/"):
        project, sep, rest = p.partition(marker)
        if not sep or not project:
            continue
        if marker == f"/{FILES}/":
            return project, None, rest
        ref, _, path = rest.partition("/")
        return (project, unquote(ref), path) if ref and path else None
    return None


def _groups(bundle: BundleReader) -> tuple[list[ScopeRaw], dict[str, Group], dict[str, Project], frozenset[str]]:
    group_paths: set[str] = set()
    for rel in bundle.files(f"{ROOT}/groups"):
        p = rel.removeprefix(f"{ROOT}/groups/")
        name = PurePosixPath(p).name
        if name in ("projects.json", "descendant_groups.json") or name.removesuffix(".json") in SCOPE_FILES:
            group_paths.add(str(PurePosixPath(p).parent))
        elif rel.endswith(".json"):
            group_paths.add(p.removesuffix(".json"))
    groups: list[ScopeRaw] = []
    meta: dict[str, Group] = {}
    metas: dict[str, Project] = {}
    listed: set[str] = set()
    for g in sorted(group_paths):
        base = f"{ROOT}/groups/{g}"
        if (gm := _opt(bundle, f"{base}.json", Group)) is not None:
            meta[g] = gm
        listing = _opt(bundle, f"{base}/projects.json", list[Project])
        if listing is not None:
            listed.add(g)
        for proj in listing or []:
            metas.setdefault(proj.path_with_namespace, proj)
        groups.append(ScopeRaw(path=g, base=base, **_scope_kw(bundle, base)))
    return groups, meta, metas, frozenset(listed)


def _project(bundle: BundleReader, path: str, meta: Project | None, files: dict[str, CiSource]) -> ProjectRaw:
    base = f"{ROOT}/projects/{path}"
    ci_path = (meta.ci_config_path if meta is not None and meta.ci_config_path else CI_PATH).lstrip("/")
    return ProjectRaw(
        path=path,
        base=base,
        meta=meta,
        protected_environments=_opt(bundle, f"{base}/protected_environments.json", list[ProtectedEnvironment]),
        protected_branches=_opt(bundle, f"{base}/protected_branches.json", list[ProtectedRef]),
        protected_tags=_opt(bundle, f"{base}/protected_tags.json", list[ProtectedRef]),
        job_token=JobTokenAccess(
            scope=_opt(bundle, f"{base}/job_token_scope.json", JobTokenScope),
            projects=_opt(bundle, f"{base}/job_token_scope/allowlist.json", list[AllowedProject]),
            groups=_opt(bundle, f"{base}/job_token_scope/groups_allowlist.json", list[AllowedGroup]),
        ),
        ci=files.get(ci_path),
        files=files,
        **_scope_kw(bundle, base),
    )


def load(bundle: BundleReader) -> GitLabRaw:
    """Load and validate every GitLab file of the bundle."""
    groups, meta, metas, listed = _groups(bundle)
    project_paths = set(metas)
    files: dict[str, dict[str, CiSource]] = {}
    ref_files: dict[tuple[str, str, str], CiSource] = {}
    for rel in bundle.files(f"{ROOT}/projects"):
        found = _pipeline_file(rel)
        if found is not None:
            project, ref, path = found
            if ref is None:
                project_paths.add(project)
                files.setdefault(project, {})[path] = ci_source(bundle, rel, path)
            else:
                ref_files[(project, ref, path)] = ci_source(bundle, rel, path)
            continue
        p = rel.removeprefix(f"{ROOT}/projects/")
        if PurePosixPath(p).name.removesuffix(".json") in PROJECT_FILES:
            project_paths.add(str(PurePosixPath(p).parent))
        elif p.endswith("/job_token_scope/allowlist.json") or p.endswith("/job_token_scope/groups_allowlist.json"):
            project_paths.add(p.rsplit("/job_token_scope/", 1)[0])
    templates = {
        rel.removeprefix(f"{TEMPLATES}/"): ci_source(bundle, rel, rel.removeprefix(f"{TEMPLATES}/"))
        for rel in bundle.files(TEMPLATES)
    }
    projects = tuple(_project(bundle, path, metas.get(path), files.get(path, {})) for path in sorted(project_paths))
    return GitLabRaw(
        groups=tuple(groups),
        projects=projects,
        group_meta=meta,
        instance_variables=_opt(bundle, INSTANCE_VARIABLES, list[Variable]),
        ref_files=ref_files,
        templates=templates,
        listed=frozenset(listed),
        answered=frozenset(
            c.call for c in bundle.manifest.calls if c.provider == ROOT and c.status in ("not_found", "failed")
        ),
        failed_scopes=failed_scopes(bundle, ROOT),
    )
