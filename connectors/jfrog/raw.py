"""JFrog Artifactory's native shapes, as pydantic models, and the records ``load`` hands to ``transform``.

Shapes checked against the JFrog REST API documentation: Access ``GET /access/api/v1/tokens``
(``tokens[]``: ``token_id``, ``subject`` such as ``jfrt@<id>/users/<name>``, ``expiry`` and ``issued_at`` in
seconds since the epoch, ``refreshable``, ``scope`` such as ``applied-permissions/user``, ``description``),
``GET /artifactory/api/repositories`` (``key``, ``type`` LOCAL/REMOTE/VIRTUAL/FEDERATED, ``packageType``,
``url``), ``GET /artifactory/api/repositories/<key>`` (``rclass``, ``packageType``, ``url`` of a remote's
upstream, ``repositories`` of a virtual), permission targets v2 (``GET
/artifactory/api/v2/security/permissions`` → ``[{name, uri}]``; per target ``repo``/``build``/
``releaseBundle`` sections with ``repositories``, ``include-patterns``, ``exclude-patterns`` and
``actions.users``/``actions.groups`` → lists of ``read``, ``annotate``, ``write``, ``delete``, ``manage``,
``managedXrayMeta``, ``distribute``) and groups (``GET /artifactory/api/security/groups/<name>
?includeUsers=true`` → ``name``, ``userNames``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from connectors._types import EpochSeconds

_CONFIG = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
T = TypeVar("T")


class AccessToken(BaseModel):
    """One token of ``GET /access/api/v1/tokens`` (metadata only: the API never returns the value)."""

    model_config = _CONFIG

    token_id: str
    subject: str
    expiry: EpochSeconds | None = None
    issued_at: EpochSeconds | None = None
    refreshable: bool = False
    scope: str | None = None
    description: str | None = None


class TokenList(BaseModel):
    """The token list."""

    model_config = _CONFIG

    tokens: tuple[AccessToken, ...]


class RepoSummary(BaseModel):
    """One entry of the repository list."""

    model_config = _CONFIG

    key: str
    type: str
    package_type: str | None = Field(default=None, alias="packageType")
    url: str | None = None


class RepoConfig(BaseModel):
    """One repository's configuration."""

    model_config = _CONFIG

    key: str
    rclass: str
    package_type: str | None = Field(default=None, alias="packageType")
    url: str | None = None
    repositories: tuple[str, ...] = ()
    default_deployment_repo: str | None = Field(default=None, alias="defaultDeploymentRepo")
    xray_index: bool | None = Field(default=None, alias="xrayIndex")
    curated: bool | None = None


class Principals(BaseModel):
    """``actions``: principal name → list of actions."""

    model_config = _CONFIG

    users: dict[str, tuple[str, ...]] = {}
    groups: dict[str, tuple[str, ...]] = {}


class Section(BaseModel):
    """A ``repo``, ``build`` or ``releaseBundle`` section of a permission target."""

    model_config = _CONFIG

    repositories: tuple[str, ...] = ()
    include_patterns: tuple[str, ...] = Field(default=(), alias="include-patterns")
    exclude_patterns: tuple[str, ...] = Field(default=(), alias="exclude-patterns")
    actions: Principals = Principals()


class PermissionTarget(BaseModel):
    """One permission target (v2)."""

    model_config = _CONFIG

    name: str
    repo: Section | None = None
    build: Section | None = None
    release_bundle: Section | None = Field(default=None, alias="releaseBundle")


class NamedRef(BaseModel):
    """``{name, uri}`` entries of the permission-target and group lists."""

    model_config = _CONFIG

    name: str
    uri: str | None = None


class Group(BaseModel):
    """A group with its members."""

    model_config = _CONFIG

    name: str
    user_names: tuple[str, ...] = Field(default=(), alias="userNames")


class CollectorSettings(BaseModel):
    """``jfrog/regwarden-settings.json``: what the operator declared in ``[sources.jfrog]``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    production_repos: tuple[str, ...] = ()
    verified_repos: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Loaded(Generic[T]):
    """A validated file and its bundle path."""

    path: str
    data: T


@dataclass(frozen=True, slots=True)
class JfrogRaw:
    """The JFrog part of a bundle."""

    tokens: Loaded[TokenList] | None = None
    repositories: Loaded[tuple[RepoSummary, ...]] | None = None
    configs: tuple[Loaded[RepoConfig], ...] = ()
    permissions: tuple[Loaded[PermissionTarget], ...] = ()
    groups: tuple[Loaded[Group], ...] = ()
    settings: Loaded[CollectorSettings] | None = None
    permission_list: Loaded[tuple[NamedRef, ...]] | None = None  # GET .../v2/security/permissions
    group_list: Loaded[tuple[NamedRef, ...]] | None = None  # GET .../security/groups
    #: calls manifest.json records as answered 404 or failed: a file they explain is absent for a known reason
    answered: frozenset[str] = frozenset()
    failed_scopes: frozenset[str] = frozenset()  # scopes whose collection failed as a whole
