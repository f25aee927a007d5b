"""Read the ``dockerhub/`` folder of a bundle into typed records; every read goes through BundleReader."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TypeVar

from connectors.dockerhub.raw import (
    DockerHubRaw,
    GroupList,
    HubAccount,
    Loaded,
    MemberList,
    OrgRaw,
    OrgToken,
    OrgTokenList,
    PersonalTokenList,
    RepositoryList,
)
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

T = TypeVar("T")

ROOT = "dockerhub"
V2 = f"{ROOT}/v2"
#: Written by regwarden (or by hand): the account whose personal access tokens ``GET /v2/access-tokens``
#: lists — the identifier the JWT was minted for. Docker Hub documents no call that names it.
SETTINGS = f"{ROOT}/regwarden-settings.json"
TOKENS = f"{V2}/access-tokens.json"
NAMESPACES = f"{V2}/namespaces"


def _optional(bundle: BundleReader, rel: str, typ: type[T]) -> Loaded[T] | None:
    return Loaded(rel, bundle.model(rel, typ)) if bundle.exists(rel) else None


def _org(bundle: BundleReader, org: str) -> OrgRaw:
    base = f"{V2}/orgs/{org}"
    details = tuple(Loaded(rel, bundle.model(rel, OrgToken)) for rel in bundle.files(f"{base}/access-tokens", ".json"))
    group_members: list[tuple[str, Loaded[MemberList]]] = []
    for rel in bundle.files(f"{base}/groups", "members.json"):
        parts = PurePosixPath(rel).parts
        if len(parts) != 7:
            raise BundleError(rel, "expected dockerhub/v2/orgs/<org>/groups/<group>/members.json")
        group_members.append((parts[5], Loaded(rel, bundle.model(rel, MemberList))))
    return OrgRaw(
        name=org,
        tokens=_optional(bundle, f"{base}/access-tokens.json", OrgTokenList),
        token_details=details,
        members=_optional(bundle, f"{base}/members.json", MemberList),
        groups=_optional(bundle, f"{base}/groups.json", GroupList),
        group_members=tuple(group_members),
    )


def _org_names(bundle: BundleReader) -> list[str]:
    names = set()
    for rel in bundle.files(f"{V2}/orgs"):
        parts = PurePosixPath(rel).parts
        if len(parts) < 5:
            raise BundleError(rel, "expected dockerhub/v2/orgs/<org>/...")
        names.add(parts[3])
    return sorted(names)


def load(bundle: BundleReader) -> DockerHubRaw:
    """The account and its personal tokens, the repositories of each namespace, and organisations."""
    repos: list[Loaded[RepositoryList]] = []
    for rel in bundle.files(f"{V2}/repositories"):
        raise BundleError(
            rel,
            "GET /v2/repositories/... is not in Docker Hub's API reference: expected "
            "dockerhub/v2/namespaces/<namespace>/repositories.json",
        )
    for rel in bundle.files(NAMESPACES):
        parts = PurePosixPath(rel).parts
        if len(parts) != 5 or parts[4] != "repositories.json":
            raise BundleError(rel, "expected dockerhub/v2/namespaces/<namespace>/repositories.json")
        repos.append(Loaded(rel, bundle.model(rel, RepositoryList)))
    return DockerHubRaw(
        account=_optional(bundle, SETTINGS, HubAccount),
        tokens=_optional(bundle, TOKENS, PersonalTokenList),
        repositories=tuple(repos),
        orgs=tuple(_org(bundle, o) for o in _org_names(bundle)),
        answered=frozenset(
            c.call for c in bundle.manifest.calls if c.provider == ROOT and c.status in ("not_found", "failed")
        ),
        failed_scopes=failed_scopes(bundle, ROOT),
    )
