"""Typed shapes of the GitLab REST (v4) responses a bundle holds, and the loaded ``GitLabRaw``.

CI/CD variable values are never kept: collection replaces ``value`` with ``value_fingerprint``
(a keyed HMAC) before writing, so the same value in two projects can still be recognised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from connectors.gitlab.includes import CiSource


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Group(_Model):
    """``GET /groups/:id``."""

    id: int
    full_path: str


class Project(_Model):
    """One item of ``GET /groups/:id/projects``."""

    id: int
    path_with_namespace: str
    default_branch: str | None = None
    archived: bool = False
    visibility: str | None = None
    web_url: str | None = None
    container_registry_image_prefix: str | None = None
    ci_config_path: str | None = None  # a custom CI file path ("" or None: .gitlab-ci.yml)


class Variable(_Model):
    """A project or group CI/CD variable: name and flags; the value only as a fingerprint."""

    key: str
    masked: bool = False
    protected: bool = False
    environment_scope: str = "*"
    variable_type: str = "env_var"
    value_fingerprint: str | None = None


class DeployToken(_Model):
    """``GET /projects/:id/deploy_tokens`` / ``GET /groups/:id/deploy_tokens``."""

    id: int
    name: str
    scopes: list[str]
    expires_at: str | None = None
    revoked: bool = False
    expired: bool = False


class AccessToken(_Model):
    """``GET /projects/:id/access_tokens`` / ``GET /groups/:id/access_tokens``."""

    id: int
    name: str
    scopes: list[str]
    access_level: int
    created_at: str
    revoked: bool = False
    active: bool = True
    expires_at: str | None = None
    last_used_at: str | None = None


class Member(_Model):
    """One item of ``GET /projects/:id/members`` / ``GET /groups/:id/members`` (direct members)."""

    username: str
    access_level: int
    state: str | None = None  # "active", "blocked", "awaiting" …


class ApprovalRule(_Model):
    """One approval rule of a protected environment."""

    required_approvals: int = 1


class ProtectedEnvironment(_Model):
    """``GET /projects/:id/protected_environments``."""

    name: str
    required_approval_count: int = 0
    approval_rules: list[ApprovalRule] = []
    deploy_access_levels: list[dict[str, Any]] = []


class ProtectedRef(_Model):
    """One item of ``GET /projects/:id/protected_branches`` or ``…/protected_tags`` (a name or a wildcard)."""

    name: str


class JobTokenScope(_Model):
    """``GET /projects/:id/job_token_scope``: whether other projects' job tokens need the allowlist."""

    inbound_enabled: bool


class AllowedProject(_Model):
    """One item of ``GET /projects/:id/job_token_scope/allowlist``."""

    path_with_namespace: str


class AllowedGroup(_Model):
    """One item of ``GET /projects/:id/job_token_scope/groups_allowlist``."""

    full_path: str


@dataclass(frozen=True)
class JobTokenAccess:
    """Which other projects' job tokens can reach a project (None: that list was not collected)."""

    scope: JobTokenScope | None = None
    projects: list[AllowedProject] | None = None
    groups: list[AllowedGroup] | None = None

    def allows(self, project: str) -> bool | None:
        """Whether a job token of ``project`` can reach this one (None: not known)."""
        if self.scope is not None and not self.scope.inbound_enabled:
            return True
        if self.projects is None and self.groups is None:
            return None
        if any(p.path_with_namespace == project for p in self.projects or []):
            return True
        if any(project.startswith(g.full_path + "/") for g in self.groups or []):
            return True
        return False if self.projects is not None and self.groups is not None else None


@dataclass(frozen=True)
class ScopeRaw:
    """What was collected for a group or a project (``None``: not collected)."""

    path: str
    base: str  # bundle folder
    variables: list[Variable] | None = None
    deploy_tokens: list[DeployToken] | None = None
    access_tokens: list[AccessToken] | None = None
    members: list[Member] | None = None


@dataclass(frozen=True)
class ProjectRaw(ScopeRaw):
    """A project: its scope files plus environments and CI file."""

    meta: Project | None = None
    protected_environments: list[ProtectedEnvironment] | None = None
    protected_branches: list[ProtectedRef] | None = None
    protected_tags: list[ProtectedRef] | None = None
    job_token: JobTokenAccess = field(default_factory=JobTokenAccess)
    ci: CiSource | None = None
    #: the project's collected pipeline files at the pipeline's ref, by repository path
    files: dict[str, CiSource] = field(default_factory=dict)


@dataclass(frozen=True)
class GitLabRaw:
    """The GitLab part of a bundle, validated."""

    groups: tuple[ScopeRaw, ...] = ()
    projects: tuple[ProjectRaw, ...] = ()
    group_meta: dict[str, Group] = field(default_factory=dict)
    instance_variables: list[Variable] | None = None
    #: files of any project at a named ref (``project:`` includes, components): (project, ref, path)
    ref_files: dict[tuple[str, str, str], CiSource] = field(default_factory=dict)
    templates: dict[str, CiSource] = field(default_factory=dict)
    #: groups whose projects.json was collected
    listed: frozenset[str] = frozenset()
    #: calls manifest.json records as answered 404 or failed (a file they explain is absent for a known
    #: reason), and the top-level groups whose collection failed as a whole
    answered: frozenset[str] = frozenset()
    failed_scopes: frozenset[str] = frozenset()
