"""``regwarden collect`` exits 3 when a call failed, even if every scope finished (as ``scan`` does)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scanner.bundle import BundleReader
from scanner.cli import main


def _config(tmp_path: Path, url: str) -> Path:
    toml = tmp_path / "regwarden.toml"
    toml.write_text(f'[sources.npm]\nregistry_url = "{url}"\ntoken_env = "RW_COLLECT_NPM"\nmax_retries = 0\n')
    return toml


def _serve(server: HTTPServer, tokens_status: int) -> None:
    server.expect_request("/-/whoami").respond_with_json({"username": "alice"})
    if tokens_status == 200:
        server.expect_request("/-/npm/v1/tokens").respond_with_json({"objects": [], "total": 0, "urls": {}})
    else:
        server.expect_request("/-/npm/v1/tokens").respond_with_json({"message": "forbidden"}, status=tokens_status)
    server.expect_request("/-/user/alice/package").respond_with_json({})


@pytest.mark.parametrize(("tokens_status", "code"), [(403, 3), (200, 0)])
def test_collect_exit_code(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tokens_status: int, code: int
) -> None:
    monkeypatch.setenv("RW_COLLECT_NPM", "npm_FAKEFAKEFAKEFAKE")
    _serve(httpserver, tokens_status)
    bundle = tmp_path / "bundle"
    assert (
        main(["collect", "--config", str(_config(tmp_path, httpserver.url_for("/"))), "--bundle", str(bundle)]) == code
    )
    failed = [c.call for c in BundleReader(bundle).manifest.failed()]
    assert failed == (["GET /-/npm/v1/tokens"] if code == 3 else [])


def test_a_providers_message_reaches_the_terminal_without_its_escape_sequences(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The warning naming a scope that was not assessed quotes the provider's error text: an escape
    sequence in it would retitle, clear or recolour the operator's terminal, a line break forge a line."""
    monkeypatch.setenv("RW_COLLECT_NPM", "npm_FAKEFAKEFAKEFAKE")
    hostile = "bad \x1b]0;PWNED\x07 \x1b[2J\x1b[31mred\nregwarden: all scopes ok \ud800"
    httpserver.expect_request("/-/whoami").respond_with_json({"message": hostile}, status=400)
    main(["collect", "--config", str(_config(tmp_path, httpserver.url_for("/"))), "--bundle", str(tmp_path / "b")])
    err = capfd.readouterr().err
    assert "not assessed" in err
    assert "\x1b" not in err
    assert "\x07" not in err
    assert "\nregwarden: all scopes ok" not in err
