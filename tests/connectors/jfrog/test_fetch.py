"""JFrog fetch at the wire: repositories and configurations, permission targets, groups, a 403 on the
admin-only token list, 401 on the scope, 429 with Retry-After."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import RestClient
from connectors.jfrog import SPEC
from connectors.jfrog.fetch import Settings, fetch_scope
from scanner.bundle import BundleReader, BundleWriter
from scanner.errors import AuthError
from scanner.model import NodeId

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "jfrog" / "bundle" / "jfrog"


def fixture(rel: str) -> Any:
    return json.loads((FIX / rel).read_text())


def serve_platform(server: HTTPServer, tokens_status: int = 200) -> None:
    """Serve every call of the fixture bundle from its own files."""
    for rel in sorted(p.relative_to(FIX).as_posix() for p in FIX.rglob("*.json")):
        if rel == "regwarden-settings.json":
            continue
        path = "/" + rel.removesuffix(".json")
        if path == "/access/api/v1/tokens" and tokens_status != 200:
            server.expect_request(path).respond_with_json({"errors": [{"message": "forbidden"}]}, status=tokens_status)
            continue
        server.expect_request(path).respond_with_json(fixture(rel))


def settings(server: HTTPServer) -> Settings:
    return Settings(url=server.url_for("/"), production_repos=["npm-virtual"], verified_repos=[])


def test_collects_what_the_loader_reads(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_platform(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    rc = RestClient(provider="jfrog", base_url=httpserver.url_for("/"), sleep=lambda _s: None)
    fetch_scope(rc, settings(httpserver), writer)
    out = writer.commit("2026-11-01T00:00:00Z")
    written = {p.relative_to(out / "jfrog").as_posix() for p in (out / "jfrog").rglob("*.json")}
    assert written == {p.relative_to(FIX).as_posix() for p in FIX.rglob("*.json")}
    assert json.loads((out / "jfrog/regwarden-settings.json").read_text())["production_repos"] == ["npm-virtual"]
    inv = SPEC.inventory(BundleReader(out))
    assert inv.node(NodeId("jfrog:repository:npm-remote")).attrs["mirror"] is True


def test_token_list_forbidden_is_a_gap_and_429_waits(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_oneshot_request("/artifactory/api/repositories").respond_with_data(
        "", status=429, headers={"Retry-After": "1"}
    )
    serve_platform(httpserver, tokens_status=403)
    waits: list[float] = []
    writer = BundleWriter(tmp_path / "bundle")
    rc = RestClient(provider="jfrog", base_url=httpserver.url_for("/"), sleep=waits.append)
    fetch_scope(rc, settings(httpserver), writer)
    assert waits == [1.0]
    assert [c.call for c in writer.manifest("").failed()] == ["GET /access/api/v1/tokens"]
    writer.abort()


def test_401_fails_the_scope(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/artifactory/api/repositories").respond_with_data("", status=401)
    writer = BundleWriter(tmp_path / "bundle")
    rc = RestClient(provider="jfrog", base_url=httpserver.url_for("/"))
    with pytest.raises(AuthError):
        fetch_scope(rc, settings(httpserver), writer)
    writer.abort()
