"""Read the ``azure/`` folder of a bundle into a validated :class:`AzureRaw`.

Files are named after the ARM or Graph path that returned them (docs/bundle.md), so a child
collection of a resource lives under the resource's id: ``azure/<registry id>/tokens.json``.
An absent file was not collected and stays ``None``.

Role assignments and definitions come from each subscription's own ARM lists or, for every
subscription at once, from Azure Resource Graph. The Resource Graph rows are handed to each
subscription as ARM would have listed them for it: the assignments at or below the subscription,
at the root, and at the management groups above it (from the subscription's ancestor chain);
every definition (the transform resolves them by GUID). A subscription's own file wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TypeVar

from connectors.azure.raw import (
    Application,
    ApplicationRaw,
    AzureRaw,
    GraphFic,
    GraphRaw,
    IdentityFic,
    IdentityRaw,
    Loaded,
    Page,
    Registry,
    RegistryRaw,
    ResourceGraphAnswer,
    RoleAssignment,
    RoleDefinition,
    ScopeMap,
    ServicePrincipal,
    Subscription,
    SubscriptionContainer,
    SubscriptionRaw,
    Token,
    UserAssignedIdentity,
)
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

T = TypeVar("T")

ROOT = "azure"
GRAPH = f"{ROOT}/graph/v1.0"
APPLICATIONS = f"{GRAPH}/applications"
SERVICE_PRINCIPALS = f"{GRAPH}/servicePrincipals.json"
AUTHZ = "providers/Microsoft.Authorization"
ACR = "providers/Microsoft.ContainerRegistry/registries"
MSI = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"
RESOURCE_GRAPH = f"{ROOT}/providers/Microsoft.ResourceGraph/resources"
#: Resource Graph answers the collector stores, by name: (table, row type).
RG_ASSIGNMENTS, RG_DEFINITIONS, RG_SUBSCRIPTIONS = "roleAssignments", "roleDefinitions", "subscriptions"
RG_TABLES: Mapping[str, tuple[str, str]] = {
    RG_ASSIGNMENTS: ("authorizationresources", "microsoft.authorization/roleassignments"),
    RG_DEFINITIONS: ("authorizationresources", "microsoft.authorization/roledefinitions"),
    RG_SUBSCRIPTIONS: ("resourcecontainers", "microsoft.resources/subscriptions"),
}
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def subscription_file(sub: str) -> str:
    """``GET /subscriptions/{sub}``."""
    return f"{ROOT}/subscriptions/{sub}.json"


def subscription_list(sub: str, path: str) -> str:
    """A subscription-wide list, e.g. ``providers/Microsoft.Authorization/roleAssignments``."""
    return f"{ROOT}/subscriptions/{sub}/{path}.json"


def child_file(resource_id: str, child: str) -> str:
    """A child collection of a resource: ``GET {resource id}/{child}``."""
    return f"{ROOT}/{resource_id.strip('/')}/{child}.json"


def resource_graph_file(name: str) -> str:
    """A Resource Graph query's answer, all pages and subscription batches merged (``roleAssignments``...)."""
    return f"{RESOURCE_GRAPH}/{name}.json"


def fic_file(app_object_id: str) -> str:
    """``GET /v1.0/applications/{id}/federatedIdentityCredentials``."""
    return f"{APPLICATIONS}/{app_object_id}/federatedIdentityCredentials.json"


def _page(bundle: BundleReader, rel: str, typ: type[Page[T]]) -> Loaded[T] | None:
    if not bundle.exists(rel):
        return None
    return Loaded(rel, bundle.model(rel, typ).value)


def _subscription_ids(bundle: BundleReader) -> list[str]:
    ids: set[str] = set()
    for rel in bundle.files(f"{ROOT}/subscriptions"):
        parts = PurePosixPath(rel).parts
        if len(parts) == 3 and parts[2].endswith(".json"):
            ids.add(parts[2].removesuffix(".json"))
        elif len(parts) > 3:
            ids.add(parts[2])
    return sorted(ids)


def _registries(bundle: BundleReader, sub: str) -> tuple[RegistryRaw, ...] | None:
    listed = _page(bundle, subscription_list(sub, ACR), Page[Registry])
    if listed is None:
        return None
    return tuple(
        RegistryRaw(
            file=listed.file,
            registry=r,
            scope_maps=_page(bundle, child_file(r.id, "scopeMaps"), Page[ScopeMap]),
            tokens=_page(bundle, child_file(r.id, "tokens"), Page[Token]),
        )
        for r in listed.items
    )


def _identities(bundle: BundleReader, sub: str) -> tuple[IdentityRaw, ...] | None:
    listed = _page(bundle, subscription_list(sub, MSI), Page[UserAssignedIdentity])
    if listed is None:
        return None
    return tuple(
        IdentityRaw(
            file=listed.file,
            identity=i,
            fics=_page(bundle, child_file(i.id, "federatedIdentityCredentials"), Page[IdentityFic]),
        )
        for i in listed.items
    )


# --- Resource Graph ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    """The rows of one Resource Graph file and the subscriptions (lower case) it covers; None: every one."""

    file: str
    rows: tuple[dict[str, object], ...]
    covers: frozenset[str] | None

    def covers_sub(self, sub: str) -> bool:
        return self.covers is None or sub.lower() in self.covers


def _answer(bundle: BundleReader, name: str) -> _Answer | None:
    rel = resource_graph_file(name)
    if not bundle.exists(rel):
        return None
    answer = bundle.model(rel, ResourceGraphAnswer)
    want = RG_TABLES[name][1]
    # An export of a broader query may hold other row types; a row without a type is taken as this file's.
    rows = tuple(r for r in answer.data if str(r.get("type", want)).lower() == want)
    covers = frozenset(s.lower() for s in answer.subscriptions) if answer.subscriptions is not None else None
    return _Answer(rel, rows, covers)


@dataclass
class ResourceGraphRbac:
    """Resource Graph's role assignments and definitions, indexed once so that handing each subscription its
    rows costs the rows it gets, not every row of the estate."""

    assignments: _Answer | None = None
    definitions: _Answer | None = None
    definition_items: tuple[RoleDefinition, ...] = ()
    ancestors: dict[str, tuple[str, ...] | None] | None = None  # subscription -> management groups (lower case)
    by_sub: dict[str, list[RoleAssignment]] = field(default_factory=lambda: defaultdict(list))
    by_group: dict[str, list[RoleAssignment]] = field(default_factory=lambda: defaultdict(list))
    at_root: list[RoleAssignment] = field(default_factory=list)

    def role_assignments(self, sub: str) -> tuple[Loaded[RoleAssignment] | None, tuple[tuple[str, str], ...]]:
        """The assignments ARM would list for ``sub`` (None: not covered) and what could not be attributed."""
        if self.assignments is None or not self.assignments.covers_sub(sub):
            return None, ()
        key = sub.lower()
        items = [*self.by_sub.get(key, ()), *self.at_root]
        chain = self.ancestors.get(key) if self.ancestors is not None else None
        gaps: tuple[tuple[str, str], ...] = ()
        if chain is None and self.by_group:
            gaps = (
                (
                    "management-group role assignments",
                    "the subscription's management groups were not collected (Resource Graph resourcecontainers): "
                    "assignments inherited from them are unknown",
                ),
            )
        for group in chain or ():
            items.extend(self.by_group.get(group, ()))
        return Loaded(self.assignments.file, tuple(items)), gaps

    def role_definitions(self, sub: str) -> Loaded[RoleDefinition] | None:
        """Every definition Resource Graph returned, when its query covered ``sub``."""
        if self.definitions is None or not self.definitions.covers_sub(sub):
            return None
        return Loaded(self.definitions.file, self.definition_items)


def _scope_owner(scope: str) -> tuple[str, str]:
    """("sub", id), ("group", name), ("root", "") or ("other", scope) for an assignment scope."""
    s = scope.lower().rstrip("/")
    if s.startswith("/subscriptions/"):
        return "sub", s.split("/")[2]
    if s.startswith(_MG_PREFIX):
        return "group", s[len(_MG_PREFIX) :].split("/")[0]
    return ("root", "") if s == "" else ("other", s)


def load_resource_graph(bundle: BundleReader) -> ResourceGraphRbac:
    """Load and index the Resource Graph files (all absent: nothing came from Resource Graph)."""
    rg = ResourceGraphRbac()
    assignments = _answer(bundle, RG_ASSIGNMENTS)
    if assignments is not None:
        rg.assignments = assignments
        for ra in bundle.validate(assignments.file, assignments.rows, tuple[RoleAssignment, ...]):
            kind, owner = _scope_owner(ra.properties.scope)
            if kind == "sub":
                rg.by_sub[owner].append(ra)
            elif kind == "group":
                rg.by_group[owner].append(ra)
            elif kind == "root":
                rg.at_root.append(ra)
            # Any other scope (a tenant-level extension resource) cannot apply to a subscription's resources.
    definitions = _answer(bundle, RG_DEFINITIONS)
    if definitions is not None:
        rg.definitions = definitions
        rg.definition_items = bundle.validate(definitions.file, definitions.rows, tuple[RoleDefinition, ...])
    containers = _answer(bundle, RG_SUBSCRIPTIONS)
    if containers is not None:
        rg.ancestors = {}
        for sc in bundle.validate(containers.file, containers.rows, tuple[SubscriptionContainer, ...]):
            kind, sub = _scope_owner(sc.id)
            if kind != "sub":
                raise BundleError(containers.file, f"row id {sc.id!r} is not a subscription")
            chain = sc.properties.management_group_ancestors_chain
            rg.ancestors[sub] = tuple(g.name.lower() for g in chain) if chain is not None else None
    return rg


# --- one subscription ---------------------------------------------------------------------------------


def load_subscription(bundle: BundleReader, sub: str, rg: ResourceGraphRbac | None = None) -> SubscriptionRaw:
    """Load one subscription's files; role assignments and definitions from Resource Graph when the
    subscription has no list of its own."""
    info = bundle.model(subscription_file(sub), Subscription) if bundle.exists(subscription_file(sub)) else None
    if info is not None and info.subscription_id.lower() != sub.lower():
        raise BundleError(
            subscription_file(sub), f"subscriptionId {info.subscription_id!r} does not match the file name"
        )
    rg = rg or ResourceGraphRbac()
    assignments = _page(bundle, subscription_list(sub, f"{AUTHZ}/roleAssignments"), Page[RoleAssignment])
    gaps: tuple[tuple[str, str], ...] = ()
    if assignments is None:
        assignments, gaps = rg.role_assignments(sub)
    definitions = _page(bundle, subscription_list(sub, f"{AUTHZ}/roleDefinitions"), Page[RoleDefinition])
    return SubscriptionRaw(
        subscription_id=sub,
        info=info,
        role_assignments=assignments,
        role_definitions=definitions if definitions is not None else rg.role_definitions(sub),
        registries=_registries(bundle, sub),
        identities=_identities(bundle, sub),
        gaps=gaps,
    )


def load_graph(bundle: BundleReader) -> GraphRaw:
    """Load the tenant's applications (with their federated credentials) and service principals."""
    apps = _page(bundle, f"{APPLICATIONS}.json", Page[Application])
    applications = (
        tuple(ApplicationRaw(apps.file, a, _page(bundle, fic_file(a.id), Page[GraphFic])) for a in apps.items)
        if apps is not None
        else None
    )
    return GraphRaw(
        applications=applications,
        service_principals=_page(bundle, SERVICE_PRINCIPALS, Page[ServicePrincipal]),
    )


def load(bundle: BundleReader) -> AzureRaw:
    """Load and validate every Azure file of the bundle."""
    rg = load_resource_graph(bundle)
    return AzureRaw(
        subscriptions=tuple(load_subscription(bundle, s, rg) for s in _subscription_ids(bundle)),
        graph=load_graph(bundle),
        collected_at=bundle.manifest.collected_at,
        answered=frozenset(
            c.call for c in bundle.manifest.calls if c.provider == ROOT and c.status in ("not_found", "failed")
        ),
        failed_scopes=failed_scopes(bundle, ROOT),
        resource_graph=rg.assignments is not None
        or rg.definitions is not None
        or any(
            c.provider == ROOT and c.call.startswith("POST /providers/Microsoft.ResourceGraph")
            for c in bundle.manifest.calls
        ),
    )
