"""Read the ``azure/`` folder of a bundle into a validated :class:`AzureRaw`.

Files are named after the ARM or Graph path that returned them (docs/bundle.md), so a child
collection of a resource lives under the resource's id: ``azure/<registry id>/tokens.json``.
An absent file was not collected and stays ``None``.
"""

from __future__ import annotations

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
    RoleAssignment,
    RoleDefinition,
    ScopeMap,
    ServicePrincipal,
    Subscription,
    SubscriptionRaw,
    Token,
    UserAssignedIdentity,
)
from scanner.bundle import BundleReader
from scanner.errors import BundleError

T = TypeVar("T")

ROOT = "azure"
GRAPH = f"{ROOT}/graph/v1.0"
APPLICATIONS = f"{GRAPH}/applications"
SERVICE_PRINCIPALS = f"{GRAPH}/servicePrincipals.json"
AUTHZ = "providers/Microsoft.Authorization"
ACR = "providers/Microsoft.ContainerRegistry/registries"
MSI = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"


def subscription_file(sub: str) -> str:
    """``GET /subscriptions/{sub}``."""
    return f"{ROOT}/subscriptions/{sub}.json"


def subscription_list(sub: str, path: str) -> str:
    """A subscription-wide list, e.g. ``providers/Microsoft.Authorization/roleAssignments``."""
    return f"{ROOT}/subscriptions/{sub}/{path}.json"


def child_file(resource_id: str, child: str) -> str:
    """A child collection of a resource: ``GET {resource id}/{child}``."""
    return f"{ROOT}/{resource_id.strip('/')}/{child}.json"


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


def load_subscription(bundle: BundleReader, sub: str) -> SubscriptionRaw:
    """Load one subscription's files."""
    info = bundle.model(subscription_file(sub), Subscription) if bundle.exists(subscription_file(sub)) else None
    if info is not None and info.subscription_id.lower() != sub.lower():
        raise BundleError(
            subscription_file(sub), f"subscriptionId {info.subscription_id!r} does not match the file name"
        )
    return SubscriptionRaw(
        subscription_id=sub,
        info=info,
        role_assignments=_page(bundle, subscription_list(sub, f"{AUTHZ}/roleAssignments"), Page[RoleAssignment]),
        role_definitions=_page(bundle, subscription_list(sub, f"{AUTHZ}/roleDefinitions"), Page[RoleDefinition]),
        registries=_registries(bundle, sub),
        identities=_identities(bundle, sub),
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
    return AzureRaw(
        subscriptions=tuple(load_subscription(bundle, s) for s in _subscription_ids(bundle)),
        graph=load_graph(bundle),
        collected_at=bundle.manifest.collected_at,
    )
