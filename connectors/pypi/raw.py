"""PyPI's native shapes, as pydantic models, and the typed records ``load`` hands to ``transform``.

Shapes checked against PyPI's own documentation and code: the JSON API (``GET /pypi/<p>/json``,
docs/user/api/json.md in pypi/warehouse), the PEP 691 JSON simple index with PEP 700 ``versions``
and PEP 740 per-file ``provenance`` (a URL or null), the Integrity API provenance object
(docs/user/api/integrity.md; publisher identities as serialised by pypi-attestations: GitHub
``repository``/``workflow``/``environment``, GitLab ``repository``/``workflow_filepath``/
``environment``, Google ``email``; ``claims`` null and ``environment`` "" when unset) and the
XML-RPC ``package_roles`` result (a list of ``[role, user]`` pairs, role Owner or Maintainer).
Extra fields are ignored; the keys we rely on are required so that a changed API fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_CONFIG = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


# --- JSON API: GET /pypi/<project>/json -------------------------------------------------------


class ReleaseFile(BaseModel):
    """One distribution file in the JSON API (``releases[version][]`` and ``urls[]``)."""

    model_config = _CONFIG

    filename: str
    url: str
    packagetype: str | None = None
    upload_time_iso_8601: str | None = None
    yanked: bool = False


class Role(BaseModel):
    """One entry of ``ownership.roles`` (newer JSON API responses)."""

    model_config = _CONFIG

    role: Literal["Owner", "Maintainer"]
    user: str


class Ownership(BaseModel):
    """``ownership``: the project's collaborators and organization, when PyPI includes them."""

    model_config = _CONFIG

    roles: tuple[Role, ...] = ()
    organization: str | None = None


class ProjectInfo(BaseModel):
    """``info``: the metadata of the project's latest release."""

    model_config = _CONFIG

    name: str
    version: str
    project_urls: dict[str, str] | None = None
    home_page: str | None = None
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None


class ProjectJson(BaseModel):
    """The whole JSON API answer for one project."""

    model_config = _CONFIG

    info: ProjectInfo
    # Deprecated by PyPI in favour of the simple index, so tolerated when absent; typed when present.
    releases: dict[str, tuple[ReleaseFile, ...]] = {}
    urls: tuple[ReleaseFile, ...]
    last_serial: int | None = None
    ownership: Ownership | None = None


# --- Simple index, JSON form: GET /simple/<project>/ (PEP 691 + 700 + 740) -------------------------


class SimpleMeta(BaseModel):
    """``meta``: the simple API version."""

    model_config = _CONFIG

    api_version: str = Field(alias="api-version")


class SimpleFile(BaseModel):
    """One file of the simple index; ``provenance`` is the Integrity API URL, or null when not attested."""

    model_config = _CONFIG

    filename: str
    url: str
    hashes: dict[str, str]
    provenance: str | None = None
    upload_time: str | None = Field(default=None, alias="upload-time")
    yanked: bool | str = False


class SimpleProject(BaseModel):
    """The simple index of one project."""

    model_config = _CONFIG

    meta: SimpleMeta
    name: str
    files: tuple[SimpleFile, ...]
    versions: tuple[str, ...] | None = None


# --- Integrity API: GET /integrity/<project>/<version>/<filename>/provenance (PEP 740) ---------


class Publisher(BaseModel):
    """The Trusted Publisher identity that produced a bundle of attestations."""

    model_config = _CONFIG

    kind: str
    repository: str | None = None
    workflow: str | None = None  # GitHub: the workflow file's basename
    workflow_filepath: str | None = None  # GitLab: the CI file's path
    environment: str | None = None
    email: str | None = None  # Google: the service account

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Publisher:
        needed = {"GitHub": ("repository", "workflow"), "GitLab": ("repository",), "Google": ("email",)}
        missing = [f for f in needed.get(self.kind, ()) if not getattr(self, f)]
        if missing:
            raise ValueError(f"{self.kind} publisher without {', '.join(missing)}")
        return self


class Envelope(BaseModel):
    """The DSSE envelope of an attestation (base64 statement and signature; never decoded here)."""

    model_config = _CONFIG

    statement: str
    signature: str


class Attestation(BaseModel):
    """One attestation; only its presence matters here, its verification is Sigstore's business."""

    model_config = _CONFIG

    version: int
    envelope: Envelope


class AttestationBundle(BaseModel):
    """Attestations made by one publisher."""

    model_config = _CONFIG

    publisher: Publisher
    attestations: tuple[Attestation, ...] = Field(min_length=1)


class Provenance(BaseModel):
    """The provenance object of one file."""

    model_config = _CONFIG

    version: Literal[1]
    attestation_bundles: tuple[AttestationBundle, ...] = Field(min_length=1)


# --- XML-RPC package_roles(project), saved as JSON ------------------------------------------------

#: One ``[role, username]`` pair.
PackageRole = tuple[Literal["Owner", "Maintainer"], str]
#: The whole ``package_roles`` answer.
PackageRoles = tuple[PackageRole, ...]


if TYPE_CHECKING:
    from connectors.pypi.declared import OwnerDeclared


# --- What load() returns ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileProvenance:
    """A provenance object with the file it belongs to (from the bundle path)."""

    path: str
    version: str
    filename: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class PypiProject:
    """Everything collected about one project; ``None`` means that call was not collected."""

    json_path: str
    project: ProjectJson
    simple_path: str | None = None
    simple: SimpleProject | None = None
    provenances: tuple[FileProvenance, ...] = ()
    roles_path: str | None = None
    roles: PackageRoles | None = None
    #: (version, filename) of files whose Integrity API call answered 404 (``not_found`` in the manifest):
    #: PyPI saying "this file has no provenance", not "not collected".
    provenance_absent: tuple[tuple[str, str], ...] = ()
    #: (version, filename, status) of every Integrity API call manifest.json records for the project: a
    #: collection by regwarden says which provenance files it fetched (status ``ok``)
    integrity_calls: tuple[tuple[str, str, str], ...] = ()
    #: manifest.json records the simple index call as answered 404 or failed
    simple_answered: bool = False
    #: the project's collection failed as a whole (its gap says it all)
    scope_failed: bool = False


@dataclass(frozen=True, slots=True)
class PypiRaw:
    """The PyPI part of a bundle. ``orphans`` are projects with files but no JSON API answer."""

    projects: tuple[PypiProject, ...] = ()
    orphans: tuple[str, ...] = ()
    declared: OwnerDeclared | None = None  # pypi/owner-declared.json, when present
    declared_path: str | None = None
