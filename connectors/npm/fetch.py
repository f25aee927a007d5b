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
from scanner.errors import AuthError, ConfigError, ConnectorError

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


def fetch_tokens(rc: RestClient, scope: str, writer: BundleWriter) -> None:
    """``GET /-/npm/v1/tokens``, every page merged; the truncated token preview is dropped."""
    objects: list[Any] = []
    total = None
    for page in rc.pages("/-/npm/v1/tokens", {"perPage": 100}, next_url=urls_next):
        if not isinstance(page, dict) or not isinstance(page.get("objects"), list):
            raise ConnectorError("npm GET /-/npm/v1/tokens: page without an objects list")
        objects += [{k: v for k, v in o.items() if k != "token"} for o in page["objects"] if isinstance(o, dict)]
        total = page.get("total", total)
    writer.put_json("npm/-/npm/v1/tokens.json", {"objects": objects, "total": total, "urls": {"next": None}})
    writer.record(PROVIDER, scope, "GET /-/npm/v1/tokens")


def fetch_package(rc: RestClient, scope: str, name: str, writer: BundleWriter) -> None:
    """The packument and, when it names them, the attestations of the latest version."""
    call = f"GET /{name}"
    try:
        doc = rc.get_json(_pkg_path(name))
    except NotFoundError:
        writer.record(PROVIDER, scope, call, "not_found")
        return
    except AuthError as e:
        writer.record(PROVIDER, scope, call, "failed", str(e))
        return
    writer.put_json(packument_path(name), doc)
    writer.record(PROVIDER, scope, call)
    latest = (doc.get("dist-tags") or {}).get("latest") if isinstance(doc, dict) else None
    version = (doc.get("versions") or {}).get(latest) if isinstance(latest, str) else None
    att = ((version or {}).get("dist") or {}).get("attestations") if isinstance(version, dict) else None
    if not isinstance(att, dict) or not isinstance(att.get("url"), str) or not isinstance(latest, str):
        return  # the packument says the version has no attestations
    parts = urlsplit(att["url"])
    call = attestations_call(name, latest)
    try:
        writer.put_json(attestations_path(name, latest), rc.get_json(parts.path))
        writer.record(PROVIDER, scope, call)
    except NotFoundError:
        writer.record(PROVIDER, scope, call, "not_found")
    except AuthError as e:
        writer.record(PROVIDER, scope, call, "failed", str(e))


def _access(rc: RestClient, scope: str, path: str, writer: BundleWriter) -> dict[str, Any]:
    data = rc.get_json(path)
    if not isinstance(data, dict):
        raise ConnectorError(f"npm GET {path}: expected an object of package names")
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
        except AuthError as e:  # a granular read token may not list tokens: a gap, the rest goes on
            writer.record(PROVIDER, scope, "GET /-/npm/v1/tokens", "failed", str(e))
        names = _access(rc, scope, f"/-/user/{who['username']}/package", writer)
    elif scope.startswith("org:"):
        org = scope.removeprefix("org:")
        names = _access(rc, scope, f"/-/org/{org}/package", writer)
        _access(rc, scope, f"/-/org/{org}/user", writer)
    elif scope.startswith("package:"):
        names = {scope.removeprefix("package:"): "read"}
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
