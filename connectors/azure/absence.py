"""What the absence of an Azure file means (connectors/azure/bundle_files.yaml): a coverage gap naming each file
a collected subscription, registry, identity or application should have. Pure: no I/O.

A subscription is collected when a file under ``azure/subscriptions/{sub}`` is in the bundle; the tenant's
Graph when one of its files is. A call manifest.json records as answered 404 or failed explains an absent
file (the call is the file's ARM or Graph path), and a scope whose collection failed as a whole adds none.
"""

from __future__ import annotations

from connectors.azure.load import ACR, AUTHZ, MSI, SERVICE_PRINCIPALS, child_file, fic_file, subscription_list
from connectors.azure.raw import AzureRaw
from scanner.model import CoverageGap, Inventory

PROVIDER = "azure"


def _call(rel: str) -> str:
    """The manifest's name of the call that writes bundle file ``rel`` (its ARM or Graph path)."""
    path = rel.removeprefix("azure/").removesuffix(".json")
    return path.removeprefix("graph") if path.startswith("graph/") else f"/{path}"


def gaps(raw: AzureRaw, inv: Inventory, answered: frozenset[str], failed_scopes: frozenset[str]) -> None:
    """Add a gap for each expected file the bundle lacks."""
    told = {c.lower() for c in answered}
    rg_used = raw.resource_graph

    def expect(scope: str, rel: str, consequence: str) -> None:
        if scope not in failed_scopes and _call(rel).lower() not in told:
            inv.add_gap(
                CoverageGap(PROVIDER, scope.removeprefix("subscriptions/"), rel, f"not collected: {consequence}")
            )

    for sub in raw.subscriptions:
        scope = f"subscriptions/{sub.subscription_id}"
        if sub.registries is None:
            expect(
                scope, subscription_list(sub.subscription_id, ACR), "the subscription's registries are not in the scan"
            )
        if sub.identities is None:
            expect(scope, subscription_list(sub.subscription_id, MSI),
                   "the subscription's managed identities are not in the scan")  # fmt: skip
        if rg_used:
            pass  # role assignments and definitions come from Resource Graph: its loader says what it does not cover
        elif sub.role_assignments is None:
            expect(scope, subscription_list(sub.subscription_id, f"{AUTHZ}/roleAssignments"),
                   "its role assignments (or Resource Graph's) are not in the scan: who can push or pull is unknown")  # fmt: skip
        elif sub.role_definitions is None:
            expect(scope, subscription_list(sub.subscription_id, f"{AUTHZ}/roleDefinitions"),
                   "its role definitions (or Resource Graph's) are not in the scan: the assignments are unresolved")  # fmt: skip
        for rr in sub.registries or ():
            if rr.scope_maps is None:
                expect(scope, child_file(rr.registry.id, "scopeMaps"),
                       f"what the tokens of registry {rr.registry.name} may do is unknown")  # fmt: skip
            if rr.tokens is None:
                expect(scope, child_file(rr.registry.id, "tokens"),
                       f"the tokens of registry {rr.registry.name} are not in the scan")  # fmt: skip
        for ir in sub.identities or ():
            if ir.fics is None:
                expect(scope, child_file(ir.identity.id, "federatedIdentityCredentials"),
                       f"whom managed identity {ir.identity.name} trusts is not in the scan")  # fmt: skip
    graph = raw.graph
    if graph.applications is None and graph.service_principals is not None:
        expect("graph", "azure/graph/v1.0/applications.json",
               "the applications, their secrets and whom they trust are not in the scan")  # fmt: skip
    for a in graph.applications or ():
        if a.fics is None:
            expect("graph", fic_file(a.app.id), f"whom application {a.app.display_name} trusts is not in the scan")
    _ = SERVICE_PRINCIPALS  # its absence is reported where the credentials need it (connectors.azure.entra)
