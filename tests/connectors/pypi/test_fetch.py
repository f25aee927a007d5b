"""PyPI fetch at the wire: it writes exactly the files the offline loader reads; a failing call or an
answer of the wrong shape is that one call's gap."""

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


WHL = "/integrity/acme-release/2.1.0/acme_release-2.1.0-py3-none-any.whl/provenance"
SDIST = "/integrity/acme-release/2.1.0/acme_release-2.1.0.tar.gz/provenance"


def failed_calls(writer: BundleWriter) -> list[tuple[str, str]]:
    return [(c.call, c.scope) for c in writer.manifest("").failed()]


def test_a_malformed_provenance_is_its_gap_and_the_next_file_is_stored(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(WHL).respond_with_data("<html><body>Service Unavailable</body></html>")
    serve_project(httpserver, "acme-release")
    writer = BundleWriter(tmp_path / "bundle")
    rc, simple = clients(httpserver, [])
    fetch_project(rc, simple, "project:acme-release", "acme-release", 1, writer)
    failed = writer.manifest("").failed()
    assert [(c.call, c.scope) for c in failed] == [(f"GET {WHL}", "project:acme-release")]
    assert "not valid JSON" in failed[0].detail
    out = writer.commit("2026-11-01T00:00:00Z")
    assert not (out / "pypi" / (WHL.lstrip("/") + ".json")).exists()
    assert (out / "pypi" / (SDIST.lstrip("/") + ".json")).exists()


def test_a_failing_simple_index_is_its_gap_and_the_json_answer_stays(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/simple/acme-release/").respond_with_data("unavailable", status=503)
    serve_project(httpserver, "acme-release")
    writer = BundleWriter(tmp_path / "bundle")
    rc, simple = clients(httpserver, [])
    fetch_project(rc, simple, "project:acme-release", "acme-release", 1, writer)
    assert failed_calls(writer) == [("GET /simple/acme-release/", "project:acme-release")]
    out = writer.commit("2026-11-01T00:00:00Z")
    assert (out / "pypi/pypi/acme-release/json.json").exists()
    project = SPEC.load(BundleReader(out)).projects[0]
    assert project.simple is None
    assert project.simple_answered


def test_a_release_without_a_file_list_does_not_stop_the_project(httpserver: HTTPServer, tmp_path: Path) -> None:
    doc = fixture("pypi/acme-release/json.json")
    httpserver.expect_request("/pypi/acme-release/json").respond_with_json(
        {**doc, "releases": {**doc["releases"], "1.0": None, "0.9": [None, {"upload_time_iso_8601": 7}]}}
    )
    serve_project(httpserver, "acme-release")
    writer = BundleWriter(tmp_path / "bundle")
    rc, simple = clients(httpserver, [])
    fetch_project(rc, simple, "project:acme-release", "acme-release", 1, writer)
    assert failed_calls(writer) == []
    out = writer.commit("2026-11-01T00:00:00Z")
    assert (out / "pypi" / (WHL.lstrip("/") + ".json")).exists()
    assert (out / "pypi" / (SDIST.lstrip("/") + ".json")).exists()


def test_an_odd_provenance_url_is_that_files_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    index = fixture("simple/acme-release/index.json")
    odd = {**index["files"][2], "provenance": "https://pypi.org/integrity/acme-release/2.1.0/provenance"}
    httpserver.expect_request("/simple/acme-release/").respond_with_json({**index, "files": [odd, *index["files"]]})
    serve_project(httpserver, "acme-release")
    writer = BundleWriter(tmp_path / "bundle")
    rc, simple = clients(httpserver, [])
    fetch_project(rc, simple, "project:acme-release", "acme-release", 1, writer)
    failed = writer.manifest("").failed()
    assert [(c.call, c.scope) for c in failed] == [
        ("provenance of acme_release-2.1.0-py3-none-any.whl", "project:acme-release")
    ]
    assert "unexpected provenance URL" in failed[0].detail
    out = writer.commit("2026-11-01T00:00:00Z")
    assert (out / "pypi" / (WHL.lstrip("/") + ".json")).exists()
    assert (out / "pypi" / (SDIST.lstrip("/") + ".json")).exists()


def test_scopes() -> None:
    assert scopes(Settings(projects=["a", "B_c"])) == ["project:a", "project:B_c"]
