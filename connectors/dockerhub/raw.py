"""Docker Hub's native shapes, as pydantic models, and the typed records ``load`` hands to ``transform``.

Shapes checked against the Docker Hub API reference (docs.docker.com/reference/api/hub/latest):
``getAccessTokensResponse`` (``count``, ``next``, ``previous``, ``active_count``, ``results[]`` of
``accessToken``: ``uuid``, ``token_label``, ``scopes`` such as ``repo:read``, ``created_at``,
``last_used``, ``expires_at``, ``is_active``, ``generated_by``; ``token`` is redacted as ``***`` and never
stored), ``getOrgAccessTokensResponse`` (``total``, ``next``, ``results[]`` with ``id``, ``label``,
``created_by``, ``is_active``, ``created_at``, ``expires_at``, ``last_used_at``) and
``getOrgAccessTokenResponse`` (adds ``resources[]``: ``type`` TYPE_REPO/TYPE_ORG, ``path`` — a repository,
a glob such as ``myorg/*``, or ``*/*/public`` — and ``scopes`` such as ``scope-image-pull``),
``listNamespaceRepositories`` (``GET /v2/namespaces/{namespace}/repositories``: ``name``, ``namespace``,
``repository_type``, ``is_private``, ``last_updated``…), ``org_member`` (``username``, ``role`` Owner, Member or
Invitee; editor in the role update call) and ``org_group``/``group_member`` — Hub's usual pages (``count``,
``next``, ``results``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from connectors._types import IsoTime

_CONFIG = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
T = TypeVar("T")


class PersonalToken(BaseModel):
    """One personal access token."""

    model_config = _CONFIG

    uuid: str
    token_label: str = ""
    scopes: tuple[str, ...]
    created_at: IsoTime
    last_used: IsoTime | None = None
    expires_at: IsoTime | None = None
    is_active: bool
    generated_by: str | None = None


class PersonalTokenList(BaseModel):
    """``GET /v2/access-tokens``, pages merged."""

    model_config = _CONFIG

    results: tuple[PersonalToken, ...]
    next: str | None = None


class OrgTokenResource(BaseModel):
    """What an organisation access token may touch."""

    model_config = _CONFIG

    type: str
    path: str
    scopes: tuple[str, ...]


class OrgToken(BaseModel):
    """One organisation access token (``resources`` only in the per-token answer)."""

    model_config = _CONFIG

    id: str
    label: str = ""
    created_by: str | None = None
    is_active: bool
    created_at: IsoTime
    expires_at: IsoTime | None = None
    last_used_at: IsoTime | None = None
    resources: tuple[OrgTokenResource, ...] | None = None


class OrgTokenList(BaseModel):
    """``GET /v2/orgs/<org>/access-tokens``, pages merged."""

    model_config = _CONFIG

    results: tuple[OrgToken, ...]
    next: str | None = None


class Repository(BaseModel):
    """One repository of ``GET /v2/namespaces/<namespace>/repositories``."""

    model_config = _CONFIG

    name: str
    namespace: str
    is_private: bool = False
    repository_type: str | None = None
    last_updated: str | None = None


class RepositoryList(BaseModel):
    """Repositories of a namespace, pages merged."""

    model_config = _CONFIG

    results: tuple[Repository, ...]
    next: str | None = None


class Group(BaseModel):
    """One team of ``GET /v2/orgs/<org>/groups``."""

    model_config = _CONFIG

    name: str
    id: int | None = None


class GroupList(BaseModel):
    """Teams of an organisation, pages merged."""

    model_config = _CONFIG

    results: tuple[Group, ...]


class Member(BaseModel):
    """A member of an organisation or team."""

    model_config = _CONFIG

    username: str
    role: str | None = None


class MemberList(BaseModel):
    """Members, pages merged."""

    model_config = _CONFIG

    results: tuple[Member, ...]


class HubAccount(BaseModel):
    """``dockerhub/regwarden-settings.json``: the account whose personal access tokens were listed."""

    model_config = _CONFIG

    username: str


@dataclass(frozen=True, slots=True)
class Loaded(Generic[T]):
    """A validated file and its bundle path."""

    path: str
    data: T


@dataclass(frozen=True, slots=True)
class OrgRaw:
    """One organisation's files."""

    name: str
    tokens: Loaded[OrgTokenList] | None = None
    token_details: tuple[Loaded[OrgToken], ...] = ()
    members: Loaded[MemberList] | None = None
    groups: Loaded[GroupList] | None = None
    group_members: tuple[tuple[str, Loaded[MemberList]], ...] = ()


@dataclass(frozen=True, slots=True)
class DockerHubRaw:
    """The Docker Hub part of a bundle."""

    account: Loaded[HubAccount] | None = None
    tokens: Loaded[PersonalTokenList] | None = None
    repositories: tuple[Loaded[RepositoryList], ...] = ()
    orgs: tuple[OrgRaw, ...] = ()
    #: calls manifest.json records as answered 404 or failed (``GET /v2/...``): a file they explain is absent
    #: for a reason already known
    answered: frozenset[str] = frozenset()
    #: scopes whose collection failed as a whole (``collect scope`` failed): their gap says it all
    failed_scopes: frozenset[str] = frozenset()
