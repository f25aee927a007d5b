"""The GitHub Action (``action.yml``): its ``run:`` steps executed as the runner would (tests/deploy/
action_runner.py) against the demo bundle, twice with the history carried over as the cache would carry
it; every action it uses pinned to a full commit SHA; no credential input (cloud access is OIDC, in the
calling job). What cannot run here: the ``uses:`` steps (setup-python, the cache, the artefact and SARIF
uploads) — their inputs are checked against what the scan step produced."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from scanner.bundle import BundleReader
from scanner.demo_estate import BUNDLE
from tests.deploy.action_runner import Runner, StepRun

ROOT = Path(__file__).resolve().parents[2]
#: Every action the composite action runs: commit SHA and the release it was resolved from (the tags
#: dereferenced in the actions' own repositories; docs/scheduling.md lists the same).
PINS = {
    "actions/setup-python": ("ece7cb06caefa5fff74198d8649806c4678c61a1", "v6.3.0"),
    "actions/cache/restore": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/cache/save": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/upload-artifact": ("b7c566a772e6b6bfb58ed0dc250532a479d7789f", "v6.0.0"),
    "github/codeql-action/upload-sarif": ("8aad20d150bbac5944a9f9d289da16a4b0d87c1e", "v4.36.2"),
}
CONTEXT = {"github.workflow": "regwarden", "github.run_id": "1", "github.run_attempt": "1"}


def _action() -> dict[str, Any]:
    doc = BundleReader(ROOT).yaml("action.yml")
    assert isinstance(doc, dict)
    return doc


def test_every_action_is_pinned_to_a_commit_and_names_its_release() -> None:
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    pinned = re.findall(r"uses: ([\w./-]+)@([0-9a-f]{40}) # (v[\d.]+)$", text, re.M)
    assert len(pinned) == text.count("uses:")
    assert {a: (sha, tag) for a, sha, tag in pinned} == PINS
    steps = _action()["runs"]["steps"]
    assert _action()["runs"]["using"] == "composite"
    assert all("${{" not in str(s.get("run", "")) for s in steps)  # values reach scripts through env: only


def test_no_credential_is_an_input() -> None:
    """Cloud and registry credentials come from OIDC in the calling job, never through the action."""
    names = set(_action()["inputs"])
    assert not {n for n in names if re.search(r"token|secret|password|key|credential", n)}


def test_docs_list_the_same_pins() -> None:
    rows = [
        line
        for line in (ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]
    for pin, (sha, tag) in PINS.items():
        assert [r for r in rows if f"`{pin}`" in r and f"| {tag} |" in r and f"`{sha}`" in r], pin


@pytest.fixture(scope="module")
def action_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's checkout: the repository as GitHub fetches it for ``uses: owner/regwarden@SHA``."""
    dst = tmp_path_factory.mktemp("action") / "regwarden"
    dst.mkdir()
    for name in ("action.yml", "pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dst / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in ("scanner", "connectors", "reports", "requirements"):
        shutil.copytree(ROOT / folder, dst / folder, ignore=skip)
    return dst


def _venv_seeing_this_run(venv: Path) -> None:
    """A virtual environment without pip that sees this test run's packages (pip included) through a
    .pth file, so a hash-pinned install of what is already here is "already satisfied", not a download."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "regwarden-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``RUNNER_TEMP`` with the two virtual environments the install step fills, made here without pip
    (see above): the runtime lock installs as "already satisfied"; the build lock (setuptools, wheel,
    build) is installed, regwarden's wheel built and installed, for real."""
    temp = tmp_path_factory.mktemp("runner-temp")
    for name in ("regwarden-venv", "regwarden-build"):
        _venv_seeing_this_run(temp / name)
    return temp


INSTALL = "Install regwarden from the hash-pinned lock"


def _run(
    action_path: Path, temp: Path, workspace: Path, inputs: dict[str, str], path: list[str] | None = None
) -> tuple[list[StepRun], Runner]:
    """Run the action in ``workspace``; given the ``PATH`` an earlier run's install step set, start
    after the install (it was tested in that run and would do the same again)."""
    workspace.mkdir(parents=True, exist_ok=True)
    runner = Runner(_action(), inputs, action_path, workspace, temp, dict(CONTEXT), path=list(path or []))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(temp), "LANG": "C.UTF-8", "REGWARDEN_KEY_FILE": str(temp / "key")}
    return runner.run(env, skip=frozenset({INSTALL}) if path else frozenset()), runner


@pytest.fixture(scope="module")
def first(action_path: Path, runner_temp: Path) -> tuple[list[StepRun], Runner]:
    ws = runner_temp.parent / "workspace-1"
    ws.mkdir()
    (ws / "regwarden.toml").write_text("[history]\n", encoding="utf-8")  # the default path, regwarden-history.db
    return _run(action_path, runner_temp, ws, {"bundle": str(BUNDLE), "fail-on": "high"})


def test_install_step_installs_from_the_lock(first: tuple[list[StepRun], Runner]) -> None:
    steps, runner = first
    install = next(s for s in steps if s.name == INSTALL)
    assert install.code == 0, install.output
    assert re.search(r"regwarden \d+\.\d+", install.output)
    assert runner.path
    assert (Path(runner.path[0]) / "regwarden").exists()


def test_scan_writes_the_reports_and_history_and_exits_with_regwardens_code(
    first: tuple[list[StepRun], Runner],
) -> None:
    steps, runner = first
    scan = next(s for s in steps if s.name == "Scan")
    assert scan.code == 0, scan.output  # the step itself never fails: uploads come first
    assert scan.outputs["exit-code"] == "1"  # the demo has high findings
    out = runner.workspace / scan.outputs["report-dir"]
    assert {p.name for p in out.iterdir()} >= {"report.html", "report.json", "report.sarif", "drift.json"}
    assert (runner.workspace / scan.outputs["sarif"]).is_file()
    assert (runner.workspace / scan.outputs["history"]).is_file()
    last = steps[-1]
    assert last.name == "Exit with regwarden's code"
    assert last.code == 1


def test_the_uses_steps_get_what_the_scan_produced(first: tuple[list[StepRun], Runner]) -> None:
    steps, runner = first
    uses = {s.uses.split("@")[0]: s.with_ for s in steps if s.uses}
    assert uses["actions/cache/restore"]["path"] == "regwarden-history.db"
    assert (
        uses["actions/cache/save"]["key"] == uses["actions/cache/restore"]["key"] == "regwarden-history-regwarden-1-1"
    )
    assert uses["actions/cache/restore"]["restore-keys"] == "regwarden-history-regwarden-"
    assert (runner.workspace / uses["actions/upload-artifact"]["path"] / "report.html").is_file()
    assert (runner.workspace / uses["github/codeql-action/upload-sarif"]["sarif_file"]).is_file()
    sarif = json.loads((runner.workspace / uses["github/codeql-action/upload-sarif"]["sarif_file"]).read_text())
    assert sarif["runs"][0]["results"]


def test_history_carried_to_the_next_run_gives_drift(
    first: tuple[list[StepRun], Runner], action_path: Path, runner_temp: Path
) -> None:
    """The next scheduled run restores the history file the previous one saved (what the cache does)."""
    _, runner = first
    ws = runner_temp.parent / "workspace-2"
    ws.mkdir()
    shutil.copy2(runner.workspace / "regwarden.toml", ws / "regwarden.toml")
    shutil.copy2(runner.workspace / "regwarden-history.db", ws / "regwarden-history.db")
    steps, second = _run(action_path, runner_temp, ws, {"bundle": str(BUNDLE), "fail-on": "high"}, runner.path)
    assert steps[-1].code == 1
    drift = json.loads((ws / "regwarden-report" / "drift.json").read_text())
    assert (drift["history"]["old_scan"], drift["history"]["new_scan"]) == (1, 2)
    assert second.steps["scan"]["exit-code"] == "1"


def test_bad_input_exits_2_and_saves_no_history(
    first: tuple[list[StepRun], Runner], action_path: Path, runner_temp: Path
) -> None:
    _, runner = first
    ws = runner_temp.parent / "workspace-bad"
    steps, bad = _run(action_path, runner_temp, ws, {"bundle": str(ws / "no-such-bundle")}, runner.path)
    assert bad.steps["scan"]["exit-code"] == "2"
    assert "history" not in bad.steps["scan"]
    assert steps[-1].code == 2
