"""Live collection from the npm registry: the account's tokens, its and its organisations' packages,
their packuments and the attestations of each latest version. Pages, retries, nothing else."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from connectors._http import NotFoundError, RestClient, bearer_client
from connectors.npm.load import WHOAMI, attestations_call, attestations_path, packument_path
from connectors.npm.settings import Settings as Settings  # re-exported: callers name fetch.Settings
from scanner.bundle import BundleWriter
from scanner.collect_session import CollectSession
from scanner.errors import ConfigError, ConnectorError

PROVIDER = "npm"


def client(
    settings: Settings, transport: httpx.BaseTransport | None = None, session: CollectSession | None = None
) -> RestClient:
    """A REST client for the registry; the token is read from the environment when the client is made, never stored."""
    return bearer_client(
        PROVIDER,
        settings.registry_url,
        settings.token_env,
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        transport=transport,
        session=session,
    )


def scopes(settings: Settings) -> list[str]:
    """``account``, ``org:<org>`` and ``package:<name>`` scopes, as configured."""
    out = ["account"] if settings.account else []
    out += [f"org:{o}" for o in settings.orgs]
    out += [f"package:{p}" for p in settings.packages]
    return out


def urls_next(_resp: httpx.Response, body: Any) -> str | None:
    """npm pages the token list with ``urls.next`` in the body."""
    urls = body.get("urls") if isinstance(body, dict) else None
    nxt = urls.get("next") if isinstance(urls, dict) else None
    return nxt if isinstance(nxt, str) and nxt else None


def _pkg_path(name: str) -> str:
    # Scoped names are requested with the slash encoded (``/@scope%2fname``), as the npm CLI does.
    return "/" + quote(name, safe="@")


def _field(doc: Any, key: str) -> Any:
    """``doc[key]`` when ``doc`` is an object, else None: a field of the wrong kind reads as absent."""
    return doc.get(key) if isinstance(doc, dict) else None


def fetch_tokens(rc: RestClient, scope: str, writer: BundleWriter) -> None:
    """``GET /-/npm/v1/tokens``, every page merged; the truncated token preview is dropped."""
    objects: list[Any] = []
    total = None
    for page in rc.pages("/-/npm/v1/tokens", {"perPage": 100}, next_url=urls_next):
        if not isinstance(page, dict) or not isinstance(page.get("objects"), list):
            raise ConnectorError("npm GET /-/npm/v1/tokens: page without an objects list")
        objects += [{k: v for k, v in o.items() if k != "token"} for o in page["objects"] if isinstance(o, dict)]
        count = page.get("total")
        if isinstance(count, int) and not isinstance(count, bool):
            total = count
    writer.put_json("npm/-/npm/v1/tokens.json", {"objects": objects, "total": total, "urls": {"next": None}})
    writer.record(PROVIDER, scope, "GET /-/npm/v1/tokens")


def fetch_package(rc: RestClient, scope: str, name: str, writer: BundleWriter, *, entry: bool = False) -> None:
    """The packument and, when it names them, the attestations of the latest version.

    A failed call is that call's gap and the scope goes on, except the packument of a ``package:``
    scope (``entry``): there it is the scope's only way in, and its failure fails the scope."""
    call = f"GET /{name}"
    try:
        doc = rc.get_json(_pkg_path(name))
        if not isinstance(doc, dict):
            raise ConnectorError(f"npm {call}: the packument is not an object")
    except NotFoundError:
        writer.record(PROVIDER, scope, call, "not_found")
        return
    except ConnectorError as e:
        if entry:
            raise
        writer.record(PROVIDER, scope, call, "failed", str(e))
        return
    writer.put_json(packument_path(name), doc)
    writer.record(PROVIDER, scope, call)
    # Fields of the wrong kind read as absent here; the loader judges the stored packument.
    latest = _field(doc.get("dist-tags"), "latest")
    if not isinstance(latest, str):
        return
    att = _field(_field(_field(doc.get("versions"), latest), "dist"), "attestations")
    url = _field(att, "url")
    if not isinstance(url, str):
        return  # the packument says the version has no attestations
    call = attestations_call(name, latest)
    try:
        try:
            path = urlsplit(url).path
        except ValueError as e:
            raise ConnectorError(f"npm {call}: the packument's attestations URL is not a URL") from e
        writer.put_json(attestations_path(name, latest), rc.get_json(path))
        writer.record(PROVIDER, scope, call)
    except NotFoundError:
        writer.record(PROVIDER, scope, call, "not_found")
    except ConnectorError as e:
        writer.record(PROVIDER, scope, call, "failed", str(e))


def _access(rc: RestClient, scope: str, path: str, writer: BundleWriter, *, entry: bool) -> dict[str, Any]:
    """An access map (package or member names); failed, it fails the scope only as its ``entry`` call."""
    try:
        data = rc.get_json(path)
        if not isinstance(data, dict):
            raise ConnectorError(f"npm GET {path}: expected an object of names")
    except NotFoundError:
        if entry:
            raise
        writer.record(PROVIDER, scope, f"GET {path}", "not_found")
        return {}
    except ConnectorError as e:
        if entry:
            raise
        writer.record(PROVIDER, scope, f"GET {path}", "failed", str(e))
        return {}
    writer.put_json(f"npm{path}.json", data)
    writer.record(PROVIDER, scope, f"GET {path}")
    return data


def fetch_scope(rc: RestClient, scope: str, writer: BundleWriter) -> None:
    """Collect one scope with an existing client."""
    if scope == "account":
        who = rc.get_json("/-/whoami")
        if not isinstance(who, dict) or not isinstance(who.get("username"), str):
            raise ConnectorError("npm GET /-/whoami: no username in the answer")
        writer.put_json(WHOAMI, who)
        writer.record(PROVIDER, scope, "GET /-/whoami")
        try:
            fetch_tokens(rc, scope, writer)
        except ConnectorError as e:  # a granular read token may not list tokens: a gap, the rest goes on
            writer.record(PROVIDER, scope, "GET /-/npm/v1/tokens", "failed", str(e))
        names = _access(rc, scope, f"/-/user/{who['username']}/package", writer, entry=False)
    elif scope.startswith("org:"):
        org = scope.removeprefix("org:")
        names = _access(rc, scope, f"/-/org/{org}/package", writer, entry=True)
        _access(rc, scope, f"/-/org/{org}/user", writer, entry=False)
    elif scope.startswith("package:"):
        fetch_package(rc, scope, scope.removeprefix("package:"), writer, entry=True)
        return
    else:
        raise ConfigError(f"sources.npm: unknown scope {scope!r}")
    for name in sorted(names):
        fetch_package(rc, scope, name, writer)


def collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    """Collect one scope into the bundle."""
    rc = client(settings, session=writer.session)
    try:
        fetch_scope(rc, scope, writer)
    finally:
        rc.close()
