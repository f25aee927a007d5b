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
