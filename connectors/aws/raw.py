"""AWS native shapes (the JSON the API and the ``aws`` CLI return), as pydantic models.

Shapes follow the botocore service models of iam, ecr, codeartifact, secretsmanager, codebuild,
codepipeline, events and cloudtrail. Keys the transform relies on are required so that a changed API
fails loudly; the rest is optional. Policy documents may be JSON text (ECR, CodeArtifact, Secrets
Manager) or already parsed (IAM through the SDK/CLI); IAM documents given as text may also be
URL-encoded, as the IAM API itself returns them. Every policy text is checked to be a JSON object when
the bundle is read (a malformed one is refused naming its file). Dates are kept as the text AWS wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import AfterValidator, BaseModel, ConfigDict

from connectors._types import JsonObjectText

_CONFIG = ConfigDict(frozen=True, extra="ignore", defer_build=True)


def _iam_document(value: dict[str, Any] | str) -> dict[str, Any] | str:
    """An IAM policy document as the SDK/CLI parsed it, or as JSON text: plain, or URL-encoded (RFC 3986)
    as the IAM API returns it, decoded as botocore decodes it (``unquote``: ``+`` stays ``+``). Text is
    kept as decoded JSON text; text that is not a JSON object, decoded or not, is refused here."""
    if isinstance(value, dict):
        return value
    text = value
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        try:  # URL-encoded ("{" is "%7B", never valid JSON): decode only text that is not JSON already
            text = unquote(value, errors="strict")
            parsed = json.loads(text)
        except (ValueError, RecursionError) as e:  # ValueError: also a %-escape that is not UTF-8
            raise ValueError("policy document is not JSON (nor URL-encoded JSON)") from e
    if not isinstance(parsed, dict):
        raise ValueError("policy document is not a JSON object")
    return text


#: An IAM policy document: parsed, or JSON object text (URL-encoded or not), checked when read.
Document = Annotated[dict[str, Any] | str, AfterValidator(_iam_document)]


class _M(BaseModel):
    model_config = _CONFIG


# --- IAM: get-account-authorization-details -------------------------------------------------------


class AttachedPolicy(_M):
    """An attached managed policy (by ARN)."""

    PolicyArn: str
    PolicyName: str | None = None


class InlinePolicy(_M):
    """An inline policy of a user, group or role."""

    PolicyName: str
    PolicyDocument: Document


class Boundary(_M):
    """A permissions boundary."""

    PermissionsBoundaryArn: str
    PermissionsBoundaryType: str | None = None


class UserDetail(_M):
    """One entry of ``UserDetailList``."""

    UserName: str
    Arn: str
    CreateDate: str
    Path: str = "/"
    GroupList: tuple[str, ...] = ()
    UserPolicyList: tuple[InlinePolicy, ...] = ()
    AttachedManagedPolicies: tuple[AttachedPolicy, ...] = ()
    PermissionsBoundary: Boundary | None = None
    Tags: tuple[dict[str, str], ...] = ()


class GroupDetail(_M):
    """One entry of ``GroupDetailList``."""

    GroupName: str
    Arn: str
    GroupPolicyList: tuple[InlinePolicy, ...] = ()
    AttachedManagedPolicies: tuple[AttachedPolicy, ...] = ()


class LastUsed(_M):
    """``RoleLastUsed``: empty when never used (or not tracked yet)."""

    LastUsedDate: str | None = None
    Region: str | None = None


class RoleDetail(_M):
    """One entry of ``RoleDetailList``."""

    RoleName: str
    Arn: str
    CreateDate: str
    Path: str = "/"
    AssumeRolePolicyDocument: Document | None = None
    RolePolicyList: tuple[InlinePolicy, ...] = ()
    AttachedManagedPolicies: tuple[AttachedPolicy, ...] = ()
    PermissionsBoundary: Boundary | None = None
    RoleLastUsed: LastUsed | None = None
    Tags: tuple[dict[str, str], ...] = ()
    #: The instance profiles carrying the role (an EC2 instance can run as it).
    InstanceProfileList: tuple[dict[str, Any], ...] = ()


class PolicyVersion(_M):
    """One version of a managed policy."""

    Document: Document
    VersionId: str
    IsDefaultVersion: bool


class ManagedPolicy(_M):
    """One entry of ``Policies`` (moto leaves ``PolicyName`` out; the real API returns it)."""

    Arn: str
    PolicyName: str | None = None
    DefaultVersionId: str | None = None
    PolicyVersionList: tuple[PolicyVersion, ...] = ()

    def default_document(self) -> Document | None:
        """The document of the default version."""
        for v in self.PolicyVersionList:
            if v.IsDefaultVersion or v.VersionId == self.DefaultVersionId:
                return v.Document
        return None


class AuthDetails(_M):
    """``aws iam get-account-authorization-details`` with every page merged."""

    UserDetailList: tuple[UserDetail, ...] = ()
    GroupDetailList: tuple[GroupDetail, ...] = ()
    RoleDetailList: tuple[RoleDetail, ...] = ()
    Policies: tuple[ManagedPolicy, ...] = ()


# --- IAM: keys, credential report, OIDC providers ------------------------------------------------


class AccessKey(_M):
    """``AccessKeyMetadata[]`` of ``list-access-keys``."""

    UserName: str
    AccessKeyId: str
    Status: str
    CreateDate: str


class AccessKeys(_M):
    """``aws iam list-access-keys --user-name U``."""

    AccessKeyMetadata: tuple[AccessKey, ...]


class KeyLastUsed(_M):
    """``AccessKeyLastUsed`` (``LastUsedDate`` absent when never used)."""

    LastUsedDate: str | None = None
    ServiceName: str | None = None
    Region: str | None = None


class AccessKeyLastUsed(_M):
    """``aws iam get-access-key-last-used --access-key-id K``."""

    UserName: str | None = None
    AccessKeyLastUsed: KeyLastUsed


class OidcProviderRef(_M):
    """``OpenIDConnectProviderList[]``."""

    Arn: str


class OidcProviders(_M):
    """``aws iam list-open-id-connect-providers``."""

    OpenIDConnectProviderList: tuple[OidcProviderRef, ...]


class OidcProvider(_M):
    """``aws iam get-open-id-connect-provider --open-id-connect-provider-arn A``."""

    Url: str
    ClientIDList: tuple[str, ...] = ()
    CreateDate: str | None = None


# --- ECR -------------------------------------------------------------------------------------------


class EcrRepository(_M):
    """``repositories[]`` of ``describe-repositories``."""

    repositoryArn: str
    registryId: str
    repositoryName: str
    imageTagMutability: str | None = None
    imageScanningConfiguration: dict[str, Any] | None = None


class EcrRepositories(_M):
    """``aws ecr describe-repositories``."""

    repositories: tuple[EcrRepository, ...]


def tag_pairs(tags: tuple[dict[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """AWS's ``[{"Key": k, "Value": v}]`` as node tags (sorted, each pair once)."""
    return tuple(sorted({(t["Key"], t.get("Value", "")) for t in tags if "Key" in t}))


class EcrTags(_M):
    """``aws ecr list-tags-for-resource --resource-arn ARN`` (a repository's tags; they may name an owner)."""

    tags: tuple[dict[str, str], ...] = ()


class EcrRepositoryPolicy(_M):
    """``aws ecr get-repository-policy --repository-name R``."""

    repositoryName: str
    policyText: JsonObjectText


class EcrRegistryPolicy(_M):
    """``aws ecr get-registry-policy``."""

    registryId: str
    policyText: JsonObjectText


class PullThroughCacheRule(_M):
    """``pullThroughCacheRules[]``."""

    ecrRepositoryPrefix: str
    upstreamRegistryUrl: str
    upstreamRegistry: str | None = None


class PullThroughCacheRules(_M):
    """``aws ecr describe-pull-through-cache-rules``."""

    pullThroughCacheRules: tuple[PullThroughCacheRule, ...]


class EcrRegistry(_M):
    """``aws ecr describe-registry``."""

    registryId: str
    replicationConfiguration: dict[str, Any] | None = None


# --- CodeArtifact ----------------------------------------------------------------------------------


class CaDomain(_M):
    """``domains[]`` of ``list-domains``."""

    name: str
    owner: str | None = None
    arn: str | None = None


class CaDomains(_M):
    """``aws codeartifact list-domains``."""

    domains: tuple[CaDomain, ...]


class CaRepositorySummary(_M):
    """``repositories[]`` of ``list-repositories``."""

    name: str
    domainName: str
    domainOwner: str | None = None
    arn: str


class CaRepositories(_M):
    """``aws codeartifact list-repositories``."""

    repositories: tuple[CaRepositorySummary, ...]


class CaExternalConnection(_M):
    """An external connection (a mirror of a public registry)."""

    externalConnectionName: str
    packageFormat: str | None = None
    status: str | None = None


class CaUpstream(_M):
    """An upstream repository."""

    repositoryName: str


class CaRepository(_M):
    """``repository`` of ``describe-repository``."""

    name: str
    domainName: str
    arn: str
    upstreams: tuple[CaUpstream, ...] = ()
    externalConnections: tuple[CaExternalConnection, ...] = ()


class CaRepositoryDescription(_M):
    """``aws codeartifact describe-repository --domain D --repository R``."""

    repository: CaRepository


class CaPolicy(_M):
    """``policy`` of a domain or repository permissions policy."""

    document: JsonObjectText
    resourceArn: str | None = None


class CaPolicyAnswer(_M):
    """``aws codeartifact get-(domain|repository)-permissions-policy``."""

    policy: CaPolicy


# --- Secrets Manager -------------------------------------------------------------------------------


class Secret(_M):
    """``SecretList[]`` of ``list-secrets`` (metadata only)."""

    ARN: str
    Name: str
    RotationEnabled: bool | None = None
    LastRotatedDate: str | None = None
    LastAccessedDate: str | None = None
    CreatedDate: str | None = None


class Secrets(_M):
    """``aws secretsmanager list-secrets``."""

    SecretList: tuple[Secret, ...]


class SecretPolicy(_M):
    """``aws secretsmanager get-resource-policy --secret-id S``."""

    ARN: str
    ResourcePolicy: JsonObjectText | None = None


# --- CodeBuild / CodePipeline / EventBridge / CloudTrail --------------------------------------------


class EnvVar(_M):
    """A build environment variable. PLAINTEXT values are never stored: fetch replaces ``value`` by
    ``valueFingerprint`` and ``valueDetector`` (the credential pattern found, if any)."""

    name: str
    type: str | None = None
    value: str | None = None
    valueFingerprint: str | None = None
    valueDetector: str | None = None


class BuildEnvironment(_M):
    """``environment`` of a project."""

    environmentVariables: tuple[EnvVar, ...] = ()


class BuildProject(_M):
    """``projects[]`` of ``batch-get-projects``."""

    name: str
    arn: str
    serviceRole: str | None = None
    environment: BuildEnvironment | None = None


class BuildProjects(_M):
    """``aws codebuild batch-get-projects --names ...``."""

    projects: tuple[BuildProject, ...]


class ActionType(_M):
    """``actionTypeId`` of a pipeline action."""

    category: str
    owner: str
    provider: str


class PipelineAction(_M):
    """One action of a stage."""

    name: str
    actionTypeId: ActionType
    configuration: dict[str, str] | None = None
    roleArn: str | None = None


class PipelineStage(_M):
    """One stage."""

    name: str
    actions: tuple[PipelineAction, ...]


class PipelineDecl(_M):
    """``pipeline`` of ``get-pipeline``."""

    name: str
    roleArn: str
    stages: tuple[PipelineStage, ...]


class Pipeline(_M):
    """``aws codepipeline get-pipeline --name P``."""

    pipeline: PipelineDecl
    metadata: dict[str, Any] | None = None


class EventRule(_M):
    """``Rules[]`` of ``list-rules``."""

    Name: str
    Arn: str
    EventPattern: str | None = None
    State: str | None = None


class EventRules(_M):
    """``aws events list-rules``."""

    Rules: tuple[EventRule, ...]


class EventTarget(_M):
    """``Targets[]`` of ``list-targets-by-rule``."""

    Id: str
    Arn: str


class EventTargets(_M):
    """``aws events list-targets-by-rule --rule R``."""

    Targets: tuple[EventTarget, ...]


class Trail(_M):
    """``trailList[]`` of ``describe-trails``."""

    Name: str
    TrailARN: str
    HomeRegion: str | None = None
    IsMultiRegionTrail: bool = False


class Trails(_M):
    """``aws cloudtrail describe-trails``."""

    trailList: tuple[Trail, ...]


class EventSelectors(_M):
    """``aws cloudtrail get-event-selectors --trail-name T``."""

    TrailARN: str | None = None
    EventSelectors: tuple[dict[str, Any], ...] | None = None
    AdvancedEventSelectors: tuple[dict[str, Any], ...] | None = None


# --- what load() returns ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Region:
    """One region of one account; None/empty means not collected."""

    name: str
    folder: str
    ecr: EcrRepositories | None = None
    ecr_policies: dict[str, EcrRepositoryPolicy] = field(default_factory=dict)
    #: ``ecr-list-tags-for-resource/<repository>.json`` by repository name.
    ecr_tags: dict[str, EcrTags] = field(default_factory=dict)
    ecr_registry_policy: EcrRegistryPolicy | None = None
    ecr_registry: EcrRegistry | None = None
    pull_through: PullThroughCacheRules | None = None
    ca_domains: CaDomains | None = None
    ca_domain_policies: dict[str, CaPolicyAnswer] = field(default_factory=dict)
    ca_repositories: CaRepositories | None = None
    ca_descriptions: dict[tuple[str, str], CaRepositoryDescription] = field(default_factory=dict)
    ca_repo_policies: dict[tuple[str, str], CaPolicyAnswer] = field(default_factory=dict)
    secrets: Secrets | None = None
    secret_policies: dict[str, SecretPolicy] = field(default_factory=dict)
    builds: BuildProjects | None = None
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    rules: EventRules | None = None
    targets: dict[str, EventTargets] = field(default_factory=dict)
    trails: Trails | None = None
    selectors: dict[str, EventSelectors] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Account:
    """One account's files; ``auth`` None means IAM was not collected."""

    account_id: str
    folder: str
    auth: AuthDetails | None = None
    credential_report: tuple[dict[str, str], ...] | None = None
    access_keys: dict[str, AccessKeys] = field(default_factory=dict)
    key_last_used: dict[str, AccessKeyLastUsed] = field(default_factory=dict)
    oidc_providers: dict[str, OidcProvider] = field(default_factory=dict)
    regions: tuple[Region, ...] = ()
    #: calls of this account that manifest.json records as ``not_found`` (the answer: there is none) and as
    #: ``failed`` (a gap already): an absent file either explains is not a gap of its own
    not_found: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    #: the account's collection failed as a whole (its gap says it all)
    scope_failed: bool = False

    def answered(self, call: str) -> bool:
        """Whether manifest.json records ``call`` (``service op [name] (region)``, its ``(region)`` part may be
        left out) as answered 404 or failed."""
        return self.scope_failed or any(c == call or c.startswith(call + " (") for c in self.not_found | self.failed)

    def absent(self, call: str) -> bool:
        """Whether manifest.json records ``call`` as answered 404: there is no such thing."""
        return any(c == call or c.startswith(call + " (") for c in self.not_found)


@dataclass(frozen=True, slots=True)
class AwsRaw:
    """The ``aws/`` part of a bundle."""

    accounts: tuple[Account, ...] = ()
    #: ``manifest.json``'s ``collected_at``: a policy condition that could only hold before it never applies.
    collected_at: str | None = None
