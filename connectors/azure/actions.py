"""Azure permissions -> action classes: the one table, and the evaluation of role definitions against it.

Roles are never listed by name here. A role assignment is resolved through the role definition that
was collected with it (built-in or custom), whose ``actions``/``notActions`` (control plane) and
``dataActions``/``notDataActions`` (data plane) are matched, wildcards included, against the
permissions below. So Reader's ``*/read`` yields READ on a registry, as Azure itself grants pull
to Reader, and a custom role built from wildcards is judged by what it really allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from scanner.model import Action

ACR = "Microsoft.ContainerRegistry/registries"
#: Registries in this mode honour only the ABAC repository data actions, not the legacy data-plane
#: permissions (pull/read, push/write, artifacts/delete) that AcrPull/AcrPush/Owner carried.
ABAC_MODE = "AbacRepositoryPermissions"


@dataclass(frozen=True, slots=True)
class Permission:
    """One Azure operation that matters for a registry, and what holding it lets an identity do.

    ``action`` None means the permission is collected and shown but maps to no action class
    (deleting images neither puts code in nor changes who may).
    """

    operation: str
    data: bool
    action: Action | None
    legacy_data_plane: bool = False


#: The table. Each row: an operation on the registry (or covering it) -> action class.
PERMISSIONS: tuple[Permission, ...] = (
    # Legacy data plane, carried by AcrPull / AcrPush / AcrDelete / AcrImageSigner, Owner, Contributor, Reader.
    Permission(f"{ACR}/pull/read", False, Action.READ, legacy_data_plane=True),
    Permission(f"{ACR}/push/write", False, Action.PUBLISH, legacy_data_plane=True),
    Permission(f"{ACR}/artifacts/delete", False, None, legacy_data_plane=True),
    # Signing (content trust) is what lets an image pass a signature gate towards production.
    Permission(f"{ACR}/sign/write", False, Action.PROMOTE),
    Permission(f"{ACR}/importImage/action", False, Action.PROMOTE),
    # ACR Tasks build and push with the registry's own rights.
    Permission(f"{ACR}/scheduleRun/action", False, Action.PUBLISH),
    Permission(f"{ACR}/tasks/write", False, Action.PUBLISH),
    # Changing the registry or minting credentials for it.
    Permission(f"{ACR}/write", False, Action.ADMIN),
    Permission(f"{ACR}/listCredentials/action", False, Action.ADMIN),
    Permission(f"{ACR}/regenerateCredential/action", False, Action.ADMIN),
    Permission(f"{ACR}/generateCredentials/action", False, Action.ADMIN),
    Permission(f"{ACR}/tokens/write", False, Action.ADMIN),
    Permission(f"{ACR}/scopeMaps/write", False, Action.ADMIN),
    Permission("Microsoft.Authorization/roleAssignments/write", False, Action.ADMIN),
    # ABAC repository permissions (data actions), e.g. "Container Registry Repository Writer".
    Permission(f"{ACR}/repositories/content/read", True, Action.READ),
    Permission(f"{ACR}/repositories/metadata/read", True, Action.READ),
    Permission(f"{ACR}/repositories/content/write", True, Action.PUBLISH),
    Permission(f"{ACR}/repositories/metadata/write", True, Action.PUBLISH),
    Permission(f"{ACR}/repositories/content/delete", True, None),
)

#: Operations on a user-assigned managed identity that let the holder act as it: whoever may add a
#: federated credential to it can make their own workload trusted by it.
ASSUME_OPERATIONS: tuple[str, ...] = (
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
)

#: ACR scope-map actions ``repositories/<repo>/<kind>/<verb>`` -> action class (None: no class).
SCOPE_MAP_ACTIONS: dict[str, Action | None] = {
    "content/read": Action.READ,
    "metadata/read": Action.READ,
    "content/write": Action.PUBLISH,
    "metadata/write": Action.PUBLISH,
    "content/delete": None,
}


@lru_cache(maxsize=4096)
def _pattern(wildcard: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in wildcard.split("*")), re.IGNORECASE)


def matches(wildcard: str, operation: str) -> bool:
    """Azure's rule: ``*`` matches any characters, case-insensitively, over the whole operation."""
    return _pattern(wildcard).fullmatch(operation) is not None


@dataclass(frozen=True, slots=True)
class PermissionBlock:
    """One entry of a role definition's ``permissions``."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()

    def allows(self, operation: str, data: bool) -> bool:
        """True when this block grants the operation (allowed and not excluded)."""
        allow, deny = (self.data_actions, self.not_data_actions) if data else (self.actions, self.not_actions)
        return any(matches(a, operation) for a in allow) and not any(matches(n, operation) for n in deny)


def role_allows(blocks: Sequence[PermissionBlock], operation: str, data: bool = False) -> bool:
    """True when any block of the role grants the operation."""
    return any(b.allows(operation, data) for b in blocks)


def role_actions(blocks: Sequence[PermissionBlock], *, abac: bool = False) -> dict[Action, tuple[str, ...]]:
    """The action classes a role grants on a registry, each with the operations that grant it."""
    out: dict[Action, list[str]] = {}
    for p in PERMISSIONS:
        if p.action is None or (abac and p.legacy_data_plane):
            continue
        if role_allows(blocks, p.operation, p.data):
            out.setdefault(p.action, []).append(p.operation)
    return {a: tuple(ops) for a, ops in out.items()}


def scope_map_actions(actions: Iterable[str]) -> dict[Action, tuple[str, ...]]:
    """The action classes an ACR scope map grants, each with the repositories it grants them on."""
    out: dict[Action, set[str]] = {}
    for raw in actions:
        parts = raw.split("/")
        # repositories/<repo>/<content|metadata>/<verb>; a repository name may itself contain "/".
        if len(parts) < 4 or parts[0] != "repositories":
            continue
        repo, verb = "/".join(parts[1:-2]), "/".join(parts[-2:])
        action = SCOPE_MAP_ACTIONS.get(verb.lower())
        if action is not None:
            out.setdefault(action, set()).add(repo)
    return {a: tuple(sorted(r)) for a, r in out.items()}
