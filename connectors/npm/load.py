"""Read the ``npm/`` folder of a bundle into typed records; every read goes through BundleReader."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TypeVar

from connectors.npm.raw import (
    Attestations,
    Loaded,
    NpmPackage,
    NpmRaw,
    OrgRoles,
    PackageAccess,
    Packument,
    TokenList,
    Whoami,
)
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

T = TypeVar("T")

ROOT = "npm"
WHOAMI = f"{ROOT}/-/whoami.json"
TOKENS = f"{ROOT}/-/npm/v1/tokens.json"
ATTESTATIONS = f"{ROOT}/-/npm/v1/attestations"


def packument_path(package: str) -> str:
    """``npm/<package>.json``; a scoped name keeps its slash (``npm/@scope/name.json``)."""
    return f"{ROOT}/{package}.json"


def attestations_path(package: str, version: str) -> str:
    """``npm/-/npm/v1/attestations/<package>@<version>.json``."""
    return f"{ATTESTATIONS}/{package}@{version}.json"


def attestations_call(package: str, version: str) -> str:
    """The manifest name of the attestations call (a 404 there means: no attestations)."""
    return f"GET /-/npm/v1/attestations/{package}@{version}"


def _optional(bundle: BundleReader, rel: str, typ: type[T]) -> Loaded[T] | None:
    return Loaded(rel, bundle.model(rel, typ)) if bundle.exists(rel) else None


def _named(bundle: BundleReader, folder: str, leaf: str, typ: type[T]) -> tuple[tuple[str, Loaded[T]], ...]:
    """``npm/-/<folder>/<name>/<leaf>`` files, by name."""
    out: list[tuple[str, Loaded[T]]] = []
    for rel in bundle.files(f"{ROOT}/-/{folder}", leaf):
        parts = PurePosixPath(rel).parts
        if len(parts) != 5 or parts[4] != leaf:
            raise BundleError(rel, f"expected npm/-/{folder}/<name>/{leaf}")
        out.append((parts[3], Loaded(rel, bundle.model(rel, typ))))
    return tuple(out)


def _package_files(bundle: BundleReader) -> list[str]:
    out = []
    for rel in bundle.files(ROOT, ".json"):
        parts = PurePosixPath(rel).parts
        if parts[1] == "-":
            continue  # registry endpoints, not packuments
        if len(parts) == 2 or (len(parts) == 3 and parts[1].startswith("@")):
            out.append(rel)
        else:
            raise BundleError(rel, "expected npm/<package>.json or npm/@<scope>/<package>.json")
    return out


def _package(bundle: BundleReader, rel: str, not_found: set[str]) -> NpmPackage:
    doc = bundle.model(rel, Packument)
    expected = rel.removeprefix(f"{ROOT}/").removesuffix(".json")
    if doc.name != expected:
        raise BundleError(rel, f"name {doc.name!r} does not match the file name {expected!r}")
    latest = doc.dist_tags.get("latest")
    if latest is None:
        return NpmPackage(Loaded(rel, doc))
    att = _optional(bundle, attestations_path(doc.name, latest), Attestations)
    missing = att is None and attestations_call(doc.name, latest) in not_found
    return NpmPackage(Loaded(rel, doc), att, missing)


def load(bundle: BundleReader) -> NpmRaw:
    """The account, its tokens, the packages of the account and its organisations, and their packuments."""
    not_found = bundle.manifest.not_found(ROOT)
    return NpmRaw(
        whoami=_optional(bundle, WHOAMI, Whoami),
        tokens=_optional(bundle, TOKENS, TokenList),
        user_packages=_named(bundle, "user", "package.json", PackageAccess),
        org_packages=_named(bundle, "org", "package.json", PackageAccess),
        org_users=_named(bundle, "org", "user.json", OrgRoles),
        packages=tuple(_package(bundle, rel, not_found) for rel in _package_files(bundle)),
        not_found=frozenset(not_found),
        failed=frozenset(c.call for c in bundle.manifest.failed() if c.provider == ROOT),
        failed_scopes=failed_scopes(bundle, ROOT),
    )
