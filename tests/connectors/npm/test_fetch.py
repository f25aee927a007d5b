"""npm fetch at the wire: token paging by ``urls.next``, scoped names, attestations, 401/403/429, and a
failing call or an answer of the wrong shape as that one call's gap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import RestClient
from connectors.npm import SPEC
from connectors.npm.fetch import Settings, client, fetch_scope, scopes
from scanner.bundle import BundleReader, BundleWriter
from scanner.errors import AuthError, ConfigError
from scanner.model import NodeId

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "npm" / "bundle" / "npm"


def fixture(rel: str) -> Any:
    return json.loads((FIX / rel).read_text())


def rest(server: HTTPServer, waits: list[float]) -> RestClient:
    return RestClient(provider="npm", base_url=server.url_for("/"), sleep=waits.append, max_wait=5)


def serve_registry(server: HTTPServer) -> None:
    tokens = fixture("-/npm/v1/tokens.json")["objects"]
    page2 = server.url_for("/-/npm/v1/tokens") + "?page=1&perPage=2"
    server.expect_request("/-/whoami").respond_with_json({"username": "alice"})
    first = [{**t, "token": "npm_FAKE…"} for t in tokens[:2]]
    server.expect_request("/-/npm/v1/tokens", query_string="perPage=100").respond_with_json(
        {"objects": first, "total": len(tokens), "urls": {"next": page2}}
    )
    server.expect_request("/-/npm/v1/tokens", query_string="page=1&perPage=2").respond_with_json(
        {"objects": tokens[2:], "total": len(tokens), "urls": {}}
    )
    server.expect_request("/-/user/alice/package").respond_with_json(fixture("-/user/alice/package.json"))
    for name in ("@acme/widgets", "@acme/legacy", "@acme/internal"):
        server.expect_request(f"/{name}").respond_with_json(fixture(f"{name}.json"))
    server.expect_request("/left-pad-fake").respond_with_json({"error": "Not found"}, status=404)
    server.expect_request("/alice-utils").respond_with_json({"error": "Not found"}, status=404)
    server.expect_request("/-/npm/v1/attestations/@acme/widgets@2.0.0").respond_with_json(
        fixture("-/npm/v1/attestations/@acme/widgets@2.0.0.json")
    )


def test_account_scope_pages_tokens_and_drops_previews(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_registry(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, []), "account", writer)
    out = writer.commit("2026-11-01T00:00:00Z")
    tokens = json.loads((out / "npm/-/npm/v1/tokens.json").read_text())
    assert [t["key"] for t in tokens["objects"]] == [t["key"] for t in fixture("-/npm/v1/tokens.json")["objects"]]
    assert tokens["urls"] == {"next": None}
    assert "npm_FAKE" not in (out / "npm/-/npm/v1/tokens.json").read_text()
    assert (out / "npm/@acme/widgets.json").exists()
    assert (out / "npm/-/npm/v1/attestations/@acme/widgets@2.0.0.json").exists()
    reader = BundleReader(out)
    assert reader.manifest.not_found("npm") == {"GET /left-pad-fake", "GET /alice-utils"}
    inv = SPEC.inventory(reader)
    assert inv.node(NodeId("npm:package:@acme/widgets")).attrs["latest_attested"] is True


def test_forbidden_token_list_is_a_recorded_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/-/whoami").respond_with_json({"username": "alice"})
    httpserver.expect_request("/-/npm/v1/tokens").respond_with_json({"message": "granular token"}, status=403)
    httpserver.expect_request("/-/user/alice/package").respond_with_json({})
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, []), "account", writer)
    failed = writer.manifest("").failed()
    assert [(c.call, c.status) for c in failed] == [("GET /-/npm/v1/tokens", "failed")]
    writer.abort()


def test_401_fails_the_scope(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/-/whoami").respond_with_data("", status=401)
    writer = BundleWriter(tmp_path / "bundle")
    with pytest.raises(AuthError, match="401 unauthorized"):
        fetch_scope(rest(httpserver, []), "account", writer)
    writer.abort()


def test_429_is_retried_after_the_asked_wait(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_oneshot_request("/-/org/acme/package").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3"}
    )
    httpserver.expect_request("/-/org/acme/package").respond_with_json({"@acme/legacy": "write"})
    httpserver.expect_request("/-/org/acme/user").respond_with_json({"alice": "owner"})
    httpserver.expect_request("/@acme/legacy").respond_with_json(fixture("@acme/legacy.json"))
    waits: list[float] = []
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, waits), "org:acme", writer)
    assert waits == [3.0]
    out = writer.commit("2026-11-01T00:00:00Z")
    assert json.loads((out / "npm/-/org/acme/user.json").read_text()) == {"alice": "owner"}


def serve_org(server: HTTPServer) -> None:
    """An organisation with three packages (fetched in name order: internal, legacy, widgets)."""
    server.expect_request("/-/org/acme/package").respond_with_json(
        {"@acme/internal": "read", "@acme/legacy": "write", "@acme/widgets": "write"}
    )
    server.expect_request("/-/org/acme/user").respond_with_json({"alice": "owner"})
    for name in ("@acme/widgets", "@acme/legacy", "@acme/internal"):
        server.expect_request(f"/{name}").respond_with_json(fixture(f"{name}.json"))
    server.expect_request("/-/npm/v1/attestations/@acme/widgets@2.0.0").respond_with_json(
        fixture("-/npm/v1/attestations/@acme/widgets@2.0.0.json")
    )


def failed_calls(writer: BundleWriter) -> list[tuple[str, str]]:
    return [(c.call, c.scope) for c in writer.manifest("").failed()]


def test_a_package_answering_503_is_its_gap_and_the_next_is_collected(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/@acme/legacy").respond_with_json({"error": "unavailable"}, status=503)
    serve_org(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, []), "org:acme", writer)
    failed = writer.manifest("").failed()
    assert [(c.call, c.scope) for c in failed] == [("GET /@acme/legacy", "org:acme")]
    assert "HTTP 503" in failed[0].detail
    out = writer.commit("2026-11-01T00:00:00Z")
    assert (out / "npm/@acme/internal.json").exists()
    assert not (out / "npm/@acme/legacy.json").exists()
    assert (out / "npm/@acme/widgets.json").exists()
    assert (out / "npm/-/npm/v1/attestations/@acme/widgets@2.0.0.json").exists()


def test_a_failing_attestations_call_is_its_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/-/npm/v1/attestations/@acme/widgets@2.0.0").respond_with_data(
        "<html>bad gateway</html>", content_type="text/html"
    )
    serve_org(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, []), "org:acme", writer)
    assert failed_calls(writer) == [("GET /-/npm/v1/attestations/@acme/widgets@2.0.0", "org:acme")]
    writer.abort()


def test_a_failing_org_member_list_is_its_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/-/org/acme/user").respond_with_data("{", content_type="application/json")
    serve_org(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, []), "org:acme", writer)
    assert failed_calls(writer) == [("GET /-/org/acme/user", "org:acme")]
    out = writer.commit("2026-11-01T00:00:00Z")
    assert (out / "npm/@acme/widgets.json").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"dist-tags": ["latest", "2.0.0"]},
        {"versions": [{"version": "2.0.0"}]},
        {"versions": {"2.0.0": {"dist": "https://registry.npmjs.org/@acme/widgets/-/widgets-2.0.0.tgz"}}},
        {"versions": {"2.0.0": {"dist": {"tarball": "t", "attestations": {"url": "https://[registry"}}}}},
    ],
    ids=["dist-tags-list", "versions-list", "dist-string", "attestations-url-invalid"],
)
def test_a_packument_of_the_wrong_shape_does_not_stop_the_scope(
    httpserver: HTTPServer, tmp_path: Path, change: dict[str, Any]
) -> None:
    httpserver.expect_request("/@acme/widgets").respond_with_json({**fixture("@acme/widgets.json"), **change})
    serve_org(httpserver)
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, []), "org:acme", writer)
    invalid_url = "attestations" in json.dumps(change)
    expected = [("GET /-/npm/v1/attestations/@acme/widgets@2.0.0", "org:acme")] if invalid_url else []
    assert failed_calls(writer) == expected
    out = writer.commit("2026-11-01T00:00:00Z")
    assert (out / "npm/@acme/widgets.json").exists()  # stored as it came: the loader judges it
    assert not (out / "npm/-/npm/v1/attestations").exists()


def test_an_off_origin_token_page_is_a_gap_and_the_account_goes_on(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/-/whoami").respond_with_json({"username": "alice"})
    tokens = fixture("-/npm/v1/tokens.json")["objects"]
    httpserver.expect_request("/-/npm/v1/tokens").respond_with_json(
        {
            "objects": tokens[:1],
            "total": len(tokens),
            "urls": {"next": "https://elsewhere.example/-/npm/v1/tokens?page=1"},
        }
    )
    httpserver.expect_request("/-/user/alice/package").respond_with_json({"@acme/legacy": "write"})
    httpserver.expect_request("/@acme/legacy").respond_with_json(fixture("@acme/legacy.json"))
    writer = BundleWriter(tmp_path / "bundle")
    fetch_scope(rest(httpserver, []), "account", writer)
    failed = writer.manifest("").failed()
    assert [(c.call, c.scope) for c in failed] == [("GET /-/npm/v1/tokens", "account")]
    assert "not followed" in failed[0].detail
    out = writer.commit("2026-11-01T00:00:00Z")
    assert not (out / "npm/-/npm/v1/tokens.json").exists()
    assert (out / "npm/@acme/legacy.json").exists()


def test_settings_scopes_and_token_by_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings(orgs=["acme"], packages=["left-pad"], token_env="REGWARDEN_TEST_NPM")
    assert scopes(s) == ["account", "org:acme", "package:left-pad"]
    monkeypatch.delenv("REGWARDEN_TEST_NPM", raising=False)
    with pytest.raises(ConfigError, match="REGWARDEN_TEST_NPM is not set"):
        client(s)
    monkeypatch.setenv("REGWARDEN_TEST_NPM", "FAKE-TOKEN-FOR-TESTS")
    rc = client(s)
    assert rc.headers["Authorization"] == "Bearer FAKE-TOKEN-FOR-TESTS"
    rc.close()
