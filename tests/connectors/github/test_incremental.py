"""Incremental collection of a GitHub organization: a second scan of an unchanged organization asks
every question conditionally, is answered ``304`` and writes the same bundle — through the fetch code
and through the CLI, with the cache beside the bundle and never inside it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.github.fetch import Settings, client, fetch_org, raw_client
from scanner.bundle import BundleReader, BundleWriter
from scanner.cli import main
from scanner.collect_session import CollectSession
from tests.connectors.conditional import Conditional
from tests.connectors.github import estate

TOKEN = "FAKE-TOKEN-FOR-INCREMENTAL-TESTS"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GH_TOKEN", TOKEN)


def serve_estate(server: HTTPServer, pushed: dict[str, str] | None = None) -> Conditional:
    """The incident estate, every answer with an ETag; the repository list in two pages (``pushed``:
    repositories given another last push)."""
    cond = Conditional()
    for rel, value in estate.files().items():
        if not rel.startswith("github/"):
            continue
        api = "/" + rel.removeprefix("github/")
        if isinstance(value, str):
            cond.serve(server, api, value, raw=True)
            continue
        api = api.removesuffix(".json")
        if api == f"/orgs/{estate.ORG}/repos":
            value = [{**r, "pushed_at": (pushed or {}).get(r["name"], r["pushed_at"])} for r in value]
            nxt = server.url_for(api) + "?per_page=100&page=2"
            server.expect_request(api, query_string={"per_page": "100", "page": "2"}).respond_with_handler(
                cond.handler(value[4:])
            )
            server.expect_request(api, query_string={"per_page": "100"}).respond_with_handler(
                cond.handler(value[:4], headers={"Link": f'<{nxt}>; rel="next"'})
            )
            continue
        cond.serve(server, api, value)
    for repo, wfs in estate.WORKFLOWS.items():
        listing = [{"name": n, "path": f".github/workflows/{n}", "type": "file"} for n in wfs]
        cond.serve(server, f"/repos/{estate.ORG}/{repo}/contents/.github/workflows", listing)

    def not_found(req: Request) -> Response:
        cond.served.append((req.full_path, 404))
        return Response(json.dumps({"message": "Not Found"}), status=404, content_type="application/json")

    server.expect_request(re.compile(rf"^/repos/{estate.ORG}/{estate.NO_ACTIONS}/.*")).respond_with_handler(not_found)
    # no CODEOWNERS where the estate has none
    server.expect_request(
        re.compile(rf"^/repos/{estate.ORG}/[^/]+/contents/(?:\.github/|docs/)?CODEOWNERS$")
    ).respond_with_handler(not_found)
    return cond


def _scan(server: HTTPServer, cache: Path, out: Path) -> BundleReader:
    settings = Settings(orgs=[estate.ORG], base_url=server.url_for("/"), token_env="FAKE_GH_TOKEN", max_wait=5)
    session = CollectSession(cache_dir=cache, sleep=lambda _s: None)
    writer = BundleWriter(out, session)
    rc = client(settings, session=session)
    raw = raw_client(settings, session=session)
    fetch_org(rc, raw, settings, estate.ORG, writer)
    return BundleReader(writer.commit("2026-11-01T00:00:00Z"))


def _files(bundle: BundleReader) -> dict[str, bytes]:
    return {rel: bundle.read_bytes(rel) for rel in bundle.files("github")}


def test_an_unchanged_organization_is_recollected_from_304s(httpserver: HTTPServer, tmp_path: Path) -> None:
    cond = serve_estate(httpserver)
    first = _scan(httpserver, tmp_path / "cache", tmp_path / "one")
    counted_first = cond.counted
    cond.served.clear()
    again = _scan(httpserver, tmp_path / "cache", tmp_path / "two")
    assert _files(again) == _files(first)
    assert again.manifest.calls == first.manifest.calls
    one, two = first.manifest.requests["github"], again.manifest.requests["github"]
    assert (one.cached, two.fetched + two.cached) == (0, one.fetched)
    # Fetched again: the 404s (nothing to keep) and the one workflow that commits a credential
    # (never kept); everything else is a 304.
    assert {s for _, s in cond.served} == {200, 304, 404}
    assert [p for p, s in cond.served if s == 200] == [
        f"/repos/{estate.ORG}/fail-tag/contents/.github/workflows/release.yml?"
    ]
    assert cond.counted == two.fetched
    # This small estate asks mostly for things that are absent (CODEOWNERS in three places, a
    # repository without Actions): its 404s are a quarter of its calls, asked again every time.
    assert cond.counted == 1 + sum(1 for _, s in cond.served if s == 404) <= 0.3 * counted_first
    # The credential committed in that workflow is in neither the cache nor the bundle.
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert estate.FAKE_AWS_KEY_ID.encode() not in data, path
            assert TOKEN.encode() not in data, path


CODEOWNERS_ASKED = re.compile(r"/contents/(?:\.github/|docs/)?CODEOWNERS\?*$")


def _codeowners_asked(cond: Conditional) -> set[str]:
    """The repositories whose CODEOWNERS places were asked for."""
    return {p.split("/")[3] for p, _ in cond.served if CODEOWNERS_ASKED.search(p)}


def test_a_file_absent_at_the_same_push_is_not_asked_again(httpserver: HTTPServer, tmp_path: Path) -> None:
    """GitHub counts a 404 and gives it no validator; a repository's CODEOWNERS places that answered
    404 are not asked again while its last push is the same — and are, after a push (the twin)."""
    without = sorted(r for r in estate.WORKFLOWS if r not in estate.CODEOWNERS and r != estate.NO_ACTIONS)
    assert len(without) >= 2
    cond = serve_estate(httpserver)
    first = _scan(httpserver, tmp_path / "cache", tmp_path / "one")
    assert set(without) <= _codeowners_asked(cond)
    # Unchanged: no CODEOWNERS place of a repository without one is asked; the manifest still says
    # each answered 404, and the request tallies count them as cached.
    cond.served.clear()
    again = _scan(httpserver, tmp_path / "cache", tmp_path / "two")
    assert not _codeowners_asked(cond) & set(without)
    assert again.manifest.calls == first.manifest.calls
    # A push to one repository: its places are asked again (the file may have been added), the others' not.
    httpserver.clear()
    cond = serve_estate(httpserver, pushed={without[0]: "2026-11-30T12:00:00Z"})
    _scan(httpserver, tmp_path / "cache", tmp_path / "three")
    assert _codeowners_asked(cond) & set(without) == {without[0]}


def test_without_a_last_push_absence_is_asked_every_time(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A repository list without ``pushed_at`` gives nothing to stand for the files: no marker is kept."""
    without = sorted(r for r in estate.WORKFLOWS if r not in estate.CODEOWNERS and r != estate.NO_ACTIONS)
    cond = serve_estate(httpserver, pushed=dict.fromkeys(without, ""))
    _scan(httpserver, tmp_path / "cache", tmp_path / "one")
    cond.served.clear()
    _scan(httpserver, tmp_path / "cache", tmp_path / "two")
    assert _codeowners_asked(cond) >= set(without)


def _config(tmp_path: Path, server: HTTPServer, extra: str = "") -> Path:
    toml = tmp_path / "regwarden.toml"
    toml.write_text(
        f"""{extra}
[sources.github]
orgs = ["{estate.ORG}"]
base_url = "{server.url_for("/")}"
token_env = "FAKE_GH_TOKEN"
""",
        encoding="utf-8",
    )
    return toml


def test_the_cli_keeps_the_cache_beside_the_bundle(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cond = serve_estate(httpserver)
    toml, bundle = _config(tmp_path, httpserver), tmp_path / "bundle"
    assert main(["collect", "--config", str(toml), "--bundle", str(bundle)]) == 0
    first = cond.counted
    cond.served.clear()
    capsys.readouterr()
    assert main(["collect", "--config", str(toml), "--bundle", str(bundle)]) == 0
    err = capsys.readouterr().err
    manifest: dict[str, Any] = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["requests"]["github"]
    assert counts["cached"] > 0
    assert counts["fetched"] == cond.counted <= 0.3 * first
    assert f"{counts['cached']} cached, 0 retried, 0 failed calls" in err
    cache = tmp_path / ".bundle.cache"
    assert (cache / "github").is_dir()
    assert not any(p.name.endswith(".cache") for p in bundle.rglob("*"))
    assert oct(cache.stat().st_mode & 0o777) == "0o700"


def test_the_cache_can_be_turned_off(httpserver: HTTPServer, tmp_path: Path) -> None:
    cond = serve_estate(httpserver)
    toml, bundle = _config(tmp_path, httpserver, "[cache]\nenabled = false\n"), tmp_path / "bundle"
    for _ in range(2):
        assert main(["collect", "--config", str(toml), "--bundle", str(bundle)]) == 0
    assert not (tmp_path / ".bundle.cache").exists()
    assert 304 not in {s for _, s in cond.served}
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["requests"]["github"]["cached"] == 0
