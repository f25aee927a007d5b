"""Credentials stay with their origin, at the wire: a paging link (GitHub/GitLab ``Link``, Docker Hub
``next``, npm ``urls.next``) or a redirect to another host is a coverage gap and the other server's
request log never sees the token; ``http://`` is refused for a source that sends a credential; a URL
holding a password is refused without repeating it; provider text that echoes the token in another
form (lower-cased, base64, split) reaches neither the manifest nor the terminal."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from connectors._http import OffOriginError, RestClient, body_next, link_next
from connectors.github.fetch import Settings as GitHubSettings
from connectors.github.fetch import client as github_client
from connectors.github.fetch import fetch_org
from connectors.gitlab.fetch import Settings as GitLabSettings
from connectors.gitlab.fetch import client as gitlab_client
from connectors.gitlab.fetch import fetch_group, next_page
from connectors.npm.fetch import urls_next
from scanner.bundle import BundleWriter
from scanner.cli import main
from scanner.errors import ConfigError, ConnectorError
from scanner.urlpolicy import INSECURE_HTTP_ENV
from tests.hardening import figures

TOKEN = "ghp_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE0001"


@pytest.fixture
def elsewhere() -> Iterator[HTTPServer]:
    """Another host (127.0.0.2): whatever a paging link or redirect points at."""
    server = HTTPServer(host="127.0.0.2", port=0)
    server.start()
    server.expect_request("/", method="GET").respond_with_json([])
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def _never_saw_the_token(server: HTTPServer) -> None:
    for request, _ in server.log:
        assert all(TOKEN not in v for _, v in request.headers.items()), request.url
    assert server.log == [], "regwarden sent a request to a host it was not configured for"


def _bearer(server: HTTPServer, header: str = "Authorization", value: str = f"Bearer {TOKEN}") -> RestClient:
    return RestClient(provider="test", base_url=server.url_for("/"), headers={header: value}, sleep=lambda _: None)


# --- paging links to another host --------------------------------------------------------------------

PAGING: dict[str, tuple[Callable[[httpx.Response, Any], str | None], Callable[[str], tuple[Any, dict[str, str]]]]] = {
    "GitHub Link": (link_next, lambda url: ([1], {"Link": f'<{url}>; rel="next"'})),
    "GitLab Link": (next_page, lambda url: ([1], {"Link": f'<{url}>; rel="next"', "x-next-page": "2"})),
    "Docker Hub next": (body_next("next"), lambda url: ({"count": 2, "next": url, "results": [1]}, {})),
    "npm urls.next": (urls_next, lambda url: ({"objects": [1], "total": 2, "urls": {"next": url}}, {})),
}


@pytest.mark.parametrize("style", sorted(PAGING))
def test_a_paging_link_to_another_host_is_a_gap_and_the_token_never_goes_there(
    style: str, httpserver: HTTPServer, elsewhere: HTTPServer
) -> None:
    next_url, page = PAGING[style]
    body, headers = page(elsewhere.url_for("/page2"))
    httpserver.expect_request("/list").respond_with_json(body, headers=headers)
    rc = _bearer(httpserver)
    got: list[Any] = []
    with pytest.raises(OffOriginError, match=r"points to http://127\.0\.0\.2:\d+, not the configured"):
        got.extend(rc.pages("/list", next_url=next_url))
    assert len(got) == 1  # the first page was read; nothing was asked of the other host
    _never_saw_the_token(elsewhere)
    figures.record(
        f"credentials-paging--{style.replace(' ', '-').replace('.', '-').lower()}", {f"{style} elsewhere: gap": 1}
    )


def test_a_same_origin_paging_link_is_followed(httpserver: HTTPServer) -> None:
    nxt = httpserver.url_for("/list") + "?page=2"
    httpserver.expect_request("/list", query_string="page=2").respond_with_json([2])
    httpserver.expect_request("/list").respond_with_json([1], headers={"Link": f'<{nxt}>; rel="next"'})
    assert list(_bearer(httpserver).pages("/list", next_url=link_next)) == [[1], [2]]


def test_github_collection_records_the_off_origin_link_as_a_gap_and_goes_on(
    httpserver: HTTPServer, elsewhere: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_GH", TOKEN)
    repo = {"name": "app", "full_name": "acme/app", "owner": {"login": "acme"}, "archived": False}
    httpserver.expect_request("/orgs/acme").respond_with_json({"login": "acme", "id": 1})
    httpserver.expect_request("/orgs/acme/repos").respond_with_json(
        [repo], headers={"Link": f'<{elsewhere.url_for("/orgs/acme/repos")}?page=2>; rel="next"'}
    )
    httpserver.expect_request("/orgs/acme/actions/secrets").respond_with_json({"total_count": 0, "secrets": []})
    httpserver.no_handler_status_code = 404
    settings = GitHubSettings(orgs=["acme"], base_url=httpserver.url_for("/"), token_env="TRUST_GH", max_retries=0)
    writer = BundleWriter(tmp_path / "b")
    try:
        fetch_org(github_client(settings), github_client(settings), settings, "acme", writer)
        calls = {c.call: c for c in writer.manifest("").calls}
    finally:
        writer.abort()
    assert calls["GET /orgs/acme/repos"].status == "failed"
    assert "not followed" in calls["GET /orgs/acme/repos"].detail
    assert calls["GET /orgs/acme/actions/secrets"].status == "ok"  # the rest went on
    _never_saw_the_token(elsewhere)


# --- redirects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"), [("Authorization", f"Bearer {TOKEN}"), ("PRIVATE-TOKEN", TOKEN)], ids=["bearer", "gitlab"]
)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_is_not_followed(
    header: str, value: str, status: int, httpserver: HTTPServer, elsewhere: HTTPServer
) -> None:
    httpserver.expect_request("/x").respond_with_data("", status=status, headers={"Location": elsewhere.url_for("/")})
    with pytest.raises(OffOriginError, match="a redirect points to"):
        _bearer(httpserver, header, value).get("/x")
    _never_saw_the_token(elsewhere)


def test_gitlab_group_redirected_to_another_host_fails_the_scope_without_sending_the_token(
    httpserver: HTTPServer, elsewhere: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_GL", TOKEN)
    httpserver.expect_request("/api/v4/groups/acme").respond_with_data(
        "", status=302, headers={"Location": elsewhere.url_for("/api/v4/groups/acme")}
    )
    settings = GitLabSettings(groups=["acme"], base_url=httpserver.url_for("/"), token_env="TRUST_GL", max_retries=0)
    writer = BundleWriter(tmp_path / "b")
    try:
        with pytest.raises(ConnectorError, match="not followed"):
            fetch_group(gitlab_client(settings), settings, "acme", writer)
    finally:
        writer.abort()
    _never_saw_the_token(elsewhere)


def test_redirects_within_the_origin_are_followed_and_loops_end(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new?page=1"})
    httpserver.expect_request("/new", query_string="page=1").respond_with_json({"ok": True})
    assert _bearer(httpserver).get_json("/old") == {"ok": True}
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(ConnectorError, match="more than 5 redirects"):
        _bearer(httpserver).get("/loop")


# --- http:// and credentials inside URLs -------------------------------------------------------------


def _config(tmp: Path, body: str) -> Path:
    p = tmp / "regwarden.toml"
    p.write_text(body, encoding="utf-8")
    return p


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdout", err)
    code = main(argv)
    return code, err.getvalue()


def test_http_is_refused_for_a_source_that_sends_a_credential(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(INSECURE_HTTP_ENV, raising=False)
    monkeypatch.setenv("TRUST_NPM", TOKEN)
    url = httpserver.url_for("/").rstrip("/")
    with pytest.raises(ConfigError, match="clear text"):
        _bearer(httpserver)
    cfg = _config(tmp_path, f'[sources.npm]\nregistry_url = "{url}"\ntoken_env = "TRUST_NPM"\n')
    code, err = _run(["collect", "-c", str(cfg), "-b", str(tmp_path / "bundle")], monkeypatch)
    assert code == 2, err
    assert "sources.npm.registry_url" in err
    assert "https" in err
    assert httpserver.log == []  # refused before any request
    assert not (tmp_path / "bundle").exists()
    # The loudly named opt-out covers loopback test servers only.
    monkeypatch.setenv(INSECURE_HTTP_ENV, "1")
    _bearer(httpserver)
    with pytest.raises(ConfigError, match="clear text"):
        RestClient(provider="npm", base_url="http://registry.example.com", headers={"Authorization": "Bearer x"})
    # A source that sends no credential (PyPI) may read a plain-http index.
    monkeypatch.delenv(INSECURE_HTTP_ENV)
    RestClient(provider="pypi", base_url="http://pypi.internal.example", headers={"Accept": "application/json"})
    figures.record("credentials-http", {"http with a credential: refused (exit 2)": 1})


SECRET_PW = "PW-CANARY-7f3a9c"


@pytest.mark.parametrize(
    "body",
    [
        f'[sources.jfrog]\nurl = "https://admin:{SECRET_PW}@acme.jfrog.io"\ntoken_env = "X"\n',
        f'[sources.github]\norgs = ["acme"]\nbase_url = "https://x-token:{SECRET_PW}@ghe.example/api/v3"\n',
        f'[sources.pypi]\nprojects = ["a"]\nindex_url = "https://u:{SECRET_PW}@pypi.internal.example"\n',
        f'[history]\nurl = "postgresql://regwarden:{SECRET_PW}@db/regwarden"\n',
        f'[notify]\nwebhook_url = "https://hook:{SECRET_PW}@hooks.example/x"\n',
    ],
    ids=["jfrog", "github", "pypi", "history", "webhook"],
)
def test_a_url_holding_a_password_is_refused_without_echoing_it(
    body: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _config(tmp_path, body)
    code, err = _run(["collect", "-c", str(cfg), "-b", str(tmp_path / "bundle")], monkeypatch)
    assert code == 2, err
    assert SECRET_PW not in err
    assert "not shown" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bundle").exists()


def test_the_client_refuses_a_url_with_userinfo_and_never_names_it() -> None:
    with pytest.raises(ConfigError) as e:
        RestClient(provider="jfrog", base_url=f"https://admin:{SECRET_PW}@acme.jfrog.io")
    assert SECRET_PW not in str(e.value)
    assert "admin" not in str(e.value)


def test_a_database_user_name_without_password_is_fine(tmp_path: Path) -> None:
    from scanner.config import parse_config
    from scanner.plugins import connectors

    parse_config({"history": {"url": "postgresql://regwarden@db/regwarden"}}, connectors(), "t.toml")


# --- provider text that echoes the token -------------------------------------------------------------


def _forms(token: str) -> dict[str, str]:
    half = len(token) // 2
    return {
        "as sent": token,
        "lower-cased": token.lower(),
        "upper-cased": token.upper(),
        "base64": base64.b64encode(token.encode()).decode(),
        "base64 of the header": base64.b64encode(f"Bearer {token}".encode()).decode(),
        "base64url": base64.urlsafe_b64encode(token.encode()).decode().rstrip("="),
        "hex": token.encode().hex(),
        "split": f"{token[:half]} ... {token[half:]}",
    }


def _contains_any_form(text: str, token: str) -> list[str]:
    half = len(token) // 2
    pieces = {token, token.lower(), token.upper(), token[:half], token[half:], token[:half].lower()}
    pieces |= {base64.b64encode(token.encode()).decode()[:16], token.encode().hex()[:16]}
    return [p for p in pieces if p in text]


@pytest.mark.parametrize("form", sorted(_forms(TOKEN)))
@pytest.mark.parametrize("status", [403, 400, 422])
def test_an_error_body_that_echoes_the_token_in_any_form_is_withheld(
    form: str, status: int, httpserver: HTTPServer
) -> None:
    echoed = _forms(TOKEN)[form]
    httpserver.expect_request("/x").respond_with_json({"message": f"bad credential {echoed} for you"}, status=status)
    with pytest.raises(ConnectorError) as e:
        RestClient(
            provider="test",
            base_url=httpserver.url_for("/"),
            headers={"Authorization": f"Bearer {TOKEN}"},
            max_retries=0,
        ).get("/x")
    assert _contains_any_form(str(e.value), TOKEN) == []
    assert "withheld" in str(e.value)


def test_an_error_message_that_does_not_quote_the_token_is_kept(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({"message": "Resource not accessible by integration"}, status=403)
    with pytest.raises(ConnectorError, match="Resource not accessible by integration"):
        _bearer(httpserver).get("/x")


def test_a_scan_whose_provider_echoes_the_token_keeps_it_out_of_manifest_and_terminal(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_NPM", TOKEN)
    forms = _forms(TOKEN)
    httpserver.expect_request("/-/whoami").respond_with_json({"username": "alice"})
    httpserver.expect_request("/-/npm/v1/tokens").respond_with_json(
        {"message": f"token {forms['lower-cased']} may not list tokens"}, status=403
    )
    httpserver.expect_request("/-/user/alice/package").respond_with_json({"@acme/widgets": "write"})
    httpserver.expect_request("/@acme%2fwidgets").respond_with_json(
        {"message": f"auth {forms['base64 of the header']} / {forms['split']}"}, status=400
    )
    url = httpserver.url_for("/").rstrip("/")
    cfg = _config(tmp_path, f'[sources.npm]\nregistry_url = "{url}"\ntoken_env = "TRUST_NPM"\nmax_retries = 0\n')
    bundle = tmp_path / "bundle"
    code, err = _run(["scan", "-c", str(cfg), "-b", str(bundle), "-o", str(tmp_path / "out"), "-v"], monkeypatch)
    assert code == 3, err
    manifest = (bundle / "manifest.json").read_text(encoding="utf-8")
    assert "withheld" in manifest
    leaks = _contains_any_form(manifest + err, TOKEN)
    for p in (tmp_path / "out").iterdir():
        leaks += _contains_any_form(p.read_text(encoding="utf-8"), TOKEN)
    assert leaks == []
    assert json.loads(manifest)["calls"]
    figures.record("credentials-echo", {"echo forms withheld": len(forms), "leaks": len(leaks)})
