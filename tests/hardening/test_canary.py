"""Canary: unique fake credential values planted everywhere a value can pass through must come out
nowhere — not in reports of any format, debug logs, bundles, the history database or error messages.

Planted: a CodeBuild PLAINTEXT variable (moto), Terraform state ``secret`` / ``plaintext_value``
attributes (collected from a local state file), a credential committed in a workflow file, the
scanner's own token environment variable, and an API error body that echoes the token back."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scanner.cli import main
from tests.connectors.aws.estate import FAKE_KEY_VALUE
from tests.hardening import figures
from tests.hardening.bundles import DEMO, FIXTURES, aws_bundle

ALL_FORMATS = "json,html,csv,inventory-csv,sarif,oscal,ocsf,graphml"
TF_CANARIES = sorted(
    set(re.findall(r"CANARY-[A-Z]+-[A-Z]+-[0-9a-f]+", (FIXTURES / "terraform" / "estate.tfstate").read_text()))
)
TOKEN_CANARY = "npm_CANARYTOKENVALUE0000000000000000000001"
WORKFLOW_CANARY = "ghp_CANARYWORKFLOWCREDENTIAL00000000000001"
LOGGERS = ("regwarden", "regwarden.http", "httpx", "httpcore", "botocore", "boto3", "urllib3", "sqlalchemy")


@contextmanager
def debug_logs() -> Iterator[io.StringIO]:
    """Capture every library logger at DEBUG (the CLI's own handler only covers the root logger)."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setLevel(logging.DEBUG)
    saved = []
    for name in LOGGERS:
        lg = logging.getLogger(name)
        saved.append((lg, lg.level))
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)


def _leaks(where: Path | str, canaries: list[str]) -> list[str]:
    """Which canaries occur in a folder's files (bytes, also base64/JSON-escaped forms) or a text."""
    blobs: list[tuple[str, bytes]] = []
    if isinstance(where, Path):
        for p in sorted(where.rglob("*")) if where.is_dir() else [where]:
            if p.is_file():
                blobs.append((str(p), p.read_bytes()))
    else:
        blobs.append(("text", where.encode()))
    return [f"{name}: {c}" for name, data in blobs for c in canaries if c.encode() in data]


def test_canaries_never_come_out(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counts: Counter[str] = Counter()
    # 1. Offline: AWS collected from moto (CodeBuild PLAINTEXT variable) + the demo's GitHub with a committed
    #    credential in a workflow file, analysed with history into every format, with debug logs.
    bundle = tmp_path / "bundle"
    logs = io.StringIO()

    @contextmanager
    def capture() -> Iterator[None]:
        with debug_logs() as buf:
            yield
        logs.write(buf.getvalue())

    aws_bundle(bundle, capture)
    shutil.copytree(DEMO / "github", bundle / "github")
    wf = next(bundle.glob("github/repos/*/*/contents/.github/workflows/release.yml"))
    wf.write_text(
        wf.read_text(encoding="utf-8").replace("jobs:\n", f"env:\n  GH_TOKEN: {WORKFLOW_CANARY}\njobs:\n", 1),
        encoding="utf-8",
    )
    db = tmp_path / "history.db"
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(f'[history]\npath = "{db}"\n', encoding="utf-8")
    out = tmp_path / "out"
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdout", err)
    with debug_logs() as logs2:
        code = main(["analyse", str(bundle), "--out", str(out), "-f", ALL_FORMATS, "-c", str(cfg), "-v"])
    assert code in (0, 1, 3), err.getvalue()[-1000:]  # 3: the bundle holds no PyPI files (RB02 not assessed)
    offline = [FAKE_KEY_VALUE, WORKFLOW_CANARY]
    leaks = _leaks(out, offline) + _leaks(db, offline) + _leaks(logs.getvalue() + logs2.getvalue(), offline)
    leaks += _leaks(err.getvalue(), offline)
    leaks += _leaks(bundle / "aws", [FAKE_KEY_VALUE])  # the collector wrote this part of the bundle
    assert "AWS_ACCESS_KEY_ID" in (out / "report.json").read_text(encoding="utf-8")  # the finding is there
    assert "RB12" in (out / "report.json").read_text(encoding="utf-8")
    counts["places checked (offline)"] = len(list(out.iterdir())) + 4
    # 2. Live: a scan whose npm token is a canary (the scanner's own environment) and whose API echoes the
    #    token in an error body, plus Terraform state with secret values collected from a local file.
    monkeypatch.setenv("CANARY_NPM", TOKEN_CANARY)
    httpserver.expect_request("/-/whoami").respond_with_json({"username": "alice"})
    httpserver.expect_request("/-/npm/v1/tokens").respond_with_json(
        {"message": f"token {TOKEN_CANARY} may not list tokens (Bearer {TOKEN_CANARY})"}, status=403
    )
    httpserver.expect_request("/-/user/alice/package").respond_with_json({"@acme/widgets": "write"})
    httpserver.expect_request("/@acme/widgets").respond_with_json(
        {"error": f"bad auth {TOKEN_CANARY}", "message": f"Authorization: Bearer {TOKEN_CANARY}"}, status=500
    )
    state = tmp_path / "terraform.tfstate"
    shutil.copy(FIXTURES / "terraform" / "estate.tfstate", state)
    live = tmp_path / "live.toml"
    live.write_text(
        f"""
[sources.npm]
registry_url = "{httpserver.url_for("/").rstrip("/")}"
token_env = "CANARY_NPM"
max_retries = 1
max_wait = 0
[sources.terraform]
states = ["{state}"]
[history]
path = "{db}"
""",
        encoding="utf-8",
    )
    live_out, live_bundle = tmp_path / "live-out", tmp_path / "live-bundle"
    err2 = io.StringIO()
    monkeypatch.setattr("sys.stderr", err2)
    monkeypatch.setattr("sys.stdout", err2)
    with debug_logs() as logs3:
        code = main(
            ["scan", "-c", str(live), "--bundle", str(live_bundle), "--out", str(live_out), "-f", ALL_FORMATS, "-v"]
        )
    assert code == 3, err2.getvalue()[-1000:]  # the token list and the packument failed: a partial scan
    manifest = json.loads((live_bundle / "manifest.json").read_text(encoding="utf-8"))
    details = " ".join(c["detail"] for c in manifest["calls"])
    assert "403" in details
    assert "500" in details
    canaries = [TOKEN_CANARY, *TF_CANARIES]
    leaks += _leaks(live_out, canaries) + _leaks(live_bundle, canaries) + _leaks(db, canaries)
    leaks += _leaks(logs3.getvalue() + err2.getvalue(), canaries)
    counts["canaries planted"] = len(offline) + len(canaries)
    counts["places checked (live)"] = len(list(live_out.iterdir())) + 4
    counts["leaks"] = len(leaks)
    figures.record("canary", counts)
    assert leaks == [], leaks
