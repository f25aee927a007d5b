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

from connectors.github.composite import Composite
from connectors.github.owners import CodeOwners, Team
from connectors.github.plaintext import Hit
from connectors.github.sbom import DependencySbom
from connectors.github.workflows import Workflow

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Owner(_Model):
    """``simple-user`` as embedded in a repository: its login, and whether it is a user or an organization."""

    login: str
    type: str | None = None  # "User" or "Organization"


class Repository(_Model):
    """One item of ``GET /orgs/{org}/repos`` (``minimal-repository``)."""

    name: str
    full_name: str = Field(pattern=r"^[^/]+/[^/]+$")  # owner/name: the bundle folder is named after it
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


class DeployKey(_Model):
    """One item of ``GET /repos/{o}/{r}/keys``: an SSH key with read or write access to one repository."""

    id: int
    title: str
    read_only: bool
    created_at: str
    key: str | None = None  # the public half; only its fingerprint is kept
    verified: bool | None = None
    added_by: str | None = None
    last_used: str | None = None
    enabled: bool | None = None


class PatOwner(_Model):
    """The user who owns a fine-grained personal access token."""

    login: str
    type: str | None = None


class PatPermissions(_Model):
    """``permissions`` of a fine-grained token grant: organization, repository and other scopes."""

    organization: dict[str, str] = {}
    repository: dict[str, str] = {}
    other: dict[str, str] = {}


class PatGrant(_Model):
    """One item of ``GET /orgs/{org}/personal-access-tokens`` (``organization-programmatic-access-grant``)."""

    id: int
    owner: PatOwner
    repository_selection: Literal["none", "all", "subset"]
    permissions: PatPermissions
    access_granted_at: str
    token_id: int | None = None
    token_name: str | None = None
    token_expired: bool = False
    token_expires_at: str | None = None
    token_last_used_at: str | None = None


class InstallationAccount(_Model):
    """The account an app is installed on."""

    login: str


class Installation(_Model):
    """One GitHub App installation of ``GET /orgs/{org}/installations``."""

    id: int
    app_id: int
    app_slug: str
    repository_selection: Literal["all", "selected"]
    permissions: dict[str, str]
    created_at: str
    updated_at: str | None = None
    account: InstallationAccount | None = None
    suspended_at: str | None = None
    target_type: str | None = None


class InstallationList(_Model):
    """``GET /orgs/{org}/installations``."""

    total_count: int
    installations: list[Installation]


class OidcSubOrg(_Model):
    """``GET /orgs/{org}/actions/oidc/customization/sub``: the claims that make up the ``sub`` claim."""

    include_claim_keys: list[str]


class OidcSubRepo(_Model):
    """``GET /repos/{o}/{r}/actions/oidc/customization/sub``."""

    use_default: bool
    include_claim_keys: list[str] = []


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
    hits: tuple[Hit, ...] = ()  # credentials committed in the file (fingerprints only)


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
    keys: Loaded[list[DeployKey]] | None = None
    oidc_sub: Loaded[OidcSubRepo] | None = None
    #: Local actions (``action.yml`` under the repository's contents) by their folder path.
    actions: dict[str, Composite] = field(default_factory=dict)
    #: Pipeline files that could not be interpreted: (bundle path, problem). Not analysed: a gap.
    unreadable: tuple[tuple[str, str], ...] = ()
    sbom: Loaded[DependencySbom] | None = None
    tags: Loaded[list[Tag]] | None = None
    runs: Loaded[RunList] | None = None
    #: The first day of the runs' window (from the manifest's call ``GET …/actions/runs?created=>=DAY``).
    runs_since: str | None = None
    #: ``GET /repos/{owner}/{repo}/teams`` and the CODEOWNERS file: who owns what the repository holds.
    teams: Loaded[list[Team]] | None = None
    codeowners: CodeOwners | None = None
    #: The folder its files are under (``github/repos/{folder}``), and whether any file is there (a repository
    #: only listed in its organization's repos.json was not collected).
    folder: str = ""
    collected: bool = False

    @property
    def full_name(self) -> str:
        """``owner/repo``."""
        return f"{self.owner}/{self.name}"


class WorkflowRun(_Model):
    """One run of ``GET /repos/{owner}/{repo}/actions/runs`` (``workflow-run``): when it ran, and which file."""

    id: int
    path: str | None = None
    event: str | None = None
    created_at: str
    updated_at: str
    run_started_at: str | None = None


class RunList(_Model):
    """The runs of the collection window, every page merged."""

    total_count: int
    workflow_runs: list[WorkflowRun]


class Tag(_Model):
    """One item of ``GET /repos/{owner}/{repo}/tags`` (``tag``): its name is what a release is matched to."""

    name: str


@dataclass(frozen=True)
class OrgRaw:
    """Everything collected about one organization."""

    login: str
    org: Loaded[Organization] | None = None
    repos: Loaded[list[Repository]] | None = None
    secrets: Loaded[OrgSecretList] | None = None
    # secret name -> the repositories a "selected" secret is shared with
    selected: dict[str, Loaded[SelectedRepositories]] = field(default_factory=dict)
    pat_grants: Loaded[list[PatGrant]] | None = None
    installations: Loaded[InstallationList] | None = None
    oidc_sub: Loaded[OidcSubOrg] | None = None


@dataclass(frozen=True)
class GitHubRaw:
    """The GitHub part of a bundle, validated."""

    orgs: tuple[OrgRaw, ...] = ()
    repos: tuple[RepoRaw, ...] = ()
    #: Actions of other repositories as referenced: (owner/repo, path, ref) -> definition.
    remote_actions: dict[tuple[str, str, str], Composite] = field(default_factory=dict)
    #: Action files under github/action-refs/ that could not be interpreted.
    unreadable: tuple[tuple[str, str], ...] = ()
    #: Calls manifest.json records as answered 404 or failed (``GET /repos/...``): a file they explain is absent
    #: for a known reason, not a coverage gap of its own.
    answered: frozenset[str] = frozenset()
    #: organizations whose collection failed as a whole: their gap says it all
    failed_scopes: frozenset[str] = frozenset()
