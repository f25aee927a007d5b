"""A big bundle is read on two processes; the inventory is the one a single process reads."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scanner import analyse
from scanner.analyse import _plan, load_bundle
from scanner.bundle import BundleReader
from scanner.demo_estate import BUNDLE
from scanner.errors import BundleError
from scanner.model import Edge, Inventory, Node
from scanner.plugins import connectors


def _shape(inv: Inventory) -> tuple[list[Node], list[Edge], list[str]]:
    return list(inv.nodes()), list(inv.edges()), sorted(map(repr, inv.hints))


def test_two_processes_read_what_one_reads(caplog: pytest.LogCaptureFixture) -> None:
    one = load_bundle(BUNDLE, connectors(), parallel_min_files=10**9)
    with caplog.at_level(logging.INFO, logger="regwarden"):
        two = load_bundle(BUNDLE, connectors(), parallel_min_files=1, worker_cost=0)
    assert any("in a worker" in r.getMessage() for r in caplog.records)  # the worker did read
    assert _shape(two.inventory) == _shape(one.inventory)  # same nodes and edges, same order
    assert two.inventory.gaps == one.inventory.gaps
    assert (two.scopes, two.collected_at) == (one.scopes, one.collected_at)


def test_a_bad_file_read_in_the_worker_is_one_bundle_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLE, root)
    # the demo's PyPI folder is the lighter one: the worker reads it
    files = list(BundleReader(root).files(""))
    assert _plan(root, files, ["github", "pypi"], 1, 0) == (["github"], ["pypi"])
    assert _plan(root, files, ["github", "pypi"], 10**9, 0) == (["github", "pypi"], [])
    bad = next(p for p in sorted((root / "pypi").rglob("*.json")))
    bad.write_text('{"info": ', encoding="utf-8")
    rel = bad.relative_to(root).as_posix()
    with caplog.at_level(logging.INFO, logger="regwarden"), pytest.raises(BundleError) as err:
        load_bundle(root, connectors(), parallel_min_files=1, worker_cost=0)
    assert str(err.value).startswith(f"{rel}: invalid JSON")
    assert err.value.file == rel
    with pytest.raises(BundleError) as alone:
        load_bundle(root, connectors(), parallel_min_files=10**9)
    assert str(alone.value) == str(err.value)


def test_a_worker_that_cannot_start_is_replaced_by_reading_here(tmp_path: Path) -> None:
    # A caller's script without a __main__ guard: under "spawn" the worker re-runs the script and
    # dies while starting. The folders are then read in the calling process, with a warning.
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import logging, sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from scanner.analyse import load_bundle\n"
        "from scanner.demo_estate import BUNDLE\n"
        "from scanner.plugins import connectors\n"
        "loaded = load_bundle(BUNDLE, connectors(), parallel_min_files=1, worker_cost=0)\n"
        "print('NODES', len(loaded.inventory), loaded.inventory.edge_count)\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    one = load_bundle(BUNDLE, connectors(), parallel_min_files=10**9).inventory
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"NODES {len(one)} {one.edge_count}" in done.stdout
    assert "the reader process failed" in done.stderr


def test_the_worker_starts_while_the_bundle_is_listed(caplog: pytest.LogCaptureFixture) -> None:
    # A big bundle's worker process is started from the walk, as soon as the file count says the
    # bundle is big, and then reads; the walk calls back once, with every top-level folder.
    calls: list[list[str]] = []
    reader = BundleReader(BUNDLE, on_many_files=(1, calls.append))
    providers = reader.providers()
    assert [sorted(c) for c in calls] == [providers]
    assert BundleReader(BUNDLE, on_many_files=(10**9, calls.append)).providers() == providers
    assert len(calls) == 1  # never called below the count
    one = load_bundle(BUNDLE, connectors(), parallel_min_files=10**9)
    with caplog.at_level(logging.INFO, logger="regwarden"):
        two = load_bundle(BUNDLE, connectors(), parallel_min_files=1, worker_cost=0)
    assert any("in a worker" in r.getMessage() for r in caplog.records)
    assert _shape(two.inventory) == _shape(one.inventory)


def test_folder_costs_are_bytes_plus_a_share_a_file_and_scale_from_evenly_spaced_files(tmp_path: Path) -> None:
    # Up to _SIZED files, every size counts; beyond, the sizes of evenly spaced files are scaled to
    # the folder (the plan only weighs folders against each other).
    few = [f"aws/{i}.json" for i in range(3)]
    many = [f"github/{i:05d}.yml" for i in range(analyse._SIZED * 3 + 7)]
    for rel, size in [*((r, 100_000) for r in few), *((r, 10) for r in many)]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x" * size)
    cost = analyse.folder_costs(tmp_path, few + many + ["manifest.json"], ["aws", "github", "pypi"])
    per = analyse._PER_FILE
    assert cost == {"aws": 300_000 + 3 * per, "github": 10 * len(many) + per * len(many), "pypi": 0}
    # a skewed folder: the estimate stays within the sampled share of the truth
    (tmp_path / many[1]).write_bytes(b"x" * 5_000)  # not one of the sampled files (every 4th)
    assert analyse.folder_costs(tmp_path, many, ["github"])["github"] == cost["github"]
    (tmp_path / many[0]).write_bytes(b"x" * 5_000)  # sampled: counted for the 4 files it stands for
    sampled = len(many[::4])
    assert analyse.folder_costs(tmp_path, many, ["github"])["github"] == (
        (10 * sampled + 4_990) * len(many) // sampled + per * len(many)
    )


def test_the_reading_worker_runs_without_the_cyclic_collector() -> None:
    # It only reads and hands its inventories back: passes after its reading walked everything it
    # had made while the result was pickled (~2 s at large, while the main process waited).
    import gc

    pool = analyse._reader_pool()
    try:
        assert pool.submit(gc.isenabled).result(timeout=60) is False
    finally:
        pool.shutdown()
    assert gc.isenabled()
