"""Read the ``gitlab/`` folder of a bundle into a validated :class:`GitLabRaw`.

Layout (named after the API paths, with the group or project path in plain text where the API takes
it URL-encoded): ``gitlab/groups/{group}.json``, ``gitlab/groups/{group}/projects.json``,
``gitlab/groups/{group}/{variables,deploy_tokens,access_tokens}.json``,
``gitlab/projects/{path}/{variables,deploy_tokens,access_tokens,protected_environments}.json`` and
``gitlab/projects/{path}/repository/files/.gitlab-ci.yml`` (the raw file).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, TypeVar

from connectors.github.plaintext import scan
from connectors.gitlab.raw import (
    AccessToken,
    CiFile,
    DeployToken,
    GitLabRaw,
    Group,
    Project,
    ProjectRaw,
    ProtectedEnvironment,
    ScopeRaw,
    Variable,
)
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

T = TypeVar("T")
ROOT = "gitlab"
CI_FILE = "repository/files/.gitlab-ci.yml"
SCOPE_FILES = ("variables", "deploy_tokens", "access_tokens")


def _opt(bundle: BundleReader, rel: str, typ: type[T]) -> T | None:
    return bundle.model(rel, typ) if bundle.exists(rel) else None


def _scope_kw(bundle: BundleReader, base: str) -> dict[str, Any]:
    return {
        "variables": _opt(bundle, f"{base}/variables.json", list[Variable]),
        "deploy_tokens": _opt(bundle, f"{base}/deploy_tokens.json", list[DeployToken]),
        "access_tokens": _opt(bundle, f"{base}/access_tokens.json", list[AccessToken]),
    }


def _ci(bundle: BundleReader, rel: str) -> CiFile | None:
    if not bundle.exists(rel):
        return None
    data = bundle.yaml(rel)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BundleError(rel, "a .gitlab-ci.yml must be a YAML mapping")
    return CiFile(rel, {str(k): v for k, v in data.items()}, scan(bundle.text(rel)))


def load(bundle: BundleReader) -> GitLabRaw:
    """Load and validate every GitLab file of the bundle."""
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
    project_paths = set(metas)
    for rel in bundle.files(f"{ROOT}/projects"):
        p = rel.removeprefix(f"{ROOT}/projects/")
        if p.endswith("/" + CI_FILE):
            project_paths.add(p.removesuffix("/" + CI_FILE))
        elif PurePosixPath(p).name.removesuffix(".json") in (*SCOPE_FILES, "protected_environments"):
            project_paths.add(str(PurePosixPath(p).parent))
    projects = tuple(
        ProjectRaw(
            path=path,
            base=f"{ROOT}/projects/{path}",
            meta=metas.get(path),
            protected_environments=_opt(
                bundle, f"{ROOT}/projects/{path}/protected_environments.json", list[ProtectedEnvironment]
            ),
            ci=_ci(bundle, f"{ROOT}/projects/{path}/{CI_FILE}"),
            **_scope_kw(bundle, f"{ROOT}/projects/{path}"),
        )
        for path in sorted(project_paths)
    )
    return GitLabRaw(
        groups=tuple(groups),
        projects=projects,
        group_meta=meta,
        listed=frozenset(listed),
        answered=frozenset(
            c.call for c in bundle.manifest.calls if c.provider == ROOT and c.status in ("not_found", "failed")
        ),
        failed_scopes=failed_scopes(bundle, ROOT),
    )
