"""Whole runs of the installed ``regwarden analyse``, the way a user runs it (a fresh process, wall time
and peak memory measured from outside by :mod:`bench.measure`): an estate with the default report
formats and with ``--format all``, and one AWS account file alone beside Cloudsplaining.

``python -m bench.cli BUNDLE [--repeat N]`` prints the figures of one bundle as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.startup import compile_sources, regwarden_command, timed


def analyse(bundle: Path, formats: str | None, repeat: int, timeout: float = 900.0) -> dict[str, Any]:
    """``regwarden analyse BUNDLE`` (``--format FORMATS`` when given), ``repeat`` fresh processes; the
    reports go to a temporary folder, their sizes are recorded."""
    with tempfile.TemporaryDirectory(prefix="regwarden-cli-") as tmp:
        out = Path(tmp) / "out"
        cmd = [*regwarden_command(), "analyse", str(bundle), "--out", str(out), "--fail-on", "none"]
        if formats:
            cmd += ["--format", formats]
        # A warm-up run reads the bundle into the page cache, as the runs of the other sizes had it.
        data = timed(cmd, repeat, timeout, warm_up=repeat > 1)
        data["report_bytes"] = {p.name: p.stat().st_size for p in sorted(out.iterdir())} if out.is_dir() else {}
    return data


def default_and_all(bundle: Path, repeat: int) -> dict[str, Any]:
    """The default formats and ``--format all`` on one bundle, and their ratios (target: ≤ 1.5×)."""
    default = analyse(bundle, None, repeat)
    every = analyse(bundle, "all", repeat)
    return {
        "default": default,
        "all": every,
        "time_ratio": round(every["seconds"] / max(default["seconds"], 1e-3), 2),
        "memory_ratio": round(every["peak_rss_mb"] / max(default["peak_rss_mb"], 1e-3), 2),
    }


def account_file_alone(authz: Path, root: Path) -> Path:
    """A bundle holding only ``authz`` (one account's ``iam-get-account-authorization-details.json``):
    exactly what Cloudsplaining reads. A hard link when the file system allows it (a bundle never
    follows a symbolic link out of itself)."""
    target = root / "bundle" / "aws" / authz.parent.name / authz.name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(authz, target)
    except OSError:
        shutil.copyfile(authz, target)
    return root / "bundle"


def main(argv: list[str] | None = None) -> int:
    """Command line: default formats and ``--format all`` on one bundle, JSON on stdout."""
    ap = argparse.ArgumentParser(prog="python -m bench.cli")
    ap.add_argument("bundle", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    compile_sources()
    json.dump(default_and_all(args.bundle, args.repeat), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
