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
import re
from typing import Any

import httpx

from connectors._http import NotFoundError, RestClient, body_next
from connectors.dockerhub.auth import AUTH_PATH, ExchangeError, HubJwtTransport
from connectors.dockerhub.load import SETTINGS
from connectors.dockerhub.settings import Settings as Settings  # re-exported: callers name fetch.Settings
from scanner.bundle import BundleWriter
from scanner.collect_session import CollectSession
from scanner.errors import ConfigError, ConnectorError

PROVIDER = "dockerhub"
PAGE_SIZE = 100
#: Seconds one call may take, the token exchange included (the shared client's default).
TIMEOUT = 30.0
#: What an item's ``id`` or ``name`` must look like to be put in a path (a UUID, a team name).
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
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
    auth = HubJwtTransport(
        settings.api_url,
        settings.username,
        secret,
        transport,
        timeout=TIMEOUT,
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        session=session,
    )
    return RestClient(
        provider=PROVIDER,
        base_url=settings.api_url,
        headers={"Accept": "application/json"},
        timeout=TIMEOUT,
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        transport=auth,
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


def _exchange_call(rc: RestClient) -> str:
    auth = rc.transport
    return f"POST {AUTH_PATH}" + (f" (identifier {auth.identifier})" if isinstance(auth, HubJwtTransport) else "")


def _exchange(rc: RestClient, writer: BundleWriter, scope: str) -> None:
    """Mint the JWT first, so the manifest says how the exchange went: ok, or failed and the scope with it."""
    auth = rc.transport
    if not isinstance(auth, HubJwtTransport):
        return
    try:
        auth.token()
    except ExchangeError as e:
        writer.record(PROVIDER, scope, _exchange_call(rc), "failed", str(e))
        raise
    writer.record(PROVIDER, scope, _exchange_call(rc))


def _save(
    rc: RestClient, writer: BundleWriter, scope: str, path: str, *, page: bool = True, required: bool = False
) -> Any:
    """GET (and page) ``path``, store it as ``dockerhub<path>.json``. A 404 is recorded ``not_found``; any
    other failure (refused, 5xx, timeout, malformed answer, paging gone wrong) is this call's recorded gap
    and returns None, and the rest of the scope goes on — unless the call is ``required`` (the scope's entry)
    or the JWT could not be minted again (nothing more can be read): then the scope fails."""
    call = f"GET {path}"
    try:
        data = paged(rc, path) if page else rc.get_json(path)
    except NotFoundError:
        writer.record(PROVIDER, scope, call, "not_found")
        return None
    except ExchangeError as e:
        writer.record(PROVIDER, scope, _exchange_call(rc), "failed", str(e))
        raise
    except ConnectorError as e:
        if required:
            raise
        writer.record(PROVIDER, scope, call, "failed", str(e))
        return None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in _DROP}
    writer.put_json(f"dockerhub{path}.json", data)
    writer.record(PROVIDER, scope, call)
    return data


def _segments(writer: BundleWriter, scope: str, listing: str, data: Any, key: str, call: str) -> list[str]:
    """The ``key`` of each item of a saved list, to read each item's own endpoint (``call`` with ``{}``
    for the value). An item without a usable one is skipped, recorded as a failed call naming the problem."""
    out: list[str] = []
    results = data.get("results") if isinstance(data, dict) else None
    for i, item in enumerate(results if isinstance(results, list) else []):
        value = item.get(key) if isinstance(item, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and _SEGMENT.match(value):
            out.append(value)
            continue
        problem = "missing" if value is None else "not a name that fits in a path"
        writer.record(
            PROVIDER,
            scope,
            call.replace("{}", f"<item {i}>"),
            "failed",
            f"item {i} of GET {listing} has no usable {key!r} ({problem}): not read",
        )
    return out


def _repositories(rc: RestClient, writer: BundleWriter, scope: str, namespace: str) -> None:
    _save(rc, writer, scope, f"/v2/namespaces/{namespace}/repositories")


def fetch_scope(rc: RestClient, scope: str, writer: BundleWriter) -> None:
    """Collect one scope with an existing client."""
    if scope.startswith("account:"):
        username = scope.removeprefix("account:")
        _exchange(rc, writer, scope)
        # Not an API answer: the identifier the JWT was minted for, i.e. the owner of the listed tokens.
        writer.put_json(SETTINGS, {"username": username})
        _save(rc, writer, scope, "/v2/access-tokens")
        _repositories(rc, writer, scope, username)
    elif scope.startswith("org:"):
        org = scope.removeprefix("org:")
        base = f"/v2/orgs/{org}"
        _exchange(rc, writer, scope)
        listing = f"{base}/access-tokens"
        tokens = _save(rc, writer, scope, listing, required=True)
        for tid in _segments(writer, scope, listing, tokens, "id", f"GET {listing}/{{}}"):
            _save(rc, writer, scope, f"{listing}/{tid}", page=False)
        _save(rc, writer, scope, f"{base}/members")
        listing = f"{base}/groups"
        groups = _save(rc, writer, scope, listing)
        for name in _segments(writer, scope, listing, groups, "name", f"GET {listing}/{{}}/members"):
            _save(rc, writer, scope, f"{listing}/{name}/members")
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
