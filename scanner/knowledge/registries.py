"""The registries table (``registries.yaml``): hosts, credential kinds and OIDC publishing support.

``registry_for_host`` answers "which registry does this host belong to", and
``oidc_publishing(registry, ci)`` "can this CI publish here with its own OIDC token alone" — a
per-registry fact that RB06 needs before it tells anyone to drop a stored token.
"""

from __future__ import annotations

import itertools
import re
from functools import cache, lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scanner.knowledge import read_table

#: CI systems named in ``oidc_publishing`` and ``job_token``.
CiSystem = Literal["github", "gitlab", "circleci", "google-cloud-build", "activestate"]


class Registry(BaseModel):
    """One registry: where it answers, how its credentials and packages appear in the graph."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    label: str
    kind: Literal["package", "image", "release"]
    #: False for registries that are not a path to anyone's production (TestPyPI, localhost).
    production: bool = True
    #: The connector (bundle folder) that inventories its packages, if regwarden has one.
    provider: str = ""
    hosts: tuple[str, ...] = ()
    host_patterns: tuple[str, ...] = ()
    #: Subtype of the package/repository nodes of ``provider`` a publish credential reaches.
    target_subtype: str = ""
    #: How a pushed image names its node in ``provider``'s inventory: ``target_id`` is a template over
    #: ``{path}`` (the repository path of the image) and the named groups of ``target_host`` (matched
    #: against the host) and ``target_path`` (matched against the path); or ``target_attr`` is the
    #: attribute of ``target_subtype`` nodes that equals the host (ACR's login server).
    target_id: str = ""
    target_host: str = ""
    target_path: str = ""
    target_attr: str = ""
    credential_subtype: str
    credential_label: str
    token_prefixes: tuple[str, ...] = ()
    #: "never": its stored tokens cannot be given an expiry (PyPI); "unknown": only its own token list can tell.
    credential_expiry: Literal["never", "unknown"] = "unknown"
    #: Conventional names of CI secrets that hold this registry's credential (regular expressions, full match,
    #: case-insensitive): how RB06 tells which registry a secret is for when no publish step names it.
    secret_names: tuple[str, ...] = ()
    oidc_publishing: tuple[CiSystem, ...] = ()
    job_token: tuple[CiSystem, ...] = ()
    cloud: Literal["aws", "gcp", "azure", ""] = ""
    docs: str

    @field_validator("host_patterns", "secret_names")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            re.compile(pattern)
        return value

    @field_validator("target_host", "target_path")
    @classmethod
    def _compiles_one(cls, value: str) -> str:
        re.compile(value)
        return value

    def target_node_id(self, host: str, path: str) -> str | None:
        """The node id of the repository an image ``host/path`` is pushed to, when the table can tell."""
        if not self.target_id or "{repo}" in self.target_id or not path or "*" in path:
            return None
        fields: dict[str, str] = {"path": path}
        for rx, value in ((self.target_host, host), (self.target_path, path)):
            if rx:
                m = re.fullmatch(rx, value)
                if m is None:
                    return None
                fields.update({k: v for k, v in m.groupdict().items() if v is not None})
        return self.target_id.format(**fields)

    def matches_host(self, host: str) -> bool:
        """Whether ``host`` (lower case, no scheme or path) is this registry's."""
        return host in self.hosts or any(re.fullmatch(p, host) for p in self.host_patterns)


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    registries: tuple[Registry, ...]


@cache
def registries() -> dict[str, Registry]:
    """Every known registry by id, in table order."""
    table = _Table.model_validate(read_table("registries.yaml"))
    out: dict[str, Registry] = {}
    for r in table.registries:
        if r.id in out:
            raise ValueError(f"registries.yaml: registry {r.id!r} listed twice")
        out[r.id] = r
    return out


def registry(registry_id: str) -> Registry:
    """The registry with this id (KeyError when unknown)."""
    return registries()[registry_id]


#: What a ``*`` in a host (a part known only at run time: ``${AWS_ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com``,
#: ``${ACR_NAME}.azurecr.io``) may stand for when the rest of the host is matched against the table: an
#: account number, a region or location, a name.
_HOST_PART_SAMPLES = ("000000000000", "us-east-1", "acme")


@lru_cache(maxsize=4096)
def registry_for_host(host: str) -> Registry | None:
    """The registry a host belongs to, or None for a host no row names. A host with parts known only at
    run time (``*``) belongs to a registry when some account number, region or name in their place makes a
    host of that registry — the fixed part says which (``*.dkr.ecr.*.amazonaws.com`` is ECR)."""
    host = host.strip().lower().rstrip(".")
    for r in registries().values():
        if r.matches_host(host):
            return r
    stars = host.count("*")
    if not 0 < stars <= 3 or not host.replace("*", "").strip(".-"):
        return None
    for fill in itertools.product(_HOST_PART_SAMPLES, repeat=stars):
        pieces = host.split("*")
        sample = pieces[0] + "".join(f + rest for f, rest in zip(fill, pieces[1:], strict=True))
        for r in registries().values():
            if r.matches_host(sample):
                return r
    return None


def cloud_image_registry(cloud: str) -> str | None:
    """The image registry of a cloud (``cloud`` of registries.yaml: ECR for ``aws``), first row wins."""
    return next((r.id for r in registries().values() if r.cloud == cloud and r.kind == "image"), None)


def registry_for_target(provider: str, subtype: str) -> Registry | None:
    """The production registry whose packages/repositories are ``provider`` nodes of ``subtype``; for a cloud
    connector's other registry nodes (an account-wide registry), the first registry of that cloud."""
    rows = [r for r in registries().values() if r.production and r.provider == provider]
    exact = next((r for r in rows if r.target_subtype == subtype), None)
    return exact or next((r for r in rows if r.cloud and r.cloud == provider), None)


def registry_for_credential(provider: str, subtype: str) -> Registry | None:
    """The production registry a stored credential of ``provider``/``subtype`` publishes to (a PyPI API token
    found in CI is ``pypi``/``pypi:api-token``), or None."""
    return next(
        (
            r
            for r in registries().values()
            if r.production and r.provider == provider and r.credential_subtype == subtype
        ),
        None,
    )


def registries_for_secret_name(name: str) -> list[Registry]:
    """The registries whose conventional CI secret names match ``name``."""
    return list(_for_secret_name(name))


@lru_cache(maxsize=4096)
def _for_secret_name(name: str) -> tuple[Registry, ...]:
    # A big estate repeats a few secret names across thousands of repositories: each is matched once.
    return tuple(
        r for r in registries().values() if any(re.fullmatch(p, name, flags=re.IGNORECASE) for p in r.secret_names)
    )


def oidc_publishing(registry_id: str, ci: str) -> bool:
    """True when ``registry_id`` accepts publishes authenticated by ``ci``'s OIDC token alone."""
    r = registries().get(registry_id)
    return r is not None and ci in r.oidc_publishing
