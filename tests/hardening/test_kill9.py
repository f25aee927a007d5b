"""kill -9 at random points of ``regwarden analyse`` with [history]: the history written before stays
readable (and every scan in it loads), and the reports folder only ever holds complete reports."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from scanner.store import HistoryStore, database_url
from tests.hardening import figures
from tests.hardening.bundles import DEMO

TRIALS = int(os.environ.get("REGWARDEN_KILL_TRIALS", "6"))
REPORTS = ("report.json", "report.html", "report.sarif", "report.oscal.json", "graph.graphml", "findings.csv")


def _run(cfg: Path, out: Path) -> subprocess.Popen[bytes]:
    code = "import sys; from scanner.cli import main; sys.exit(main(sys.argv[1:]))"
    args = [sys.executable, "-c", code, "analyse", str(DEMO), "--out", str(out), "--config", str(cfg)]
    args += ["--format", "json,html,sarif,oscal,graphml,csv", "--fail-on", "none"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cfg.parent)


def _history(db: Path) -> list[int]:
    store = HistoryStore.open(database_url(None, db))
    try:
        ids = [s.id for s in store.scans()]
        for i in ids:
            store.load(i)  # every kept scan still loads in full
        return ids
    finally:
        store.close()


def _complete(out: Path) -> list[str]:
    """Every report present parses in full; returns the visible (non-staging) file names."""
    for name in REPORTS:
        p = out / name
        if not p.exists():
            continue
        if name.endswith((".json", ".sarif")):
            json.loads(p.read_text(encoding="utf-8"))
        elif name.endswith(".graphml"):
            ET.parse(p)  # noqa: S314
        elif name.endswith(".html"):
            assert p.read_text(encoding="utf-8").rstrip().endswith("</html>")
        elif name.endswith(".csv"):
            assert p.read_text(encoding="utf-8").endswith("\n")
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def test_kill_9_never_leaves_a_half_written_report_or_history(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(f'[history]\npath = "{db}"\n', encoding="utf-8")
    out = tmp_path / "out"
    first = _run(cfg, out)
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    before = _history(db)
    assert len(before) == 1
    visible = _complete(out)
    assert set(REPORTS) <= set(visible)
    rng = random.Random(20261128)
    outcomes: Counter[str] = Counter()
    start = time.perf_counter()
    probe = _run(cfg, out)
    assert probe.wait(timeout=120) == 0
    t_full = time.perf_counter() - start
    previous = _history(db)
    for _ in range(TRIALS):
        proc = _run(cfg, out)
        time.sleep(rng.uniform(0.05, 0.7 * t_full))  # mostly before it would finish
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        if proc.stderr:
            proc.stderr.close()
        now = _history(db)  # readable after every kill
        assert set(previous) <= set(now), "an earlier scan vanished from history"
        assert len(now) in (len(previous), len(previous) + 1)
        assert set(REPORTS) <= set(_complete(out))  # old or new, never half-written
        outcomes["killed" if killed else "finished before the kill"] += 1
        outcomes["history kept" if len(now) == len(previous) else "history gained the scan"] += 1
        previous = now
    outcomes["trials"] = TRIALS
    outcomes["half-written reports"] = 0
    outcomes["unreadable history"] = 0
    figures.record("kill9", outcomes)
