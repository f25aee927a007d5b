"""Docker Hub permissions → action classes: one table, data only."""

from __future__ import annotations

from scanner.model import Action

#: Personal access token scopes. ``repo:public_read`` reaches public repositories only.
PAT_SCOPES: dict[str, frozenset[Action]] = {
    "repo:admin": frozenset({Action.ADMIN}),  # "Read, Write, Delete": also manages repositories
    "repo:write": frozenset({Action.PUBLISH}),
    "repo:read": frozenset({Action.READ}),
    "repo:public_read": frozenset({Action.READ}),
}
PUBLIC_ONLY_SCOPES: frozenset[str] = frozenset({"repo:public_read"})

#: Organisation access token scopes on TYPE_REPO resources.
OAT_SCOPES: dict[str, frozenset[Action]] = {
    "scope-image-pull": frozenset({Action.READ}),
    "scope-image-push": frozenset({Action.PUBLISH}),
}

#: Organisation roles that administer every repository of the organisation (``org_member.role``, compared
#: lower-case; an editor creates, changes and deletes the organisation's repositories).
ADMIN_ROLES: frozenset[str] = frozenset({"owner", "editor"})
#: The team whose members own the organisation.
OWNERS_TEAM = "owners"
