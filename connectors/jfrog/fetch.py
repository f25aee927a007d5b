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
from scanner.collect_session import CollectSession
from scanner.errors import AuthError, ConfigError, ConnectorError

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
    name: str | None = None,
) -> Any:
    """GET ``path`` and store it as ``jfrog<name or path>.json``. A 404, or a 401/403 on a call that is not
    ``required``, is recorded and returns None; the rest of the scope goes on."""
    call = f"GET {path}"
    try:
        data = rc.get_json(path, params)
    except NotFoundError:
        writer.record(PROVIDER, SCOPE, call, "not_found")
        return None
    except AuthError as e:
        if required:
            raise
        writer.record(PROVIDER, SCOPE, call, "failed", str(e))
        return None
    writer.put_json(f"jfrog{name or path}.json", data)
    writer.record(PROVIDER, SCOPE, call)
    return data


def _names(data: Any, what: str, key: str) -> list[str]:
    if not isinstance(data, list) or not all(isinstance(d, dict) and isinstance(d.get(key), str) for d in data):
        raise ConnectorError(f"jfrog GET {what}: expected a list of objects with {key!r}")
    return [d[key] for d in data]


def fetch_scope(rc: RestClient, settings: Settings, writer: BundleWriter) -> None:
    """Collect the platform with an existing client."""
    repos = _save(rc, writer, "/artifactory/api/repositories", required=True)
    for key in _names(repos, "/artifactory/api/repositories", "key"):
        _save(
            rc,
            writer,
            f"/artifactory/api/repositories/{quote(key, safe='')}",
            name=f"/artifactory/api/repositories/{key}",
        )
    _save(rc, writer, "/access/api/v1/tokens")  # needs an admin token: a gap, not a failure, without one
    base = "/artifactory/api/v2/security/permissions"
    targets = _save(rc, writer, base)
    for name in _names(targets, base, "name") if targets is not None else []:
        _save(rc, writer, f"{base}/{quote(name, safe='')}", name=f"{base}/{name}")
    groups_path = "/artifactory/api/security/groups"
    groups = _save(rc, writer, groups_path)
    for name in _names(groups, groups_path, "name") if groups is not None else []:
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
