"""Faults at the wire for the REST connectors (npm, Docker Hub, JFrog, PyPI, GitHub) and AWS (botocore
answers injected before sending): 429/503 with Retry-After, connection resets, timeouts, a 200 with a
truncated body, a page that repeats, credentials that expire mid-scan. Retries are bounded and honour
Retry-After (waits are recorded, never slept); a scope that still fails is a coverage gap; ``regwarden
scan`` exits 3 and report.json/OSCAL list exactly what was not assessed, never as passed."""

from __future__ import annotations

import json
import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors._http import RestClient
from connectors.dockerhub import fetch as hub
from connectors.dockerhub.auth import HubJwtTransport
from connectors.jfrog import fetch as jfrog
from connectors.npm import fetch as npm
from connectors.pypi import fetch as pypi
from scanner.bundle import BundleWriter
from scanner.cli import main
from scanner.errors import ConnectorError
from tests.hardening import figures

TOKEN = "FAKE-TOKEN-FOR-TESTS"
MAX_RETRIES = 3


@dataclass(frozen=True)
class Target:
    """One connector: its first (scope-critical) call, a paged call, the minimal answers, and how to run a scope."""

    name: str
    first: str
    ok: Callable[[HTTPServer], None]
    run: Callable[[list[RestClient], BundleWriter], None]
    clients: Callable[[str], list[RestClient]]
    paged: str | None = None
    page_body: Callable[[str], Any] | None = None


def _npm_ok(s: HTTPServer) -> None:
    s.expect_request("/-/whoami").respond_with_json({"username": "alice"})
    s.expect_request("/-/npm/v1/tokens").respond_with_json({"objects": [], "total": 0, "urls": {}})
    s.expect_request("/-/user/alice/package").respond_with_json({})


def _hub_ok(s: HTTPServer) -> None:
    empty: dict[str, Any] = {"count": 0, "next": None, "previous": None, "results": []}
    s.expect_request("/v2/auth/token", method="POST").respond_with_json({"access_token": "FAKE.JWT.FAKE"})
    s.expect_request("/v2/access-tokens").respond_with_json(empty)
    s.expect_request("/v2/namespaces/alice/repositories").respond_with_json(empty)


def _jfrog_ok(s: HTTPServer) -> None:
    s.expect_request("/artifactory/api/repositories").respond_with_json([])
    s.expect_request("/access/api/v1/tokens").respond_with_json({"tokens": []})
    s.expect_request("/artifactory/api/v2/security/permissions").respond_with_json([])
    s.expect_request("/artifactory/api/security/groups").respond_with_json([])


PYPI_DOC = {"info": {"name": "demo", "version": "1.0"}, "releases": {}, "urls": []}


def _pypi_ok(s: HTTPServer) -> None:
    s.expect_request("/pypi/demo/json").respond_with_json(PYPI_DOC)
    s.expect_request("/simple/demo/").respond_with_json({"meta": {"api-version": "1.1"}, "name": "demo", "files": []})


def _rest(provider: str) -> Callable[[str], list[RestClient]]:
    def make(url: str) -> list[RestClient]:
        # Docker Hub's bearer is a JWT minted from the access token (connectors.dockerhub.auth).
        hub = provider == "dockerhub"
        return [
            RestClient(
                provider=provider,
                base_url=url,
                headers={} if hub else {"Authorization": f"Bearer {TOKEN}"},
                max_retries=MAX_RETRIES,
                max_wait=30,
                timeout=1.0,  # the whole call; loose enough for a loaded machine
                transport=HubJwtTransport(url, "alice", TOKEN) if hub else None,
            )
            for _ in range(2 if provider == "pypi" else 1)
        ]

    return make


TARGETS = [
    Target(
        "npm",
        "/-/whoami",
        _npm_ok,
        lambda rcs, w: npm.fetch_scope(rcs[0], "account", w),
        _rest("npm"),
        paged="/-/npm/v1/tokens",
        page_body=lambda url: {"objects": [], "total": 9, "urls": {"next": url}},
    ),
    Target(
        "dockerhub",
        "/v2/access-tokens",
        _hub_ok,
        lambda rcs, w: hub.fetch_scope(rcs[0], "account:alice", w),
        _rest("dockerhub"),
        paged="/v2/access-tokens",
        page_body=lambda url: {"count": 9, "next": url, "previous": None, "results": []},
    ),
    Target(
        "jfrog",
        "/artifactory/api/repositories",
        _jfrog_ok,
        lambda rcs, w: jfrog.fetch_scope(rcs[0], jfrog.Settings(url="http://unused"), w),
        _rest("jfrog"),
    ),
    Target(
        "pypi",
        "/pypi/demo/json",
        _pypi_ok,
        lambda rcs, w: pypi.fetch_project(rcs[0], rcs[1], "project:demo", "demo", 3, w),
        _rest("pypi"),
    ),
]


def _reset(request: Request) -> Response:
    """Close the connection with a TCP reset (SO_LINGER 0) instead of answering."""
    sock: socket.socket = request.environ["werkzeug.socket"]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    return Response("", status=500)


def _hang(_request: Request) -> Response:
    time.sleep(1.3)  # past the client's 1.0 s timeout; short, as the test server answers one request at a time
    return Response("{}", content_type="application/json")


#: fault -> (werkzeug handler, transient?, expected outcome, expected recorded waits)
FAULTS: dict[str, tuple[Callable[[Request], Response], str, list[float] | None]] = {
    "429 Retry-After 2 (once)": (
        lambda r: Response("slow down", status=429, headers={"Retry-After": "2"}),
        "recovered",
        [2.0],
    ),
    "503 Retry-After 1 (once)": (
        lambda r: Response("busy", status=503, headers={"Retry-After": "1"}),
        "recovered",
        [1.0],
    ),
    "429 Retry-After 1 (always)": (
        lambda r: Response("slow down", status=429, headers={"Retry-After": "1"}),
        "gap",
        [1.0] * MAX_RETRIES,
    ),
    "429 Retry-After 3600": (lambda r: Response("", status=429, headers={"Retry-After": "3600"}), "gap", []),
    "connection reset (once)": (_reset, "recovered", [1.0]),
    "connection reset (always)": (_reset, "gap", [1.0, 2.0, 4.0]),
    "timeout (once)": (_hang, "recovered", [1.0]),
    "200 truncated body": (lambda r: Response('{"username": "al', content_type="application/json"), "gap", []),
    "401 credentials expired": (lambda r: Response('{"message": "expired"}', status=401), "gap", []),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _serve_fault(server: HTTPServer, path: str, handler: Callable[[Request], Response], once: bool) -> None:
    if once:
        server.expect_oneshot_request(path).respond_with_handler(handler)
    else:
        server.expect_request(path).respond_with_handler(handler)


def _attempt(target: Target, server: HTTPServer, tmp: Path) -> tuple[str, list[float], list[str]]:
    rcs = target.clients(server.url_for("/").rstrip("/"))
    waits: list[float] = []
    for rc in rcs:
        rc.sleep = waits.append
    writer = BundleWriter(tmp / "bundle")
    try:
        target.run(rcs, writer)
    except ConnectorError as e:
        outcome, failed = "gap", [str(e)]
    else:
        failed = [f"{c.call}: {c.detail}" for c in writer.manifest("").failed()]
        outcome = "gap" if failed else "recovered"
    finally:
        writer.abort()
        for rc in rcs:
            rc.close()
    for line in failed:
        assert TOKEN not in line
        assert "\n" not in line
    return outcome, waits, failed


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_on_the_scope_call(target: Target, fault: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    handler, expected, waits_expected = FAULTS[fault]
    if "expired" in fault:  # the first call works, then the token is rejected for the rest of the scan
        httpserver.expect_oneshot_request(target.first).respond_with_handler(lambda r: _ok_first(target, r))
        httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    else:
        _serve_fault(httpserver, target.first, handler, "(once)" in fault)
        target.ok(httpserver)
    httpserver.expect_request(re.compile(".*")).respond_with_json({"message": "Not Found"}, status=404)
    outcome, waits, _ = _attempt(target, httpserver, tmp_path)
    assert outcome == expected, (fault, waits)
    if waits_expected is not None:
        assert waits == waits_expected, fault
    figures.record(f"faults-{target.name}--{_slug(fault)}", {f"{fault}: {outcome}": 1})


def _ok_first(target: Target, request: Request) -> Response:
    body = {
        "npm": {"username": "alice"},
        "dockerhub": {"count": 0, "next": None, "previous": None, "results": []},
        "jfrog": [],
        "pypi": PYPI_DOC,
    }[target.name]
    return Response(json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("target", [t for t in TARGETS if t.paged], ids=lambda t: t.name)
def test_a_page_that_repeats_is_a_gap_not_a_loop(target: Target, httpserver: HTTPServer, tmp_path: Path) -> None:
    assert target.paged is not None
    assert target.page_body is not None
    page = httpserver.url_for(target.paged) + "?page=2"
    body = target.page_body(page)
    httpserver.expect_request(target.paged).respond_with_json(body)
    target.ok(httpserver)
    outcome, _, failed = _attempt(target, httpserver, tmp_path)
    assert outcome == "gap"
    assert any("pagination loop" in f for f in failed), failed
    assert len(httpserver.log) < 20
    figures.record(f"faults-{target.name}--pagination-loop", {f"pagination loop: {outcome}": 1})


# --- end to end: regwarden scan ------------------------------------------------------------------


def test_scan_with_failing_scopes_exits_3_and_lists_exactly_what_was_not_assessed(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARDEN_NPM", TOKEN)
    monkeypatch.setenv("HARDEN_HUB", TOKEN)
    monkeypatch.setenv("HARDEN_JFROG", TOKEN)
    url = httpserver.url_for("/").rstrip("/")
    # npm works; Docker Hub's token is refused; JFrog answers a truncated body; PyPI throttles for an hour.
    _npm_ok(httpserver)
    httpserver.expect_request("/v2/auth/token", method="POST").respond_with_data(
        '{"detail": "Incorrect authentication credentials"}', status=401
    )
    httpserver.expect_request("/artifactory/api/repositories").respond_with_data('[{"key": "li', status=200)
    httpserver.expect_request("/pypi/demo/json").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    httpserver.expect_request(re.compile(".*")).respond_with_json({"message": "Not Found"}, status=404)
    toml = tmp_path / "regwarden.toml"
    toml.write_text(
        f"""
[sources.npm]
registry_url = "{url}"
token_env = "HARDEN_NPM"
max_retries = 0
[sources.dockerhub]
api_url = "{url}"
username = "alice"
token_env = "HARDEN_HUB"
max_retries = 0
[sources.jfrog]
url = "{url}"
token_env = "HARDEN_JFROG"
max_retries = 0
[sources.pypi]
index_url = "{url}"
projects = ["demo"]
max_retries = 0
max_wait = 5
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = main(
        ["scan", "--config", str(toml), "--bundle", str(tmp_path / "b"), "--out", str(out), "-f", "json,oscal,html"]
    )
    assert code == 3
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["partial"] is True
    gaps = {(g["provider"], g["scope"]) for g in report["coverage_gaps"]}
    assert gaps == {("dockerhub", "account:alice"), ("jfrog", "platform"), ("pypi", "project:demo")}
    text = json.dumps(report)
    assert TOKEN not in text
    # What was not assessed is never reported as passed: the OSCAL result says partial and names each gap,
    # and the HTML report opens with the PARTIAL SCAN banner listing them.
    result = json.loads((out / "report.oscal.json").read_text(encoding="utf-8"))["assessment-results"]["results"][0]
    assert {"name": "partial", "ns": "urn:regwarden:oscal", "value": "true"} in result["props"]
    for provider, scope in gaps:
        assert f"{provider} {scope}" in result["remarks"] or f"{provider}:{scope}" in result["remarks"], result[
            "remarks"
        ]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "PARTIAL SCAN" in html
    figures.record("faults-scan-end-to-end", {"scopes": 4, "gaps": len(gaps), "exit": code})
