"""The page-cache prefetcher of a big bundle's reading: it advises every listed file in the readers'
order, never blocks on what is not a regular file any more, stops when told, and changes nothing the
readers read."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from scanner.analyse import load_bundle
from scanner.demo_estate import BUNDLE
from scanner.model import Inventory
from scanner.plugins import connectors
from scanner.prefetch import Prefetch

needs_fadvise = pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise on this system")


def _advised(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The advice given through ``os.posix_fadvise`` from now on (the OS call, observed at the system
    boundary and still made)."""
    advised: list[int] = []
    lock = threading.Lock()
    real = os.posix_fadvise

    def record(fd: int, offset: int, length: int, advice: int) -> None:
        with lock:
            advised.append(advice)
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", record)
    return advised


@needs_fadvise
def test_every_file_is_advised_once_through_missing_files_and_a_fifo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(30):
        (tmp_path / f"f{i:02d}.json").write_text("{}", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe")  # listed as a file, then swapped for a FIFO: opening it must not block
    advised = _advised(monkeypatch)
    streams = [
        [f"f{i:02d}.json" for i in range(0, 30, 2)] + ["gone.json"],
        [f"f{i:02d}.json" for i in range(1, 30, 2)] + ["pipe"],
    ]
    p = Prefetch(str(tmp_path), streams, threads=4)
    assert p.files == 32
    for t in p._threads:
        t.join(timeout=10)
    assert not p.running
    # 30 regular files and the FIFO (opened without blocking; the kernel refuses it advice); the missing one skipped
    assert advised == [os.POSIX_FADV_WILLNEED] * 31


@needs_fadvise
def test_stop_ends_the_threads_after_the_file_each_is_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = []
    for i in range(200):
        (tmp_path / f"{i}.txt").write_bytes(b"x")
        files.append(f"{i}.txt")
    advised: list[int] = []
    release = threading.Event()

    def slow(fd: int, offset: int, length: int, advice: int) -> None:
        advised.append(advice)
        release.wait(10)  # each thread is held on its first file until the prefetch is stopped

    monkeypatch.setattr(os, "posix_fadvise", slow)
    p = Prefetch(str(tmp_path), [files], threads=2)
    p.stop()
    release.set()
    for t in p._threads:
        t.join(timeout=10)
    assert not p.running
    assert len(advised) <= 2  # at most the file each thread was on; the other 198 never asked for


def test_nothing_starts_without_posix_fadvise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "posix_fadvise")  # as on macOS and Windows
    p = Prefetch(str(tmp_path), [["a", "b"]])
    assert p._threads == []
    assert not p.running


def _shape(inv: Inventory) -> tuple[list[object], list[object]]:
    return list(inv.nodes()), list(inv.edges())


@needs_fadvise
def test_a_prefetched_reading_reads_what_a_plain_one_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = load_bundle(BUNDLE, connectors(), parallel_min_files=10**9, prefetch_min_files=10**9)
    advised = _advised(monkeypatch)
    both = load_bundle(BUNDLE, connectors(), parallel_min_files=1, worker_cost=0, prefetch_min_files=1)
    alone = load_bundle(BUNDLE, connectors(), parallel_min_files=10**9, prefetch_min_files=1)
    assert advised  # the prefetcher ran (it may be stopped before the last file: reading ended first)
    assert _shape(both.inventory) == _shape(plain.inventory)
    assert _shape(alone.inventory) == _shape(plain.inventory)
    assert both.inventory.gaps == plain.inventory.gaps
    advised.clear()
    load_bundle(BUNDLE, connectors(), parallel_min_files=10**9, prefetch_min_files=10**9)
    assert advised == []  # below the threshold nothing is advised
