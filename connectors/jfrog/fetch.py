"""Live collection from a JFrog Platform: access tokens (metadata), repositories and their configuration,
permission targets (v2) and groups with their members. Pages, retries, nothing else."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from connectors._http import NotFoundError, RestClient, bearer_client
from connectors.jfrog.load import SETTINGS
from connectors.jfrog.settings import Settings as Settings  # re-exported: callers name fetch.Settings
from scanner.bundle import BundleWriter
from scanner.bundle_writer import fits_in_path
from scanner.collect_session import CollectSession
from scanner.errors import ConfigError, ConnectorError

PROVIDER = "jfrog"
SCOPE = "platform"


def client(
    settings: Settings, transport: httpx.BaseTransport | None = None, session: CollectSession | None = None
) -> RestClient:
    """A REST client for the platform; the token is read from the environment when the client is made, never stored."""
    return bearer_client(
        PROVIDER,
        settings.url,
        settings.token_env,
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        transport=transport,
        session=session,
    )


def scopes(_settings: Settings) -> list[str]:
    """One platform, one scope."""
    return [SCOPE]


def _save(
    rc: RestClient,
    writer: BundleWriter,
    path: str,
    *,
    params: dict[str, str | int] | None = None,
    required: bool = False,
    listing: bool = False,
    name: str | None = None,
) -> Any:
    """GET ``path`` and store it as ``jfrog<name or path>.json``. A failed call (404, 401/403, 5xx after
    the retries, a timeout, a body that is not JSON, or not a list where a ``listing`` is expected) is
    recorded and returns None, so the rest of the scope goes on; on the ``required`` call it fails the scope."""
    call = f"GET {path}"
    try:
        data = rc.get_json(path, params)
        if listing and not isinstance(data, list):
            raise ConnectorError(f"jfrog {call}: expected a list")
    except NotFoundError:
        writer.record(PROVIDER, SCOPE, call, "not_found")
        if required:
            raise
        return None
    except ConnectorError as e:
        if required:
            raise
        writer.record(PROVIDER, SCOPE, call, "failed", str(e))
        return None
    writer.put_json(f"jfrog{name or path}.json", data)
    writer.record(PROVIDER, SCOPE, call)
    return data


def _names(writer: BundleWriter, data: list[Any] | None, what: str, key: str) -> list[str]:
    """The ``key`` of each object of a list answer (None: the list was not collected, nothing to follow).
    An item without a usable ``key`` string is skipped, recorded as a gap of the list's call."""
    out: list[str] = []
    for i, d in enumerate(data or ()):
        value = d.get(key) if isinstance(d, dict) else None
        if isinstance(value, str) and fits_in_path(value):
            out.append(value)
        else:
            writer.record(
                PROVIDER, SCOPE, f"GET {what}", "failed", f"jfrog GET {what}: item {i} has no usable {key!r}; skipped"
            )
    return out


def fetch_scope(rc: RestClient, settings: Settings, writer: BundleWriter) -> None:
    """Collect the platform with an existing client: the repository list is its entry call; any other
    call that fails is that call's gap."""
    repos_path = "/artifactory/api/repositories"
    repos = _save(rc, writer, repos_path, required=True, listing=True)
    for key in _names(writer, repos, repos_path, "key"):
        _save(rc, writer, f"{repos_path}/{quote(key, safe='')}", name=f"{repos_path}/{key}")
    _save(rc, writer, "/access/api/v1/tokens")  # needs an admin token: a gap, not a failure, without one
    base = "/artifactory/api/v2/security/permissions"
    targets = _save(rc, writer, base, listing=True)
    for name in _names(writer, targets, base, "name"):
        _save(rc, writer, f"{base}/{quote(name, safe='')}", name=f"{base}/{name}")
    groups_path = "/artifactory/api/security/groups"
    groups = _save(rc, writer, groups_path, listing=True)
    for name in _names(writer, groups, groups_path, "name"):
        _save(
            rc,
            writer,
            f"{groups_path}/{quote(name, safe='')}",
            params={"includeUsers": "true"},
            name=f"{groups_path}/{name}",
        )
    writer.put_json(
        SETTINGS, {"production_repos": settings.production_repos, "verified_repos": settings.verified_repos}
    )


def collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    """Collect one scope into the bundle."""
    if scope != SCOPE:
        raise ConfigError(f"sources.jfrog: unknown scope {scope!r}")
    rc = client(settings, session=writer.session)
    try:
        fetch_scope(rc, settings, writer)
    finally:
        rc.close()
