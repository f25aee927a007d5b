"""RB09 on a token held in an Actions secret: its last use is the last run of a workflow that reads it
(``actions/runs.json``). A recent run judges it in use, a window with no run of those workflows reports it
unused, and a repository whose runs were not collected leaves it not assessed, naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main

RELEASE = """\
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - run: pip install build twine && python -m build && twine upload dist/*
        env:
          TWINE_USERNAME: __token__
          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}
"""
CI = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
TOKEN = "pypi:token:github/acme/lib/PYPI_TOKEN"


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def _run(path: str, when: str) -> dict[str, Any]:
    return {"id": abs(hash((path, when))) % 10**9, "path": path, "event": "push", "created_at": when,
            "run_started_at": when, "updated_at": when}  # fmt: skip


def _analyse(tmp_path: Path, runs: list[dict[str, Any]] | None) -> dict[str, Any]:
    b = tmp_path / "bundle"
    secrets = {"total_count": 1, "secrets": [{"name": "PYPI_TOKEN", "created_at": "2026-10-01T00:00:00Z",
                                             "updated_at": "2026-10-01T00:00:00Z"}]}  # fmt: skip
    _write(b / "github/repos/acme/lib/actions/secrets.json", secrets)
    _write(b / "github/repos/acme/lib/contents/.github/workflows/release.yml", RELEASE)
    _write(b / "github/repos/acme/lib/contents/.github/workflows/ci.yml", CI)
    if runs is not None:
        _write(b / "github/repos/acme/lib/actions/runs.json", {"total_count": len(runs), "workflow_runs": runs})
    manifest = {"version": 1, "tool": "regwarden", "collected_at": "2026-11-20T06:00:00Z", "calls": [
        {"provider": "github", "scope": "acme/lib", "status": "ok",
         "call": "GET /repos/acme/lib/actions/runs?created=>=2026-08-22"}]}  # fmt: skip
    _write(b / "manifest.json", manifest)
    out = tmp_path / "out"
    main(["analyse", str(b), "-o", str(out), "-f", "json", "--fail-on", "none"])
    return dict(json.loads((out / "report.json").read_text(encoding="utf-8")))


def _rb09(report: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    found = [f["message"] for f in report["findings"] if f["rule"] == "RB09" and f["subject"]["id"] == TOKEN]
    rb09 = next(c for c in report["controls"] if c["id"] == "RB09")
    return found, [u for u in rb09["not_assessed"] if u["subject"] == TOKEN]


def test_a_recent_run_of_the_workflow_that_reads_it_is_its_last_use(tmp_path: Path) -> None:
    found, unjudged = _rb09(_analyse(tmp_path, [_run(".github/workflows/release.yml", "2026-11-10T09:00:00Z")]))
    assert found == []
    assert unjudged == []


def test_no_run_of_the_workflows_that_read_it_in_the_window_is_unused(tmp_path: Path) -> None:
    # Other workflows ran; the one that reads the token did not, in the 90 days collected.
    found, unjudged = _rb09(_analyse(tmp_path, [_run(".github/workflows/ci.yml", "2026-11-10T09:00:00Z")]))
    assert unjudged == []
    (message,) = found
    assert "none of which has run since 2026-08-22" in message


@pytest.mark.parametrize("runs", [None])
def test_without_the_run_history_it_is_not_assessed_naming_the_file(tmp_path: Path, runs: None) -> None:
    report = _analyse(tmp_path, runs)
    found, unjudged = _rb09(report)
    assert found == []
    (u,) = unjudged
    assert "github/repos/acme/lib/actions/runs.json not collected" in u["missing"]
    assert u["collectable"] is True
    assert report["partial"] is True
