"""Read the ``dockerhub/`` folder of a bundle into typed records; every read goes through BundleReader."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TypeVar

from connectors.dockerhub.raw import (
    DockerHubRaw,
    GroupList,
    HubUser,
    Loaded,
    MemberList,
    OrgRaw,
    OrgToken,
    OrgTokenList,
    PersonalTokenList,
    RepoGroupList,
    RepositoryList,
)
from scanner.bundle import BundleReader
from scanner.errors import BundleError

T = TypeVar("T")

ROOT = "dockerhub"
V2 = f"{ROOT}/v2"
USER = f"{V2}/user.json"
TOKENS = f"{V2}/access-tokens.json"


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
    """The account and its personal tokens, repositories with their team permissions, and organisations."""
    repos: list[Loaded[RepositoryList]] = []
    repo_groups: list[tuple[str, Loaded[RepoGroupList]]] = []
    for rel in bundle.files(f"{V2}/repositories", ".json"):
        parts = PurePosixPath(rel).parts
        if len(parts) == 4:  # dockerhub/v2/repositories/<namespace>.json
            repos.append(Loaded(rel, bundle.model(rel, RepositoryList)))
        elif len(parts) == 6 and parts[5] == "groups.json":
            repo_groups.append((f"{parts[3]}/{parts[4]}", Loaded(rel, bundle.model(rel, RepoGroupList))))
        else:
            raise BundleError(rel, "expected dockerhub/v2/repositories/<namespace>[/<repo>/groups].json")
    return DockerHubRaw(
        user=_optional(bundle, USER, HubUser),
        tokens=_optional(bundle, TOKENS, PersonalTokenList),
        repositories=tuple(repos),
        repo_groups=tuple(repo_groups),
        orgs=tuple(_org(bundle, o) for o in _org_names(bundle)),
    )
