"""Rate-limit budgets at the wire: the REST client reads GitHub's ``x-ratelimit-*`` and GitLab's
``RateLimit-*`` headers and paces itself, waiting for the reset instead of being refused — with an
injected clock and sleeper, so nothing really waits."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors._http import RestClient
from connectors._ratelimit import MAX_PACE_WAIT
from scanner.collect_session import CollectSession
from scanner.errors import ConnectorError
from tests.connectors.conditional import Conditional

T0 = 1_800_000_000.0
GITHUB = ("x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-limit")
GITLAB = ("RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Limit")


@dataclass
class Clock:
    """Virtual Unix time; sleeping advances it."""

    now: float = T0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Limited:
    """A server-side budget of ``limit`` calls a ``window``; a call past it is refused as GitHub does
    (403, ``x-ratelimit-remaining: 0``); a 304 is not counted."""

    clock: Clock
    limit: int
    window: float = 3600.0
    names: tuple[str, str, str] = GITHUB
    used: int = 0
    reset: float = 0.0
    refused: int = 0

    def headers(self) -> dict[str, str]:
        rem, reset, limit = self.names
        return {rem: str(self.limit - self.used), reset: str(int(self.reset)), limit: str(self.limit)}

    def handler(self, body: object) -> Callable[[Request], Response]:
        def answer(_req: Request) -> Response:
            if self.clock.now >= self.reset:
                self.used, self.reset = 0, self.clock.now + self.window
            if self.used >= self.limit:
                self.refused += 1
                msg = {"message": "API rate limit exceeded for installation ID 1."}
                return Response(json.dumps(msg), status=403, headers=self.headers(), content_type="application/json")
            self.used += 1
            return Response(json.dumps(body), status=200, headers=self.headers(), content_type="application/json")

        return answer


def _client(server: HTTPServer, clock: Clock, session: CollectSession | None = None, **kw: object) -> RestClient:
    return RestClient(
        provider="github",
        base_url=server.url_for("/"),
        headers={"Authorization": "Bearer FAKE-TOKEN"},
        sleep=clock.sleep,
        clock=clock,
        session=session,
        max_wait=5,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("names", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_calls_pause_until_the_reset_instead_of_being_refused(
    httpserver: HTTPServer, names: tuple[str, str, str]
) -> None:
    clock = Clock()
    server = Limited(clock, limit=3, names=names)
    httpserver.expect_request("/user").respond_with_handler(server.handler({"login": "bot"}))
    notices: list[str] = []
    session = CollectSession(on_event=notices.append)
    rc = _client(httpserver, clock, session)
    for _ in range(7):
        assert rc.get_json("/user") == {"login": "bot"}
    assert server.refused == 0
    assert clock.slept == [3600.0, 3600.0]  # twice to the reset
    assert session.counts()["github"].paced_seconds == 7200.0
    assert session.counts()["github"].fetched == 7
    assert len(notices) == 2
    assert "pausing 3600s until its reset" in notices[0]


def test_clients_of_one_run_share_the_budget(httpserver: HTTPServer) -> None:
    """The JSON and the raw-content clients of GitHub spend one token's budget."""
    clock = Clock()
    server = Limited(clock, limit=2)
    httpserver.expect_request("/user").respond_with_handler(server.handler({}))
    session = CollectSession()
    one, two = _client(httpserver, clock, session), _client(httpserver, clock, session)
    for rc in (one, two, one, two):
        rc.get("/user")
    assert server.refused == 0
    assert clock.slept == [3600.0]


def test_a_refusal_for_the_budget_is_waited_out_not_failed(httpserver: HTTPServer) -> None:
    """Another client of the token spent the budget: the refusal (403, remaining 0) is waited for until
    the reset, even past ``max_wait``, and is not a failed attempt."""
    clock = Clock()
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(T0 + 600)), "x-ratelimit-limit": "5000"}
    httpserver.expect_oneshot_request("/user").respond_with_json(
        {"message": "API rate limit exceeded"}, status=403, headers=headers
    )
    httpserver.expect_request("/user").respond_with_json({"login": "bot"})
    session = CollectSession()
    rc = _client(httpserver, clock, session, max_retries=0)
    assert rc.get_json("/user") == {"login": "bot"}
    assert clock.slept == [600.0]
    counts = session.counts()["github"]
    assert (counts.retried, counts.failed, counts.fetched) == (0, 0, 2)


def test_early_by_our_clock_is_waited_out_a_little_longer_each_time(httpserver: HTTPServer) -> None:
    """The provider still says 0 left although its reset has passed by our clock (clocks differ):
    wait a little and ask again, never failing the scan for being early."""
    clock = Clock()
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(T0 - 5))}
    for _ in range(2):
        httpserver.expect_oneshot_request("/user").respond_with_json(
            {"message": "API rate limit exceeded"}, status=403, headers=headers
        )
    httpserver.expect_request("/user").respond_with_json({"login": "bot"})
    rc = _client(httpserver, clock, CollectSession(), max_retries=0)
    assert rc.get_json("/user") == {"login": "bot"}
    assert clock.slept == [2.0, 4.0]


def test_a_reset_too_far_away_is_not_waited_for(httpserver: HTTPServer) -> None:
    clock = Clock()
    far = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(T0 + 10 * MAX_PACE_WAIT))}
    httpserver.expect_request("/user").respond_with_json(
        {"message": "API rate limit exceeded"}, status=403, headers=far
    )
    session = CollectSession()
    with pytest.raises(ConnectorError, match="HTTP 403"):
        _client(httpserver, clock, session, max_retries=0).get("/user")
    assert clock.slept == []
    assert len(httpserver.log) == 1
    assert session.counts()["github"].failed == 1


def test_unchanged_answers_cost_no_budget(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A 304 is not counted (GitHub): a re-scan from the cache does not pause."""
    clock = Clock()
    cond = Conditional()
    used = {"n": 0}
    inner = cond.handler({"login": "bot"})

    def answer(req: Request) -> Response:
        resp: Response = inner(req)
        if resp.status_code != 304:
            used["n"] += 1
        resp.headers.update({"x-ratelimit-remaining": str(2 - used["n"]), "x-ratelimit-reset": str(int(T0 + 60))})
        return resp

    httpserver.expect_request("/user").respond_with_handler(answer)
    session = CollectSession(cache_dir=tmp_path)
    rc = _client(httpserver, clock, session)
    for _ in range(5):
        rc.get_json("/user")
    assert clock.slept == []
    assert [s for _, s in cond.served] == [200, 304, 304, 304, 304]


def test_retries_are_bounded_and_counted(httpserver: HTTPServer) -> None:
    clock = Clock()
    httpserver.expect_request("/user").respond_with_data("busy", status=503)
    session = CollectSession()
    with pytest.raises(ConnectorError, match="HTTP 503 after 3 attempt"):
        _client(httpserver, clock, session, max_retries=2).get("/user")
    assert len(httpserver.log) == 3
    counts = session.counts()["github"]
    assert (counts.fetched, counts.retried, counts.failed) == (3, 2, 1)


@pytest.mark.parametrize("reset", ["nan", "inf", "-inf", "NaN"])
def test_a_reset_that_is_no_time_is_not_a_reading(httpserver: HTTPServer, reset: str) -> None:
    """``float()`` takes "nan" and "inf": such a reset once became the shared budget's, and the next
    call's pause notice raised ValueError (``time.gmtime(nan)``) for every later call to that API."""
    clock = Clock()
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset, "x-ratelimit-limit": "5000"}
    httpserver.expect_request("/user").respond_with_json({"login": "bot"}, headers=headers)
    session = CollectSession()
    rc = _client(httpserver, clock, session)
    for _ in range(3):
        assert rc.get_json("/user") == {"login": "bot"}
    assert clock.slept == []
    assert session.counts()["github"].fetched == 3
