"""Read the ``jfrog/`` folder of a bundle into typed records; every read goes through BundleReader."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TypeVar

from connectors.jfrog.raw import (
    CollectorSettings,
    Group,
    JfrogRaw,
    Loaded,
    NamedRef,
    PermissionTarget,
    RepoConfig,
    RepoSummary,
    TokenList,
)
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

T = TypeVar("T")

ROOT = "jfrog"
TOKENS = f"{ROOT}/access/api/v1/tokens.json"
REPOS = f"{ROOT}/artifactory/api/repositories"
PERMISSIONS = f"{ROOT}/artifactory/api/v2/security/permissions"
GROUPS = f"{ROOT}/artifactory/api/security/groups"
SETTINGS = f"{ROOT}/regwarden-settings.json"


def _optional(bundle: BundleReader, rel: str, typ: type[T]) -> Loaded[T] | None:
    return Loaded(rel, bundle.model(rel, typ)) if bundle.exists(rel) else None


def _each(bundle: BundleReader, folder: str, typ: type[T], key: str) -> tuple[Loaded[T], ...]:
    """One file per object under ``folder``, whose ``key`` field must match the file name."""
    out: list[Loaded[T]] = []
    depth = len(PurePosixPath(folder).parts) + 1
    for rel in bundle.files(folder, ".json"):
        if len(PurePosixPath(rel).parts) != depth:
            raise BundleError(rel, f"expected {folder}/<name>.json")
        doc = bundle.model(rel, typ)
        name = PurePosixPath(rel).name.removesuffix(".json")
        if getattr(doc, key) != name:
            raise BundleError(rel, f"{key} {getattr(doc, key)!r} does not match the file name {name!r}")
        out.append(Loaded(rel, doc))
    return tuple(out)


def load(bundle: BundleReader) -> JfrogRaw:
    """Tokens, repositories with their configuration, permission targets, groups and the collector settings."""
    return JfrogRaw(
        tokens=_optional(bundle, TOKENS, TokenList),
        repositories=_optional(bundle, f"{REPOS}.json", tuple[RepoSummary, ...]),
        configs=_each(bundle, REPOS, RepoConfig, "key"),
        permissions=_each(bundle, PERMISSIONS, PermissionTarget, "name"),
        groups=_each(bundle, GROUPS, Group, "name"),
        settings=_optional(bundle, SETTINGS, CollectorSettings),
        permission_list=_optional(bundle, f"{PERMISSIONS}.json", tuple[NamedRef, ...]),
        group_list=_optional(bundle, f"{GROUPS}.json", tuple[NamedRef, ...]),
        answered=frozenset(
            c.call for c in bundle.manifest.calls if c.provider == ROOT and c.status in ("not_found", "failed")
        ),
        failed_scopes=failed_scopes(bundle, ROOT),
    )
