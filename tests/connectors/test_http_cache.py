"""The REST connectors' HTTP cache at the wire: conditional requests, ``304`` reuse, what is never
kept, and a broken cache that never fails a scan."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import RestClient, link_next
from connectors._http_cache import NEVER_CACHED, cache_key, never_cached
from scanner.collect_session import CollectSession, default_cache_dir
from tests.connectors.conditional import Conditional

TOKEN = "FAKE-TOKEN-FOR-CACHE-TESTS"
REPOS = [{"id": 1, "name": "app"}, {"id": 2, "name": "lib"}]


def _client(server: HTTPServer, cache: Path, provider: str = "github", token: str = TOKEN) -> RestClient:
    session = CollectSession(cache_dir=cache)
    return RestClient(
        provider=provider,
        base_url=server.url_for("/"),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        session=session,
        sleep=lambda _s: None,
    )


def _counts(rc: RestClient) -> tuple[int, int]:
    assert rc.session is not None
    c = rc.session.counts()[rc.provider]
    return c.fetched, c.cached


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*.json"))


def test_etag_answer_is_reused_after_304(httpserver: HTTPServer, tmp_path: Path) -> None:
    cond = Conditional()
    cond.serve(httpserver, "/orgs/acme/repos", REPOS)
    first = _client(httpserver, tmp_path / "cache")
    assert first.get_json("/orgs/acme/repos") == REPOS
    again = _client(httpserver, tmp_path / "cache")
    assert again.get_json("/orgs/acme/repos") == REPOS
    assert [s for _, s in cond.served] == [200, 304]
    assert "If-None-Match" not in httpserver.log[0][0].headers
    assert httpserver.log[1][0].headers["If-None-Match"] == httpserver.log[0][1].headers["ETag"]
    assert (_counts(first), _counts(again)) == ((1, 0), (0, 1))
    # The entry is named by a hash and holds neither the token nor the Authorization header.
    (entry,) = _entries(tmp_path / "cache")
    assert entry.parent.parent.name == "github"
    assert len(entry.stem) == 64
    assert TOKEN.encode() not in entry.read_bytes()
    assert b"uthorization" not in entry.read_bytes()


def test_last_modified_answer_is_asked_if_modified_since(httpserver: HTTPServer, tmp_path: Path) -> None:
    cond = Conditional()
    cond.serve(httpserver, "/pypi/requests/json", {"info": {"name": "requests"}}, etag=False, last_modified=True)
    _client(httpserver, tmp_path, "pypi").get_json("/pypi/requests/json")
    assert _client(httpserver, tmp_path, "pypi").get_json("/pypi/requests/json") == {"info": {"name": "requests"}}
    assert [s for _, s in cond.served] == [200, 304]
    assert httpserver.log[1][0].headers["If-Modified-Since"] == "Mon, 05 Jan 2026 10:00:00 GMT"


def test_pages_reused_after_304_keep_their_paging_links(httpserver: HTTPServer, tmp_path: Path) -> None:
    """GitHub's 304 carries no ``Link``: the kept one says where the next page is."""
    cond = Conditional()
    nxt = httpserver.url_for("/orgs/acme/repos") + "?per_page=1&page=2"
    link = {"Link": f'<{nxt}>; rel="next"'}
    httpserver.expect_request("/orgs/acme/repos", query_string={"per_page": "1", "page": "2"}).respond_with_handler(
        cond.handler(REPOS[1:])
    )
    httpserver.expect_request("/orgs/acme/repos", query_string={"per_page": "1"}).respond_with_handler(
        cond.handler(REPOS[:1], headers=link)
    )

    def pages(rc: RestClient) -> list[Any]:
        return [i for p in rc.pages("/orgs/acme/repos", {"per_page": 1}, next_url=link_next) for i in p]

    assert pages(_client(httpserver, tmp_path)) == REPOS
    assert pages(_client(httpserver, tmp_path)) == REPOS
    assert [s for _, s in cond.served] == [200, 200, 304, 304]


def test_a_changed_answer_is_fetched_and_kept_instead(httpserver: HTTPServer, tmp_path: Path) -> None:
    old, new = Conditional(), Conditional()
    httpserver.expect_oneshot_request("/orgs/acme/repos").respond_with_handler(old.handler(REPOS[:1]))
    httpserver.expect_oneshot_request("/orgs/acme/repos").respond_with_handler(new.handler(REPOS))
    httpserver.expect_request("/orgs/acme/repos").respond_with_handler(new.handler(REPOS))
    assert _client(httpserver, tmp_path).get_json("/orgs/acme/repos") == REPOS[:1]
    assert _client(httpserver, tmp_path).get_json("/orgs/acme/repos") == REPOS  # old ETag: 200
    assert _client(httpserver, tmp_path).get_json("/orgs/acme/repos") == REPOS
    assert [s for _, s in new.served] == [200, 304]


def test_the_key_holds_no_credential_and_a_new_token_revalidates(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A rotated token (a GitHub App's lasts an hour) keeps the cache; the provider judges the
    conditional request under the new token."""
    url = "https://api.github.com/orgs/acme/repos"
    plain = {"Accept": "application/json"}
    assert cache_key("GET", url, {**plain, "Authorization": f"Bearer {TOKEN}"}) == cache_key("GET", url, plain)
    assert cache_key("GET", url, plain) != cache_key("GET", url, {"Accept": "application/vnd.github.raw"})
    cond = Conditional()
    cond.serve(httpserver, "/orgs/acme/repos", REPOS)
    _client(httpserver, tmp_path, token="FAKE-TOKEN-ONE").get_json("/orgs/acme/repos")
    _client(httpserver, tmp_path, token="FAKE-TOKEN-TWO").get_json("/orgs/acme/repos")
    assert [s for _, s in cond.served] == [200, 304]
    assert httpserver.log[1][0].headers["Authorization"] == "Bearer FAKE-TOKEN-TWO"


@pytest.mark.parametrize(
    ("provider", "path", "body", "extra"),
    [
        # regwarden's redaction finds a credential in the body (a token committed in a workflow)
        ("github", "/repos/acme/app/contents/ci.yml", "token: ghp_" + "FAKE" * 9, {}),
        ("github", "/orgs/acme/repos", REPOS, {"Cache-Control": "private, no-store"}),
        ("gitlab", "/api/v4/projects/1/variables", [{"key": "DEPLOY", "value": "FAKEVALUE"}], {}),
        ("npm", "/-/npm/v1/tokens", {"objects": []}, {}),
    ],
    ids=["credential-in-body", "no-store", "gitlab-variables", "npm-tokens"],
)
def test_answers_that_may_carry_secrets_are_never_kept(
    httpserver: HTTPServer, tmp_path: Path, provider: str, path: str, body: Any, extra: dict[str, str]
) -> None:
    cond = Conditional()
    cond.serve(httpserver, path, body, raw=isinstance(body, str), extra=extra)
    for _ in range(2):
        rc = _client(httpserver, tmp_path / "cache", provider)
        rc.get(path)
    assert [s for _, s in cond.served] == [200, 200]
    assert "If-None-Match" not in httpserver.log[1][0].headers
    assert _entries(tmp_path / "cache") == []


def test_posts_are_never_kept(httpserver: HTTPServer, tmp_path: Path) -> None:
    cond = Conditional()
    httpserver.expect_request("/graphql", method="POST").respond_with_handler(cond.handler({"data": {}}))
    for _ in range(2):
        _client(httpserver, tmp_path).post_json("/graphql", {"query": "{ viewer { login } }"})
    assert [s for _, s in cond.served] == [200, 200]
    assert _entries(tmp_path) == []


@pytest.mark.parametrize("row", NEVER_CACHED, ids=lambda r: f"{r.provider}:{r.path}")
def test_each_never_cached_row_matches_its_endpoint(row: Any) -> None:
    example = row.path.replace("*", "/projects/1") if row.path.startswith("*") else row.path.replace("*", "")
    assert never_cached(row.provider, example) == row
    assert never_cached("pypi", example) is None or row.provider == "pypi"


@pytest.mark.parametrize("path", ["/v2/orgs/acme/access-tokens", "/v2/orgs/acme/access-tokens/a1b2c3?page=2"])
def test_docker_hubs_organization_access_tokens_are_never_kept(path: str) -> None:
    """Their answers are stored in the bundle without the ``token`` field, but the cache keeps bodies as
    they came; the personal-token row's pattern does not reach the organization's endpoints."""
    row = never_cached("dockerhub", path.split("?", 1)[0])
    assert row is not None
    assert "organization access tokens" in row.why


def test_a_corrupt_entry_is_warned_about_and_fetched_again(
    httpserver: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cond = Conditional()
    cond.serve(httpserver, "/orgs/acme/repos", REPOS)
    _client(httpserver, tmp_path).get_json("/orgs/acme/repos")
    (entry,) = _entries(tmp_path)
    entry.write_bytes(b'{"v": 1, "headers": {"etag": "\\"x\\""}, "body": "not base64!"}')
    with caplog.at_level(logging.WARNING, logger="regwarden.http"):
        assert _client(httpserver, tmp_path).get_json("/orgs/acme/repos") == REPOS
    assert "HTTP cache entry" in caplog.text
    assert "corrupt" in caplog.text
    assert "If-None-Match" not in httpserver.log[1][0].headers  # fetched again, not revalidated
    assert _client(httpserver, tmp_path).get_json("/orgs/acme/repos") == REPOS  # the entry was rewritten
    assert [s for _, s in cond.served] == [200, 200, 304]


@pytest.mark.parametrize("garbage", [b"", b"\xff\xfe", b"[]", b'{"v": 2}', b"{" * 100_000])
def test_any_unreadable_entry_is_a_miss(httpserver: HTTPServer, tmp_path: Path, garbage: bytes) -> None:
    cond = Conditional()
    cond.serve(httpserver, "/orgs/acme/repos", REPOS)
    _client(httpserver, tmp_path).get_json("/orgs/acme/repos")
    (entry,) = _entries(tmp_path)
    entry.write_bytes(garbage)
    assert _client(httpserver, tmp_path).get_json("/orgs/acme/repos") == REPOS


def test_a_cache_folder_that_cannot_be_used_never_fails_the_call(
    httpserver: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    cond = Conditional()
    cond.serve(httpserver, "/orgs/acme/repos", REPOS)
    with caplog.at_level(logging.WARNING, logger="regwarden.http"):
        for _ in range(2):
            assert _client(httpserver, blocked).get_json("/orgs/acme/repos") == REPOS
    assert "cannot be read" in caplog.text
    assert caplog.text.count("WARNING") == 2
    assert [s for _, s in cond.served] == [200, 200]


def test_the_default_cache_folder_is_beside_the_bundle_not_in_it(tmp_path: Path) -> None:
    assert default_cache_dir(tmp_path / "regwarden-bundle") == tmp_path / ".regwarden-bundle.cache"


@pytest.mark.parametrize("garbage", [b"", b"[]", b'{"v": 1, "absent": false}', b'{"v": 2, "absent": true}'])
def test_an_absence_marker_holds_for_its_version_only(
    httpserver: HTTPServer, tmp_path: Path, garbage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """A 404 kept for one version of what holds it (a repository's last push) is known for that version,
    never for another, never without one, and never from an unreadable marker (removed, asked again)."""
    path = "/repos/acme/lib/contents/CODEOWNERS"
    rc = _client(httpserver, tmp_path / "cache")
    assert not rc.known_absent(path, "2026-10-01T09:00:00Z|main")
    rc.remember_absent(path, "2026-10-01T09:00:00Z|main")
    rc.remember_absent(path, "")  # nothing stands for the files: nothing is kept
    again = _client(httpserver, tmp_path / "cache")
    assert again.known_absent(path, "2026-10-01T09:00:00Z|main")
    assert not again.known_absent(path, "2026-11-30T12:00:00Z|main")
    assert not again.known_absent(path, "")
    assert not again.known_absent("/repos/acme/lib/contents/docs/CODEOWNERS", "2026-10-01T09:00:00Z|main")
    (marker,) = _entries(tmp_path / "cache")
    marker.write_bytes(garbage)
    with caplog.at_level(logging.WARNING, logger="regwarden.http"):
        assert not _client(httpserver, tmp_path / "cache").known_absent(path, "2026-10-01T09:00:00Z|main")
    assert not marker.exists()
    assert b"absent" not in b"".join(p.read_bytes() for p in _entries(tmp_path / "cache"))
