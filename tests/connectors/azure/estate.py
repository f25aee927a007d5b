"""A seeded many-subscription Azure estate, written as the per-subscription ARM answers that the fake serves
both as ARM lists and as Resource Graph rows (one data model for both ways of collecting RBAC).

Every subscription has a registry and a managed identity, ``per_sub`` role assignments at the
subscription, its resource group, the registry or the identity, and inherits from above: an Owner
group at ``mg-platform`` (every subscription), a User Access Administrator at ``mg-prod`` (even
subscriptions) and a Reader at the root ``/`` — listed in each subscription's roleAssignments as
ARM lists inherited assignments (the root one in the fixture's subscription too, when it is included). Role definitions are the fixture's, as each subscription lists them.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parents[2] / "fixtures" / "azure" / "bundle"
FIXTURE_SUB = "00000000-0000-0000-0000-0000000000a1"
AUTHZ = "providers/Microsoft.Authorization"
ROLES = {  # role definition GUIDs of the fixture
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "pass-registry-importer": "00000000-0000-0000-0000-000000001001",
}
#: Inherited assignments: (id, scope, role, principal, principal type, subscriptions it reaches: "all" or "even").
INHERITED = (
    ("00000000-0000-0000-0000-00000000f001", "/providers/Microsoft.Management/managementGroups/mg-platform",
     "Owner", "00000000-0000-0000-0000-00000000c001", "Group", "all"),
    ("00000000-0000-0000-0000-00000000f002", "/providers/Microsoft.Management/managementGroups/mg-prod",
     "User Access Administrator", "00000000-0000-0000-0000-00000000c002", "ServicePrincipal", "even"),
    ("00000000-0000-0000-0000-00000000f003", "/", "Reader", "00000000-0000-0000-0000-00000000c003",
     "ServicePrincipal", "all"),
)  # fmt: skip


def sub_id(i: int) -> str:
    """The i-th generated subscription (never the fixture's)."""
    return f"00000000-0000-0000-0000-{0xB00000000000 + i:012x}"


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _assignment(aid: str, scope: str, role: str, principal: str, ptype: str, sub: str) -> dict[str, Any]:
    scope_prefix = "" if scope == "/" else scope
    return {
        "id": f"{scope_prefix}/{AUTHZ}/roleAssignments/{aid}",
        "name": aid,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/{AUTHZ}/roleDefinitions/{ROLES[role]}",
            "principalId": principal,
            "principalType": ptype,
            "scope": scope,
            "condition": None,
        },
    }


def inherited_rows(i: int) -> int:
    """How many inherited assignments subscription ``i`` lists."""
    return sum(1 for *_, reach in INHERITED if reach == "all" or i % 2 == 0)


def build(root: Path, subs: int, per_sub: int, *, seed: int = 20261128, with_fixture: bool = False) -> list[str]:
    """Write the estate under ``root/azure`` (plus the fixture bundle when asked); return its subscriptions."""
    rng = random.Random(seed)
    if with_fixture:
        shutil.copytree(FIXTURE / "azure", root / "azure", dirs_exist_ok=True)
        # An assignment at the root applies to every subscription: ARM lists it for the fixture's too.
        listed = root / "azure/subscriptions" / FIXTURE_SUB / AUTHZ / "roleAssignments.json"
        page = json.loads(listed.read_text(encoding="utf-8"))
        page["value"] += [_assignment(*row[:5], FIXTURE_SUB) for row in INHERITED if row[1] == "/"]
        _write(listed, page)
    definitions = json.loads(
        (FIXTURE / "azure/subscriptions" / FIXTURE_SUB / AUTHZ / "roleDefinitions.json").read_text()
    )
    principals = [f"00000000-0000-0000-0000-{0xD00000000000 + n:012x}" for n in range(40)]
    ids: list[str] = []
    for i in range(subs):
        sub = sub_id(i)
        ids.append(sub)
        base = root / "azure" / "subscriptions" / sub
        rg = f"/subscriptions/{sub}/resourceGroups/rg-{i}"
        acr = f"{rg}/providers/Microsoft.ContainerRegistry/registries/acr{i}"
        mi = f"{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi{i}"
        _write(base.with_suffix(".json"), {"id": f"/subscriptions/{sub}", "subscriptionId": sub,
                                           "displayName": f"estate-{i}", "state": "Enabled"})  # fmt: skip
        registry = {"id": acr, "name": f"acr{i}", "location": "westeurope", "sku": {"name": "Premium"},
                    "properties": {"loginServer": f"acr{i}.azurecr.io", "adminUserEnabled": False}}  # fmt: skip
        _write(base / "providers/Microsoft.ContainerRegistry/registries.json", {"value": [registry]})
        mi_principal = f"00000000-0000-0000-0000-{0xE00000000000 + i:012x}"
        identity = {"id": mi, "name": f"mi{i}", "location": "westeurope",
                    "properties": {"principalId": mi_principal, "clientId": mi_principal, "tenantId": "t"}}  # fmt: skip
        _write(base / "providers/Microsoft.ManagedIdentity/userAssignedIdentities.json", {"value": [identity]})
        # The registry's and the identity's own lists, empty: a collection has them (absent, each is a gap).
        for child in (f"{acr}/scopeMaps", f"{acr}/tokens", f"{mi}/federatedIdentityCredentials"):
            _write(root / "azure" / f"{child.strip('/')}.json", {"value": []})
        rows = []
        for n in range(per_sub):
            scope = rng.choice([f"/subscriptions/{sub}", rg, acr, acr, mi])
            role = rng.choice(list(ROLES))
            aid = f"00000000-0000-{i:04x}-0000-{n:012x}"
            rows.append(_assignment(aid, scope, role, rng.choice(principals), "ServicePrincipal", sub))
        for aid, scope, role, principal, ptype, reach in INHERITED:
            if reach == "all" or i % 2 == 0:
                rows.append(_assignment(aid, scope, role, principal, ptype, sub))
        _write(base / AUTHZ / "roleAssignments.json", {"value": rows})
        defs = [
            {**d, "id": d["id"].replace(f"/subscriptions/{FIXTURE_SUB}/", f"/subscriptions/{sub}/")}
            for d in definitions["value"]
        ]
        _write(base / AUTHZ / "roleDefinitions.json", {"value": defs})
    return ids
