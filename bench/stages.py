"""Run every analysis stage on one bundle, timing each: ``python -m bench.stages BUNDLE``.

Run in a fresh process per size and repetition (the runner does that), so the peak resident memory
(``ru_maxrss``) read after each stage is this bundle's alone. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from scanner.analyse import coverage_of, load_bundle, sort_findings
from scanner.drift.pipeline import record
from scanner.drift.settings import HistorySettings
from scanner.findings import Finding
from scanner.graph import ScanGraph
from scanner.heap import collector_paused
from scanner.link import resolve_hints
from scanner.model import EdgeKind, Inventory, NodeKind
from scanner.plugins import connectors, formats
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from scanner.rules import RULES, RuleContext

T = TypeVar("T")
STAGES = ("read+transform", "graph", "reach", "rules", "drift", "json", "html")


def _peak_mb() -> float:
    # Linux reports ru_maxrss in KiB. A big bundle is read partly in a worker process: its peak is
    # added (an upper bound of the two processes' peak together).
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


class Timer:
    """Times stages one after the other and records the process's peak memory after each."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float | None]] = {}

    def run(self, name: str, fn: Callable[[], T]) -> T:
        """Run and time one stage."""
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        self.stages[name] = {"seconds": round(time.perf_counter() - t0, 4), "peak_rss_mb": round(_peak_mb(), 1)}
        return out


def read(bundle: Path) -> tuple[Inventory, tuple[str, ...], datetime | None]:
    """Read and transform the bundle as ``regwarden analyse`` does (``scanner.analyse.load_bundle``:
    both cores on a big bundle)."""
    loaded = load_bundle(bundle, connectors())
    return loaded.inventory, loaded.scopes, loaded.collected_at


def logical_grants(inv: Inventory) -> int:
    """How many ``grants`` edges the inventory stands for, those held through junctions included and
    merged by key as ``Inventory.expanded_edges`` merges them (what "per 1k grants" divides by, the
    same count as before relations were kept compact), one node at a time: never the whole product."""
    into: dict[str, list[str]] = {}  # node -> the junctions it holds
    out_of: dict[str, list[tuple[str, str]]] = {}  # junction -> its grants (destination, via)
    direct: dict[str, set[tuple[str, str]]] = {}
    for e in inv.edges():
        if inv.is_junction(e.dst):
            into.setdefault(e.src, []).append(e.dst)
        elif e.kind is EdgeKind.GRANTS:
            if inv.is_junction(e.src):
                out_of.setdefault(e.src, []).append((e.dst, e.via))
            else:
                direct.setdefault(e.src, set()).add((e.dst, e.via))
    total = sum(len(v) for k, v in direct.items() if k not in into)
    for src, held in into.items():
        keys = set(direct.get(src, ()))
        for j in held:
            keys.update(k for k in out_of.get(j, ()) if k[0] != src)
        total += len(keys)
    return total


def run(bundle: Path, out_dir: Path) -> dict[str, Any]:
    """Every stage on ``bundle``; reports go to ``out_dir``. The cyclic garbage collector is paused
    as ``regwarden analyse|scan|demo`` pause it (scanner/heap.py); the untimed ``gc.collect()``
    before each stage still runs."""
    with collector_paused():
        return _run(bundle, out_dir)


def _run(bundle: Path, out_dir: Path) -> dict[str, Any]:
    timer = Timer()
    inv, scopes, when = timer.run("read+transform", lambda: read(bundle))

    def build_graph() -> ScanGraph:
        resolve_hints(inv)
        return ScanGraph(inv)

    graph = timer.run("graph", build_graph)
    reach = timer.run("reach", lambda: ReachIndex.build(graph))
    now = when or datetime.now().astimezone()

    def rules() -> ScanResult:
        ctx = RuleContext(graph=graph, reach=reach, now=now)
        found: dict[str, Finding] = {}
        for rule in RULES:
            for f in rule.evaluate(ctx):
                found.setdefault(f.id, f)
        return ScanResult(
            generated_at=now,
            source=str(bundle),
            scopes=scopes,
            inventory=inv,
            reach=reach,
            findings=sort_findings(list(found.values())),
            rules=RULES,
            gaps=tuple(inv.gaps),
            coverage=coverage_of(RULES, ctx, found.values()),
        )

    result = timer.run("rules", rules)
    with tempfile.TemporaryDirectory(prefix="regwarden-bench-history-") as hist:
        history = HistorySettings(path=Path(hist) / "history.db")
        # The previous scan of the same estate (a day earlier), saved untimed: the timed stage is what
        # a scheduled scan pays, save this scan to SQLite and diff it against the one before.
        record(replace(result, generated_at=result.generated_at - timedelta(days=1)), history)
        result = timer.run("drift", lambda: record(result, history))
    fmts = formats()
    for name in ("json", "html"):
        timer.run(name, lambda name=name: fmts[name].render(result, out_dir))  # type: ignore[misc]
    grants = logical_grants(inv)
    kinds = {k.value: 0 for k in NodeKind}
    for n in inv.nodes():
        kinds[n.kind.value] += 1
    return {
        "bundle": str(bundle),
        "stages": timer.stages,
        "nodes": len(inv),
        "nodes_by_kind": kinds,
        "identities": kinds["identity"],
        "edges": inv.edge_count,
        "grants": grants,
        "stored_grants": sum(1 for e in inv.edges() if e.kind is EdgeKind.GRANTS),
        "reach_pairs": sum(reach.size(nid) for nid in graph.ids[: graph.node_count]),
        "components": reach.stats.components,
        "findings": len(result.findings),
        "report_bytes": {f.name: f.stat().st_size for f in sorted(out_dir.iterdir()) if f.is_file()},
        "peak_rss_mb": round(_peak_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: time the stages on one bundle and print JSON."""
    ap = argparse.ArgumentParser(prog="python -m bench.stages")
    ap.add_argument("bundle", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="keep the reports here (default: a temporary folder)")
    args = ap.parse_args(argv)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        res = run(args.bundle, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="regwarden-bench-") as tmp:
            res = run(args.bundle, Path(tmp))
    json.dump(res, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
