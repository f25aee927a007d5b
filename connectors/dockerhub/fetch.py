"""Live collection from the Docker Hub API: personal and organisation access tokens (metadata only),
repositories, teams, members and the teams' repository permissions. Pages, retries, nothing else."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors._http import NotFoundError, RestClient, bearer_client, body_next
from scanner.bundle import BundleWriter
from scanner.errors import AuthError, ConfigError, ConnectorError

PROVIDER = "dockerhub"
PAGE_SIZE = 100
#: Fields never written to the bundle (Hub redacts the token as ``***`` after creation; drop it anyway).
_DROP = frozenset({"token"})


class Settings(BaseModel):
    """``[sources.dockerhub]``: the API, the bearer token by reference, and which organisations."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_url: str = "https://hub.docker.com"
    token_env: str = "DOCKERHUB_TOKEN"  # noqa: S105 - the name of a variable, not a value
    account: bool = True  # the token's own account: its personal tokens and repositories
    orgs: list[str] = []
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait: float = Field(default=60.0, ge=0)


def client(settings: Settings, transport: httpx.BaseTransport | None = None) -> RestClient:
    """A REST client for Hub; the token is read from the environment when the client is made, never stored."""
    return bearer_client(
        PROVIDER,
        settings.api_url,
        settings.token_env,
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        transport=transport,
    )


def scopes(settings: Settings) -> list[str]:
    """``account`` and ``org:<org>`` scopes, as configured."""
    return (["account"] if settings.account else []) + [f"org:{o}" for o in settings.orgs]


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
        if required:
            raise
        writer.record(PROVIDER, scope, call, "failed", str(e))
        return None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in _DROP}
    writer.put_json(f"dockerhub{path}.json", data)
    writer.record(PROVIDER, scope, call)
    return data


def _repositories(rc: RestClient, writer: BundleWriter, scope: str, namespace: str, *, groups: bool) -> None:
    repos = _save(rc, writer, scope, f"/v2/repositories/{namespace}")
    for r in (repos or {}).get("results", []) if groups else []:
        _save(rc, writer, scope, f"/v2/repositories/{namespace}/{r['name']}/groups")


def fetch_scope(rc: RestClient, scope: str, writer: BundleWriter) -> None:
    """Collect one scope with an existing client."""
    if scope == "account":
        user = rc.get_json("/v2/user")  # an auth failure here fails the whole scope
        if not isinstance(user, dict) or not isinstance(user.get("username"), str):
            raise ConnectorError("dockerhub GET /v2/user: no username in the answer")
        writer.put_json("dockerhub/v2/user.json", {"username": user["username"], "id": user.get("id")})
        writer.record(PROVIDER, scope, "GET /v2/user")
        _save(rc, writer, scope, "/v2/access-tokens", required=True)
        _repositories(rc, writer, scope, user["username"], groups=False)
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
        _repositories(rc, writer, scope, org, groups=True)
    else:
        raise ConfigError(f"sources.dockerhub: unknown scope {scope!r}")


def collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    """Collect one scope into the bundle."""
    rc = client(settings)
    try:
        fetch_scope(rc, scope, writer)
    finally:
        rc.close()
