"""Entra (Microsoft Graph) records -> inventory: service principals, and the client secrets,
certificates and federated credentials that authenticate as them. Pure: no I/O.

Credentials live on the application object but sign in as the application's service principal in
this tenant (the object role assignments name), so they point at the service principal found by
``appId``; an application without one here gets a node of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.azure.nodes import PROVIDER, Ctx, sp_id
from connectors.azure.raw import ApplicationRaw, GraphRaw, KeyCredential, PasswordCredential, ServicePrincipal
from scanner.model import CoverageGap, Edge, EdgeKind, Evidence, Node, NodeId, NodeKind, node_id

SCOPE = "entra"


def _sp_subtype(sp: ServicePrincipal) -> str:
    return (
        "azure:managed-identity"
        if (sp.service_principal_type or "") == "ManagedIdentity"
        else "azure:service-principal"
    )


def _service_principal(ctx: Ctx, sp: ServicePrincipal, file: str) -> NodeId:
    nid = sp_id(sp.id)
    ctx.inv.add_node(
        Node(
            id=nid,
            kind=NodeKind.IDENTITY,
            name=sp.display_name,
            provider=PROVIDER,
            subtype=_sp_subtype(sp),
            scope=sp.app_owner_organization_id or SCOPE,
            attrs={
                "object_id": sp.id,
                "app_id": sp.app_id,
                "service_principal_type": sp.service_principal_type,
                "disabled": sp.account_enabled is False,
                "described": True,
            },
            evidence=(Evidence(file),),
        )
    )
    ctx.sp_by_app[sp.app_id.lower()] = nid
    return nid


def _secrets(
    ctx: Ctx, owner: str, owner_name: str, creds: Sequence[PasswordCredential], target: NodeId, file: str
) -> None:
    for pc in creds:
        label = pc.display_name or (f"{pc.hint}…" if pc.hint else pc.key_id)
        cid = node_id(PROVIDER, "client-secret", f"{owner}/{pc.key_id}".lower())
        active = ctx.static_credential(
            cid,
            f"{owner_name} client secret {label}",
            "azure:client-secret",
            SCOPE,
            pc.start_date_time,
            pc.end_date_time,
            {"key_id": pc.key_id, "hint": pc.hint, "owner_object_id": owner},
            Evidence(file),
        )
        if active:
            ctx.inv.add_edge(Edge(src=cid, dst=target, kind=EdgeKind.AUTHENTICATES_AS, via="client secret"))


def _certificates(
    ctx: Ctx, owner: str, owner_name: str, creds: Sequence[KeyCredential], target: NodeId, file: str
) -> None:
    for kc in creds:
        if (kc.usage or "Verify") != "Verify":
            continue  # "Sign" keys sign tokens (SAML); they do not sign the app in
        cid = node_id(PROVIDER, "certificate", f"{owner}/{kc.key_id}".lower())
        active = ctx.static_credential(
            cid,
            f"{owner_name} certificate {kc.display_name or kc.key_id}",
            "azure:certificate",
            SCOPE,
            kc.start_date_time,
            kc.end_date_time,
            {"key_id": kc.key_id, "key_type": kc.type, "owner_object_id": owner},
            Evidence(file),
        )
        if active:
            ctx.inv.add_edge(Edge(src=cid, dst=target, kind=EdgeKind.AUTHENTICATES_AS, via="certificate"))


def _application(ctx: Ctx, a: ApplicationRaw) -> None:
    app = a.app
    target = ctx.sp_by_app.get(app.app_id.lower())
    if target is None:
        target = node_id(PROVIDER, "app", app.app_id.lower())
        ctx.inv.add_node(
            Node(
                id=target,
                kind=NodeKind.IDENTITY,
                name=app.display_name,
                provider=PROVIDER,
                subtype="azure:application",
                scope=SCOPE,
                attrs={"object_id": app.id, "app_id": app.app_id, "service_principal_in_tenant": False},
                evidence=(Evidence(a.file),),
            )
        )
    _secrets(ctx, app.id, app.display_name, app.password_credentials, target, a.file)
    _certificates(ctx, app.id, app.display_name, app.key_credentials, target, a.file)
    if a.fics is None:
        return
    for fic in a.fics.items:
        cid = node_id(PROVIDER, "oidc-trust", f"{app.id}/{fic.id}".lower())
        ctx.oidc_trust(cid, f"{app.display_name}/{fic.name}", fic, target, SCOPE, Evidence(a.fics.file))


def add_graph(ctx: Ctx, graph: GraphRaw) -> None:
    """Service principals first (so credentials can find theirs by appId), then applications."""
    if graph.service_principals is not None:
        for sp in graph.service_principals.items:
            nid = _service_principal(ctx, sp, graph.service_principals.file)
            _secrets(ctx, sp.id, sp.display_name, sp.password_credentials, nid, graph.service_principals.file)
            _certificates(ctx, sp.id, sp.display_name, sp.key_credentials, nid, graph.service_principals.file)
    if graph.applications is None:
        return
    if graph.service_principals is None and graph.applications:
        ctx.inv.add_gap(
            CoverageGap(
                PROVIDER,
                SCOPE,
                "azure/graph/v1.0/servicePrincipals.json",
                "not collected: application credentials cannot be tied to the service principals that hold roles",
            )
        )
    for a in graph.applications:
        _application(ctx, a)
