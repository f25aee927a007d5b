"""Docker Hub fetch at the wire: ``next`` body paging, token redaction, 401 on a scope, 403 on a part, 429."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import RestClient
from connectors.dockerhub import SPEC
from connectors.dockerhub.fetch import fetch_scope
from scanner.bundle import BundleReader, BundleWriter
from scanner.errors import AuthError

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "dockerhub" / "bundle" / "dockerhub"


def fixture(rel: str) -> Any:
    return json.loads((FIX / rel).read_text())


def rest(server: HTTPServer, waits: list[float]) -> RestClient:
    return RestClient(provider="dockerhub", base_url=server.url_for("/"), sleep=waits.append, max_wait=5)


def serve_paged(server: HTTPServer, path: str, doc: dict[str, Any]) -> None:
    """Serve a list in two pages linked by ``next``, as Hub does."""
    items = doc["results"]
    nxt = server.url_for(path) + "?page=2&page_size=1"
    server.expect_request(path, query_string="page_size=100").respond_with_json(
        {**doc, "results": [{**i, "token": "***"} for i in items[:1]], "next": nxt}
    )
    server.expect_request(path, query_string="page=2&page_size=1").respond_with_json(
        {**doc, "results": items[1:], "next": None}
    )


def test_account_scope(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/user").respond_with_json({"username": "alice", "id": "0000-fake"})
    serve_paged(httpserver, "/v2/access-tokens", fixture("v2/access-tokens.json"))
    serve_paged(httpserver, "/v2/repositories/alice", fixture("v2/repositories/alice.json"))
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, []), "account", writer)
    out = writer.commit("2026-11-01T00:00:00Z")
    saved = json.loads((out / "dockerhub/v2/access-tokens.json").read_text())
    assert [t["uuid"] for t in saved["results"]] == [t["uuid"] for t in fixture("v2/access-tokens.json")["results"]]
    assert saved["next"] is None
    assert all("token" not in t for t in saved["results"])
    inv = SPEC.inventory(BundleReader(out))
    assert "dockerhub:token:b30bbf97-0000-4ecd-aabc-000000000001" in inv


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
    serve_paged(httpserver, "/v2/repositories/acme", fixture("v2/repositories/acme.json"))
    for r in ("api", "web"):
        httpserver.expect_request(f"/v2/repositories/acme/{r}/groups").respond_with_json(
            fixture(f"v2/repositories/acme/{r}/groups.json")
        )
    waits: list[float] = []
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, waits), "org:acme", writer)
    assert waits == [2.0]
    assert [c.call for c in writer.manifest("").failed()] == ["GET /v2/orgs/acme/members"]
    out = writer.commit("2026-11-01T00:00:00Z")
    inv = SPEC.inventory(BundleReader(out))
    assert "dockerhub:team:acme/ci" in inv
    assert "dockerhub:org-token:" + oid in inv


def test_401_fails_the_scope(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/user").respond_with_data("", status=401)
    writer = BundleWriter(tmp_path / "bundle")
    with pytest.raises(AuthError):
        fetch_scope(rest(httpserver, []), "account", writer)
    writer.abort()
