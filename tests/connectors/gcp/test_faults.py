"""GCP collection under faults at the wire: every request counted in the run's tally, waits through
the run's sleeper, and a body cut short or a connection dropped before any answer is that call's gap
(retried by the one policy, not again by httplib2 underneath it)."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from connectors.gcp import fetch
from connectors.gcp.settings import Settings
from scanner.bundle import BundleWriter
from scanner.collect_session import CollectSession
from tests.connectors.gcp.fake import FakeGcp

PROJECT = "projects/acme-prod"
SAS = "/v1/projects/acme-prod/serviceAccounts"
REPOS = "/v1/projects/acme-prod/locations/us-central1/repositories"


def test_every_request_is_counted_and_waits_go_through_the_runs_sleeper(
    settings: Settings, fake: FakeGcp, tmp_path: Path
) -> None:
    fake.fail(SAS, 429, times=2, headers={"Retry-After": "1"})  # the discovery client (IAM)
    fake.fail(REPOS, 503, times=1)  # a GAPIC client (Artifact Registry)
    fake.forbidden.add("/v1/projects/acme-prod/triggers")  # given up: a failed call
    slept: list[float] = []
    writer = BundleWriter(tmp_path / "bundle", CollectSession(sleep=slept.append))
    fetch.collect(settings, PROJECT, writer)  # no sleep given: the live collector's way
    assert slept == [1.0, 1.0, 0.0]
    counts = writer.session.counts()["gcp"]
    assert counts.fetched == len(fake.requests)  # every request was answered, error answers too
    assert (counts.retried, counts.failed) == (3, 1)
    assert [c.call for c in writer.manifest("").calls if c.status == "failed"] == ["triggers.list"]
    writer.abort()


class _Raw:
    """A bare HTTP/1.1 server: ``answer(path)`` gives the bytes to send, or None to close the
    connection without answering."""

    def __init__(self, answer: Callable[[str], bytes | None]) -> None:
        self.answer, self.paths = answer, Counter[str]()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as f:
            while line := f.readline():
                length = 0
                while (h := f.readline()) not in (b"\r\n", b"\n", b""):
                    if h.lower().startswith(b"content-length:"):
                        length = int(h.split(b":")[1])
                f.read(length)
                path = line.split()[1].decode().split("?", 1)[0]
                self.paths[path] += 1
                out = self.answer(path)
                if out is None:
                    return
                conn.sendall(out)
                if b"Connection: close" in out:
                    return


def _ok(body: object) -> bytes:
    data = json.dumps(body).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(data) + data


CUT_SHORT = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{"accounts": ['


def _settings(url: str) -> Settings:
    return Settings(
        projects=["acme-prod"],
        credentials="anonymous",
        endpoint=url,
        backoff=0,
        max_wait=5,
        max_retries=2,
        timeout=5,
        ancestors=False,
        iam_source="get-iam-policy",
    )


def _project(path: str) -> bytes | None:
    if path == "/v3/projects/acme-prod":
        return _ok({"name": "projects/1", "projectId": "acme-prod", "state": "ACTIVE"})
    return None


def test_a_body_cut_short_is_the_calls_gap_not_the_projects(tmp_path: Path) -> None:
    server = _Raw(lambda path: _project(path) or (CUT_SHORT if path == SAS else _ok({})))
    writer = BundleWriter(tmp_path / "bundle", CollectSession(sleep=lambda _s: None))
    fetch.collect(_settings(server.url), PROJECT, writer)  # raised IncompleteRead before: the project lost
    failed = {c.call: c.detail for c in writer.manifest("").calls if c.status == "failed"}
    assert "connection failed (IncompleteRead)" in failed["serviceAccounts.list"]
    assert server.paths[SAS] == 3  # the policy's three attempts
    assert server.paths["/v1/projects/acme-prod/locations/global/workloadIdentityPools"] == 1  # the rest asked
    writer.abort()


def test_a_connection_dropped_before_any_answer_is_the_calls_gap(tmp_path: Path) -> None:
    server = _Raw(lambda path: _project(path) or (None if path == SAS else _ok({})))
    writer = BundleWriter(tmp_path / "bundle", CollectSession(sleep=lambda _s: None))
    fetch.collect(_settings(server.url), PROJECT, writer)
    failed = {c.call: c.detail for c in writer.manifest("").calls if c.status == "failed"}
    assert "connection failed" in failed["serviceAccounts.list"]
    # The policy's three attempts; httplib2 sends each once more on a connection that closed
    # unanswered (it takes it for a stale kept-alive one, whatever its RETRIES says): six requests.
    assert server.paths[SAS] == 6
    counts = writer.session.counts()["gcp"]
    assert (counts.retried, counts.failed) == (2, 1)
    assert server.paths["/v1/projects/acme-prod/locations/global/workloadIdentityPools"] == 1  # the rest asked
    writer.abort()
