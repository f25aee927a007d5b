"""Typed shapes of the GCP REST responses a bundle holds (the JSON ``gcloud ... --format=json`` prints),
and the loaded :class:`GcpRaw`.

Shapes follow the APIs' discovery documents (iam v1, cloudresourcemanager v3, artifactregistry v1,
cloudbuild v1, as shipped in google-api-python-client): ``ServiceAccount``, ``ServiceAccountKey``,
``WorkloadIdentityPool(Provider)``, ``Role``, ``Policy``/``Binding``/``AuditConfig``, ``Project``,
``Folder``, ``Repository``, ``BuildTrigger``. Keys regwarden reads are required; the rest is ignored.
List files hold either the REST page shape (``{"accounts": [...]}``) or gcloud's bare JSON array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from connectors._types import IsoTime

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# --- IAM policies (projects, folders, organizations, repositories, service accounts) --------------


class Expr(_Model):
    """A binding condition (CEL); only its title and text are kept, as trust conditions on edges."""

    expression: str = ""
    title: str = ""


class Binding(_Model):
    """``role`` granted to ``members``, optionally under a condition."""

    role: str
    members: tuple[str, ...] = ()
    condition: Expr | None = None


class AuditLogConfig(_Model):
    """One log type (ADMIN_READ, DATA_READ, DATA_WRITE) enabled for a service."""

    logType: str


class AuditConfig(_Model):
    """Data Access audit logging configured for one service (or ``allServices``)."""

    service: str
    auditLogConfigs: tuple[AuditLogConfig, ...] = ()


class Policy(_Model):
    """``getIamPolicy``: an empty policy is ``{"etag": "ACAB"}`` with no bindings."""

    bindings: tuple[Binding, ...] = ()
    auditConfigs: tuple[AuditConfig, ...] = ()
    etag: str | None = None
    version: int | None = None


# --- Resource Manager v3 -----------------------------------------------------------------------


class Container(_Model):
    """``projects.get`` / ``folders.get`` / ``organizations.get``: its name and parent."""

    name: str  # projects/123, folders/456, organizations/789
    parent: str | None = None
    projectId: str | None = None
    displayName: str | None = None
    state: str | None = None
    labels: dict[str, str] = {}  # projects only; may name an owner (docs/owners.md)


# --- IAM -----------------------------------------------------------------------------------------


class ServiceAccount(_Model):
    """One item of ``projects.serviceAccounts.list``."""

    name: str
    email: str
    projectId: str
    uniqueId: str | None = None
    displayName: str | None = None
    disabled: bool = False


class ServiceAccountKey(_Model):
    """One item of ``projects.serviceAccounts.keys.list`` (metadata only; never ``privateKeyData``)."""

    name: str = Field(pattern=r"^projects/[^/]+/serviceAccounts/[^/]+/keys/[^/]+$")
    keyType: str | None = None
    keyOrigin: str | None = None
    validAfterTime: IsoTime | None = None
    validBeforeTime: IsoTime | None = None
    disabled: bool = False


class Role(_Model):
    """``roles.get`` (predefined) or ``projects|organizations.roles.get`` (custom)."""

    name: str
    includedPermissions: tuple[str, ...] = ()
    title: str | None = None
    stage: str | None = None
    deleted: bool = False


class Oidc(_Model):
    """An OIDC provider's issuer and audiences."""

    issuerUri: str
    allowedAudiences: tuple[str, ...] = ()


class Aws(_Model):
    """An AWS provider's account."""

    accountId: str


class WorkloadIdentityPool(_Model):
    """One item of ``workloadIdentityPools.list``."""

    name: str
    state: str | None = None
    disabled: bool = False
    displayName: str | None = None


class WorkloadIdentityPoolProvider(_Model):
    """One item of ``workloadIdentityPools.providers.list``."""

    name: str
    state: str | None = None
    disabled: bool = False
    attributeMapping: dict[str, str] = {}
    attributeCondition: str | None = None
    oidc: Oidc | None = None
    aws: Aws | None = None
    displayName: str | None = None


# --- Artifact Registry ---------------------------------------------------------------------------


class Repository(_Model):
    """One item of ``projects.locations.repositories.list``."""

    name: str  # projects/p/locations/l/repositories/r
    format: str | None = None
    mode: str | None = None
    description: str | None = None
    cleanupPolicies: dict[str, object] = {}
    dockerConfig: dict[str, object] | None = None
    remoteRepositoryConfig: dict[str, object] | None = None
    virtualRepositoryConfig: dict[str, object] | None = None
    labels: dict[str, str] = {}  # may name an owner (docs/owners.md)


# --- Cloud Build -----------------------------------------------------------------------------------


class ApprovalConfig(_Model):
    """Whether a build from this trigger waits for a human approval."""

    approvalRequired: bool = False


class GitHubEventsConfig(_Model):
    """A trigger on a GitHub repository (1st-gen connection)."""

    owner: str | None = None
    name: str | None = None


class PubsubConfig(_Model):
    """A trigger on a Pub/Sub topic (``projects/p/topics/gcr`` carries Artifact Registry pushes)."""

    topic: str | None = None


class BuildTrigger(_Model):
    """One item of ``projects.triggers.list``."""

    id: str
    name: str | None = None
    description: str | None = None
    disabled: bool = False
    tags: tuple[str, ...] = ()
    serviceAccount: str | None = None
    approvalConfig: ApprovalConfig | None = None
    github: GitHubEventsConfig | None = None
    pubsubConfig: PubsubConfig | None = None
    filename: str | None = None


# --- What load() returns ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loaded(Generic[T]):
    """A parsed file with the bundle path it came from (the evidence reference)."""

    file: str
    data: T


@dataclass(frozen=True, slots=True)
class ServiceAccountRaw:
    """A service account with its keys and its own IAM policy (who may impersonate it)."""

    account: ServiceAccount
    file: str
    keys: Loaded[tuple[ServiceAccountKey, ...]] | None = None
    policy: Loaded[Policy] | None = None


@dataclass(frozen=True, slots=True)
class RepositoryRaw:
    """An Artifact Registry repository and its IAM policy."""

    repo: Repository
    file: str
    policy: Loaded[Policy] | None = None


@dataclass(frozen=True, slots=True)
class PoolRaw:
    """A Workload Identity pool and its providers."""

    pool: WorkloadIdentityPool
    file: str
    providers: Loaded[tuple[WorkloadIdentityPoolProvider, ...]] | None = None


@dataclass(frozen=True, slots=True)
class ProjectRaw:
    """Everything collected for one project; ``None`` means that call was not collected."""

    project_id: str
    meta: Loaded[Container] | None = None
    #: The bindings set on the project: its ``getIamPolicy``, else its ``searchAllIamPolicies`` result.
    policy: Loaded[Policy] | None = None
    #: ``getIamPolicy`` only: the one answer that carries ``auditConfigs`` (None = audit logging not assessed).
    audit: Loaded[Policy] | None = None
    service_accounts: Loaded[tuple[ServiceAccountRaw, ...]] | None = None
    repositories: tuple[Loaded[tuple[RepositoryRaw, ...]], ...] = ()
    pools: Loaded[tuple[PoolRaw, ...]] | None = None
    triggers: Loaded[tuple[BuildTrigger, ...]] | None = None


@dataclass(frozen=True, slots=True)
class GcpRaw:
    """The GCP part of a bundle: projects, their ancestors' policies, and the role definitions."""

    projects: tuple[ProjectRaw, ...] = ()
    containers: dict[str, Loaded[Container]] = field(default_factory=dict)  # folders/x, organizations/y
    policies: dict[str, Loaded[Policy]] = field(default_factory=dict)  # folders/x, organizations/y
    audits: dict[str, Loaded[Policy]] = field(default_factory=dict)  # the same, from getIamPolicy only
    roles: dict[str, Loaded[Role]] = field(default_factory=dict)  # roles/x, projects/p/roles/x, ...
    #: scopes a searchAllIamPolicies answer covers (``organizations/1``, ``folders/2``, ``projects/p``): under
    #: them a resource with no result has no binding of its own (an answer, not a missing file)
    searched: frozenset[str] = frozenset()
    #: search scopes the collection asked for (manifest.json's ``<scope>:searchAllIamPolicies`` scopes)
    searches_expected: frozenset[str] = frozenset()
    #: calls manifest.json records as answered 404 or failed, and scopes whose collection failed as a whole
    answered: frozenset[str] = frozenset()
    failed_scopes: frozenset[str] = frozenset()
