"""A history database that is corrupt, or settings that cannot name one: the reports are still
written (exit 3, one warning line), ``history`` and ``diff`` answer in one line, a setting that
cannot be a database is bad input (exit 2) — never an internal error (exit 4)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.cli import main


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite history holding two scans of the demo estate."""
    root = tmp_path_factory.mktemp("history")
    cfg = root / "regwarden.toml"
    cfg.write_text(f'[history]\npath = "{root / "h.db"}"\n', encoding="utf-8")
    for _ in range(2):
        assert main(["demo", "--out", str(root / "out"), "--format", "json", "--config", str(cfg)]) == 0
    return root / "h.db"


def _config(tmp_path: Path, db: Path) -> Path:
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(f'[history]\npath = "{db}"\n', encoding="utf-8")
    return cfg


def _sql(statement: str) -> Callable[[Path], None]:
    def damage(db: Path) -> None:
        with sqlite3.connect(db) as conn:
            conn.execute(statement)

    return damage


def _garbage_page(db: Path) -> None:
    """Overwrite the second page (the first table's) as a failing disk or a torn copy would."""
    with sqlite3.connect(db) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as f:
        f.seek(size)
        f.write(b"\xa5" * size)


DAMAGE = {
    "scanned_at-not-a-time": _sql("UPDATE scans SET scanned_at = 'garbage' WHERE id = 2"),
    "counts-not-json": _sql("UPDATE scans SET counts = '{bad' WHERE id = 2"),
    "malformed-page": _garbage_page,
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_corrupt_history_costs_the_drift_not_the_reports(
    damage: Callable[[Path], None], two_scans: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "h.db"
    shutil.copy(two_scans, db)
    damage(db)
    cfg = _config(tmp_path, db)
    code = main(["demo", "--out", str(tmp_path / "out"), "--format", "json", "--config", str(cfg)])
    err = capfd.readouterr().err
    assert code == 3, err
    assert (tmp_path / "out" / "report.json").is_file()
    assert "internal error" not in err
    said = [line for line in err.splitlines() if "history" in line]
    assert said, err
    assert len(said) == len(set(said)), err  # each problem once (every one was printed twice)


def test_history_and_diff_on_a_corrupt_history_answer_in_one_line(
    two_scans: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "h.db"
    shutil.copy(two_scans, db)
    _sql("UPDATE scans SET counts = '{bad' WHERE id = 2")(db)
    cfg = _config(tmp_path, db)
    for argv in (["history"], ["diff"], ["diff", "--json"]):
        capfd.readouterr()
        code = main([*argv, "--config", str(cfg)])
        err = capfd.readouterr().err
        assert code == 2, (argv, err)
        assert err.count("\n") == 1, (argv, err)
        assert "history is corrupt (scan 2: counts" in err, (argv, err)


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ('path = "h\\u0000.db"', "history.path"),  # a null character: no file can have that name
        ('url = "postgresql://u@[::1/db"', "history.url"),  # an unclosed IPv6 bracket
        ('url = "postgresql://u@db:notaport/x"', "history.url"),
    ],
)
def test_a_setting_that_cannot_name_a_database_is_bad_input(
    setting: str, named: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(f"[history]\n{setting}\n", encoding="utf-8")
    code = main(["history", "--config", str(cfg)])
    err = capfd.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert named in err


def test_diff_of_a_scan_id_beyond_any_integer_is_no_such_scan(
    two_scans: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cfg = _config(tmp_path, two_scans)
    assert main(["diff", "99999999999999999999", "1", "--config", str(cfg)]) == 2  # OverflowError, exit 4, before
    assert "no scan 99999999999999999999" in capfd.readouterr().err


def test_diff_json_to_a_reader_that_left_ends_quietly(two_scans: Path, tmp_path: Path) -> None:
    cfg = _config(tmp_path, two_scans)
    argv = [sys.executable, "-m", "scanner.cli", "diff", "--json", "--config", str(cfg)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        assert p.stdout is not None
        assert p.stderr is not None
        p.stdout.close()  # the reader leaves before the command writes (`| head -0`)
        err = p.stderr.read()
        assert p.wait(timeout=120) == 0, err  # 1 before (click's broken-pipe exit)
    assert err == b""
