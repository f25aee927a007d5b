"""The cyclic collector is paused for an analysis and resumed after it, errors included."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.analyse import analyse, load_bundle
from scanner.cli import main
from scanner.demo_estate import BUNDLE
from scanner.heap import collector_paused
from scanner.plugins import connectors, formats


def _fail_inside() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()
        raise RuntimeError("boom")


def test_paused_then_resumed_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        _fail_inside()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def _passes(fn: Callable[[], object]) -> list[int]:
    """Generations of the collector passes that ran during ``fn``."""
    passes: list[int] = []

    def seen(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.collect()
    gc.callbacks.append(seen)
    try:
        fn()
    finally:
        gc.callbacks.remove(seen)
    return passes


def test_the_cli_analyses_with_the_collector_paused(tmp_path: Path) -> None:
    def cli() -> None:
        main(["demo", "--out", str(tmp_path / "out"), "--format", "json"])

    def library() -> None:  # the same analysis with the collector running, as a library caller runs it
        loaded = load_bundle(BUNDLE, connectors())
        result = analyse(loaded.inventory, source="demo", scopes=loaded.scopes, as_of=loaded.collected_at)
        formats()["json"].render(result, tmp_path)

    old = gc.get_threshold()
    gc.set_threshold(100, 10, 10)  # frequent passes, so the counts are far apart whatever is cached
    try:
        cli()  # warm every cache first
        running = _passes(library)
        paused = _passes(cli)  # only the passes of argument parsing and printing remain
    finally:
        gc.set_threshold(*old)
    assert len(running) >= 40, running
    assert len(paused) * 3 <= len(running), (paused, running)
    assert gc.isenabled()


END = r"""
import logging, multiprocessing, sys, time
from scanner.heap import end_process

def sleep():
    time.sleep(120)

if __name__ == "__main__":
    child = multiprocessing.get_context("spawn").Process(target=sleep)
    child.start()
    print("child", child.pid, flush=True)
    logging.basicConfig(stream=sys.stderr, format="log: %(message)s")
    logging.getLogger("regwarden").warning("said")
    sys.stdout.write("no newline, not flushed")
    end_process(3)
    print("never")
"""


def test_end_process_flushes_stops_children_and_keeps_the_code(tmp_path: Path) -> None:
    """The installed command ends through end_process: what was printed and logged is out, a worker
    still running is stopped (not left reading as an orphan), and the exit code is the command's."""
    import os
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "end.py"
    script.write_text(END, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 3, done.stderr
    first, rest = done.stdout.split("\n", 1)
    assert rest == "no newline, not flushed"
    assert "log: said" in done.stderr
    pid = int(first.split()[1])
    for _ in range(50):  # terminated; reaped by init once its parent is gone
        if not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the child {pid} still runs")


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize(
    "bundle", [BUNDLE, *sorted(p for p in FIXTURES.glob("*/bundle") if p.is_dir())], ids=lambda p: p.parent.name
)
def test_reading_a_bundle_leaves_no_reference_cycles(bundle: Path) -> None:
    """The reading worker runs without the cyclic collector, and this process pauses it for an analysis:
    whatever a connector's reading makes must be freed by reference counting. A builder kept in the
    objects it builds, or a recursive closure, is a cycle that keeps everything it reaches until a
    collector pass (~900k objects for the benchmark's large GitHub estate, before they were broken)."""
    load_bundle(bundle, connectors(), parallel_min_files=10**9)  # module caches filled first
    gc.collect()
    gc.disable()
    try:
        load_bundle(bundle, connectors(), parallel_min_files=10**9)
        gc.set_debug(gc.DEBUG_SAVEALL)
        found = gc.collect()
        kinds = sorted({type(o).__qualname__ for o in gc.garbage})[:10]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert found == 0, kinds


def test_the_installed_command_holds_its_analysis_until_the_end() -> None:
    """Freeing a large analysis object by object when the command's function returns cost ~0.8 s on
    the benchmark's large estate; the installed command (and only it) leaves that to the process's end,
    and a scheduler running scan after scan in one process frees each one."""
    import weakref

    from scanner import heap

    class Big:
        pass

    try:
        obj = Big()
        ref = weakref.ref(obj)
        heap.hold(obj)  # not the installed command: nothing is held
        del obj
        assert ref() is None
        heap.hold_until_exit()
        obj = Big()
        ref = weakref.ref(obj)
        heap.hold(obj)
        del obj
        assert ref() is not None
        heap.free_as_you_go()  # `regwarden schedule`
        assert ref() is None
        obj = Big()
        ref = weakref.ref(obj)
        heap.hold(obj)
        del obj
        assert ref() is None
    finally:
        heap.free_as_you_go()


def test_the_installed_command_leaves_the_paused_block_without_a_pass_over_it() -> None:
    """Resuming the collector after an analysis left every object the analysis made in the youngest
    generation, and the first automatic pass walked them all (~2.5 s on the large benchmark estate).
    The installed command moves them to the permanent generation; a scheduler's process does not."""
    from scanner import heap

    def made_while_paused() -> list[list[int]]:
        with heap.collector_paused():
            return [[i] for i in range(5000)]

    gc.collect()
    before = gc.get_freeze_count()
    try:
        kept = made_while_paused()  # a library caller or the scheduler: nothing frozen
        assert gc.get_freeze_count() == before
        assert gc.get_count()[0] >= 5000 or gc.get_count()[1] > 0  # left to the collector
        heap.hold_until_exit()
        kept = made_while_paused()
        assert gc.get_freeze_count() >= before + len(kept)
        assert gc.get_count()[0] < 1000  # nothing left young for the next pass to walk
        passes = _passes(lambda: [[i] for i in range(2000)])
        assert passes  # the collector still runs for what comes after
    finally:
        heap.free_as_you_go()
        gc.unfreeze()
        gc.collect()
