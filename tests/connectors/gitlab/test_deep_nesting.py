"""A committed .gitlab-ci.yml is attacker-influenced: a value nested as deep as the YAML reader accepts
(libyaml's 1,000 levels) is merged, interpolated and resolved without a RecursionError — the pipeline is
interpreted as if it were not there — and one nested deeper is a coverage gap naming the file (exit 3),
never an internal error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from connectors.gitlab.ciyaml import Reference
from connectors.gitlab.merge import deep_merge, interpolate, resolve_references
from scanner.cli import main

FIXTURE = Path(__file__).parents[2] / "fixtures" / "gitlab" / "bundle"
CI = "gitlab/projects/acme/app/repository/files/.gitlab-ci.yml"
#: Deeper than Python's recursion limit: only an explicit-stack walk gets through.
DEEP = 5000


def _analyse(tmp_path: Path, extra: str) -> tuple[int, Path]:
    bundle = tmp_path / "bundle"
    shutil.copytree(FIXTURE, bundle)
    ci = bundle / CI
    ci.write_text(ci.read_text(encoding="utf-8") + extra, encoding="utf-8")
    out = tmp_path / "out"
    return main(["analyse", str(bundle), "--out", str(out), "--fail-on", "none", "--format", "json"]), out


def _report(out: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return report


def _findings(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["subject"]["id"]) for f in report["findings"])


@pytest.fixture(scope="module")
def undamaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    code, out = _analyse(tmp_path_factory.mktemp("undamaged"), "")
    assert code == 3  # the fixture's own gaps
    return _report(out)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "extra",
    [
        f"\na: {_nested(600)}\n",
        f"\na: {_nested(990)}\n",
        # through !reference, extends: (a deep merge of two deep mappings) and a job's script
        f"\n.t:\n  s: {_nested(990)}\n  m: {'{a: ' * 990 + '1' + '}' * 990}\n"
        f"deep:\n  extends: .t\n  m: {'{a: ' * 990 + '2' + '}' * 990}\n"
        "  script: [echo, !reference [.t, s]]\n",
    ],
    ids=["600", "990", "reference-extends"],
)
def test_a_value_nested_as_deep_as_yaml_allows_is_interpreted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], undamaged: dict[str, Any], extra: str
) -> None:
    code, out = _analyse(tmp_path, extra)
    err = capsys.readouterr().err
    assert code == 3, err
    assert "internal error" not in err, err
    report = _report(out)
    assert report["coverage_gaps"] == undamaged["coverage_gaps"]  # no gap for the deep file
    before, after = set(_findings(undamaged)), set(_findings(report))
    assert before <= after
    # the only new findings are of the job the reference-extends case adds: it was interpreted
    job = "gitlab:job:acme/app/.gitlab-ci.yml#deep"
    assert {subject for _, subject in after - before} == ({job} if "deep:" in extra else set()), after - before


def test_a_value_nested_deeper_than_yaml_allows_is_a_gap_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _analyse(tmp_path, f"\na: {_nested(2000)}\n")
    err = capsys.readouterr().err
    assert code == 3, err
    assert "internal error" not in err, err
    report = _report(out)
    gaps = [g for g in report["coverage_gaps"] if g["what"] == f"pipeline file {CI}"]
    assert len(gaps) == 1, report["coverage_gaps"]
    assert gaps[0]["reason"].startswith("not interpreted: invalid YAML"), gaps


def _chain(depth: int, leaf: Any, key: str | None = None) -> Any:
    value = leaf
    for _ in range(depth):
        value = {key: value} if key is not None else [value]
    return value


def _bottom(value: Any, depth: int, key: str | None = None) -> Any:
    for _ in range(depth):
        value = value[key] if key is not None else value[0]
    return value


def test_merge_walks_are_not_recursive() -> None:
    ref = Reference((".t", "s"), 1)
    config = {".t": {"s": ["y"]}, "job": _chain(DEEP, ref)}
    resolved, problems = resolve_references(config)
    assert problems == []
    assert _bottom(resolved["job"], DEEP) == ["y"]

    merged = deep_merge(_chain(DEEP, {"x": 1}, "a"), _chain(DEEP, {"y": 2}, "a"))
    assert _bottom(merged, DEEP, "a") == {"x": 1, "y": 2}

    done = interpolate(_chain(DEEP, "$[[ inputs.x ]]"), {"x": "v"})
    assert _bottom(done, DEEP) == "v"


def test_interpolation_of_lists_into_keys_and_text() -> None:
    deep = _chain(DEEP, 1)
    # a key that is nothing but a list input stays a key (its text), not an unhashable list
    assert interpolate({"$[[ inputs.x ]]": 1}, {"x": [1, 2]}) == {"[1, 2]": 1}
    # a list too deep to write out in a string is an unknown value
    assert interpolate(["echo $[[ inputs.x ]]"], {"x": deep}) == ["echo *"]


def test_a_job_list_nested_past_gitlabs_ten_levels_is_left_out_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], undamaged: dict[str, Any]
) -> None:
    """``dependencies:`` nested ~990 deep: flattened to GitLab's 10 levels, what is deeper was turned
    into text, and the text of a list that deep was a RecursionError (exit 4)."""
    code, out = _analyse(tmp_path, f"\ndeepdeps:\n  script: [echo]\n  dependencies: {_nested(990)}\n")
    err = capsys.readouterr().err
    assert code == 3, err
    assert "internal error" not in err, err
    assert _report(out)["coverage_gaps"] == undamaged["coverage_gaps"]
