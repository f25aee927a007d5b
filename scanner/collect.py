"""The collection engine: fans every configured source out over its scopes, writes one bundle.

A scope that fails is recorded in the manifest as a failed call (a coverage gap) and the others go
on; the bundle is moved into place only once every scope has finished, so an interrupted
collection never leaves a half-written bundle.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scanner.bundle import BundleWriter
from scanner.errors import ConfigError, ConnectorError
from scanner.executors import Executor, LocalExecutor, Task, run_task
from scanner.plugins import ConnectorSpec

log = logging.getLogger("regwarden")

__all__ = ["CollectReport", "Tick", "collect", "plan", "run_task"]


@dataclass(frozen=True)
class CollectReport:
    """What a collection did: where the bundle is, how many scopes, which failed, and how many calls failed
    (a failed call in a scope that otherwise finished is a coverage gap too)."""

    bundle: Path
    tasks: int
    failed: tuple[str, ...]
    seconds: float
    calls: int = 0
    failed_calls: int = 0


@dataclass(frozen=True)
class Tick:
    """Progress after one scope: scopes done of total, API calls made and scopes failed so far."""

    done: int
    total: int
    calls: int
    errors: int
    task: Task
    error: str | None


def plan(sources: Mapping[str, BaseModel], specs: Mapping[str, ConnectorSpec[Any]], writer: BundleWriter) -> list[Task]:
    """List every (source, scope). A source whose scope discovery fails is one recorded gap."""
    tasks: list[Task] = []
    for name in sorted(sources):
        collector = specs[name].collector
        if collector is None:
            raise ConfigError(f"sources.{name}: {specs[name].title} has no live collector")
        try:
            scopes = collector.scopes(sources[name])
        except ConnectorError as e:
            writer.record(name, "*", "discover scopes", "failed", str(e))
            writer.add_scope(f"{name}:*")
            log.warning("%s: scope discovery failed: %s", name, e)
            continue
        tasks.extend(Task(name, s) for s in scopes)
    return tasks


def collect(
    sources: Mapping[str, BaseModel],
    specs: Mapping[str, ConnectorSpec[Any]],
    target: Path,
    *,
    workers: int = 4,
    now: datetime | None = None,
    executor: Executor | None = None,
    on_tick: Callable[[Tick], None] | None = None,
) -> CollectReport:
    """Collect every source into a bundle at ``target`` (replacing an older one only when done).

    Tasks run on ``executor`` (default: ``workers`` local threads; see :mod:`scanner.executors`)."""
    if not sources:
        raise ConfigError("no sources configured: add a [sources.<name>] section to regwarden.toml")
    t0 = time.perf_counter()
    writer = BundleWriter(target)
    runner = executor or LocalExecutor(workers)
    try:
        tasks = plan(sources, specs, writer)
        failed: list[str] = []
        calls = 0
        for done, outcome in enumerate(runner.run(tasks, sources, specs, writer), start=1):
            task, error = outcome.task, outcome.error
            calls += outcome.calls
            if error is not None:
                failed.append(f"{task.source}:{task.scope}")
                log.warning("%s %s: not assessed: %s", task.source, task.scope, error)
            if on_tick is not None:
                on_tick(Tick(done, len(tasks), calls, len(failed), task, error))
        failed.extend(
            f"{c.provider}:{c.scope}" for c in writer.manifest("").calls if c.status == "failed" and c.scope == "*"
        )
        # A scope that finished with a failed call (a 403 on one list) is partial too: its gap is in the
        # manifest, and ``collect`` must exit 3 for it as ``scan`` does.
        failed_calls = sum(1 for c in writer.manifest("").calls if c.status == "failed")
        when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        bundle = writer.commit(when)
    except BaseException:
        writer.abort()
        raise
    return CollectReport(bundle, len(tasks), tuple(sorted(set(failed))), time.perf_counter() - t0, calls, failed_calls)
