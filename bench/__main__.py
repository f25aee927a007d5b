"""``python -m bench`` (``make bench``): generate, time, compare, write ``bench/results.json``, print the table.

Options: ``--sizes small,medium,large`` ``--repeat N`` (median of N fresh processes per size; the
large size runs once unless ``--repeat-large``), ``--cloudsplaining-timeout S`` (0 skips it),
``--estates DIR`` (generated bundles are cached there, keyed by size and seed), ``--collection-repos N``
(the collection row, :mod:`bench.collection`; 0 skips it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import collection
from bench.cli import account_file_alone, default_and_all
from bench.generate import DEFAULT_SEED, generate, generator_digest
from bench.sizes import SIZES
from bench.stages import STAGES
from bench.startup import compile_sources, startup

HERE = Path(__file__).resolve().parent
ANALYSE = ("graph", "reach", "rules", "drift", "json", "html")


def _estate(size: str, estates: Path, seed: int) -> dict[str, Any]:
    out = estates / size
    meta = out / "estate.json"
    if meta.exists():
        info: dict[str, Any] = json.loads(meta.read_text())
        fresh = (
            info.get("seed") == seed
            and info.get("params") == dataclasses.asdict(SIZES[size])
            and info.get("generator") == generator_digest()  # the same code made it
        )
        if fresh and (out / "bundle").is_dir():
            return info
    print(f"bench: generating the {size} estate into {out} …", file=sys.stderr)
    return generate(SIZES[size], out, seed)


def _stages(bundle: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.stages", str(bundle)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench: stages failed on {bundle}:\n{proc.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def _median_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out = dict(runs[0])
    stages: dict[str, Any] = {}
    for name in STAGES:
        secs = [r["stages"][name]["seconds"] for r in runs if r["stages"][name]["seconds"] is not None]
        if not secs:
            stages[name] = runs[0]["stages"][name]
            continue
        stages[name] = {
            "seconds": round(statistics.median(secs), 3),
            "runs": secs,
            "peak_rss_mb": max(r["stages"][name]["peak_rss_mb"] for r in runs),
        }
    out["stages"] = stages
    out["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    done = [s for s in stages.values() if s["seconds"] is not None]
    out["total_seconds"] = round(sum(s["seconds"] for s in done), 3)
    out["analyse_seconds"] = round(sum(stages[n]["seconds"] or 0 for n in ANALYSE), 3)
    out["seconds_per_1k_grants"] = round(out["total_seconds"] / max(out["grants"], 1) * 1000, 4)
    return out


def _cloudsplaining(authz: Path, timeout: float) -> dict[str, Any]:
    exe = shutil.which("cloudsplaining", path=str(Path(sys.executable).parent)) or shutil.which("cloudsplaining")
    if exe is None:
        return {"skipped": "cloudsplaining is not installed (pip install -r bench/requirements.txt)"}
    with tempfile.TemporaryDirectory(prefix="cloudsplaining-") as tmp:
        cmd = [exe, "scan", "--input-file", str(authz), "--output", tmp, "--skip-open-report"]
        proc = subprocess.run(
            [sys.executable, "-m", "bench.measure", str(timeout), "--", *cmd],
            capture_output=True,
            text=True,
            check=False,
        )
    data: dict[str, Any] = json.loads(proc.stdout)
    data["file"] = str(authz)
    data["file_mb"] = round(authz.stat().st_size / 1e6, 1)
    return data


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--sizes", default="small,medium,large")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-large", type=int, default=1)
    ap.add_argument("--cloudsplaining-timeout", type=float, default=float(os.environ.get("BENCH_CS_TIMEOUT", "300")))
    ap.add_argument("--estates", type=Path, default=HERE / ".estates")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--startup-repeat", type=int, default=15, help="runs per start-up command (0 skips the row)")
    ap.add_argument(
        "--collection-repos", type=int, default=2000, help="the collection row (bench/collection.py); 0 skips"
    )
    args = ap.parse_args(argv)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "seed": args.seed,
        "sizes": {},
    }
    compile_sources()  # as an installed copy is: every CLI row runs byte-compiled sources
    if args.startup_repeat > 0:
        print(f"bench: start-up, {args.startup_repeat} runs of each command …", file=sys.stderr)
        results["startup"] = startup(args.startup_repeat)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        info = _estate(size, args.estates, args.seed)
        bundle = args.estates / size / "bundle"
        n = args.repeat_large if size == "large" else args.repeat
        runs = []
        for i in range(max(1, n)):
            print(f"bench: {size} run {i + 1}/{n} …", file=sys.stderr)
            runs.append(_stages(bundle))
        entry = _median_runs(runs)
        entry["estate"] = info
        print(f"bench: {size}: regwarden analyse, default formats and --format all …", file=sys.stderr)
        entry["cli"] = default_and_all(bundle, n)
        if args.cloudsplaining_timeout > 0 and info["aws_authz_files"]:
            # The biggest account file of the estate (the only one for small and medium).
            rel = max(info["aws_authz_files"], key=lambda r: (bundle / r).stat().st_size)
            print(
                f"bench: {size}: cloudsplaining on {rel} (timeout {args.cloudsplaining_timeout:.0f}s) …",
                file=sys.stderr,
            )
            cs = _cloudsplaining(bundle / rel, args.cloudsplaining_timeout)
            with tempfile.TemporaryDirectory(prefix="regwarden-aws-") as tmp:
                alone = account_file_alone(bundle / rel, Path(tmp))
                print(f"bench: {size}: regwarden analyse on {rel} alone …", file=sys.stderr)
                ours = default_and_all(alone, max(1, n))
            cs["regwarden"] = ours
            cs["regwarden_seconds"] = ours["default"]["seconds"]
            cs["regwarden_peak_rss_mb"] = ours["default"]["peak_rss_mb"]
            if "seconds" in cs:
                cs["ratio"] = round(cs["seconds"] / max(cs["regwarden_seconds"], 1e-3), 1)
                cs["ratio_is_lower_bound"] = cs["timed_out"]
            entry["cloudsplaining"] = cs
        results["sizes"][size] = entry
        results["per_1k_grants"] = linearity(results["sizes"])
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwrote {args.out}")
    if args.collection_repos > 0:
        collection.main(["--repos", str(args.collection_repos)])
    return 0


def startup_lines(results: dict[str, Any]) -> list[str]:
    """The start-up row: median wall time and peak memory of each command, as a user runs it."""
    st = results.get("startup")
    if not st:
        return []
    out = [f"start-up ({st['command']}, median of {st['repeat']} fresh processes; targets 0.3 s and 0.6 s):"]
    for key, label in (("help", "--help"), ("analyse_one_user", "analyse, one-user AWS bundle")):
        r = st[key]
        out.append(f"  {label:<32} {r['seconds']:.3f} s  {r['peak_rss_mb']:.0f} MB")
    return out


def table(results: dict[str, Any]) -> str:
    """The results as a fixed-width text table."""
    head = startup_lines(results)
    sizes = results["sizes"]
    if not sizes:
        return "\n".join(head)
    names = list(sizes)
    rows: list[list[str]] = [["", *names]]

    def row(label: str, fn: Any) -> None:
        rows.append([label, *[fn(sizes[n]) for n in names]])

    row("identities", lambda e: f"{e['identities']:,}")
    row("nodes / edges", lambda e: f"{e['nodes']:,} / {e['edges']:,}")
    row("grants", lambda e: f"{e['grants']:,}")
    row("bundle files / MB", lambda e: f"{e['estate']['files']:,} / {e['estate']['bytes'] / 1e6:.0f}")
    for st in STAGES:
        row(
            f"{st} s (peak MB)",
            lambda e, st=st: (
                "n/a"
                if e["stages"][st]["seconds"] is None
                else f"{e['stages'][st]['seconds']:.2f} ({e['stages'][st]['peak_rss_mb']:.0f})"
            ),
        )
    row("analyse s (graph..html)", lambda e: f"{e['analyse_seconds']:.2f}")
    row("total s", lambda e: f"{e['total_seconds']:.2f}")
    row("peak MB", lambda e: f"{e['peak_rss_mb']:.0f}")
    row("s per 1k grants", lambda e: f"{e['seconds_per_1k_grants']:.4f}")
    row("findings", lambda e: f"{e['findings']:,}")

    def cli(e: dict[str, Any], key: str) -> str:
        c = e.get("cli")
        return "n/a" if not c else f"{c[key]['seconds']:.2f}s {c[key]['peak_rss_mb']:.0f}MB"

    row("CLI default formats", lambda e: cli(e, "default"))
    row("CLI --format all", lambda e: cli(e, "all"))
    row(
        "all / default (time, mem)",
        lambda e: f"{e['cli']['time_ratio']}x, {e['cli']['memory_ratio']}x" if e.get("cli") else "n/a",
    )

    def cs(e: dict[str, Any]) -> str:
        c = e.get("cloudsplaining")
        if not c or "seconds" not in c:
            return "n/a"
        t = f">{c['seconds']:.0f}" if c["timed_out"] else f"{c['seconds']:.1f}"
        return f"{t}s {c['peak_rss_mb']:.0f}MB"

    row("cloudsplaining (1 acct)", cs)
    row(
        "regwarden CLI (file alone)",
        lambda e: (
            f"{e['cloudsplaining']['regwarden_seconds']:.2f}s {e['cloudsplaining']['regwarden_peak_rss_mb']:.0f}MB"
            if "cloudsplaining" in e
            else "n/a"
        ),
    )
    row(
        "  with --format all",
        lambda e: (
            f"{e['cloudsplaining']['regwarden']['all']['seconds']:.2f}s "
            f"{e['cloudsplaining']['regwarden']['all']['peak_rss_mb']:.0f}MB"
            if "regwarden" in e.get("cloudsplaining", {})
            else "n/a"
        ),
    )
    row(
        "ratio",
        lambda e: (
            (">" if e["cloudsplaining"]["ratio_is_lower_bound"] else "") + f"{e['cloudsplaining']['ratio']}x"
            if "ratio" in e.get("cloudsplaining", {})
            else "n/a"
        ),
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [*head, *([""] if head else [])]
    lines += ["  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)) for r in rows]
    lin = linearity(sizes)
    if lin:
        lines.append(
            f"\ntime per 1k grants (target: within 2x): largest estate / smallest estate "
            f"{lin['largest_over_smallest_estate']:.2f}x; highest / lowest of all sizes {lin['highest_over_lowest']:.2f}x"
        )
    return "\n".join(lines)


def linearity(sizes: dict[str, Any]) -> dict[str, float]:
    """Time per 1k grants compared across sizes, both ways the target can be read: the largest
    estate against the smallest, and the highest value against the lowest (an estate in between can
    be the cheapest per grant: medium is one dense AWS account)."""
    by_grants = sorted((e for e in sizes.values() if e.get("grants")), key=lambda e: e["grants"])
    per = [e["seconds_per_1k_grants"] for e in by_grants]
    if len(per) < 2 or min(per) <= 0:
        return {}
    return {
        "largest_over_smallest_estate": round(per[-1] / per[0], 2),
        "highest_over_lowest": round(max(per) / min(per), 2),
    }


if __name__ == "__main__":
    raise SystemExit(main())
