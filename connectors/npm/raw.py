"""npm's native shapes, as pydantic models, and the typed records ``load`` hands to ``transform``.

Shapes checked against the npm CLI's own code and documentation. ``npm token list --json`` prints the
``objects`` of ``GET /-/npm/v1/tokens`` (npm CLI ``lib/commands/token.js``, paged by ``urls.next``), which
holds two shapes side by side. A **classic** token: ``key`` (the sha512 of the token, used as its id),
``token`` (a truncated preview, never stored), ``created``, ``updated``, ``readonly``, ``automation``,
``cidr_whitelist``. A **granular access token**, as the registry lists it (npm/cli issue #9443 shows the
whole object): ``name``, ``description``, ``key``, ``token``, ``expiry``, ``cidr`` (a list), ``bypass_2fa``,
``revoked``, ``created``, ``updated``, ``accessed`` (last use), ``permissions`` (``{name: package|org,
action: read|write}``) and ``scopes`` (``{name, type: package|scope|org}``). The other files: the packument
(``GET /<package>``: ``dist-tags``, ``versions[v].dist`` with ``attestations.provenance.predicateType`` when
published with provenance, ``maintainers``, ``repository``, ``time``), the access endpoints
(``GET /-/user/<user>/package`` and ``GET /-/org/<org>/package`` answer ``read``/``write``; ``npm access list
packages --json`` prints the same map as ``read-only``/``read-write``, lib/commands/access.js; both are read;
``GET /-/org/<org>/user``: ``{"user": "owner" | "admin" | "developer"}``) and the attestations endpoint
(``GET /-/npm/v1/attestations/<name>@<version>``: ``attestations[]`` with ``predicateType``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from connectors._types import IsoTime

_CONFIG = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
T = TypeVar("T")


class TokenScope(BaseModel):
    """What a granular token's permissions apply to: a package, a ``@scope`` or an organisation."""

    model_config = _CONFIG

    name: str
    type: str  # "package", "scope" or "org"; anything else is kept and judged unknown


class TokenPermission(BaseModel):
    """One permission of a granular token: ``package`` or ``org``, ``read`` or ``write``."""

    model_config = _CONFIG

    name: str
    action: str


class NpmToken(BaseModel):
    """One token of ``GET /-/npm/v1/tokens``: a classic token or a granular access token."""

    model_config = _CONFIG

    key: str
    created: IsoTime
    updated: IsoTime | None = None
    # classic tokens
    readonly: bool | None = None
    automation: bool | None = None
    cidr_whitelist: tuple[str, ...] | None = None
    # granular access tokens
    name: str | None = None
    description: str | None = None
    expiry: IsoTime | None = None
    cidr: tuple[str, ...] | None = None
    bypass_2fa: bool | None = None
    revoked: str | None = None  # only whether it is set is read
    accessed: IsoTime | None = None
    permissions: tuple[TokenPermission, ...] | None = None
    scopes: tuple[TokenScope, ...] | None = None

    @property
    def granular(self) -> bool:
        """A granular access token (it lists permissions and scopes, classic tokens never do)."""
        return self.permissions is not None or self.scopes is not None


class TokenUrls(BaseModel):
    """``urls``: the next page, when there is one."""

    model_config = _CONFIG

    next: str | None = None


class TokenList(BaseModel):
    """The token list, every page merged into one."""

    model_config = _CONFIG

    objects: tuple[NpmToken, ...]
    total: int | None = None
    urls: TokenUrls = TokenUrls()


class Whoami(BaseModel):
    """``GET /-/whoami``: the account the collecting token belongs to."""

    model_config = _CONFIG

    username: str


#: ``GET /-/user/<user>/package`` and ``GET /-/org/<org>/package`` (``read``/``write``), or the same map as
#: ``npm access list packages --json`` prints it (``read-only``/``read-write``).
PackageAccess = dict[str, Literal["read", "write", "read-only", "read-write"]]
#: ``GET /-/org/<org>/user``.
OrgRoles = dict[str, Literal["owner", "admin", "developer"]]


class Predicate(BaseModel):
    """``dist.attestations.provenance``."""

    model_config = _CONFIG

    predicate_type: str = Field(alias="predicateType")


class DistAttestations(BaseModel):
    """``dist.attestations``: where the attestations are, and the provenance predicate if any."""

    model_config = _CONFIG

    url: str
    provenance: Predicate | None = None


class Dist(BaseModel):
    """``versions[v].dist``."""

    model_config = _CONFIG

    tarball: str
    attestations: DistAttestations | None = None


class User(BaseModel):
    """A maintainer or publisher (``name`` and, for some, ``email``)."""

    model_config = _CONFIG

    name: str
    email: str | None = None


class Version(BaseModel):
    """One version of a packument."""

    model_config = _CONFIG

    name: str
    version: str
    dist: Dist
    npm_user: User | None = Field(default=None, alias="_npmUser")


class Repository(BaseModel):
    """``repository`` in its object form."""

    model_config = _CONFIG

    url: str
    type: str | None = None
    directory: str | None = None


class Packument(BaseModel):
    """``GET /<package>``: the whole package document."""

    model_config = _CONFIG

    name: str
    dist_tags: dict[str, str] = Field(default={}, alias="dist-tags")
    versions: dict[str, Version] = {}
    maintainers: tuple[User, ...] = ()
    repository: Repository | str | None = None
    time: dict[str, str] = {}


class Attestation(BaseModel):
    """One attestation of ``GET /-/npm/v1/attestations/<name>@<version>`` (its bundle is not read)."""

    model_config = _CONFIG

    predicate_type: str = Field(alias="predicateType")


class Attestations(BaseModel):
    """The attestations of one version."""

    model_config = _CONFIG

    attestations: tuple[Attestation, ...]


# --- What load() returns ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loaded(Generic[T]):
    """A validated file and its bundle path."""

    path: str
    data: T


@dataclass(frozen=True, slots=True)
class NpmPackage:
    """A packument with the attestations of its latest version (``None``: not collected;
    ``attestations_missing``: the registry answered 404, i.e. there are none)."""

    packument: Loaded[Packument]
    attestations: Loaded[Attestations] | None = None
    attestations_missing: bool = False


@dataclass(frozen=True, slots=True)
class NpmRaw:
    """The npm part of a bundle."""

    whoami: Loaded[Whoami] | None = None
    tokens: Loaded[TokenList] | None = None
    user_packages: tuple[tuple[str, Loaded[PackageAccess]], ...] = ()
    org_packages: tuple[tuple[str, Loaded[PackageAccess]], ...] = ()
    org_users: tuple[tuple[str, Loaded[OrgRoles]], ...] = ()
    packages: tuple[NpmPackage, ...] = ()
    #: calls manifest.json records as answered 404 (``not_found``) or ``failed``: an absent file they explain
    #: is the registry's answer, or a gap already reported
    not_found: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    failed_scopes: frozenset[str] = frozenset()  # scopes whose collection failed as a whole
