"""Live collection from the Docker Hub API: personal and organisation access tokens (metadata only),
repositories, teams and members. Pages, retries, nothing else.

Only endpoints Docker Hub's API reference documents are called: the JWT comes from ``POST /v2/auth/token``
(see :mod:`connectors.dockerhub.auth`), repositories from ``GET /v2/namespaces/{namespace}/repositories``.
There is no documented ``GET /v2/user`` nor a documented read of a repository's team permissions, so the
account is the configured ``username`` (the identifier the JWT is minted for), written to
``dockerhub/regwarden-settings.json``, and team permissions on repositories are not collected.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from connectors._http import NotFoundError, RestClient, body_next
from connectors.dockerhub.auth import HubJwtTransport, TokenExchangeError
from connectors.dockerhub.load import SETTINGS
from connectors.dockerhub.settings import Settings as Settings  # re-exported: callers name fetch.Settings
from scanner.bundle import BundleWriter
from scanner.collect_session import CollectSession
from scanner.errors import AuthError, ConfigError, ConnectorError

PROVIDER = "dockerhub"
PAGE_SIZE = 100
#: Fields never written to the bundle (Hub redacts the token as ``***`` after creation; drop it anyway).
_DROP = frozenset({"token"})


def client(
    settings: Settings, transport: httpx.BaseTransport | None = None, session: CollectSession | None = None
) -> RestClient:
    """A REST client for Hub whose requests carry a JWT minted from the access token; the token is read from
    the environment when the client is made and never stored in settings or the bundle."""
    secret = os.environ.get(settings.token_env)
    if not secret:
        raise ConfigError(f"sources.{PROVIDER}: environment variable {settings.token_env} is not set")
    return RestClient(
        provider=PROVIDER,
        base_url=settings.api_url,
        headers={"Accept": "application/json"},
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        transport=HubJwtTransport(settings.api_url, settings.username, secret, transport),
        session=session,
    )


def scopes(settings: Settings) -> list[str]:
    """``account:<username>`` and ``org:<org>`` scopes, as configured."""
    return ([f"account:{settings.username}"] if settings.account else []) + [f"org:{o}" for o in settings.orgs]


def paged(rc: RestClient, path: str) -> dict[str, Any]:
    """Every page of a Hub list merged into one page-shaped document (``next`` null)."""
    first: dict[str, Any] | None = None
    results: list[Any] = []
    for page in rc.pages(path, {"page_size": PAGE_SIZE}, next_url=body_next("next")):
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise ConnectorError(f"dockerhub GET {path}: page without a results list")
        first = first or page
        results += [
            {k: v for k, v in r.items() if k not in _DROP} if isinstance(r, dict) else r for r in page["results"]
        ]
    assert first is not None
    return {**first, "results": results, "next": None, "previous": None}


def _save(
    rc: RestClient, writer: BundleWriter, scope: str, path: str, *, page: bool = True, required: bool = False
) -> Any:
    """GET (and page) ``path``, store it as ``dockerhub<path>.json``. A 404, or a 401/403 on a part of the
    scope that is not ``required``, is recorded and returns None; the rest of the scope goes on."""
    call = f"GET {path}"
    try:
        data = paged(rc, path) if page else rc.get_json(path)
    except NotFoundError:
        writer.record(PROVIDER, scope, call, "not_found")
        return None
    except AuthError as e:
        if required or isinstance(e, TokenExchangeError):
            raise
        writer.record(PROVIDER, scope, call, "failed", str(e))
        return None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in _DROP}
    writer.put_json(f"dockerhub{path}.json", data)
    writer.record(PROVIDER, scope, call)
    return data


def _repositories(rc: RestClient, writer: BundleWriter, scope: str, namespace: str) -> None:
    _save(rc, writer, scope, f"/v2/namespaces/{namespace}/repositories")


def fetch_scope(rc: RestClient, scope: str, writer: BundleWriter) -> None:
    """Collect one scope with an existing client."""
    if scope.startswith("account:"):
        username = scope.removeprefix("account:")
        # Not an API answer: the identifier the JWT was minted for, i.e. the owner of the listed tokens.
        writer.put_json(SETTINGS, {"username": username})
        writer.record(PROVIDER, scope, f"POST /v2/auth/token (identifier {username})")
        _save(rc, writer, scope, "/v2/access-tokens")
        _repositories(rc, writer, scope, username)
    elif scope.startswith("org:"):
        org = scope.removeprefix("org:")
        base = f"/v2/orgs/{org}"
        tokens = _save(rc, writer, scope, f"{base}/access-tokens", required=True)
        for t in (tokens or {}).get("results", []):
            _save(rc, writer, scope, f"{base}/access-tokens/{t['id']}", page=False)
        _save(rc, writer, scope, f"{base}/members")
        groups = _save(rc, writer, scope, f"{base}/groups")
        for g in (groups or {}).get("results", []):
            _save(rc, writer, scope, f"{base}/groups/{g['name']}/members")
        _repositories(rc, writer, scope, org)
    else:
        raise ConfigError(f"sources.dockerhub: unknown scope {scope!r}")


def collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    """Collect one scope into the bundle."""
    rc = client(settings, session=writer.session)
    try:
        fetch_scope(rc, scope, writer)
    finally:
        rc.close()
