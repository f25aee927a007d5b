"""Exit codes a scheduler or CI gate can trust: ``collect`` exits 3 when any call failed; ``scan`` whose
every source fails writes a partial report and exits 3; ``schedule`` exits non-zero after a failed
run; ``scan`` takes the run lock ``schedule`` takes; bad input exits 2 in one line, with nothing
written (a repository ``full_name`` without a slash, an invalid webhook URL, ``--out`` naming a file)."""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scanner.cli import main
from scanner.schedule import Scheduler, lock_path, run_lock
from tests.hardening import figures
from tests.hardening.bundles import DEMO, FIXTURES


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    return main(argv), err.getvalue()


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_TOKEN", "FAKE-TOKEN-FOR-TESTS")


def _npm(url: str) -> str:
    return f'[sources.npm]\nregistry_url = "{url}"\ntoken_env = "EX_TOKEN"\nmax_retries = 0\n'


def test_collect_exits_3_when_a_call_failed_inside_a_scope_that_went_on(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/-/whoami").respond_with_json({"username": "alice"})
    httpserver.expect_request("/-/npm/v1/tokens").respond_with_json({"message": "no"}, status=403)
    httpserver.expect_request("/-/user/alice/package").respond_with_json({})
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(_npm(httpserver.url_for("").rstrip("/")), encoding="utf-8")
    code, err = _run(["collect", "-c", str(cfg), "-b", str(tmp_path / "b")], monkeypatch)
    assert code == 3, err
    assert "1 not assessed" in err


def test_scan_whose_every_source_fails_writes_a_partial_report(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/-/whoami").respond_with_json({"message": "expired"}, status=401)
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(_npm(httpserver.url_for("").rstrip("/")), encoding="utf-8")
    out = tmp_path / "out"
    code, err = _run(["scan", "-c", str(cfg), "-b", str(tmp_path / "b"), "-o", str(out), "-f", "json"], monkeypatch)
    assert code == 3, err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["partial"] is True
    assert [(g["provider"], g["scope"]) for g in report["coverage_gaps"]] == [("npm", "account")]
    figures.record("exit-codes--all-sources-fail", {"every source failing: partial report, exit 3": 1})


class _Clock:
    """A fake clock for the scheduler: waiting moves time on."""

    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self, tz: tzinfo) -> datetime:
        return self.t.astimezone(tz)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        self.t += timedelta(seconds=max(0.0, seconds))
        return stop.is_set()


def test_schedule_exits_non_zero_after_a_failed_run(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/-/whoami").respond_with_json({"message": "expired"}, status=401)
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(
        f'bundle_dir = "{tmp_path / "b"}"\n[output]\ndir = "{tmp_path / "out"}"\n'
        + _npm(httpserver.url_for("").rstrip("/")),
        encoding="utf-8",
    )
    monkeypatch.setattr("sys.stderr", io.StringIO())
    monkeypatch.setattr("sys.stdout", io.StringIO())
    sched = Scheduler(
        "0 * * * *",
        lambda: main(["scan", "--config", str(cfg)]),
        clock=_Clock(datetime(2026, 11, 28, tzinfo=UTC)),
        lock_path=lock_path(tmp_path / "b"),
        max_runs=2,
    )
    assert sched.run() == 3
    assert [r.code for r in sched.runs] == [3, 3]
    ok = Scheduler("0 * * * *", lambda: 1, clock=_Clock(datetime(2026, 11, 28, tzinfo=UTC)), max_runs=2)
    assert ok.run() == 0  # findings (exit 1) are a result, not a failure


def test_scan_takes_the_lock_schedule_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "b"
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(
        f'bundle_dir = "{bundle}"\n[sources.pypi]\nprojects = ["x"]\nindex_url = "http://127.0.0.1:9"\nmax_retries = 0\n'
    )
    lock = lock_path(bundle)
    assert lock == tmp_path / ".b.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a scheduled run (another process) holds it
    try:
        for command in (["scan", "-o", str(tmp_path / "out")], ["collect"]):
            code, err = _run([*command, "-c", str(cfg)], monkeypatch)
            assert code == 2, err
            assert "another regwarden run holds" in err
            assert not bundle.exists()
    finally:
        os.close(fd)
    # The scheduler's own scan runs inside the lock the scheduler holds (re-entrant in one process).
    with run_lock(lock) as held:
        assert held
        code, err = _run(["collect", "-c", str(cfg)], monkeypatch)
        assert code == 3, err  # it ran (the index is unreachable: a gap)


def test_a_repository_full_name_without_a_slash_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(FIXTURES / "github" / "bundle" / "github", bundle / "github")
    repos = next(bundle.glob("github/orgs/*/repos.json"))
    data = json.loads(repos.read_text(encoding="utf-8"))
    data[0]["full_name"] = "no-slash-here"
    repos.write_text(json.dumps(data), encoding="utf-8")
    code, err = _run(["analyse", str(bundle), "-o", str(tmp_path / "out")], monkeypatch)
    assert code == 2, err
    assert "repos.json" in err
    assert "full_name" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("toml", "env"),
    [
        ('[notify]\nwebhook_url = "not a url"\n', None),
        ('[notify]\nwebhook_url = "ftp://hooks.example/x"\n', None),
        ('[notify]\nwebhook_url_env = "HOOK"\n', "https://"),
        ('[notify]\nwebhook_url_env = "HOOK"\n', "http://hooks.example.com/T000/B000/XXXX"),
    ],
    ids=["not a URL", "not http", "env: no host", "env: cleartext"],
)
def test_an_invalid_webhook_url_is_bad_input_before_anything_is_written(
    toml: str, env: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is not None:
        monkeypatch.setenv("HOOK", env)
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(toml, encoding="utf-8")
    code, err = _run(["analyse", str(DEMO), "-o", str(tmp_path / "out"), "-c", str(cfg)], monkeypatch)
    assert code == 2, err
    assert "webhook" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_out_naming_a_file_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.txt"
    out.write_text("keep me", encoding="utf-8")
    for argv in (["analyse", str(DEMO), "-o", str(out)], ["demo", "-o", str(out)]):
        code, err = _run(argv, monkeypatch)
        assert code == 2, err
        assert "not a folder" in err
    assert out.read_text(encoding="utf-8") == "keep me"


def test_a_folder_the_scan_may_not_list_is_a_gap_not_the_end_of_the_scan(tmp_path: Path) -> None:
    """A repository folder without read permission: exit 3 with the folder in the report's gaps (it
    was an internal error, exit 4, and no report). As root the permission is ignored unless the
    capabilities that override it are dropped, which ``setpriv`` does for the child run."""
    bundle = tmp_path / "bundle"
    shutil.copytree(FIXTURES / "github" / "bundle", bundle)
    locked = sorted((bundle / "github" / "repos").glob("*/*"))[-1]
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "scanner.cli", "analyse", str(bundle), "-o", str(out), "-f", "json"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): the permission cannot be enforced")
        caps = "-dac_override,-dac_read_search"
        argv = [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", *argv]
    locked.chmod(0)
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    finally:
        locked.chmod(0o755)
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    gaps = json.loads((out / "report.json").read_text(encoding="utf-8"))["coverage_gaps"]
    rel = locked.relative_to(bundle).as_posix()
    assert any(g["what"].endswith(rel) and "a folder that cannot be read" in g["reason"] for g in gaps), gaps


def test_an_out_folder_that_cannot_be_made_is_bad_input_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a file: it was an internal error (NotADirectoryError) after the whole analysis."""
    (tmp_path / "report.txt").write_text("keep me", encoding="utf-8")
    out = tmp_path / "report.txt" / "sub" / "out"
    code, err = _run(["analyse", str(DEMO), "-o", str(out)], monkeypatch)
    assert code == 2, err
    assert "cannot be made" in err
    assert "report.txt is not a folder" in err
    assert len(err.strip().splitlines()) == 1


def test_scan_refuses_an_unknown_format_from_its_file_before_collecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(_npm("https://registry.invalid") + '[output]\nformats = ["bogus"]\n', encoding="utf-8")
    code, err = _run(["scan", "-c", str(cfg), "-b", str(tmp_path / "b"), "-o", str(tmp_path / "out")], monkeypatch)
    assert code == 2, err
    assert "output.formats: unknown format bogus" in err
    assert not (tmp_path / "b").exists()  # nothing collected


def test_a_bad_notify_severity_is_refused_with_the_file_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text('[notify]\nwebhook_url = "https://hooks.example.com/x"\nmin_severity = "bogus"\n', encoding="utf-8")
    code, err = _run(["analyse", str(DEMO), "-o", str(tmp_path / "out"), "-c", str(cfg)], monkeypatch)
    assert code == 2, err
    assert "min_severity" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("spec", ["dask://host:notaport", "dask://[::1"])
def test_a_dask_address_that_is_no_address_is_bad_input(
    spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(_npm("https://registry.invalid"), encoding="utf-8")
    code, err = _run(["collect", "-c", str(cfg), "-b", str(tmp_path / "b"), "--executor", spec], monkeypatch)
    assert code == 2, err
    assert "not a scheduler address" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["analyse", "x", "--fail-on", "bogus"],
        ["explain", "--action", "bogus", "x"],
        ["analyse"],
        ["no-such-command"],
        ["analyse", "x", "--no-such-option"],
    ],
)
def test_a_usage_error_is_one_line_naming_the_problem(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Click showed a usage block of four lines; bad input is one line everywhere else."""
    code, err = _run(argv, monkeypatch)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("regwarden: error: ")
    assert " -h)" in err
