"""Figures the hardening suite measures (cases generated, names checked, faults, trials, leaks).

Each test writes its counts to ``.pytest_cache/hardening-figures/<name>.json``; the suite's
conftest prints the totals at the end of the run (also under pytest-xdist, where tests run in
worker processes).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

DIR = Path(__file__).resolve().parents[2] / ".pytest_cache" / "hardening-figures"


def record(name: str, counts: Counter[str] | dict[str, int]) -> None:
    """Store one test's counts under ``name`` (one file per name, replaced atomically)."""
    DIR.mkdir(parents=True, exist_ok=True)
    tmp = DIR / f".{name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(dict(sorted(counts.items())), indent=1), encoding="utf-8")
    os.replace(tmp, DIR / f"{name}.json")


def collected() -> dict[str, dict[str, int]]:
    """Every stored figure by name."""
    if not DIR.is_dir():
        return {}
    out: dict[str, dict[str, int]] = {}
    for p in sorted(DIR.glob("*.json")):
        out[p.stem] = json.loads(p.read_text(encoding="utf-8"))
    return out


def lines(found: dict[str, dict[str, int]]) -> list[str]:
    """One line per figure name; names ``group--part`` are summed into one line per group."""
    grouped: dict[str, Counter[str]] = {}
    for name, counts in found.items():
        grouped.setdefault(name.split("--", 1)[0], Counter()).update(counts)
    return [f"{name}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())) for name, c in grouped.items()]


if __name__ == "__main__":
    print("\n".join(lines(collected())) or "no figures stored yet (run pytest tests/hardening)")
