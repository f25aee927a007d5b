"""manifest.json's ``collected_at`` as the Azure connector reads it: a value that is not a time refuses the
bundle in one line naming manifest.json (exit 2, as every other connector), never an internal error; a time
naming no zone is UTC, as the analysis reads it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scanner.cli import main

FIXTURE = Path(__file__).parents[2] / "fixtures" / "azure" / "bundle"


def _bundle(tmp_path: Path, collected_at: str) -> Path:
    bundle = tmp_path / "bundle"
    shutil.copytree(FIXTURE, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    manifest["collected_at"] = collected_at
    (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return bundle


def _analyse(bundle: Path, out: Path) -> int:
    return main(["analyse", str(bundle), "--out", str(out), "--fail-on", "none", "--format", "json"])


def test_collected_at_that_is_not_a_time_is_refused_naming_the_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _analyse(_bundle(tmp_path, "yesterday"), tmp_path / "out")
    err = capsys.readouterr().err
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line == "regwarden: error: manifest.json: not an ISO-8601 time: 'yesterday'", line


def test_collected_at_without_a_zone_is_utc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zoned, naive = tmp_path / "zoned", tmp_path / "naive"
    zoned.mkdir()
    naive.mkdir()
    assert _analyse(_bundle(zoned, "2026-11-20T00:00:00Z"), zoned / "out") == 3  # the fixture's own gaps
    code = _analyse(_bundle(naive, "2026-11-20T00:00:00"), naive / "out")
    err = capsys.readouterr().err
    assert code == 3, err
    assert "internal error" not in err, err

    def findings(out: Path) -> list[tuple[str, str]]:
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        return sorted((f["rule"], f["subject"]["id"]) for f in report["findings"])

    assert findings(naive / "out") == findings(zoned / "out")
