"""Docker Hub fetch at the wire: the JWT from ``POST /v2/auth/token`` (minted again before it expires and
after a 401), ``next`` body paging, documented endpoints only, token redaction, 401 on a scope, 403 on a
part, 429."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import RestClient
from connectors.dockerhub import SPEC
from connectors.dockerhub.auth import HubJwtTransport, TokenExchangeError, jwt_lifetime
from connectors.dockerhub.fetch import Settings, client, fetch_scope, scopes
from scanner.bundle import BundleReader, BundleWriter
from scanner.errors import ConfigError

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "dockerhub" / "bundle" / "dockerhub"


def fixture(rel: str) -> Any:
    return json.loads((FIX / rel).read_text())


def fake_jwt(n: int, lifetime: int = 600) -> str:
    """An unsigned JWT-shaped string (obviously fake) whose claims say how long it lives."""
    claims = base64.urlsafe_b64encode(json.dumps({"iat": 1000, "exp": 1000 + lifetime, "n": n}).encode())
    return f"eyJhbGciOiJub25lIn0.{claims.decode().rstrip('=')}.FAKE-SIGNATURE-{n}"


class Clock:
    """Monotonic seconds a test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def serve_auth(server: HTTPServer, *jwts: str) -> None:
    """``POST /v2/auth/token`` answers each JWT in turn; it must be asked with the identifier and secret."""
    body = {"identifier": "alice", "secret": "dckr_pat_FAKEFAKEFAKE"}
    for jwt in jwts:
        server.expect_oneshot_request("/v2/auth/token", method="POST", json=body).respond_with_json(
            {"access_token": jwt}
        )


def rest(server: HTTPServer, waits: list[float], clock: Clock | None = None) -> tuple[RestClient, HubJwtTransport]:
    auth = HubJwtTransport(server.url_for("/"), "alice", "dckr_pat_FAKEFAKEFAKE", clock=clock or Clock())
    rc = RestClient(provider="dockerhub", base_url=server.url_for("/"), sleep=waits.append, max_wait=5, transport=auth)
    return rc, auth


def serve_paged(server: HTTPServer, path: str, doc: dict[str, Any], jwt: str | None = None) -> None:
    """Serve a list in two pages linked by ``next``, as Hub does (only to the bearer of ``jwt``, if given)."""
    items = doc["results"]
    nxt = server.url_for(path) + "?page=2&page_size=1"
    headers = {"Authorization": f"Bearer {jwt}"} if jwt else None
    server.expect_request(path, query_string="page_size=100", headers=headers).respond_with_json(
        {**doc, "results": [{**i, "token": "***"} for i in items[:1]], "next": nxt}
    )
    server.expect_request(path, query_string="page=2&page_size=1", headers=headers).respond_with_json(
        {**doc, "results": items[1:], "next": None}
    )


def test_account_scope(httpserver: HTTPServer, tmp_path: Path) -> None:
    jwt = fake_jwt(1)
    serve_auth(httpserver, jwt)
    serve_paged(httpserver, "/v2/access-tokens", fixture("v2/access-tokens.json"), jwt)
    serve_paged(httpserver, "/v2/namespaces/alice/repositories", fixture("v2/namespaces/alice/repositories.json"), jwt)
    writer = BundleWriter(tmp_path / "bundle")
    rc, auth = rest(httpserver, [])
    fetch_scope(rc, "account:alice", writer)
    assert auth.minted == 1  # one JWT for the whole (short) scope
    out = writer.commit("2026-11-01T00:00:00Z")
    saved = json.loads((out / "dockerhub/v2/access-tokens.json").read_text())
    assert [t["uuid"] for t in saved["results"]] == [t["uuid"] for t in fixture("v2/access-tokens.json")["results"]]
    assert saved["next"] is None
    assert all("token" not in t for t in saved["results"])
    assert json.loads((out / "dockerhub/regwarden-settings.json").read_text()) == {"username": "alice"}
    assert "FAKEFAKEFAKE" not in "".join(p.read_text() for p in out.rglob("*.json"))
    assert "FAKE-SIGNATURE" not in "".join(p.read_text() for p in out.rglob("*.json"))
    # Only documented endpoints were called: no GET /v2/user, no repository groups.
    paths = {req.path for req, _ in httpserver.log}
    assert paths == {"/v2/auth/token", "/v2/access-tokens", "/v2/namespaces/alice/repositories"}
    inv = SPEC.inventory(BundleReader(out))
    assert "dockerhub:token:b30bbf97-0000-4ecd-aabc-000000000001" in inv


def test_jwt_is_minted_again_before_it_expires(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A long scan outlives the ten-minute JWT: page two is fetched with a fresh one."""
    first, second = fake_jwt(1), fake_jwt(2)
    serve_auth(httpserver, first, second)
    doc = fixture("v2/access-tokens.json")
    items, path = doc["results"], "/v2/access-tokens"
    nxt = httpserver.url_for(path) + "?page=2&page_size=1"
    clock = Clock()

    def page_one(_req: Any) -> Any:
        clock.now += 570  # 9.5 minutes later: within a minute of expiry
        from werkzeug import Response

        return Response(json.dumps({**doc, "results": items[:1], "next": nxt}), content_type="application/json")

    httpserver.expect_request(
        path, query_string="page_size=100", headers={"Authorization": f"Bearer {first}"}
    ).respond_with_handler(page_one)
    httpserver.expect_request(
        path, query_string="page=2&page_size=1", headers={"Authorization": f"Bearer {second}"}
    ).respond_with_json({**doc, "results": items[1:], "next": None})
    httpserver.expect_request("/v2/namespaces/alice/repositories").respond_with_json(
        fixture("v2/namespaces/alice/repositories.json")
    )
    rc, auth = rest(httpserver, [], clock)
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rc, "account:alice", writer)
    assert auth.minted == 2
    out = writer.commit("2026-11-01T00:00:00Z")
    assert len(json.loads((out / "dockerhub/v2/access-tokens.json").read_text())["results"]) == len(items)


def test_a_401_with_a_live_jwt_mints_once_more(httpserver: HTTPServer, tmp_path: Path) -> None:
    first, second = fake_jwt(1), fake_jwt(2)
    serve_auth(httpserver, first, second)
    httpserver.expect_request("/v2/access-tokens", headers={"Authorization": f"Bearer {first}"}).respond_with_data(
        "", status=401
    )
    httpserver.expect_request("/v2/access-tokens", headers={"Authorization": f"Bearer {second}"}).respond_with_json(
        {"count": 0, "next": None, "results": []}
    )
    httpserver.expect_request("/v2/namespaces/alice/repositories").respond_with_json(
        {"count": 0, "next": None, "results": []}
    )
    rc, auth = rest(httpserver, [])
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rc, "account:alice", writer)
    assert auth.minted == 2
    writer.abort()


def test_jwt_lifetime_from_claims() -> None:
    assert jwt_lifetime(fake_jwt(1, lifetime=300)) == 300
    assert jwt_lifetime("not-a-jwt") == 600
    assert jwt_lifetime("a.!!!.c") == 600


def test_org_scope_with_forbidden_members_and_throttling(httpserver: HTTPServer, tmp_path: Path) -> None:
    org = fixture("v2/orgs/acme/access-tokens.json")
    httpserver.expect_request("/v2/orgs/acme/access-tokens").respond_with_json(org)
    oid = org["results"][0]["id"]
    httpserver.expect_oneshot_request(f"/v2/orgs/acme/access-tokens/{oid}").respond_with_data(
        "", status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_request(f"/v2/orgs/acme/access-tokens/{oid}").respond_with_json(
        fixture(f"v2/orgs/acme/access-tokens/{oid}.json")
    )
    httpserver.expect_request("/v2/orgs/acme/members").respond_with_json({"message": "forbidden"}, status=403)
    httpserver.expect_request("/v2/orgs/acme/groups").respond_with_json(fixture("v2/orgs/acme/groups.json"))
    for g in ("owners", "ci"):
        httpserver.expect_request(f"/v2/orgs/acme/groups/{g}/members").respond_with_json(
            fixture(f"v2/orgs/acme/groups/{g}/members.json")
        )
    serve_paged(httpserver, "/v2/namespaces/acme/repositories", fixture("v2/namespaces/acme/repositories.json"))
    serve_auth(httpserver, fake_jwt(1))
    waits: list[float] = []
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, waits)[0], "org:acme", writer)
    assert waits == [2.0]
    assert [c.call for c in writer.manifest("").failed()] == ["GET /v2/orgs/acme/members"]
    out = writer.commit("2026-11-01T00:00:00Z")
    inv = SPEC.inventory(BundleReader(out))
    assert "dockerhub:team:acme/ci" in inv
    assert "dockerhub:org-token:" + oid in inv


def test_a_refused_token_exchange_fails_the_scope(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/auth/token", method="POST").respond_with_json(
        {"detail": "Incorrect authentication credentials"}, status=401
    )
    writer = BundleWriter(tmp_path / "bundle")
    with pytest.raises(TokenExchangeError, match="POST /v2/auth/token: 401"):
        fetch_scope(rest(httpserver, [])[0], "account:alice", writer)
    writer.abort()


def test_settings_need_the_username_and_read_the_token_by_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings(username="alice", orgs=["acme"], token_env="REGWARDEN_TEST_HUB")
    assert scopes(s) == ["account:alice", "org:acme"]
    monkeypatch.delenv("REGWARDEN_TEST_HUB", raising=False)
    with pytest.raises(ConfigError, match="REGWARDEN_TEST_HUB is not set"):
        client(s)
    monkeypatch.setenv("REGWARDEN_TEST_HUB", "dckr_pat_FAKEFAKEFAKE")
    rc = client(s)
    assert "Authorization" not in rc.headers  # the access token is never the bearer
    rc.close()
