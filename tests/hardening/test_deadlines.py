"""Every call ends: a timeout bounds the whole call (not each read) against a server that trickles its
headers or its body a byte at a time, for the REST client and the webhook; paging stops at its bound
with a gap. Outcomes are asserted, never durations."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import RestClient, link_next
from scanner.analyse import analyse, load_bundle
from scanner.demo_estate import BUNDLE
from scanner.drift.notify import notify
from scanner.drift.settings import NotifySettings
from scanner.errors import ConnectorError
from scanner.plugins import connectors
from tests.hardening import figures

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 23\r\n\r\n"
BODY = b'{"username": "trickle"}'


@contextmanager
def trickler(payload: bytes, every: float = 0.1) -> Iterator[str]:
    """A server that sends ``payload`` one byte every ``every`` seconds to whoever connects."""
    stop = threading.Event()
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    conn.recv(65536)
                    for b in payload:
                        if stop.is_set():
                            break
                        conn.sendall(bytes([b]))
                        time.sleep(every)
                except OSError:
                    pass  # the client gave up and closed: what the test wants

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        t.join(timeout=5)
        srv.close()


@pytest.mark.parametrize(
    ("name", "payload"),
    [("headers trickled", HEADERS + BODY), ("body trickled", HEADERS[:-1] + b"\n" + BODY)],
)
def test_a_trickled_answer_is_cut_at_the_call_deadline(name: str, payload: bytes) -> None:
    # Each byte arrives well within the per-read timeout; the whole answer takes ~10x the call's bound.
    with trickler(payload if name == "headers trickled" else HEADERS + BODY, every=0.05) as url:
        rc = RestClient(
            provider="test", base_url=url, headers={"Authorization": "Bearer x"}, timeout=0.4, max_retries=0
        )
        if name == "body trickled":
            rc = RestClient(provider="test", base_url=url, timeout=0.4, max_retries=0)
        with pytest.raises(ConnectorError, match="timed out"):
            rc.get_json("/-/whoami")
        rc.close()
    figures.record(f"deadlines--{name.replace(' ', '-')}", {f"{name}: cut": 1})


def test_a_prompt_answer_within_the_deadline_is_read() -> None:
    with trickler(HEADERS + BODY, every=0.0) as url:
        rc = RestClient(provider="test", base_url=url, timeout=5, max_retries=0)
        assert rc.get_json("/-/whoami") == {"username": "trickle"}
        rc.close()


def test_the_webhook_timeout_bounds_the_whole_post(caplog: pytest.LogCaptureFixture) -> None:
    loaded = load_bundle(BUNDLE, connectors())
    result = analyse(loaded.inventory, source="demo", as_of=loaded.collected_at)
    with trickler(HEADERS + BODY, every=0.05) as url:
        settings = NotifySettings(webhook_url=url + "/hook", timeout_seconds=0.4, min_severity="high")
        assert notify(result, settings) is False
    assert "webhook POST failed (ReadTimeout)" in caplog.text


def test_paging_stops_at_its_bound_with_a_gap(httpserver: HTTPServer) -> None:
    def page(n: int) -> None:
        nxt = httpserver.url_for("/list") + f"?page={n + 1}"
        httpserver.expect_request("/list", query_string=f"page={n}").respond_with_json(
            [n], headers={"Link": f'<{nxt}>; rel="next"'}
        )

    for n in range(1, 12):
        page(n)
    rc = RestClient(provider="test", base_url=httpserver.url_for("/"), max_pages=5)
    got: list[list[int]] = []
    with pytest.raises(ConnectorError, match="more than 5 pages; stopped"):
        got.extend(rc.pages("/list?page=1", next_url=link_next))
    assert len(got) == 5
    assert len(httpserver.log) == 5
