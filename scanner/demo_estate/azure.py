"""The Azure side of the demo estate: one subscription (``acme-corp-prod``) with the container registry
``acmecorpprod``, and the Entra ID applications that push to it, as ARM (``az … -o json``) and Microsoft
Graph return them.

Stories (README.md, "Across providers"): GitHub Actions in ``acme-corp/web-portal`` push images with
the app ``gh-web-portal``, signed in by a federated credential pinned to the main branch; the
registry still has its admin user enabled; ``release-pipeline-legacy`` holds a two-year client secret
with AcrPush. Between the two collections one of its two secrets (the ``jenkins`` one) was deleted.
"""

from __future__ import annotations

from typing import Any

from scanner.demo_estate.cloud_workflows import ACR_HOST, ACR_NAME
from scanner.demo_estate.common import ORG, Era, Files, guid

TENANT = guid("azure:tenant:acme-corp")
SUBSCRIPTION = guid("azure:subscription:acme-corp-prod")
SUB_ID = f"/subscriptions/{SUBSCRIPTION}"
RG = f"{SUB_ID}/resourceGroups/rg-web-prod"
ACR_ID = f"{RG}/providers/Microsoft.ContainerRegistry/registries/{ACR_NAME}"
AUTHZ = f"{SUB_ID}/providers/Microsoft.Authorization"
GRAPH = "https://graph.microsoft.com/v1.0"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"

#: Built-in roles the estate assigns: (GUID, name, description, actions, dataActions).
ROLES: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "7f951dda-4ed3-4680-a7ca-43fe172d538d",
        "AcrPull",
        "acr pull",
        ("Microsoft.ContainerRegistry/registries/pull/read",),
        (),
    ),
    (
        "8311e382-0749-4cb8-b61a-304f252e45ec",
        "AcrPush",
        "acr push",
        ("Microsoft.ContainerRegistry/registries/pull/read", "Microsoft.ContainerRegistry/registries/push/write"),
        (),
    ),
    (
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "Reader",
        "View all resources, but does not allow you to make any changes.",
        ("*/read",),
        (),
    ),
)
ROLE_ID = {name: guid_ for guid_, name, *_ in ROLES}


class _App:
    """An app registration with its service principal (ids derived from the name)."""

    def __init__(self, name: str, created: str) -> None:
        self.name = name
        self.created = created
        self.object_id = guid(f"azure:app:{name}")
        self.app_id = guid(f"azure:appid:{name}")
        self.sp_id = guid(f"azure:sp:{name}")


GH_WEB_PORTAL = _App("gh-web-portal", "2025-01-20T11:02:45Z")
LEGACY = _App("release-pipeline-legacy", "2024-06-03T08:15:27Z")
APPS = (GH_WEB_PORTAL, LEGACY)


def _password(name: str, start: str, end: str) -> dict[str, Any]:
    return {
        "customKeyIdentifier": None,
        "displayName": name,
        "endDateTime": end,
        "hint": name[:3].capitalize(),
        "keyId": guid(f"azure:secret:{name}"),
        "secretText": None,
        "startDateTime": start,
    }


def _passwords(app: _App, era: Era) -> list[dict[str, Any]]:
    if app is not LEGACY:
        return []
    out = [_password("azure-devops", "2025-01-15T09:00:00Z", "2027-01-15T09:00:00Z")]
    if era == "previous":
        out.append(_password("jenkins", "2024-06-03T08:20:00Z", "2026-12-01T08:20:00Z"))
    return out


def _application(app: _App, era: Era) -> dict[str, Any]:
    return {
        "id": app.object_id,
        "appId": app.app_id,
        "displayName": app.name,
        "createdDateTime": app.created,
        "passwordCredentials": _passwords(app, era),
        "keyCredentials": [],
    }


def _service_principal(app: _App) -> dict[str, Any]:
    return {
        "id": app.sp_id,
        "appId": app.app_id,
        "displayName": app.name,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "appOwnerOrganizationId": TENANT,
        "passwordCredentials": [],
        "keyCredentials": [],
    }


def _assignment(seed: str, role: str, principal: str, principal_type: str, scope: str, created: str) -> dict[str, Any]:
    name = guid(f"azure:assignment:{seed}")
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"{AUTHZ}/roleDefinitions/{ROLE_ID[role]}",
            "principalId": principal,
            "principalType": principal_type,
            "scope": scope,
            "condition": None,
            "conditionVersion": None,
            "createdOn": created,
            "updatedOn": created,
            "createdBy": guid("azure:user:platform-admin"),
            "updatedBy": guid("azure:user:platform-admin"),
            "delegatedManagedIdentityResourceId": None,
            "description": None,
        },
    }


def _definition(role: tuple[str, str, str, tuple[str, ...], tuple[str, ...]]) -> dict[str, Any]:
    rid, name, description, actions, data_actions = role
    return {
        "id": f"{AUTHZ}/roleDefinitions/{rid}",
        "name": rid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": description,
            "permissions": [
                {"actions": list(actions), "notActions": [], "dataActions": list(data_actions), "notDataActions": []}
            ],
            "assignableScopes": ["/"],
            "createdOn": "2018-10-29T17:52:32.5201177Z",
            "updatedOn": "2021-11-11T20:13:38.9201234Z",
            "createdBy": None,
            "updatedBy": None,
        },
    }


RUNTIME_IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-web-portal-runtime"
RUNTIME_PRINCIPAL = guid("azure:mi:id-web-portal-runtime")


def _registry() -> dict[str, Any]:
    return {
        "id": ACR_ID,
        "name": ACR_NAME,
        "type": "Microsoft.ContainerRegistry/registries",
        "location": "westeurope",
        "tags": {"environment": "production", "team": "web"},
        "sku": {"name": "Premium", "tier": "Premium"},
        "systemData": {
            "createdBy": "platform-admin@acme-corp.example",
            "createdByType": "User",
            "createdAt": "2025-01-20T10:58:02.1180364+00:00",
        },
        "properties": {
            "loginServer": ACR_HOST,
            "creationDate": "2025-01-20T10:58:02.1180364Z",
            "provisioningState": "Succeeded",
            # Left on since the first pushes by hand; the story's misconfiguration.
            "adminUserEnabled": True,
            "anonymousPullEnabled": False,
            "publicNetworkAccess": "Enabled",
            "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
            "policies": {
                "quarantinePolicy": {"status": "disabled"},
                "trustPolicy": {"type": "Notary", "status": "disabled"},
                "retentionPolicy": {"days": 7, "status": "disabled"},
            },
            "encryption": {"status": "disabled"},
            "dataEndpointEnabled": False,
            "networkRuleBypassOptions": "AzureServices",
            "zoneRedundancy": "Disabled",
            "roleAssignmentMode": "LegacyRegistryPermissions",
        },
    }


def _scope_maps() -> list[dict[str, Any]]:
    maps = (
        ("_repositories_pull", ["repositories/*/content/read"]),
        ("_repositories_push", ["repositories/*/content/read", "repositories/*/content/write"]),
    )
    return [
        {
            "id": f"{ACR_ID}/scopeMaps/{name}",
            "name": name,
            "type": "Microsoft.ContainerRegistry/registries/scopeMaps",
            "properties": {
                "description": f"{name} scope map",
                "type": "SystemDefined",
                "creationDate": "2025-01-20T10:58:05.0000000Z",
                "provisioningState": "Succeeded",
                "actions": actions,
            },
        }
        for name, actions in maps
    ]


def files(era: Era) -> Files:
    """Every ``azure/`` file of the estate as it was collected in ``era``."""
    sub = f"azure/subscriptions/{SUBSCRIPTION}"
    assignments = [
        _assignment("acrpush:gh-web-portal", "AcrPush", GH_WEB_PORTAL.sp_id, "ServicePrincipal", ACR_ID,
                    "2025-01-20T11:10:40.1234567Z"),
        _assignment("acrpush:legacy", "AcrPush", LEGACY.sp_id, "ServicePrincipal", ACR_ID,
                    "2025-01-20T11:12:03.7654321Z"),
        _assignment("acrpull:runtime", "AcrPull", RUNTIME_PRINCIPAL, "ServicePrincipal", ACR_ID,
                    "2025-01-20T11:14:55.2468013Z"),
    ]  # fmt: skip
    fic = {
        "id": guid("azure:fic:gh-web-portal-main"),
        "name": "github-web-portal-main",
        "issuer": GITHUB_ISSUER,
        "subject": f"repo:{ORG}/web-portal:ref:refs/heads/main",
        "description": "GitHub Actions: image.yml on main",
        "audiences": ["api://AzureADTokenExchange"],
    }
    out: Files = {
        f"{sub}.json": {
            "id": SUB_ID,
            "subscriptionId": SUBSCRIPTION,
            "tenantId": TENANT,
            "displayName": "acme-corp-prod",
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "EnterpriseAgreement_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
        },
        f"{sub}/providers/Microsoft.Authorization/roleAssignments.json": {"value": assignments},
        f"{sub}/providers/Microsoft.Authorization/roleDefinitions.json": {"value": [_definition(r) for r in ROLES]},
        f"{sub}/providers/Microsoft.ContainerRegistry/registries.json": {"value": [_registry()]},
        f"azure{ACR_ID}/scopeMaps.json": {"value": _scope_maps()},
        f"azure{ACR_ID}/tokens.json": {"value": []},
        f"{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities.json": {
            "value": [
                {
                    "id": RUNTIME_IDENTITY,
                    "name": "id-web-portal-runtime",
                    "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
                    "location": "westeurope",
                    "tags": {"team": "web"},
                    "properties": {
                        "tenantId": TENANT,
                        "principalId": RUNTIME_PRINCIPAL,
                        "clientId": guid("azure:mi-client:id-web-portal-runtime"),
                        "isolationScope": "None",
                    },
                }
            ]
        },
        f"azure{RUNTIME_IDENTITY}/federatedIdentityCredentials.json": {"value": []},
        "azure/graph/v1.0/applications.json": {
            "@odata.context": f"{GRAPH}/$metadata#applications(id,appId,displayName,createdDateTime,"
            "passwordCredentials,keyCredentials)",
            "value": [_application(a, era) for a in APPS],
        },
        "azure/graph/v1.0/servicePrincipals.json": {
            "@odata.context": f"{GRAPH}/$metadata#servicePrincipals(id,appId,displayName,servicePrincipalType,"
            "accountEnabled,appOwnerOrganizationId,passwordCredentials,keyCredentials)",
            "value": [_service_principal(a) for a in APPS],
        },
    }
    for app in APPS:
        out[f"azure/graph/v1.0/applications/{app.object_id}/federatedIdentityCredentials.json"] = {
            "@odata.context": f"{GRAPH}/$metadata#applications('{app.object_id}')/federatedIdentityCredentials",
            "value": [fic] if app is GH_WEB_PORTAL else [],
        }
    return out
