"""A GitLab bundle in which one project's pipeline cannot be interpreted is still analysed: the report is
written, that project is listed as not assessed, the other projects are judged, and the exit code is 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from tests.connectors.gitlab.estate import var, write

GOOD = """
publish:
  image: python:latest
  script:
    - twine upload -u __token__ -p "$PYPI_TOKEN" dist/*
"""


@pytest.mark.parametrize(
    "broken",
    [
        "build:\n  script: [make\n",  # not YAML
        "spec:\n  inputs: {}\n---\na: 1\n---\nb: 2\n",  # more documents than GitLab takes
        "include:\n  - local: /ci/x.yml\n",  # a file it includes that does not parse
    ],
)
def test_one_uninterpretable_pipeline_is_a_gap_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], broken: str
) -> None:
    bundle = write(tmp_path / "bundle", {
        "gitlab/projects/acme/broken/repository/files/.gitlab-ci.yml": broken,
        "gitlab/projects/acme/broken/repository/files/ci/x.yml": "a: [b\n",
        "gitlab/projects/acme/good/repository/files/.gitlab-ci.yml": GOOD,
        "gitlab/projects/acme/good/variables.json": [var("PYPI_TOKEN")],
    })  # fmt: skip
    out = tmp_path / "r"
    code = main(["analyse", str(bundle), "--out", str(out), "--fail-on", "none"])
    stdout, err = capsys.readouterr()
    assert code == 3, err
    assert "Traceback" not in stdout + err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["partial"] is True
    broken_gaps = [g for g in report["coverage_gaps"] if g["scope"] == "acme/broken"]
    assert any(g["what"].startswith("pipeline file gitlab/projects/acme/broken/") for g in broken_gaps), broken_gaps
    assert all(g["reason"].startswith("not interpreted: ") for g in broken_gaps if g["what"].startswith("pipeline"))
    # the other project was judged: its publishing job beside an unpinned image
    assert any(f["rule"] == "RB11" and "acme/good" in json.dumps(f["path"]) for f in report["findings"])
