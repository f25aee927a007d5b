"""Docker Hub fetch at the wire: the JWT from ``POST /v2/auth/token`` (minted again before it expires and
after a 401; counted, retried and bounded in time like any call), ``next`` body paging, documented endpoints
only, token redaction, 401 on a scope, 403 or 500 on a part (that call's gap), 429."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import RestClient
from connectors.dockerhub import SPEC
from connectors.dockerhub.auth import ExchangeError, HubJwtTransport, TokenExchangeError, jwt_lifetime
from connectors.dockerhub.fetch import Settings, client, fetch_scope, scopes
from scanner.bundle import BundleReader, BundleWriter
from scanner.collect_session import CollectSession
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


# --- every call is its own gap; the token exchange is a call like any other ---------------------------

TOKEN_ENV = "REGWARDEN_TEST_HUB"
EXCHANGE = "POST /v2/auth/token (identifier alice)"


@pytest.fixture
def hub_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "dckr_pat_FAKEFAKEFAKE")


def hub(server: HTTPServer, tmp_path: Path, **settings: Any) -> tuple[RestClient, BundleWriter, list[float]]:
    """The collector's own client (:func:`client`) on a run session whose sleeper records the waits."""
    waits: list[float] = []
    session = CollectSession(sleep=waits.append)
    s = Settings(api_url=server.url_for("/"), username="alice", token_env=TOKEN_ENV, max_wait=5, **settings)
    return client(s, session=session), BundleWriter(tmp_path / "bundle", session), waits


def serve_org(server: HTTPServer, members_status: int = 200) -> None:
    org = fixture("v2/orgs/acme/access-tokens.json")
    server.expect_request("/v2/orgs/acme/access-tokens").respond_with_json(org)
    for t in org["results"]:
        server.expect_request(f"/v2/orgs/acme/access-tokens/{t['id']}").respond_with_json(
            fixture(f"v2/orgs/acme/access-tokens/{t['id']}.json")
        )
    server.expect_request("/v2/orgs/acme/members").respond_with_json(
        fixture("v2/orgs/acme/members.json") if members_status == 200 else {"message": "internal error"},
        status=members_status,
    )
    server.expect_request("/v2/orgs/acme/groups").respond_with_json(fixture("v2/orgs/acme/groups.json"))
    for g in ("owners", "ci"):
        server.expect_request(f"/v2/orgs/acme/groups/{g}/members").respond_with_json(
            fixture(f"v2/orgs/acme/groups/{g}/members.json")
        )
    server.expect_request("/v2/namespaces/acme/repositories").respond_with_json(
        fixture("v2/namespaces/acme/repositories.json")
    )


def test_a_500_on_members_is_that_calls_gap_and_the_rest_of_the_org_is_collected(
    httpserver: HTTPServer, tmp_path: Path, hub_token: None
) -> None:
    serve_auth(httpserver, fake_jwt(1))
    serve_org(httpserver, members_status=500)
    rc, writer, waits = hub(httpserver, tmp_path, orgs=["acme"], max_retries=1)
    fetch_scope(rc, "org:acme", writer)  # raised ConnectorError before: the whole organisation lost
    rc.close()
    failed = writer.manifest("").failed()
    assert [c.call for c in failed] == ["GET /v2/orgs/acme/members"]
    assert "HTTP 500" in failed[0].detail
    assert waits == [1.0]  # retried once, then given up
    counts = writer.session.counts()["dockerhub"]
    assert (counts.retried, counts.failed) == (1, 1)
    assert counts.fetched == len(httpserver.log)  # every request counted, the exchange included
    out = writer.commit("2026-11-01T00:00:00Z")
    inv = SPEC.inventory(BundleReader(out))
    assert "dockerhub:team:acme/ci" in inv
    assert (out / "dockerhub/v2/orgs/acme/groups/ci/members.json").is_file()
    assert (out / "dockerhub/v2/namespaces/acme/repositories.json").is_file()


def test_an_item_without_its_id_or_name_is_skipped_as_a_recorded_gap(
    httpserver: HTTPServer, tmp_path: Path, hub_token: None
) -> None:
    serve_auth(httpserver, fake_jwt(1))
    org = fixture("v2/orgs/acme/access-tokens.json")
    broken = {k: v for k, v in org["results"][0].items() if k != "id"}
    httpserver.expect_oneshot_request("/v2/orgs/acme/access-tokens").respond_with_json(
        {**org, "results": [broken, *org["results"]]}
    )
    groups = fixture("v2/orgs/acme/groups.json")
    httpserver.expect_oneshot_request("/v2/orgs/acme/groups").respond_with_json(
        {**groups, "results": [*groups["results"], {"id": 3, "uuid": "g-3"}, {"id": 4, "name": "../x"}, None]}
    )
    serve_org(httpserver)
    rc, writer, _ = hub(httpserver, tmp_path, orgs=["acme"])
    fetch_scope(rc, "org:acme", writer)  # raised KeyError on the token without an id before
    rc.close()
    failed = {c.call: c.detail for c in writer.manifest("").failed()}
    assert failed == {
        "GET /v2/orgs/acme/access-tokens/<item 0>": "item 0 of GET /v2/orgs/acme/access-tokens has no usable 'id' "
        "(missing): not read",
        "GET /v2/orgs/acme/groups/<item 2>/members": "item 2 of GET /v2/orgs/acme/groups has no usable 'name' "
        "(missing): not read",
        "GET /v2/orgs/acme/groups/<item 3>/members": "item 3 of GET /v2/orgs/acme/groups has no usable 'name' "
        "(not a name that fits in a path): not read",
        "GET /v2/orgs/acme/groups/<item 4>/members": "item 4 of GET /v2/orgs/acme/groups has no usable 'name' "
        "(missing): not read",
    }
    ok = {c.call for c in writer.manifest("").calls if c.status == "ok"}
    assert {"GET /v2/orgs/acme/groups/ci/members", "GET /v2/namespaces/acme/repositories"} <= ok
    assert f"GET /v2/orgs/acme/access-tokens/{org['results'][0]['id']}" in ok
    writer.abort()


def test_a_throttled_token_exchange_is_retried_through_the_runs_sleeper_and_counted(
    httpserver: HTTPServer, tmp_path: Path, hub_token: None
) -> None:
    httpserver.expect_oneshot_request("/v2/auth/token", method="POST").respond_with_data(
        "", status=429, headers={"Retry-After": "1"}
    )
    serve_auth(httpserver, fake_jwt(1))
    empty: dict[str, Any] = {"count": 0, "next": None, "previous": None, "results": []}
    httpserver.expect_request("/v2/access-tokens").respond_with_json(empty)
    httpserver.expect_request("/v2/namespaces/alice/repositories").respond_with_json(empty)
    rc, writer, waits = hub(httpserver, tmp_path)
    fetch_scope(rc, "account:alice", writer)  # failed the scope at the first 429 before
    rc.close()
    assert waits == [1.0]
    counts = writer.session.counts()["dockerhub"]
    assert len(httpserver.log) == 4
    assert (counts.fetched, counts.retried, counts.failed) == (4, 1, 0)  # both POSTs, both GETs
    assert [(c.call, c.status) for c in writer.manifest("").calls if c.call.startswith("POST")] == [(EXCHANGE, "ok")]
    writer.abort()


def test_the_401_that_makes_a_new_jwt_is_counted(httpserver: HTTPServer, tmp_path: Path, hub_token: None) -> None:
    first, second = fake_jwt(1), fake_jwt(2)
    serve_auth(httpserver, first, second)
    httpserver.expect_request("/v2/access-tokens", headers={"Authorization": f"Bearer {first}"}).respond_with_data(
        "", status=401
    )
    empty: dict[str, Any] = {"count": 0, "next": None, "previous": None, "results": []}
    httpserver.expect_request("/v2/access-tokens", headers={"Authorization": f"Bearer {second}"}).respond_with_json(
        empty
    )
    httpserver.expect_request("/v2/namespaces/alice/repositories").respond_with_json(empty)
    rc, writer, _ = hub(httpserver, tmp_path)
    fetch_scope(rc, "account:alice", writer)
    rc.close()
    counts = writer.session.counts()["dockerhub"]
    assert len(httpserver.log) == 5  # POST, GET 401, POST, GET, GET
    assert (counts.fetched, counts.retried, counts.failed) == (5, 1, 0)
    writer.abort()


def test_a_refused_exchange_is_recorded_failed_never_ok(
    httpserver: HTTPServer, tmp_path: Path, hub_token: None
) -> None:
    httpserver.expect_request("/v2/auth/token", method="POST").respond_with_json(
        {"detail": "Incorrect authentication credentials"}, status=401
    )
    rc, writer, _ = hub(httpserver, tmp_path)
    with pytest.raises(TokenExchangeError):
        fetch_scope(rc, "account:alice", writer)
    rc.close()
    calls = [(c.call, c.status) for c in writer.manifest("").calls]
    assert calls == [(EXCHANGE, "failed")]  # the manifest said "ok" here before any exchange happened
    assert "401" in writer.manifest("").failed()[0].detail
    assert writer.session.counts()["dockerhub"].failed == 1
    writer.abort()


class SilentServer:
    """A socket server that accepts connections and, per ``mode``, never answers (``hang``) or answers the
    token exchange and trickles every other answer one byte at a time (``trickle``)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        self.requests: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode()
            self.requests.append(line)
            if self.mode == "hang":
                self.stop.wait(30)
                return
            if line.startswith("POST"):
                body = json.dumps({"access_token": fake_jwt(1)}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                conn.sendall(b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                return
            body = json.dumps({"count": 0, "next": None, "previous": None, "results": []}).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            conn.sendall(b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
            for byte in body:  # each read well within the timeout, the whole answer far beyond it
                if self.stop.wait(0.2):
                    return
                conn.sendall(bytes([byte]))
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture
def silent(request: pytest.FixtureRequest) -> Iterator[SilentServer]:
    server = SilentServer(request.param)
    yield server
    server.close()  # a client still waiting (a regression) gets its connection closed and ends


def run_bounded(server: SilentServer, tmp_path: Path, timeout: float) -> tuple[BundleWriter, list[Any], float]:
    """Collect ``account:alice`` from ``server`` on a thread, with a short timeout; the test never hangs."""
    waits: list[float] = []
    session = CollectSession(sleep=waits.append)
    policy: dict[str, Any] = {"timeout": timeout, "max_retries": 1, "max_wait": 5, "session": session}
    auth = HubJwtTransport(server.url, "alice", "dckr_pat_FAKEFAKEFAKE", **policy)
    rc = RestClient(provider="dockerhub", base_url=server.url, transport=auth, **policy)
    writer = BundleWriter(tmp_path / "bundle", session)
    raised: list[Any] = []

    def run() -> None:
        try:
            fetch_scope(rc, "account:alice", writer)
        except Exception as e:  # handed to the test
            raised.append(e)

    t0 = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    elapsed = time.monotonic() - t0
    assert not worker.is_alive(), "the call did not end within its timeout"
    rc.close()
    return writer, raised, elapsed


@pytest.mark.parametrize("silent", ["hang"], indirect=True)
def test_an_exchange_that_never_answers_fails_within_the_timeout(silent: SilentServer, tmp_path: Path) -> None:
    writer, raised, elapsed = run_bounded(silent, tmp_path, timeout=0.3)
    assert elapsed < 10
    assert len(raised) == 1
    assert isinstance(raised[0], ExchangeError)
    assert "timed out" in str(raised[0])
    failed = writer.manifest("").failed()
    assert [(c.call, c.status) for c in failed] == [(EXCHANGE, "failed")]
    assert "timed out" in failed[0].detail
    assert len(silent.requests) == 2  # one retry, then given up
    counts = writer.session.counts()["dockerhub"]
    assert (counts.fetched, counts.retried, counts.failed) == (0, 1, 1)
    writer.abort()


@pytest.mark.parametrize("silent", ["trickle"], indirect=True)
def test_a_trickled_answer_is_cut_at_the_calls_deadline(silent: SilentServer, tmp_path: Path) -> None:
    """The JWT transport is not an httpx.HTTPTransport: the deadline still bounds the requests it forwards."""
    writer, raised, elapsed = run_bounded(silent, tmp_path, timeout=0.5)
    assert raised == []
    assert elapsed < 10  # each answer would trickle for ~10 s
    assert len(silent.requests) == 5  # the exchange, then each GET cut, retried once and cut again
    failed = {c.call: c.detail for c in writer.manifest("").failed()}
    assert set(failed) == {"GET /v2/access-tokens", "GET /v2/namespaces/alice/repositories"}
    assert all("timed out" in d for d in failed.values())
    writer.abort()


def test_an_exchange_error_that_quotes_the_access_token_is_withheld(
    httpserver: HTTPServer, tmp_path: Path, hub_token: None
) -> None:
    httpserver.expect_request("/v2/auth/token", method="POST").respond_with_json(
        {"message": "malformed secret: dckr_pat_FAKEFAKEFAKE"}, status=400
    )
    rc, writer, _ = hub(httpserver, tmp_path)
    with pytest.raises(ExchangeError) as raised:
        fetch_scope(rc, "account:alice", writer)
    rc.close()
    assert "withheld" in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert all("FAKEFAKEFAKE" not in c.detail for c in writer.manifest("").calls)
    writer.abort()
