"""Hostile bundles, on disk: a symbolic link that leaves the bundle is not followed (a link to ``/``, a
workflow linked from outside) and is reported as not assessed; a link loop ends; files beyond the
documented limits (a 50 MB workflow, a JSON file of a million objects) are refused at once with a
message naming the limit; YAML is read as 1.2 (``2024-13-45`` is a string); a file name that is not
UTF-8 is bad input (exit 2), never an internal error."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from scanner.bundle import MAX_JSON_OBJECTS, MAX_YAML_BYTES, BundleReader
from tests.hardening import figures
from tests.hardening.bundles import FIXTURES
from tests.hardening.bundles import analyse_quietly as _analyse


def _github(tmp: Path) -> Path:
    bundle = tmp / "bundle"
    shutil.copytree(FIXTURES / "github" / "bundle" / "github", bundle / "github")
    return bundle


def _workflows(bundle: Path) -> Path:
    return next(bundle.glob("github/repos/*/*/contents/.github/workflows"))


def test_links_out_of_the_bundle_are_not_followed_and_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _github(tmp_path)
    outside = tmp_path / "outside.yml"
    outside.write_text(
        "on: push\njobs:\n  exfiltrate-from-outside:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n",
        encoding="utf-8",
    )
    (_workflows(bundle) / "linked.yml").symlink_to(outside)
    (bundle / "github" / "root").symlink_to("/")
    (bundle / "github" / "loop").symlink_to(bundle / "github")
    code, err = _analyse(bundle, tmp_path / "out", monkeypatch)
    assert code == 3, err
    report = (tmp_path / "out" / "report.json").read_text(encoding="utf-8")
    assert "exfiltrate-from-outside" not in report
    gaps = {g["what"]: g["reason"] for g in json.loads(report)["coverage_gaps"]}
    linked = next(k for k in gaps if k.endswith("linked.yml"))
    assert "leaves the bundle" in gaps[linked]
    assert "leaves the bundle" in gaps["file github/root"]
    assert "loop" in gaps["file github/loop"]
    figures.record("hostile-bundles--links", {"links out of the bundle refused": 2, "link loops ended": 1})


def test_a_workflow_beyond_the_size_limit_is_refused_at_once_naming_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _github(tmp_path)
    big = _workflows(bundle) / "huge.yml"
    step = "      - run: echo " + "x" * 100 + "\n"
    with big.open("w", encoding="utf-8") as f:
        f.write("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n")
        f.write(step * (50 * 1024 * 1024 // len(step)))
    code, err = _analyse(bundle, tmp_path / "out", monkeypatch)
    # Refused before parsing; a pipeline file regwarden cannot read is its repository's coverage gap,
    # naming the file and the limit, and the rest of the estate is still judged (exit 3).
    assert code == 3, err
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    (gap,) = [g for g in report["coverage_gaps"] if "huge.yml" in g["what"]]
    assert f"more than the {MAX_YAML_BYTES // (1024 * 1024)} MiB a YAML file may be" in gap["reason"]


def test_a_json_file_beyond_the_object_limit_is_refused_before_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _github(tmp_path)
    secrets = next(bundle.glob("github/repos/*/*/actions/secrets.json"))
    secrets.write_text('{"total_count": 1, "secrets": [' + ",".join(["{}"] * MAX_JSON_OBJECTS) + "]}", encoding="utf-8")
    code, err = _analyse(bundle, tmp_path / "out", monkeypatch)
    assert code == 2, err
    assert f"more than {MAX_JSON_OBJECTS:,} objects" in err
    figures.record("hostile-bundles--limits", {"files beyond a documented limit refused": 2})


def test_yaml_is_read_as_1_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "on: push\nenv:\n  DAY: 2024-13-45\n  DATE: 2024-01-01\n  OCT: 017\n  SEXA: 1:20\n  YES: yes\n  N: 0o17\n"
    data = BundleReader(tmp_path).yaml("x.yml", text)
    assert data == {
        "on": "push",
        "env": {"DAY": "2024-13-45", "DATE": "2024-01-01", "OCT": 17, "SEXA": "1:20", "YES": "yes", "N": 15},
    }
    bundle = _github(tmp_path)
    wf = next(_workflows(bundle).glob("*.yml"))
    wf.write_text(wf.read_text(encoding="utf-8").replace("jobs:", "env:\n  RELEASE_DAY: 2024-13-45\njobs:", 1))
    code, err = _analyse(bundle, tmp_path / "out", monkeypatch)
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    # The workflow was read (no gap names it); 3 only for what else the small bundle lacks.
    assert not [g for g in report["coverage_gaps"] if wf.name in g["what"]], err
    assert code in (0, 3), err


def test_a_file_name_that_is_not_utf8_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _github(tmp_path)
    folder = os.fsencode(_workflows(bundle))
    with open(folder + b"/caf\xe9.yml", "wb") as f:
        f.write(b"on: push\n")
    code, err = _analyse(bundle, tmp_path / "out", monkeypatch)
    assert code == 2, err
    assert "file name is not UTF-8" in err
    assert len(err.strip().splitlines()) == 1
