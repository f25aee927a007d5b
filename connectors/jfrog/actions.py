"""JFrog permission-target actions → action classes: the one table, data only.

Decisions (documented here, nowhere else):

* ``read``, ``annotate`` (properties) and ``managedXrayMeta`` change no artifact: READ.
* ``write`` (deploy/cache) puts a new artifact in: PUBLISH.
* ``delete`` (delete/overwrite) replaces an existing version's content: a write that puts code in, so
  PUBLISH — not ADMIN, because it grants no control over permissions or tokens.
* ``manage`` changes the permission target itself: ADMIN.
* In the ``build`` section, ``write``/``delete`` upload and promote build info (build promotion copies or
  moves the build's artifacts into release repositories): PROMOTE; ``manage``: ADMIN.
* In the ``releaseBundle`` section, ``write``/``delete``/``distribute`` create and distribute release
  bundles towards edges and production: PROMOTE; ``manage``: ADMIN.

Version-1 single-letter actions (``r``, ``n``, ``w``, ``d``, ``m``) map like their long names.
"""

from __future__ import annotations

from scanner.model import Action

_READ = frozenset({Action.READ})
_PUBLISH = frozenset({Action.PUBLISH})
_PROMOTE = frozenset({Action.PROMOTE})
_ADMIN = frozenset({Action.ADMIN})

REPO_ACTIONS: dict[str, frozenset[Action]] = {
    "read": _READ,
    "r": _READ,
    "annotate": _READ,
    "n": _READ,
    "managedXrayMeta": _READ,
    "write": _PUBLISH,
    "deploy": _PUBLISH,
    "w": _PUBLISH,
    "delete": _PUBLISH,
    "d": _PUBLISH,
    "manage": _ADMIN,
    "m": _ADMIN,
}

BUILD_ACTIONS: dict[str, frozenset[Action]] = {
    "read": _READ,
    "r": _READ,
    "annotate": _READ,
    "n": _READ,
    "write": _PROMOTE,
    "w": _PROMOTE,
    "delete": _PROMOTE,
    "d": _PROMOTE,
    "manage": _ADMIN,
    "m": _ADMIN,
}

RELEASE_BUNDLE_ACTIONS: dict[str, frozenset[Action]] = {**BUILD_ACTIONS, "distribute": _PROMOTE}

#: Repository-list wildcards of permission targets → the repository classes they cover.
ANY_REPOS: dict[str, frozenset[str]] = {
    "ANY": frozenset({"local", "remote", "virtual", "federated"}),
    "ANY LOCAL": frozenset({"local", "federated"}),
    "ANY REMOTE": frozenset({"remote"}),
}

#: Token scopes. ``applied-permissions/user`` acts as the subject; ``.../groups:a,b`` (and the older
#: ``member-of-groups:a,b``) as those groups; ``.../admin`` as a platform administrator.
ADMIN_SCOPE = "applied-permissions/admin"
USER_SCOPE = "applied-permissions/user"
GROUP_SCOPE_PREFIXES: tuple[str, ...] = ("applied-permissions/groups:", "member-of-groups:")

#: A token valid for at most this many seconds, and not refreshable, is minted per task.
SHORT_LIVED_SECONDS = 24 * 3600
