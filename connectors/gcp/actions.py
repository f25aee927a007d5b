"""GCP permission -> action class: the one table (data).

Roles are never mapped by hand: every role a policy references (predefined or custom) is collected
with ``roles.get`` (``gcloud iam roles describe``) into the bundle, and its ``includedPermissions``
are classified here. ``ASSUME`` is not an action class of the model: a permission of that class on a
service account makes a ``can_assume`` edge (impersonate, mint a key or a token, grant oneself).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from scanner.model import Action


class PermClass(enum.StrEnum):
    """What holding a permission gives: an action class on a registry, or control of a service account."""

    READ = "READ"
    PUBLISH = "PUBLISH"
    PROMOTE = "PROMOTE"
    ADMIN = "ADMIN"
    ASSUME = "ASSUME"


#: Permissions that matter for the registry boundary, and what each gives.
PERMISSIONS: dict[str, PermClass] = {
    # Artifact Registry: pull
    "artifactregistry.repositories.downloadArtifacts": PermClass.READ,
    "artifactregistry.repositories.readViaVirtualRepository": PermClass.READ,
    # publish: push a new version, or overwrite / remove what others pull
    "artifactregistry.repositories.uploadArtifacts": PermClass.PUBLISH,
    "artifactregistry.repositories.deleteArtifacts": PermClass.PUBLISH,
    "artifactregistry.versions.delete": PermClass.PUBLISH,
    "artifactregistry.packages.delete": PermClass.PUBLISH,
    "artifactregistry.files.upload": PermClass.PUBLISH,
    # promote: move a tag (``prod``, ``latest``) onto another version
    "artifactregistry.tags.create": PermClass.PROMOTE,
    "artifactregistry.tags.update": PermClass.PROMOTE,
    "artifactregistry.tags.delete": PermClass.PROMOTE,
    # admin: change who may do the above, or the repository itself
    "artifactregistry.repositories.setIamPolicy": PermClass.ADMIN,
    "artifactregistry.repositories.update": PermClass.ADMIN,
    "artifactregistry.repositories.delete": PermClass.ADMIN,
    "artifactregistry.repositories.create": PermClass.ADMIN,
    "resourcemanager.projects.setIamPolicy": PermClass.ADMIN,
    "resourcemanager.folders.setIamPolicy": PermClass.ADMIN,
    "resourcemanager.organizations.setIamPolicy": PermClass.ADMIN,
    # control of a service account: impersonate it, mint a key or token for it, or grant oneself that
    "iam.serviceAccountKeys.create": PermClass.ASSUME,
    "iam.serviceAccounts.getAccessToken": PermClass.ASSUME,
    "iam.serviceAccounts.getOpenIdToken": PermClass.ASSUME,
    "iam.serviceAccounts.signBlob": PermClass.ASSUME,
    "iam.serviceAccounts.signJwt": PermClass.ASSUME,
    "iam.serviceAccounts.implicitDelegation": PermClass.ASSUME,
    "iam.serviceAccounts.actAs": PermClass.ASSUME,
    "iam.serviceAccounts.setIamPolicy": PermClass.ASSUME,
}

#: Basic (primitive) roles: broad project roles that imply registry write (RB07 ``basic-role-write``).
BASIC_WRITE_ROLES = frozenset({"roles/owner", "roles/editor"})

_TO_ACTION = {
    PermClass.READ: Action.READ,
    PermClass.PUBLISH: Action.PUBLISH,
    PermClass.PROMOTE: Action.PROMOTE,
    PermClass.ADMIN: Action.ADMIN,
}


def classes(permissions: Iterable[str]) -> frozenset[PermClass]:
    """The classes a set of permissions gives (unknown permissions give nothing)."""
    return frozenset(PERMISSIONS[p] for p in permissions if p in PERMISSIONS)


def registry_actions(found: Iterable[PermClass]) -> frozenset[Action]:
    """The action classes on a registry repository among ``found``."""
    return frozenset(_TO_ACTION[c] for c in found if c in _TO_ACTION)


def can_assume(found: Iterable[PermClass]) -> bool:
    """True when ``found`` gives control of a service account."""
    return PermClass.ASSUME in frozenset(found)
