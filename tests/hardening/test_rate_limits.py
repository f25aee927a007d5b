"""One rate-limit policy for every REST connector (``connectors._http.WAIT_HEADERS``), at the wire per
provider, with an injected clock and sleep (waits are recorded, never slept):

* GitHub: a secondary rate limit without ``retry-after`` waits at least a minute, then doubles
  (GitHub: "wait for at least one minute before retrying … wait for an exponentially increasing
  amount of time between retries"); the primary limit waits until ``x-ratelimit-reset``.
* GitLab: ``Retry-After``, else ``RateLimit-Reset`` (Unix time) / ``RateLimit-ResetTime`` (HTTP date).
* Docker Hub: ``X-Retry-After`` as a Unix time on 429 (and ``Retry-After`` seconds since June 2025).
* npm: a bare 429 is waited out like any throttle with no hint.
"""

from __future__ import annotations

import email.utils
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import MIN_THROTTLE_WAIT, bearer_client
from connectors.github.fetch import Settings as GitHubSettings
from connectors.github.fetch import client as github_client
from connectors.github.fetch import fetch_org
from connectors.gitlab.fetch import Settings as GitLabSettings
from connectors.gitlab.fetch import client as gitlab_client
from connectors.gitlab.fetch import fetch_group
from scanner.bundle import BundleWriter
from scanner.errors import ThrottledError
from tests.hardening import figures

NOW = 1_800_000_000.0  # the injected clock (Unix time)
SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}


@pytest.fixture(autouse=True)
def _tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("RL_GH", "RL_GL", "RL_HUB", "RL_NPM"):
        monkeypatch.setenv(var, "FAKE-TOKEN-FOR-TESTS")


def _throttle_then_ok(
    server: HTTPServer, path: str, times: int, status: int, body: Any, headers: dict[str, str]
) -> None:
    for _ in range(times):
        server.expect_ordered_request(path).respond_with_json(body, status=status, headers=headers)


def _github(server: HTTPServer, tmp: Path, **kw: Any) -> tuple[list[float], list[str]]:
    waits: list[float] = []
    settings = GitHubSettings(orgs=["acme"], base_url=server.url_for("/"), token_env="RL_GH", **kw)
    writer = BundleWriter(tmp / "b")
    server.no_handler_status_code = 404
    try:
        rc = github_client(settings, sleep=waits.append, clock=lambda: NOW)
        fetch_org(rc, github_client(settings, sleep=waits.append, clock=lambda: NOW), settings, "acme", writer)
        return waits, [c.call for c in writer.manifest("").calls if c.status == "ok"]
    finally:
        writer.abort()


@pytest.mark.parametrize("status", [403, 429])
def test_github_secondary_limit_without_retry_after_waits_a_minute_then_doubles(
    status: int, httpserver: HTTPServer, tmp_path: Path
) -> None:
    _throttle_then_ok(httpserver, "/orgs/acme", 3, status, SECONDARY, {"x-ratelimit-remaining": "4000"})
    httpserver.expect_ordered_request("/orgs/acme").respond_with_json({"login": "acme", "id": 1})
    waits, ok = _github(httpserver, tmp_path)
    assert waits == [MIN_THROTTLE_WAIT, 2 * MIN_THROTTLE_WAIT, 4 * MIN_THROTTLE_WAIT]
    assert "GET /orgs/acme" in ok
    figures.record(f"rate-limits--github-secondary-{status}", {f"github secondary {status}: waits 60/120/240": 1})


def test_github_secondary_limit_gives_up_rather_than_wait_past_max_wait(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/orgs/acme").respond_with_json(SECONDARY, status=403)
    with pytest.raises(ThrottledError, match="asked to wait 120s, more than the 100s allowed"):
        _github(httpserver, tmp_path, max_wait=100)


def test_github_primary_limit_waits_until_the_reset(httpserver: HTTPServer, tmp_path: Path) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)}
    body = {"message": "API rate limit exceeded for installation ID 1."}
    _throttle_then_ok(httpserver, "/orgs/acme", 1, 403, body, headers)
    httpserver.expect_ordered_request("/orgs/acme").respond_with_json({"login": "acme", "id": 1})
    waits, _ = _github(httpserver, tmp_path)
    assert waits == [30.0]


def test_github_retry_after_wins(httpserver: HTTPServer, tmp_path: Path) -> None:
    _throttle_then_ok(httpserver, "/orgs/acme", 1, 403, SECONDARY, {"retry-after": "90"})
    httpserver.expect_ordered_request("/orgs/acme").respond_with_json({"login": "acme", "id": 1})
    assert _github(httpserver, tmp_path)[0] == [90.0]


def test_a_200_with_no_calls_left_is_still_an_answer(httpserver: HTTPServer, tmp_path: Path) -> None:
    """The answer counts; the next call pauses until the reset instead of being refused (pacing)."""
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3000)}
    httpserver.expect_request("/orgs/acme").respond_with_json({"login": "acme", "id": 1}, headers=headers)
    waits, ok = _github(httpserver, tmp_path)
    assert waits == [3000.0]
    assert "GET /orgs/acme" in ok


def _gitlab(server: HTTPServer, tmp: Path) -> list[float]:
    waits: list[float] = []
    settings = GitLabSettings(groups=["acme"], base_url=server.url_for("/"), token_env="RL_GL")
    writer = BundleWriter(tmp / "b")
    server.no_handler_status_code = 404
    try:
        fetch_group(gitlab_client(settings, sleep=waits.append, clock=lambda: NOW), settings, "acme", writer)
    finally:
        writer.abort()
    return waits


GITLAB_429 = {"message": "Retry later"}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(NOW) + 20)}, 20.0),
        (
            {"RateLimit-Remaining": "0", "RateLimit-ResetTime": email.utils.formatdate(NOW + 45, usegmt=True)},
            45.0,
        ),
        ({"Retry-After": "7", "RateLimit-Remaining": "0", "RateLimit-Reset": str(int(NOW) + 20)}, 7.0),
        ({}, MIN_THROTTLE_WAIT),
    ],
    ids=["RateLimit-Reset", "RateLimit-ResetTime", "Retry-After first", "no hint"],
)
def test_gitlab_rate_limit_headers(
    headers: dict[str, str], expected: float, httpserver: HTTPServer, tmp_path: Path
) -> None:
    _throttle_then_ok(httpserver, "/api/v4/groups/acme", 1, 429, GITLAB_429, headers)
    httpserver.expect_ordered_request("/api/v4/groups/acme").respond_with_json({"id": 1, "full_path": "acme"})
    assert _gitlab(httpserver, tmp_path) == [expected]
    figures.record(f"rate-limits--gitlab-{len(headers)}", {"gitlab header honoured": 1})


def _rest(provider: str, server: HTTPServer, env: str) -> tuple[Any, list[float]]:
    waits: list[float] = []
    rc = bearer_client(
        provider, server.url_for("/"), env, max_retries=4, max_wait=600, sleep=waits.append, clock=lambda: NOW
    )
    return rc, waits


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Retry-After": str(int(NOW) + 45)}, 45.0),
        ({"Retry-After": "12", "X-Retry-After": str(int(NOW) + 45)}, 12.0),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 33)}, 33.0),
        ({"X-Retry-After": str(int(NOW) - 5)}, 0.0),
    ],
    ids=["X-Retry-After (Unix time)", "Retry-After seconds first", "X-RateLimit-Reset", "a time already past"],
)
def test_docker_hub_rate_limit_headers(headers: dict[str, str], expected: float, httpserver: HTTPServer) -> None:
    _throttle_then_ok(httpserver, "/v2/access-tokens", 1, 429, {"detail": "Too Many Requests"}, headers)
    httpserver.expect_ordered_request("/v2/access-tokens").respond_with_json({"count": 0, "results": []})
    rc, waits = _rest("dockerhub", httpserver, "RL_HUB")
    assert rc.get_json("/v2/access-tokens") == {"count": 0, "results": []}
    assert waits == [expected]
    figures.record("rate-limits--dockerhub", {"docker hub X-Retry-After honoured": 1})


def test_npm_bare_429_waits_a_minute(httpserver: HTTPServer) -> None:
    _throttle_then_ok(httpserver, "/-/whoami", 2, 429, {"error": "rate limited"}, {})
    httpserver.expect_ordered_request("/-/whoami").respond_with_json({"username": "alice"})
    rc, waits = _rest("npm", httpserver, "RL_NPM")
    assert rc.get_json("/-/whoami") == {"username": "alice"}
    assert waits == [MIN_THROTTLE_WAIT, 2 * MIN_THROTTLE_WAIT]


def test_unthrottled_failures_keep_the_short_backoff(httpserver: HTTPServer) -> None:
    _throttle_then_ok(httpserver, "/-/whoami", 2, 503, {"error": "busy"}, {})
    httpserver.expect_ordered_request("/-/whoami").respond_with_json({"username": "alice"})
    rc, waits = _rest("npm", httpserver, "RL_NPM")
    rc.get_json("/-/whoami")
    assert waits == [1.0, 2.0]
