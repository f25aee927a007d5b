"""The work behind ``regwarden diff``, ``regwarden history`` and the drift lines of a scan summary.

The CLI module stays thin: it parses options and calls these.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.console import console as make_console
from scanner.drift.history import ScanDrift, diff
from scanner.drift.iac import DriftKind
from scanner.drift.pipeline import open_store
from scanner.drift.render import drift_json, history_json
from scanner.errors import ConfigError
from scanner.result import ScanResult
from scanner.textsafe import for_terminal

if TYPE_CHECKING:  # pydantic settings are imported by the commands that read a configuration
    from scanner.config import FileConfig
    from scanner.drift.settings import HistorySettings

DRIFT_FILE = "drift.json"


def write_drift(result: ScanResult, out: Path) -> Path | None:
    """Write ``drift.json`` (IaC and scan-to-scan drift) atomically; None when there is no drift data."""
    if result.iac is None and result.drift is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    target = out / DRIFT_FILE
    fd, tmp = tempfile.mkstemp(prefix=".drift-", dir=out)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(drift_json(result.iac, result.drift), f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, target)
    return target


def print_drift(result: ScanResult, console: Console | None = None) -> None:
    """A few summary lines for the terminal."""
    c = console or make_console()
    if result.iac is not None:
        counts = {k: len(result.iac.of(k)) for k in DriftKind}
        cov = ", ".join(f"{x.provider} {x.percent:.0f}%" for x in result.iac.coverage) or "no manageable objects"
        c.print(
            Text(
                f"IaC drift: {counts[DriftKind.UNMANAGED]} unmanaged, {counts[DriftKind.MISSING]} missing, "
                f"{counts[DriftKind.CHANGED]} changed; managed coverage: {cov}"
            )
        )
    if result.drift is not None:
        c.print(Text(_drift_line(result.drift)))


def _drift_line(d: ScanDrift) -> str:
    if d.old is None:
        return f"history: scan {d.new} saved (first scan: nothing to compare)"
    return (
        f"since scan {d.old}: {len(d.new_writers)} new writer(s), {len(d.removed_writers)} removed, "
        f"{len(d.widened)} widened, {len(d.narrowed)} narrowed, {len(d.new_prod_paths)} new path(s) to production, "
        f"{len(d.deadlines_crossed)} deadline(s) crossed, {len(d.opened)} finding(s) opened, {len(d.closed)} closed"
    )


def _history(file: FileConfig | None) -> HistorySettings:
    from scanner.drift.settings import HistorySettings

    return file.history if file is not None and file.history is not None else HistorySettings()


def history(file: FileConfig | None, limit: int) -> int:
    """Print the stored scans, newest first."""
    store = open_store(_history(file))
    try:
        rows = store.scans(limit)
    finally:
        store.close()
    console = make_console()
    table = Table(title=f"Scans in {store.where}")
    for col in ("id", "time", "source", "critical", "high", "medium", "low", "info", "suppressed", "partial"):
        table.add_column(col)
    for s in rows:
        c = s.counts
        table.add_row(
            str(s.id), s.time.isoformat(timespec="seconds"), Text(for_terminal(s.source, 60)),
            *(str(c.get(k, 0)) for k in ("critical", "high", "medium", "low", "info", "suppressed")),
            "yes" if s.partial else "",
        )  # fmt: skip
    console.print(table)
    if not rows:
        console.print(Text("no scans yet: run `regwarden scan` (or analyse/demo with --config) with [history] on"))
    return 0


def diff_scans(file: FileConfig | None, old: int | None, new: int | None, as_json: bool) -> int:
    """Compare two stored scans (default: the last two) and print the drift."""
    store = open_store(_history(file))
    try:
        if new is None or old is None:
            latest = store.latest(2)
            if new is None:
                if not latest:
                    raise ConfigError("diff: the history is empty")
                new = latest[0]
            if old is None:
                older = [i for i in store.latest(1_000_000) if i < new]
                if not older:
                    raise ConfigError(f"diff: no scan before scan {new} to compare with")
                old = older[0]
        a, b = store.load(old), store.load(new)
        d = diff(a, b)
    finally:
        store.close()
    if as_json:
        text = json.dumps(history_json(d), indent=2) + "\n"
        try:  # flushed here, so that a reader who left (`| head -1`) is seen here, not by click (exit 1)
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # as every other command: the work is done, nothing went wrong
            make_console().on_broken_pipe()
        return 0
    console = make_console()
    console.print(Text(_drift_line(d)))
    for title, rows in (("new writers", d.new_writers), ("removed writers", d.removed_writers),
                        ("widened", d.widened), ("narrowed", d.narrowed)):  # fmt: skip
        for r in rows:
            change = " ".join([*(f"+{x}" for x in r.added), *(f"-{x}" for x in r.removed)])
            console.print(Text(f"  {title}: {for_terminal(r.node)}  {for_terminal(change, 300)}"))
    for p in d.new_prod_paths:
        console.print(Text(f"  new path to production: {for_terminal(p.node)} -> {for_terminal(p.resource)}"))
    for x in d.deadlines_crossed:
        console.print(Text(f"  {x.what}: {for_terminal(x.node)} at {x.when.isoformat()}"))
    for f in d.opened:
        console.print(Text(f"  opened: {f.severity} {f.rule} {for_terminal(f.subject)} ({f.id})"))
    for f in d.closed:
        console.print(Text(f"  closed: {f.severity} {f.rule} {for_terminal(f.subject)} ({f.id})"))
    return 0
