"""Azure's native shapes (ARM and Microsoft Graph), as pydantic models, and the loaded ``AzureRaw``.

ARM resources come in two spellings and both are accepted: the REST body (``{"id", "name",
"properties": {...}}``, what ``az rest`` prints and what the collector stores) and the flattened
form that ``az ... -o json`` prints (properties lifted to the top level; a role definition's
``properties.type`` becomes ``roleType``). A list file is a page (``{"value": [...]}``) or a bare
list. Shapes follow the REST specs (azure-rest-api-specs: Microsoft.Authorization 2022-04-01,
Microsoft.ContainerRegistry, Microsoft.ManagedIdentity 2024-11-30) and Microsoft Graph v1.0
(application, servicePrincipal, passwordCredential, keyCredential, federatedIdentityCredential).
Fields we rely on are required; anything else is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")
_CONFIG = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
_ASSIGNMENT_SEGMENT = "/providers/microsoft.authorization/roleassignments/"
_ARM_TOP = frozenset({"id", "name", "type", "location", "sku", "identity", "tags", "systemData", "properties"})


def _lift_properties(data: Any, renames: dict[str, str] | None = None) -> Any:
    """Accept ``az -o json`` output: gather top-level fields into ``properties`` when it is absent."""
    if isinstance(data, dict) and "properties" not in data:
        props = {k: v for k, v in data.items() if k not in _ARM_TOP}
        for src, dst in (renames or {}).items():
            if src in data:
                props[dst] = data[src]
        return {**{k: v for k, v in data.items() if k in _ARM_TOP}, "properties": props}
    return data


class _Model(BaseModel):
    model_config = _CONFIG


class _ArmResource(_Model):
    """Common ARM envelope."""

    id: str
    name: str
    tags: dict[str, str] | None = None  # may name an owner (docs/owners.md); ARM writes null for none

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        return _lift_properties(data)

    @property
    def tag_pairs(self) -> tuple[tuple[str, str], ...]:
        """The resource's tags as node tags, sorted."""
        return tuple(sorted((self.tags or {}).items()))


# --- Subscriptions ----------------------------------------------------------------------------------


class Subscription(_Model):
    """``GET /subscriptions/{id}`` (``az account show``)."""

    subscription_id: str = Field(alias="subscriptionId")
    display_name: str | None = Field(default=None, alias="displayName")
    state: str | None = None
    tenant_id: str | None = Field(default=None, alias="tenantId")

    @model_validator(mode="before")
    @classmethod
    def _az(cls, data: Any) -> Any:
        # az account show prints id = the subscription id and name = the display name.
        if isinstance(data, dict) and "subscriptionId" not in data and "id" in data:
            return {"subscriptionId": data["id"], "displayName": data.get("name"), **data}
        return data


# --- Authorization ----------------------------------------------------------------------------------


class RoleAssignmentProps(_Model):
    """``properties`` of a role assignment."""

    role_definition_id: str = Field(alias="roleDefinitionId")
    principal_id: str = Field(alias="principalId")
    principal_type: str | None = Field(default=None, alias="principalType")
    scope: str
    condition: str | None = None


class RoleAssignment(_ArmResource):
    """One role assignment (``az role assignment list --all``, or a Resource Graph ``authorizationresources`` row)."""

    properties: RoleAssignmentProps

    @model_validator(mode="before")
    @classmethod
    def _scope_from_id(cls, data: Any) -> Any:
        # An assignment's id is "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}": when a row
        # leaves properties.scope out, the id still says it.
        data = _lift_properties(data)
        if isinstance(data, dict) and isinstance(data.get("id"), str) and isinstance(data.get("properties"), dict):
            props = data["properties"]
            cut = data["id"].lower().rfind(_ASSIGNMENT_SEGMENT)
            if "scope" not in props and cut >= 0:
                return {**data, "properties": {**props, "scope": data["id"][:cut] or "/"}}
        return data


class Permissions(_Model):
    """One entry of a role definition's ``permissions``."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = Field(default=(), alias="notActions")
    data_actions: tuple[str, ...] = Field(default=(), alias="dataActions")
    not_data_actions: tuple[str, ...] = Field(default=(), alias="notDataActions")


class RoleDefinitionProps(_Model):
    """``properties`` of a role definition."""

    role_name: str = Field(alias="roleName")
    type: str | None = None  # BuiltInRole / CustomRole
    permissions: tuple[Permissions, ...]
    assignable_scopes: tuple[str, ...] = Field(default=(), alias="assignableScopes")


class RoleDefinition(_Model):
    """One role definition (``az role definition list``)."""

    id: str
    name: str
    properties: RoleDefinitionProps

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        return _lift_properties(data, {"roleType": "type"})


# --- Container Registry -----------------------------------------------------------------------------


class Sku(_Model):
    """``sku`` of a registry."""

    name: str


class NetworkRuleSet(_Model):
    """``networkRuleSet``: the default action for traffic from outside the allowed networks."""

    default_action: str | None = Field(default=None, alias="defaultAction")


class RegistryProps(_Model):
    """``properties`` of a container registry."""

    login_server: str = Field(alias="loginServer")
    admin_user_enabled: bool = Field(alias="adminUserEnabled")
    anonymous_pull_enabled: bool | None = Field(default=None, alias="anonymousPullEnabled")
    public_network_access: str | None = Field(default=None, alias="publicNetworkAccess")
    network_rule_set: NetworkRuleSet | None = Field(default=None, alias="networkRuleSet")
    role_assignment_mode: str | None = Field(default=None, alias="roleAssignmentMode")
    creation_date: datetime | None = Field(default=None, alias="creationDate")


class Registry(_ArmResource):
    """One container registry (``az acr list``)."""

    location: str | None = None
    sku: Sku | None = None
    properties: RegistryProps


class ScopeMapProps(_Model):
    """``properties`` of a scope map: its repository actions."""

    actions: tuple[str, ...]
    type: str | None = None  # SystemDefined / UserDefined


class ScopeMap(_ArmResource):
    """One scope map (``az acr scope-map list``)."""

    properties: ScopeMapProps


class TokenPassword(_Model):
    """A token password's metadata (never its value)."""

    name: str
    creation_time: datetime | None = Field(default=None, alias="creationTime")
    expiry: datetime | None = None


class TokenCertificate(_Model):
    """A token certificate's metadata."""

    name: str
    expiry: datetime | None = None
    thumbprint: str | None = None


class TokenCredentials(_Model):
    """``credentials`` of a token."""

    passwords: tuple[TokenPassword, ...] = ()
    certificates: tuple[TokenCertificate, ...] = ()


class TokenProps(_Model):
    """``properties`` of a token."""

    scope_map_id: str | None = Field(default=None, alias="scopeMapId")
    status: str | None = None
    creation_date: datetime | None = Field(default=None, alias="creationDate")
    credentials: TokenCredentials | None = None


class Token(_ArmResource):
    """One registry token (``az acr token list``)."""

    properties: TokenProps


# --- Managed identities -----------------------------------------------------------------------------


class IdentityProps(_Model):
    """``properties`` of a user-assigned identity."""

    principal_id: str = Field(alias="principalId")
    client_id: str = Field(alias="clientId")
    tenant_id: str | None = Field(default=None, alias="tenantId")


class UserAssignedIdentity(_ArmResource):
    """One user-assigned managed identity (``az identity list``)."""

    properties: IdentityProps


class ClaimsExpression(_Model):
    """A flexible credential's ``claimsMatchingExpression``."""

    value: str
    language_version: int | None = Field(default=None, alias="languageVersion")


class FicProps(_Model):
    """A federated identity credential (the ARM ``properties``, or a Graph object as a whole)."""

    issuer: str
    subject: str | None = None
    audiences: tuple[str, ...] = ()
    claims_matching_expression: ClaimsExpression | None = Field(default=None, alias="claimsMatchingExpression")


class IdentityFic(_ArmResource):
    """A managed identity's federated credential (``az identity federated-credential list``)."""

    properties: FicProps


# --- Microsoft Graph --------------------------------------------------------------------------------


class PasswordCredential(_Model):
    """A client secret's metadata: ``hint`` is the first characters Graph shows, never the value."""

    key_id: str = Field(alias="keyId")
    display_name: str | None = Field(default=None, alias="displayName")
    hint: str | None = None
    start_date_time: datetime | None = Field(default=None, alias="startDateTime")
    end_date_time: datetime | None = Field(default=None, alias="endDateTime")


class KeyCredential(_Model):
    """A certificate's metadata."""

    key_id: str = Field(alias="keyId")
    display_name: str | None = Field(default=None, alias="displayName")
    type: str | None = None
    usage: str | None = None
    start_date_time: datetime | None = Field(default=None, alias="startDateTime")
    end_date_time: datetime | None = Field(default=None, alias="endDateTime")


class Application(_Model):
    """One Entra application (``GET /v1.0/applications``)."""

    id: str
    app_id: str = Field(alias="appId")
    display_name: str = Field(alias="displayName")
    password_credentials: tuple[PasswordCredential, ...] = Field(default=(), alias="passwordCredentials")
    key_credentials: tuple[KeyCredential, ...] = Field(default=(), alias="keyCredentials")


class ServicePrincipal(_Model):
    """One service principal (``GET /v1.0/servicePrincipals``); managed identities are among them."""

    id: str
    app_id: str = Field(alias="appId")
    display_name: str = Field(alias="displayName")
    service_principal_type: str | None = Field(default=None, alias="servicePrincipalType")
    account_enabled: bool | None = Field(default=None, alias="accountEnabled")
    app_owner_organization_id: str | None = Field(default=None, alias="appOwnerOrganizationId")
    password_credentials: tuple[PasswordCredential, ...] = Field(default=(), alias="passwordCredentials")
    key_credentials: tuple[KeyCredential, ...] = Field(default=(), alias="keyCredentials")


class GraphFic(FicProps):
    """An application's federated identity credential (Graph)."""

    id: str
    name: str


class Page(_Model, Generic[T]):
    """A list answer: ``{"value": [...]}`` (ARM and Graph) or a bare list (``az ... -o json``)."""

    value: tuple[T, ...]

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        return {"value": data} if isinstance(data, list) else data


# --- Azure Resource Graph ---------------------------------------------------------------------------


class ManagementGroupRef(_Model):
    """One management group of a subscription's ``managementGroupAncestorsChain`` (nearest first)."""

    name: str
    display_name: str | None = Field(default=None, alias="displayName")


class SubscriptionContainerProps(_Model):
    """``properties`` of a ``resourcecontainers`` subscription row (None: the chain was not given)."""

    management_group_ancestors_chain: tuple[ManagementGroupRef, ...] | None = Field(
        default=None, alias="managementGroupAncestorsChain"
    )


class SubscriptionContainer(_Model):
    """A ``resourcecontainers`` row of type ``microsoft.resources/subscriptions``: where a subscription sits."""

    id: str
    properties: SubscriptionContainerProps


class ResourceGraphAnswer(_Model):
    """A Resource Graph answer (``POST /providers/Microsoft.ResourceGraph/resources``) with every page's rows
    in ``data``. ``subscriptions`` is the request's scope, which the collector stores beside the answer so the
    file says what it covers; an ``az graph query`` export has none and covers every subscription of the bundle.
    A bare list of rows is accepted too. Rows are validated by the loader once it has picked them by ``type``."""

    data: tuple[dict[str, Any], ...]
    subscriptions: tuple[str, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        return {"data": data} if isinstance(data, list) else data


# --- What load() returns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """Parsed items of one bundle file with the file's path (the evidence)."""

    file: str
    items: tuple[T, ...]


@dataclass(frozen=True)
class RegistryRaw:
    """A registry with its scope maps and tokens (None: not collected)."""

    file: str
    registry: Registry
    scope_maps: Loaded[ScopeMap] | None = None
    tokens: Loaded[Token] | None = None


@dataclass(frozen=True)
class IdentityRaw:
    """A user-assigned identity with its federated credentials (None: not collected)."""

    file: str
    identity: UserAssignedIdentity
    fics: Loaded[IdentityFic] | None = None


@dataclass(frozen=True)
class SubscriptionRaw:
    """Everything collected about one subscription."""

    subscription_id: str
    info: Subscription | None = None
    role_assignments: Loaded[RoleAssignment] | None = None
    role_definitions: Loaded[RoleDefinition] | None = None
    registries: tuple[RegistryRaw, ...] | None = None
    identities: tuple[IdentityRaw, ...] | None = None
    gaps: tuple[tuple[str, str], ...] = ()  # (what, reason) the loader could not assess for this subscription


@dataclass(frozen=True)
class ApplicationRaw:
    """An application with its federated credentials (None: not collected)."""

    file: str
    app: Application
    fics: Loaded[GraphFic] | None = None


@dataclass(frozen=True)
class GraphRaw:
    """The tenant's Entra objects (None: not collected)."""

    applications: tuple[ApplicationRaw, ...] | None = None
    service_principals: Loaded[ServicePrincipal] | None = None


@dataclass(frozen=True)
class AzureRaw:
    """The Azure part of a bundle. ``collected_at`` (ISO, from the manifest) lets the transform tell
    an expired credential from a live one without reading a clock."""

    subscriptions: tuple[SubscriptionRaw, ...] = ()
    graph: GraphRaw = field(default_factory=GraphRaw)
    collected_at: str | None = None
    #: calls manifest.json records as answered 404 or failed, and scopes whose collection failed as a whole
    answered: frozenset[str] = frozenset()
    failed_scopes: frozenset[str] = frozenset()
    #: role assignments and definitions are collected through Resource Graph (its files, or its calls, are there)
    resource_graph: bool = False
