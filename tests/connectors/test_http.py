"""The shared REST client at the wire: paging, Retry-After, errors that name the call, loops."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors._http import NotFoundError, RestClient, body_next, link_next
from scanner.collect_session import CollectSession
from scanner.errors import AuthError, ConnectorError, ThrottledError


def client(server: HTTPServer, waits: list[float], **kw: object) -> RestClient:
    return RestClient(provider="test", base_url=server.url_for("/"), sleep=waits.append, **kw)  # type: ignore[arg-type]


def test_link_paging_follows_next(httpserver: HTTPServer) -> None:
    nxt = httpserver.url_for("/items") + "?page=2"
    httpserver.expect_request("/items", query_string="per_page=2").respond_with_json(
        [1, 2], headers={"Link": f'<{nxt}>; rel="next", <{nxt}>; rel="last"'}
    )
    httpserver.expect_request("/items", query_string="page=2").respond_with_json([3])
    pages = list(client(httpserver, []).pages("/items", {"per_page": 2}, next_url=link_next))
    assert pages == [[1, 2], [3]]


def test_body_paging_and_loop_detection(httpserver: HTTPServer) -> None:
    loop = httpserver.url_for("/t")
    httpserver.expect_request("/t").respond_with_json({"results": [1], "next": loop})
    with pytest.raises(ConnectorError, match="pagination loop"):
        list(client(httpserver, []).pages("/t", next_url=body_next("next")))


def test_retry_after_is_honoured_then_succeeds(httpserver: HTTPServer) -> None:
    calls = {"n": 0}

    def handler(_req: Request) -> Response:
        calls["n"] += 1
        if calls["n"] < 3:
            return Response("slow down", status=429, headers={"Retry-After": "7"})
        return Response(json.dumps({"ok": True}), content_type="application/json")

    httpserver.expect_request("/x").respond_with_handler(handler)
    waits: list[float] = []
    assert client(httpserver, waits).get_json("/x") == {"ok": True}
    assert waits == [7.0, 7.0]


def test_retries_are_bounded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data("busy", status=503, headers={"Retry-After": "1"})
    waits: list[float] = []
    with pytest.raises(ConnectorError, match="HTTP 503 after 3 attempt"):
        client(httpserver, waits, max_retries=2).get("/x")
    assert waits == [1.0, 1.0]


def test_too_long_retry_after_gives_up(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(ThrottledError, match="asked to wait 3600s"):
        client(httpserver, []).get("/x")


def test_secondary_rate_limit_403_is_retried_but_plain_403_is_auth(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/rl").respond_with_json(
        {"message": "You have exceeded a secondary rate limit"}, status=403, headers={"retry-after": "2"}
    )
    httpserver.expect_oneshot_request("/rl").respond_with_json({"ok": 1})
    waits: list[float] = []
    assert client(httpserver, waits).get_json("/rl") == {"ok": 1}
    assert waits == [2.0]
    httpserver.expect_request("/no").respond_with_json(
        {"message": "Resource not accessible by integration"}, status=403
    )
    with pytest.raises(AuthError, match=r"GET http://.*/no: 403 forbidden \(Resource not accessible"):
        client(httpserver, []).get("/no")


def test_401_404_and_malformed_bodies(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/auth").respond_with_data("", status=401)
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    httpserver.expect_request("/bad").respond_with_data('{"truncated": [', content_type="application/json")
    c = client(httpserver, [])
    with pytest.raises(AuthError, match="401 unauthorized"):
        c.get("/auth")
    with pytest.raises(NotFoundError):
        c.get("/gone")
    with pytest.raises(ConnectorError, match="response is not valid JSON"):
        c.get_json("/bad")


def test_query_strings_are_not_echoed_in_errors(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/q").respond_with_data("", status=401)
    with pytest.raises(AuthError) as err:
        client(httpserver, []).get("/q?access_token=FAKE-do-not-echo")
    assert "FAKE-do-not-echo" not in str(err.value)


def test_post_json_sends_the_body_and_retries_like_get(httpserver: HTTPServer) -> None:
    bodies: list[object] = []

    def handler(req: Request) -> Response:
        bodies.append(json.loads(req.data))
        if len(bodies) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "4"})
        return Response(json.dumps({"data": [1]}), content_type="application/json")

    httpserver.expect_request("/q", method="POST", query_string="api-version=1").respond_with_handler(handler)
    waits: list[float] = []
    c = client(httpserver, waits)
    assert c.post_json("/q", {"query": "x", "n": 2}, {"api-version": "1"}) == {"data": [1]}
    assert bodies == [{"query": "x", "n": 2}, {"query": "x", "n": 2}]
    assert waits == [4.0]
    assert c.calls == 2


def test_post_errors_name_the_method(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/no", method="POST").respond_with_json({"message": "nope"}, status=403)
    httpserver.expect_request("/bad", method="POST").respond_with_data("{", content_type="application/json")
    c = client(httpserver, [])
    with pytest.raises(AuthError, match=r"test POST http://.*/no: 403 forbidden \(nope\)"):
        c.post("/no", {})
    with pytest.raises(ConnectorError, match=r"test POST http://.*/bad: response is not valid JSON"):
        c.post_json("/bad", {})


def _counted(server: HTTPServer) -> tuple[RestClient, CollectSession]:
    waits: list[float] = []
    session = CollectSession()
    rc = RestClient(provider="test", base_url=server.url_for("/"), sleep=waits.append, session=session)
    return rc, session


@pytest.mark.parametrize(
    "serve",
    [
        pytest.param(
            lambda s: s.expect_request("/t").respond_with_data("<html>", content_type="text/html"), id="not-json"
        ),
        pytest.param(
            lambda s: s.expect_request("/t").respond_with_json({"next": s.url_for("/t")}), id="pagination-loop"
        ),
        pytest.param(
            lambda s: s.expect_request("/t").respond_with_json({"next": "https://elsewhere.example/t?page=2"}),
            id="off-origin-next",
        ),
    ],
)
def test_a_call_given_up_after_its_answer_is_counted_failed(httpserver: HTTPServer, serve: Any) -> None:
    """docs/collection.md: each failed call is counted ``failed``; these fail after the answer came
    (fetched), outside the retry loop that counts the others."""
    serve(httpserver)
    rc, session = _counted(httpserver)
    with pytest.raises(ConnectorError):
        list(rc.pages("/t", next_url=body_next("next")))
    counts = session.counts()["test"]
    assert counts.failed == 1
    assert counts.fetched == len(httpserver.log)


def test_post_json_not_json_is_counted_failed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/q", method="POST").respond_with_data("{truncated", content_type="application/json")
    rc, session = _counted(httpserver)
    with pytest.raises(ConnectorError, match="not valid JSON"):
        rc.post_json("/q", {"query": "x"})
    assert (session.counts()["test"].fetched, session.counts()["test"].failed) == (1, 1)
