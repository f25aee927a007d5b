"""npm permissions → action classes: one table, data only."""

from __future__ import annotations

from scanner.model import Action

#: A token's kind → what it can do on the packages its owner can write (never more than the owner).
TOKEN_ACTIONS: dict[str, frozenset[Action]] = {
    "read-only": frozenset({Action.READ}),
    "publish": frozenset({Action.PUBLISH}),  # classic "Publish" token: everything the account can do
    "automation": frozenset({Action.PUBLISH}),  # classic "Automation": publish, skipping 2FA
    "granular:read-write": frozenset({Action.PUBLISH}),
    "granular:read-only": frozenset({Action.READ}),
    "granular:no-access": frozenset(),
}

#: ``GET /-/user/<u>/package`` and ``GET /-/org/<o>/package`` access levels.
PACKAGE_ACCESS: dict[str, frozenset[Action]] = {
    "read": frozenset({Action.READ}),
    "write": frozenset({Action.PUBLISH}),
}

#: Organisation roles → actions on every package of the organisation. Owners and admins manage
#: teams and can grant themselves publish; developers publish only through teams (not collected).
ORG_ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "owner": frozenset({Action.ADMIN}),
    "admin": frozenset({Action.ADMIN}),
    "developer": frozenset(),
}

#: A maintainer listed in the packument can publish new versions.
MAINTAINER_ACTIONS: frozenset[Action] = frozenset({Action.PUBLISH})

#: Attestation predicate types that are build provenance (not just the registry's publish attestation).
PROVENANCE_PREFIXES: tuple[str, ...] = ("https://slsa.dev/provenance/",)
