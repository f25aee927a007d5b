"""JFrog fetch at the wire: repositories and configurations, permission targets, groups, a 403 on the
admin-only token list, 401 on the scope, 429 with Retry-After; any other failing call, or an answer of the
wrong shape, is that one call's gap."""

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


def failed_calls(writer: BundleWriter) -> list[str]:
    return [c.call for c in writer.manifest("").failed()]


def fixture_files() -> set[str]:
    return {p.relative_to(FIX).as_posix() for p in FIX.rglob("*.json")}


def collected(out: Path) -> set[str]:
    return {p.relative_to(out / "jfrog").as_posix() for p in (out / "jfrog").rglob("*.json")}


def test_a_truncated_repository_is_its_gap_and_the_rest_is_collected(httpserver: HTTPServer, tmp_path: Path) -> None:
    # the first repository of the list answers a body cut short; the next ones and every later call go on
    httpserver.expect_request("/artifactory/api/repositories/npm-local").respond_with_data(
        '{"key": "npm-local", "rclass": "loc', content_type="application/json"
    )
    serve_platform(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    rc = RestClient(provider="jfrog", base_url=httpserver.url_for("/"), sleep=lambda _s: None)
    fetch_scope(rc, settings(httpserver), writer)
    failed = writer.manifest("").failed()
    assert [c.call for c in failed] == ["GET /artifactory/api/repositories/npm-local"]
    assert "not valid JSON" in failed[0].detail
    out = writer.commit("2026-11-01T00:00:00Z")
    assert collected(out) == fixture_files() - {"artifactory/api/repositories/npm-local.json"}
    inv = SPEC.inventory(BundleReader(out))
    assert inv.node(NodeId("jfrog:repository:npm-remote")).attrs["mirror"] is True
    assert not [g for g in inv.gaps if "npm-local" in g.what]  # no second gap: the failed call says it


def test_a_failing_token_list_is_its_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/access/api/v1/tokens").respond_with_data("upstream timed out", status=504)
    serve_platform(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    rc = RestClient(provider="jfrog", base_url=httpserver.url_for("/"), sleep=lambda _s: None, max_retries=1)
    fetch_scope(rc, settings(httpserver), writer)
    assert failed_calls(writer) == ["GET /access/api/v1/tokens"]
    out = writer.commit("2026-11-01T00:00:00Z")
    assert collected(out) == fixture_files() - {"access/api/v1/tokens.json"}


def test_a_malformed_optional_list_is_its_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    # the permission-target list answers an object, not a list; the group list holds an item without a name
    perms = "/artifactory/api/v2/security/permissions"
    groups = "/artifactory/api/security/groups"
    httpserver.expect_request(perms).respond_with_json({"name": "deployers", "uri": "x"})
    httpserver.expect_request(groups).respond_with_json(
        [{"uri": "https://acme.jfrog.io/x"}, *fixture(f"{groups[1:]}.json")]
    )
    serve_platform(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    rc = RestClient(provider="jfrog", base_url=httpserver.url_for("/"), sleep=lambda _s: None)
    fetch_scope(rc, settings(httpserver), writer)
    failed = writer.manifest("").failed()
    assert [c.call for c in failed] == [f"GET {groups}", f"GET {perms}"]
    assert "expected a list" in failed[1].detail
    out = writer.commit("2026-11-01T00:00:00Z")
    assert collected(out) == {f for f in fixture_files() if not f.startswith(perms[1:])}
