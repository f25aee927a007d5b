"""PyPI fetch at the wire: it writes exactly the files the offline loader reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from connectors._http import RestClient
from connectors.pypi import SPEC
from connectors.pypi.fetch import SIMPLE_JSON, Settings, fetch_project, scopes
from scanner.bundle import BundleReader, BundleWriter
from scanner.model import NodeId

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "pypi" / "bundle" / "pypi"


def fixture(rel: str) -> Any:
    return json.loads((FIX / rel).read_text())


def serve_project(server: HTTPServer, project: str) -> None:
    """Serve the JSON API, the JSON simple index and the provenance of one fixture project."""
    server.expect_request(f"/pypi/{project}/json").respond_with_json(fixture(f"pypi/{project}/json.json"))
    server.expect_request(f"/simple/{project}/", headers={"Accept": SIMPLE_JSON}).respond_with_json(
        fixture(f"simple/{project}/index.json")
    )
    for p in sorted((FIX / "integrity" / project).rglob("provenance.json")):
        rel = p.relative_to(FIX).as_posix()
        server.expect_request("/" + rel.removesuffix(".json")).respond_with_json(fixture(rel))


def clients(server: HTTPServer, waits: list[float]) -> tuple[RestClient, RestClient]:
    base = server.url_for("/")
    return (
        RestClient(provider="pypi", base_url=base, headers={"Accept": "application/json"}, sleep=waits.append),
        RestClient(provider="pypi", base_url=base, headers={"Accept": SIMPLE_JSON}, sleep=waits.append),
    )


def test_writes_the_loader_layout(httpserver: HTTPServer, tmp_path: Path) -> None:
    waits: list[float] = []
    httpserver.expect_oneshot_request("/pypi/drifted-lib/json").respond_with_data(
        "", status=429, headers={"Retry-After": "2"}
    )
    for project in ("drifted-lib", "acme-release"):
        serve_project(httpserver, project)
    httpserver.expect_request("/pypi/gone/json").respond_with_json({"message": "Not Found"}, status=404)
    writer = BundleWriter(tmp_path / "bundle")
    rc, simple = clients(httpserver, waits)
    for project in ("drifted-lib", "acme-release", "gone"):
        fetch_project(rc, simple, f"project:{project}", project, 3, writer)
    out = writer.commit("2026-11-01T00:00:00Z")
    assert waits == [2.0]
    written = {p.relative_to(out / "pypi").as_posix() for p in (out / "pypi").rglob("*.json")}
    expected = {
        p.relative_to(FIX).as_posix()
        for project in ("drifted-lib", "acme-release")
        for p in FIX.rglob("*.json")
        if f"/{project}/" in "/" + p.relative_to(FIX).as_posix() and "xmlrpc" not in p.as_posix()
    }
    assert written == expected
    reader = BundleReader(out)
    assert reader.manifest.not_found("pypi") == {"GET /pypi/gone/json"}
    inv = SPEC.inventory(reader)
    drifted = inv.node(NodeId("pypi:project:drifted-lib"))
    assert drifted.attrs["latest_attested"] is False
    assert drifted.attrs["trusted_publishers"]
    assert inv.node(NodeId("pypi:project:acme-release")).attrs["latest_attested"] is True


def test_only_the_newest_releases_provenance_is_fetched(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_project(httpserver, "drifted-lib")
    writer = BundleWriter(tmp_path / "bundle")
    rc, simple = clients(httpserver, [])
    fetch_project(rc, simple, "project:drifted-lib", "drifted-lib", 1, writer)
    out = writer.commit("2026-11-01T00:00:00Z")
    assert not (out / "pypi/integrity/drifted-lib").exists()  # 1.1.0 is unattested; older ones skipped


def test_scopes() -> None:
    assert scopes(Settings(projects=["a", "B_c"])) == ["project:a", "project:B_c"]
