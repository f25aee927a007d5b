"""The collection engine: fans every configured source out over its scopes, writes one bundle.

A scope that fails is recorded in the manifest as a failed call (a coverage gap) and the others go
on; the bundle is moved into place only once every scope has finished, so an interrupted
collection never leaves a half-written bundle.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scanner.bundle import BundleWriter
from scanner.errors import ConfigError, ConnectorError
from scanner.plugins import ConnectorSpec

log = logging.getLogger("regwarden")


@dataclass(frozen=True)
class Task:
    """One unit of collection: a source and one of its scopes."""

    source: str
    scope: str


@dataclass(frozen=True)
class CollectReport:
    """What a collection did: where the bundle is, how many scopes, and which failed."""

    bundle: Path
    tasks: int
    failed: tuple[str, ...]
    seconds: float


Progress = Callable[[int, int, Task, str | None], None]


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


def run_task(
    task: Task, sources: Mapping[str, BaseModel], specs: Mapping[str, ConnectorSpec[Any]], writer: BundleWriter
) -> str | None:
    """Collect one scope; return None on success or the reason it failed (already recorded)."""
    collector = specs[task.source].collector
    assert collector is not None
    writer.add_scope(f"{task.source}:{task.scope}")
    try:
        collector.collect(sources[task.source], task.scope, writer)
    except ConnectorError as e:
        writer.record(task.source, task.scope, "collect scope", "failed", str(e))
        return str(e)
    return None


def collect(
    sources: Mapping[str, BaseModel],
    specs: Mapping[str, ConnectorSpec[Any]],
    target: Path,
    *,
    workers: int = 4,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CollectReport:
    """Collect every source into a bundle at ``target`` (replacing an older one only when done)."""
    if not sources:
        raise ConfigError("no sources configured: add a [sources.<name>] section to regwarden.toml")
    t0 = time.perf_counter()
    writer = BundleWriter(target)
    try:
        tasks = plan(sources, specs, writer)
        failed: list[str] = []
        done = 0
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="regwarden-collect") as pool:
            futures: dict[Future[str | None], Task] = {
                pool.submit(run_task, t, sources, specs, writer): t for t in tasks
            }
            for fut in as_completed(futures):
                task = futures[fut]
                error = fut.result()
                done += 1
                if error is not None:
                    failed.append(f"{task.source}:{task.scope}")
                    log.warning("%s %s: not assessed: %s", task.source, task.scope, error)
                if progress is not None:
                    progress(done, len(tasks), task, error)
        failed.extend(
            f"{c.provider}:{c.scope}" for c in writer.manifest("").calls if c.status == "failed" and c.scope == "*"
        )
        when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        bundle = writer.commit(when)
    except BaseException:
        writer.abort()
        raise
    return CollectReport(bundle, len(tasks), tuple(sorted(set(failed))), time.perf_counter() - t0)
