"""Typed shapes of the GitHub REST responses a bundle holds, and the loaded ``GitHubRaw``.

Models ignore fields they do not use (GitHub adds fields often) but require every key
regwarden reads, so a changed API fails loudly with the file named. Shapes follow GitHub's
OpenAPI description (``github/rest-api-description``): ``minimal-repository``,
``organization-actions-secret``, ``actions-secret``, ``environment`` and
``actions-get-default-workflow-permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from connectors.github.workflows import Workflow

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Owner(_Model):
    """``simple-user`` as embedded in a repository: only the login matters here."""

    login: str


class Repository(_Model):
    """One item of ``GET /orgs/{org}/repos`` (``minimal-repository``)."""

    name: str
    full_name: str
    owner: Owner
    private: bool
    html_url: str
    # Optional in minimal-repository, present in practice.
    archived: bool = False
    default_branch: str | None = None


class Organization(_Model):
    """``GET /orgs/{org}``."""

    login: str
    id: int


#: GitHub's rule for secret names; it also keeps a name from steering a bundle path elsewhere.
SECRET_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"  # noqa: S105 - a pattern, not a password


class Secret(_Model):
    """A repository or environment Actions secret: a name and dates, never a value."""

    name: str = Field(pattern=SECRET_NAME)
    created_at: str
    updated_at: str


class SecretList(_Model):
    """``GET /repos/{o}/{r}/actions/secrets`` and ``.../environments/{env}/secrets``."""

    total_count: int
    secrets: list[Secret]


class OrgSecret(Secret):
    """An organization Actions secret and which repositories may read it."""

    visibility: Literal["all", "private", "selected"]
    selected_repositories_url: str | None = None


class OrgSecretList(_Model):
    """``GET /orgs/{org}/actions/secrets``."""

    total_count: int
    secrets: list[OrgSecret]


class SelectedRepositories(_Model):
    """``GET /orgs/{org}/actions/secrets/{name}/repositories``."""

    total_count: int
    repositories: list[Repository]


class WorkflowPermissions(_Model):
    """``GET /repos/{o}/{r}/actions/permissions/workflow``: the GITHUB_TOKEN default."""

    default_workflow_permissions: Literal["read", "write"]
    can_approve_pull_request_reviews: bool


class Reviewer(_Model):
    """One required reviewer (a User or a Team) of an environment."""

    type: str


class ProtectionRule(_Model):
    """One built-in protection rule of an environment (``required_reviewers``, ``wait_timer``, ...)."""

    type: str
    wait_timer: int | None = None
    reviewers: list[Reviewer] = []


class BranchPolicy(_Model):
    """``deployment_branch_policy`` of an environment (null means every branch may deploy)."""

    protected_branches: bool
    custom_branch_policies: bool


class Environment(_Model):
    """One item of ``GET /repos/{o}/{r}/environments``."""

    id: int
    name: str
    # Both are optional in the API description: absent means no rule.
    protection_rules: list[ProtectionRule] = []
    deployment_branch_policy: BranchPolicy | None = None


class EnvironmentList(_Model):
    """``GET /repos/{o}/{r}/environments``."""

    total_count: int
    environments: list[Environment]


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """A parsed bundle file together with its bundle path (the evidence)."""

    file: str
    data: T


@dataclass(frozen=True)
class WorkflowFile:
    """A workflow as committed: its bundle path, its path in the repository and its parsed form."""

    file: str
    path: str  # ".github/workflows/release.yml"
    workflow: Workflow


@dataclass(frozen=True)
class RepoRaw:
    """Everything collected about one repository; ``None`` means the file was not collected."""

    owner: str
    name: str
    meta: Loaded[Repository] | None = None
    secrets: Loaded[SecretList] | None = None
    permissions: Loaded[WorkflowPermissions] | None = None
    environments: Loaded[EnvironmentList] | None = None
    env_secrets: dict[str, Loaded[SecretList]] = field(default_factory=dict)
    workflows: tuple[WorkflowFile, ...] = ()

    @property
    def full_name(self) -> str:
        """``owner/repo``."""
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class OrgRaw:
    """Everything collected about one organization."""

    login: str
    org: Loaded[Organization] | None = None
    repos: Loaded[list[Repository]] | None = None
    secrets: Loaded[OrgSecretList] | None = None
    # secret name -> the repositories a "selected" secret is shared with
    selected: dict[str, Loaded[SelectedRepositories]] = field(default_factory=dict)


@dataclass(frozen=True)
class GitHubRaw:
    """The GitHub part of a bundle, validated."""

    orgs: tuple[OrgRaw, ...] = ()
    repos: tuple[RepoRaw, ...] = ()
