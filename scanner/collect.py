"""The collection engine: fans every configured source out over its scopes, writes one bundle.

A scope that fails is recorded in the manifest as a failed call (a coverage gap) and the others go
on. Before the bundle is moved into place, every provider folder is read back with the connector's
own loader: a stored answer that does not have the provider's shape is removed and recorded as a
gap, so a committed bundle always loads. The bundle replaces an older one only once complete, and
only when something was collected (else the older one stays; see :meth:`BundleWriter.commit`).
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

from scanner.bundle import BundleReader, BundleWriter
from scanner.collect_session import CollectSession
from scanner.errors import BundleError, ConfigError, ConnectorError, RegwardenError
from scanner.executors import Executor, LocalExecutor, Task, run_task
from scanner.plugins import ConnectorSpec
from scanner.textsafe import for_terminal

log = logging.getLogger("regwarden")

__all__ = ["CollectReport", "Tick", "collect", "plan", "run_task"]


@dataclass(frozen=True)
class CollectReport:
    """What a collection did: where the bundle is, how many scopes, and which failed."""

    bundle: Path
    tasks: int
    failed: tuple[str, ...]
    seconds: float
    calls: int = 0
    kept_previous: Path | None = None  # nothing was collected: the older bundle there was kept


@dataclass(frozen=True)
class Tick:
    """Progress after one scope: scopes done of total, API calls made and scopes failed so far; of the
    HTTP requests, how many were answered from the cache (304), retried, and given up."""

    done: int
    total: int
    calls: int
    errors: int
    task: Task
    error: str | None
    cached: int = 0
    retried: int = 0
    failed_calls: int = 0


def plan(sources: Mapping[str, BaseModel], specs: Mapping[str, ConnectorSpec[Any]], writer: BundleWriter) -> list[Task]:
    """List every (source, scope). A source whose scope discovery fails is one recorded gap."""
    tasks: list[Task] = []
    for name in sorted(sources):
        collector = specs[name].collector
        if collector is None:
            raise ConfigError(f"sources.{name}: {specs[name].title} has no live collector")
        try:
            if collector.counts_discovery:
                scopes = collector.scopes(sources[name], tally=writer.session)
            else:
                scopes = collector.scopes(sources[name])
        except ConnectorError as e:
            _undiscovered(writer, name, str(e))
            continue
        except RegwardenError:  # a wrong configuration: exit 2
            raise
        except Exception as e:  # an answer the connector did not expect: that source's gap
            log.debug("%s: scope discovery failed", name, exc_info=True)
            _undiscovered(
                writer, name, f"unexpected answer ({type(e).__name__}: {for_terminal(' '.join(str(e).split()), 200)})"
            )
            continue
        tasks.extend(Task(name, s) for s in scopes)
    return tasks


def _undiscovered(writer: BundleWriter, name: str, reason: str) -> None:
    """A source whose scopes could not be listed: one recorded gap, and the other sources go on."""
    writer.record(name, "*", "discover scopes", "failed", reason)
    writer.add_scope(f"{name}:*")
    log.warning("%s: scope discovery failed: %s", name, reason)


def collect(
    sources: Mapping[str, BaseModel],
    specs: Mapping[str, ConnectorSpec[Any]],
    target: Path,
    *,
    workers: int = 4,
    now: datetime | None = None,
    executor: Executor | None = None,
    on_tick: Callable[[Tick], None] | None = None,
    session: CollectSession | None = None,
) -> CollectReport:
    """Collect every source into a bundle at ``target`` (replacing an older one only when done).

    Tasks run on ``executor`` (default: ``workers`` local threads; see :mod:`scanner.executors`).
    ``session`` carries the HTTP cache folder, the clock and sleeper that pace calls, and collects the
    request tallies written to the manifest (default: no cache, real time)."""
    if not sources:
        raise ConfigError("no sources configured: add a [sources.<name>] section to regwarden.toml")
    t0 = time.perf_counter()
    writer = BundleWriter(target, session)
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
                counts = writer.session.counts().values()
                on_tick(
                    Tick(
                        done,
                        len(tasks),
                        calls,
                        len(failed),
                        task,
                        error,
                        cached=sum(c.cached for c in counts),
                        retried=sum(c.retried for c in counts),
                        failed_calls=sum(c.failed for c in counts),
                    )
                )
        validate_staged(writer, {name: specs[name] for name in sources})
        calls_made = writer.manifest("").calls
        # Any failed call is a gap, whether its scope went on or not.
        failed.extend(f"{c.provider}:{c.scope}" for c in calls_made if c.status == "failed")
        when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        nothing = not any(c.status in ("ok", "not_found") for c in calls_made)  # no answer at all
        bundle = writer.commit(when, keep_previous=nothing)
    except BaseException:
        writer.abort()
        raise
    kept = writer.target if bundle != writer.target else None
    return CollectReport(bundle, len(tasks), tuple(sorted(set(failed))), time.perf_counter() - t0, calls, kept)


#: Files refused in one provider folder beyond which the whole folder is dropped (a connector that
#: writes nothing its own loader accepts).
MAX_REFUSED = 50


def validate_staged(writer: BundleWriter, specs: Mapping[str, ConnectorSpec[Any]]) -> None:
    """Read every staged provider folder back with its connector's loader; remove each file it refuses
    (recording the gap, naming the file and the problem) until it loads, or drop the folder."""
    for name in sorted(specs):
        if not (writer.staging / name).is_dir():
            continue
        refused = 0
        while True:
            try:
                specs[name].load(BundleReader(writer.staging))
                break
            except BundleError as e:
                owner = writer.owner(e.file) or (name, "*")
                if refused < MAX_REFUSED and writer.discard(e.file):
                    refused += 1
                    writer.record(*owner, f"answer stored as {e.file}", "failed", f"wrong shape, not kept: {e.problem}")
                    log.warning("%s: %s: wrong shape, not kept: %s", name, e.file, e.problem)
                    continue
                reason = f"{e.file}: {e.problem}"
            except Exception as e:  # noqa: BLE001 - a loader bug on collected data: that provider's gap
                reason = f"{type(e).__name__}: {e}"
            writer.discard_folder(name)
            writer.record(name, "*", "bundle folder", "failed", f"not kept, the collected files do not load ({reason})")
            log.warning("%s: the collected files do not load; folder not kept (%s)", name, reason)
            break
