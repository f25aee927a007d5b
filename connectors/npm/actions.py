"""npm permissions → action classes: one table, data only."""

from __future__ import annotations

from scanner.model import Action

#: A classic token's kind → what it can do on the packages its owner can write. ``None``: everything its
#: owner can do (a classic publish or automation token acts as the account: the 2025 npm worm republished
#: every package of each maintainer whose token it stole).
CLASSIC_TOKENS: dict[str, frozenset[Action] | None] = {
    "read-only": frozenset({Action.READ}),
    "publish": None,
    "automation": None,  # publish, skipping 2FA
}

#: A granular token's ``permissions[]``: ``package`` read/write on the packages and scopes it selects, ``org``
#: read/write on the organisations it selects (writing an organisation manages its teams and members, which
#: gives publish rights away: ADMIN on its packages, never more than the owner's role there).
GRANULAR_PERMISSIONS: dict[tuple[str, str], frozenset[Action]] = {
    ("package", "read"): frozenset({Action.READ}),
    ("package", "write"): frozenset({Action.PUBLISH}),
    ("org", "read"): frozenset(),
    ("org", "write"): frozenset({Action.ADMIN}),
}

#: ``GET /-/user/<u>/package`` and ``GET /-/org/<o>/package`` access levels.
PACKAGE_ACCESS: dict[str, frozenset[Action]] = {
    "read": frozenset({Action.READ}),
    "write": frozenset({Action.PUBLISH}),
    "read-only": frozenset({Action.READ}),  # as `npm access list packages --json` prints them
    "read-write": frozenset({Action.PUBLISH}),
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
