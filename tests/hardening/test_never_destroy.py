"""Collection never destroys and never aborts: ``-b DIR`` refuses a folder that holds anything but a
regwarden bundle, ``-b .`` is refused cleanly, a previous bundle is replaced only by a complete one
that collected something; one provider answering garbage (a redirect loop, bad gzip, an invalid next
URL, a token object missing a field, a repository without ``owner``, a 200 of the wrong shape) is a
gap for that scope while the others complete, and ``scan`` exits 3 with a partial report."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scanner.cli import main
from tests.hardening import figures

TOKEN = "FAKE-TOKEN-FOR-TESTS"


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdout", err)
    return main(argv), err.getvalue()


def _npm_ok(s: HTTPServer) -> None:
    s.expect_request("/npm/-/whoami").respond_with_json({"username": "alice"})
    s.expect_request("/npm/-/npm/v1/tokens").respond_with_json(
        {"objects": [{"key": "a" * 128, "created": "2026-01-01T00:00:00.000Z", "readonly": False}], "total": 1}
    )
    s.expect_request("/npm/-/user/alice/package").respond_with_json({})


def _npm_config(url: str) -> str:
    return f'[sources.npm]\nregistry_url = "{url}/npm"\ntoken_env = "ND_TOKEN"\nmax_retries = 0\n'


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ND_TOKEN", TOKEN)


# --- the bundle folder ---------------------------------------------------------------------------


def test_a_folder_that_is_not_a_bundle_is_never_replaced(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _npm_ok(httpserver)
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(_npm_config(httpserver.url_for("").rstrip("/")), encoding="utf-8")
    precious = tmp_path / "home"
    (precious / "docs").mkdir(parents=True)
    (precious / "docs" / "thesis.tex").write_text("years of work", encoding="utf-8")
    for command in (["collect"], ["scan", "-o", str(tmp_path / "out")]):
        code, err = _run([*command, "-c", str(cfg), "-b", str(precious)], monkeypatch)
        assert code == 2, err
        assert "not a regwarden bundle" in err
        assert len([x for x in err.strip().splitlines() if "INSECURE_HTTP_FOR_LOCAL_TESTS" not in x]) == 1
        assert (precious / "docs" / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    assert httpserver.log == []  # refused before collecting anything
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "regwarden.toml"]  # no staging left behind
    # An empty folder, or a bundle regwarden wrote, is fine.
    (tmp_path / "empty").mkdir()
    assert _run(["collect", "-c", str(cfg), "-b", str(tmp_path / "empty")], monkeypatch)[0] == 0
    assert _run(["collect", "-c", str(cfg), "-b", str(tmp_path / "empty")], monkeypatch)[0] == 0
    assert (tmp_path / "empty" / "manifest.json").is_file()


@pytest.mark.parametrize("target", [".", "..", "./"])
def test_the_current_folder_is_refused_cleanly(
    target: str, httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    cfg = work / "regwarden.toml"
    cfg.write_text(_npm_config(httpserver.url_for("").rstrip("/")), encoding="utf-8")
    monkeypatch.chdir(work)
    code, err = _run(["collect", "-c", str(cfg), "-b", target], monkeypatch)
    assert code == 2, err
    assert "current folder" in err
    assert sorted(x for x in os.listdir(work) if not x.endswith(".lock")) == ["regwarden.toml"]


def test_a_previous_bundle_survives_a_collection_that_collected_nothing(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _npm_ok(httpserver)
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(_npm_config(httpserver.url_for("").rstrip("/")), encoding="utf-8")
    bundle = tmp_path / "bundle"
    assert _run(["collect", "-c", str(cfg), "-b", str(bundle)], monkeypatch)[0] == 0
    before = (bundle / "npm" / "-" / "whoami.json").read_bytes()
    httpserver.clear()
    httpserver.expect_request("/npm/-/whoami").respond_with_json({"message": "expired"}, status=401)
    code, err = _run(["scan", "-c", str(cfg), "-b", str(bundle), "-o", str(tmp_path / "out")], monkeypatch)
    assert code == 3, err
    assert "previous bundle" in err
    assert (bundle / "npm" / "-" / "whoami.json").read_bytes() == before  # kept
    failed = json.loads((tmp_path / "bundle.failed" / "manifest.json").read_text(encoding="utf-8"))
    assert [c["status"] for c in failed["calls"]] == ["failed"]
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["partial"] is True  # the report says what was not assessed, from this run
    assert [g["provider"] for g in report["coverage_gaps"]] == ["npm"]
    figures.record("never-destroy--previous-kept", {"previous bundle kept when nothing was collected": 1})


# --- garbage from one provider -------------------------------------------------------------------


def test_one_provider_answering_garbage_is_a_gap_and_the_others_complete(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = httpserver.url_for("").rstrip("/")
    _npm_ok(httpserver)
    # GitHub: the repository list has an entry without "owner" (and one full_name without a slash).
    httpserver.expect_request("/gh/orgs/acme").respond_with_json({"login": "acme", "id": 1})
    httpserver.expect_request("/gh/orgs/acme/repos").respond_with_json(
        [{"name": "app", "full_name": "app", "private": True, "html_url": "https://github.com/acme/app"}]
    )
    # GitLab: a redirect loop.
    httpserver.expect_request("/gl/api/v4/groups/acme").respond_with_data(
        "", status=302, headers={"Location": f"{url}/gl/api/v4/groups/acme"}
    )
    # Docker Hub: an answer that claims gzip and is not (to the sign-in that mints its JWT).
    httpserver.expect_request("/hub/v2/auth/token", method="POST").respond_with_data(
        b"\x1f\x8bnot gzip at all", headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    # JFrog: a next-page URL that is not a URL, and a 200 whose shape is wrong.
    httpserver.expect_request("/jf/artifactory/api/repositories").respond_with_json([{"key": 7, "type": None}])
    # Second npm scope (an organisation): a token object and package list of the wrong shape.
    httpserver.expect_request("/npm/-/org/acme/package").respond_with_data(
        gzip.compress(b"[1, 2, 3]"), headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    httpserver.no_handler_status_code = 404
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(
        _npm_config(url)
        + 'orgs = ["acme"]\n'
        + f'[sources.github]\norgs = ["acme"]\nbase_url = "{url}/gh"\ntoken_env = "ND_TOKEN"\nmax_retries = 0\n'
        + f'[sources.gitlab]\ngroups = ["acme"]\nbase_url = "{url}/gl"\ntoken_env = "ND_TOKEN"\nmax_retries = 0\n'
        + f'[sources.dockerhub]\napi_url = "{url}/hub"\nusername = "alice"\ntoken_env = "ND_TOKEN"\nmax_retries = 0\n'
        + f'[sources.jfrog]\nurl = "{url}/jf"\ntoken_env = "ND_TOKEN"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    out, bundle = tmp_path / "out", tmp_path / "bundle"
    code, err = _run(["scan", "-c", str(cfg), "-b", str(bundle), "-o", str(out), "-f", "json"], monkeypatch)
    assert code == 3, err
    assert "internal error" not in err
    assert "Traceback" not in err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    gaps = {(g["provider"], g["scope"]) for g in report["coverage_gaps"]}
    assert {("github", "acme"), ("gitlab", "acme"), ("dockerhub", "account:alice"), ("jfrog", "platform")} <= gaps
    assert ("npm", "account") not in gaps  # the healthy scope completed
    assert (bundle / "npm" / "-" / "whoami.json").is_file()
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    details = " | ".join(f"{c['provider']} {c['call']}: {c['detail']}" for c in manifest["calls"] if c["detail"])
    assert "redirect" in details
    assert "could not be decoded" in details
    assert TOKEN not in details
    # A 200 of the wrong shape is never written into the bundle: the connectors' own loaders read
    # every collected file back before the bundle is committed.
    assert not (bundle / "github" / "orgs" / "acme" / "repos.json").exists()
    assert "wrong shape, not kept" in details or "unexpected answer" in details
    figures.record("never-destroy--garbage", {"providers answering garbage": 4, "healthy scope completed": 1})


def test_a_stored_answer_of_the_wrong_shape_is_removed_and_recorded(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/npm/-/whoami").respond_with_json({"username": "alice"})
    httpserver.expect_request("/npm/-/npm/v1/tokens").respond_with_json(
        {"objects": [{"readonly": "maybe", "cidr_whitelist": 5}], "total": 1}  # no key, no created
    )
    httpserver.expect_request("/npm/-/user/alice/package").respond_with_json({})
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(_npm_config(httpserver.url_for("").rstrip("/")), encoding="utf-8")
    bundle = tmp_path / "bundle"
    code, err = _run(["collect", "-c", str(cfg), "-b", str(bundle)], monkeypatch)
    assert code == 3, err
    assert not (bundle / "npm" / "-" / "npm" / "v1" / "tokens.json").exists()
    assert (bundle / "npm" / "-" / "whoami.json").is_file()
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    refused = [c for c in manifest["calls"] if c["call"].startswith("answer stored as")]
    assert refused
    assert refused[0]["scope"] == "account"
    assert "npm/-/npm/v1/tokens.json" in refused[0]["call"]
