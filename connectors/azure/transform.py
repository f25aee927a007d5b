"""Azure records -> Inventory. Pure: no I/O.

Registries are RESOURCES (category ``registry``); the admin user and each scope-map token password
are static CREDENTIALS that GRANT on their registry directly. Role assignments GRANT what their role
definition allows on every registry their scope covers (management group, subscription, resource
group, registry), resolved through :mod:`connectors.azure.actions`. Entra objects come from
:mod:`connectors.azure.entra`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.azure import absence
from connectors.azure.actions import ABAC_MODE, ASSUME_OPERATIONS, PermissionBlock, role_actions, role_allows
from connectors.azure.actions import scope_map_actions as map_actions
from connectors.azure.entra import add_graph
from connectors.azure.nodes import PROVIDER, Ctx, resource_key, sp_id
from connectors.azure.raw import AzureRaw, IdentityRaw, RegistryRaw, RoleDefinition, ScopeMap, SubscriptionRaw
from scanner.errors import BundleError
from scanner.manifest import MANIFEST
from scanner.model import Action, CoverageGap, Edge, EdgeKind, Evidence, Inventory, Node, NodeId, NodeKind, node_id

_MANAGEMENT_GROUPS = "/providers/microsoft.management/managementgroups/"


def transform(raw: AzureRaw) -> Inventory:
    """Build the Azure inventory: Entra principals and credentials, managed identities, registries,
    registry tokens and the grants of role assignments."""
    ctx = Ctx(Inventory(), _collected(raw.collected_at))
    add_graph(ctx, raw.graph)
    for sub in raw.subscriptions:
        _subscription(ctx, sub)
    absence.gaps(raw, ctx.inv, raw.answered, raw.failed_scopes)
    return ctx.inv


def _collected(value: str | None) -> datetime | None:
    """manifest.json's ``collected_at`` read as the analysis reads it (``scanner.analyse.parse_time``): a
    time naming no zone is UTC (expiries are compared with it), and one that does not parse refuses the
    bundle naming manifest.json (exit 2)."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise BundleError(MANIFEST, f"not an ISO-8601 time: {value!r}") from e
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def covers(scope: str, resource_id: str) -> bool:
    """Does a role assignment at ``scope`` apply to the resource? A management-group (or root)
    assignment listed for a subscription applies to all of it; otherwise the scope must be the
    resource or one of its ancestors."""
    s, r = resource_key(scope), resource_key(resource_id)
    if s == "" or s.startswith(_MANAGEMENT_GROUPS):
        return True
    return r == s or r.startswith(s + "/")


def _guid(arm_id: str) -> str:
    return arm_id.rstrip("/").rsplit("/", 1)[-1].lower()


@dataclass(frozen=True)
class _Target:
    id: NodeId
    resource_id: str
    abac: bool


# --- managed identities ----------------------------------------------------------------------------


def _identity(ctx: Ctx, sub: str, ir: IdentityRaw) -> _Target:
    mi = ir.identity
    nid = sp_id(mi.properties.principal_id)
    ctx.inv.add_node(
        Node(
            id=nid,
            kind=NodeKind.IDENTITY,
            name=mi.name,
            provider=PROVIDER,
            subtype="azure:managed-identity",
            scope=sub,
            attrs={
                "object_id": mi.properties.principal_id,
                "client_id": mi.properties.client_id,
                "resource_id": mi.id,
                "described": True,
            },
            tags=mi.tag_pairs,
            evidence=(Evidence(ir.file),),
        )
    )
    for fic in ir.fics.items if ir.fics else ():
        cid = node_id(PROVIDER, "oidc-trust", resource_key(fic.id))
        ctx.oidc_trust(
            cid, f"{mi.name}/{fic.name}", fic.properties, nid, sub, Evidence(ir.fics.file if ir.fics else ir.file)
        )
    return _Target(nid, mi.id, False)


# --- registries ---------------------------------------------------------------------------------------


def _registry(ctx: Ctx, sub: str, rr: RegistryRaw) -> _Target:
    reg, props = rr.registry, rr.registry.properties
    rid = node_id(PROVIDER, "registry", resource_key(reg.id))
    exposures = []
    if props.admin_user_enabled:
        exposures.append("admin-user-enabled")
    if props.anonymous_pull_enabled:
        exposures.append("anonymous-pull")
    parts = reg.id.split("/")
    ctx.inv.add_node(
        Node(
            id=rid,
            kind=NodeKind.RESOURCE,
            name=reg.name,
            provider=PROVIDER,
            subtype="azure:container-registry",
            scope=sub,
            attrs={
                "category": "registry",
                "resource_id": reg.id,
                "resource_group": parts[4] if len(parts) > 4 else None,
                "login_server": props.login_server,
                "sku": reg.sku.name if reg.sku else None,
                "location": reg.location,
                "admin_user_enabled": props.admin_user_enabled,
                "anonymous_pull": props.anonymous_pull_enabled,
                "public_network_access": props.public_network_access,
                "network_default_action": props.network_rule_set.default_action if props.network_rule_set else None,
                "role_assignment_mode": props.role_assignment_mode,
                "exposures": tuple(exposures),
            },
            tags=reg.tag_pairs,
            evidence=(Evidence(rr.file),),
        )
    )
    if props.admin_user_enabled:
        cid = node_id(PROVIDER, "acr-admin", resource_key(reg.id))
        # One username/password pair (listCredentials, never called) shared by whoever uses it.
        ctx.static_credential(
            cid,
            f"{reg.name} admin user",
            "azure:acr-admin-user",
            sub,
            None,
            None,
            {"shared": True, "username": reg.name},
            Evidence(rr.file),
        )
        ctx.inv.add_edge(
            Edge(
                src=cid,
                dst=rid,
                kind=EdgeKind.GRANTS,
                actions=frozenset({Action.READ, Action.PUBLISH}),
                via="ACR admin user",
                evidence=(Evidence(rr.file),),
            )
        )
    _tokens(ctx, sub, rr, rid)
    return _Target(rid, reg.id, (props.role_assignment_mode or "") == ABAC_MODE)


def _tokens(ctx: Ctx, sub: str, rr: RegistryRaw, rid: NodeId) -> None:
    if rr.tokens is None:
        return
    maps: dict[str, ScopeMap] = {resource_key(m.id): m for m in rr.scope_maps.items} if rr.scope_maps else {}
    ev = Evidence(rr.tokens.file)
    for tok in rr.tokens.items:
        p = tok.properties
        smap = maps.get(resource_key(p.scope_map_id)) if p.scope_map_id else None
        grants = map_actions(smap.properties.actions) if smap else {}
        if p.scope_map_id and smap is None and rr.scope_maps is not None:
            # (a scope-map list not collected at all is named by connectors.azure.absence)
            ctx.inv.add_gap(
                CoverageGap(PROVIDER, sub, f"scope map of token {tok.name}", "scope map not collected: grants unknown")
            )
        enabled = (p.status or "enabled").lower() == "enabled"
        repos = tuple(sorted({r for rs in grants.values() for r in rs}))
        base = {
            "token": tok.name,
            "registry": rr.registry.name,
            "scope_map": smap.name if smap else p.scope_map_id,
            "repositories": repos,
            "token_enabled": enabled,
        }
        creds = p.credentials
        entries = [("password", pw.name, pw.creation_time, pw.expiry) for pw in creds.passwords] if creds else []
        entries += [("certificate", c.name, None, c.expiry) for c in creds.certificates] if creds else []
        for what, name, created, expiry in entries:
            cid = node_id(PROVIDER, f"acr-token-{what}", f"{resource_key(tok.id)}/{name.lower()}")
            active = ctx.static_credential(
                cid,
                f"{rr.registry.name}/{tok.name} {name}",
                f"azure:acr-token-{what}",
                sub,
                created or p.creation_date,
                expiry,
                base,
                ev,
            )
            if not (active and enabled):
                continue
            for action, on in sorted(grants.items()):
                ctx.inv.add_edge(
                    Edge(
                        src=cid,
                        dst=rid,
                        kind=EdgeKind.GRANTS,
                        actions=frozenset({action}),
                        via=f"scope map {base['scope_map']}: {', '.join(on)}",
                        evidence=(ev,),
                    )
                )


# --- role assignments ---------------------------------------------------------------------------------


def _blocks(rd: RoleDefinition) -> tuple[PermissionBlock, ...]:
    return tuple(
        PermissionBlock(p.actions, p.not_actions, p.data_actions, p.not_data_actions) for p in rd.properties.permissions
    )


def _assignments(ctx: Ctx, sub: SubscriptionRaw, registries: list[_Target], identities: list[_Target]) -> None:
    if sub.role_assignments is None:
        return
    defs = {_guid(d.id): d for d in sub.role_definitions.items} if sub.role_definitions else {}
    ev = Evidence(sub.role_assignments.file)
    for ra in sub.role_assignments.items:
        p = ra.properties
        rd = defs.get(_guid(p.role_definition_id))
        if rd is None:
            ctx.inv.add_gap(
                CoverageGap(
                    PROVIDER, sub.subscription_id, f"role definition {_guid(p.role_definition_id)}", "not collected"
                )
            )
            continue
        blocks = _blocks(rd)
        via = f"role {rd.properties.role_name} at {p.scope}"
        conditions = (("condition", p.condition),) if p.condition else ()
        principal: NodeId | None = None
        for reg in registries:
            if not covers(p.scope, reg.resource_id):
                continue
            acts = role_actions(blocks, abac=reg.abac)
            if not acts:
                continue
            principal = principal or ctx.principal(p.principal_id, p.principal_type, sub.subscription_id, ev)
            ctx.inv.add_edge(
                Edge(
                    principal, reg.id, EdgeKind.GRANTS, frozenset(acts), via=via, conditions=conditions, evidence=(ev,)
                )
            )
        if not any(role_allows(blocks, op) for op in ASSUME_OPERATIONS):
            continue
        for mi in identities:
            if covers(p.scope, mi.resource_id):
                principal = principal or ctx.principal(p.principal_id, p.principal_type, sub.subscription_id, ev)
                if principal != mi.id:
                    ctx.inv.add_edge(
                        Edge(
                            principal,
                            mi.id,
                            EdgeKind.CAN_ASSUME,
                            via=f"{via}: may add federated credentials",
                            evidence=(ev,),
                        )
                    )


def _every_registry(ctx: Ctx, sub: SubscriptionRaw) -> _Target:
    """ "Every container registry of the subscription, collected or not": an assignment at the subscription (or
    above) reaches the registries it has and will have, even when none was listed."""
    nid = node_id(PROVIDER, "acr-subscription", sub.subscription_id)
    ctx.inv.add_node(
        Node(
            id=nid,
            kind=NodeKind.RESOURCE,
            name=f"every container registry of subscription {sub.subscription_id} (collected or not)",
            provider=PROVIDER,
            subtype="azure:acr-subscription",
            scope=sub.subscription_id,
            attrs={"category": "registry", "subscription": sub.subscription_id, "account_wide": True},
            evidence=(Evidence(sub.role_assignments.file),) if sub.role_assignments else (),
        )
    )
    # No registry is named "*", so only a scope at or above the subscription covers this id.
    rid = f"/subscriptions/{sub.subscription_id}/providers/Microsoft.ContainerRegistry/registries/*"
    return _Target(nid, rid, abac=False)


def _subscription(ctx: Ctx, sub: SubscriptionRaw) -> None:
    identities = [_identity(ctx, sub.subscription_id, ir) for ir in sub.identities or ()]
    registries = [_registry(ctx, sub.subscription_id, rr) for rr in sub.registries or ()]
    if sub.role_assignments is not None:
        registries.append(_every_registry(ctx, sub))
    for what, reason in sub.gaps:
        ctx.inv.add_gap(CoverageGap(PROVIDER, sub.subscription_id, what, reason))
    _assignments(ctx, sub, registries, identities)
