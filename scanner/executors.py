"""Where collection tasks run: threads in this process (``local``) or a Dask cluster (``dask://HOST:PORT``).

A task is one (source, scope). The local executor runs tasks on a thread pool that shares the one
:class:`~scanner.bundle.BundleWriter`. A Dask worker may be another machine, so it cannot share
that writer: each task collects into a private part-bundle in the worker's temporary folder and
returns the part as data (files, manifest calls, scopes), which the driver merges into the bundle.
Both write byte-identical bundles. On Dask, a task that raises (a lost worker, a bug, a connector
error) is retried; once the retries are spent the scope is recorded as a coverage gap.

Dask is an optional dependency (``pip install 'regwarden[dask]'``) imported only when used.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel

from scanner.bundle import BundleWriter, ManifestCall
from scanner.errors import ConfigError, ConnectorError, RegwardenError
from scanner.manifest import SCOPE_CALL, RequestCounts
from scanner.plugins import ConnectorSpec
from scanner.textsafe import for_terminal

log = logging.getLogger("regwarden")

DASK_HINT = "pip install 'regwarden[dask]' (or: pip install 'dask[distributed]')"


@dataclass(frozen=True)
class Task:
    """One unit of collection: a source and one of its scopes."""

    source: str
    scope: str


@dataclass(frozen=True)
class Outcome:
    """A finished task: None, or why the scope was not assessed (already recorded in the manifest)."""

    task: Task
    error: str | None
    calls: int  # API calls the task recorded


def run_task(
    task: Task,
    sources: Mapping[str, BaseModel],
    specs: Mapping[str, ConnectorSpec[Any]],
    writer: BundleWriter,
    *,
    contain: bool = True,
) -> str | None:
    """Collect one scope; return None on success or the reason it failed (already recorded).

    A provider answer the connector could not handle (a field missing, a type it did not expect) is
    that scope's coverage gap too, never the end of the whole collection; a wrong configuration
    (:class:`~scanner.errors.ConfigError`) still stops it, with exit 2. ``contain=False`` lets such an
    error propagate (a Dask task, which Dask retries before the driver records the gap)."""
    collector = specs[task.source].collector
    assert collector is not None
    writer.add_scope(f"{task.source}:{task.scope}")
    try:
        with writer.working_on(task.source, task.scope):
            collector.collect(sources[task.source], task.scope, writer)
    except ConnectorError as e:
        writer.record(task.source, task.scope, SCOPE_CALL, "failed", str(e))
        return str(e)
    except RegwardenError:
        raise
    except Exception as e:  # the engine decides: one scope's unexpected answer is its gap
        if not contain:
            raise
        reason = f"unexpected answer ({type(e).__name__}: {for_terminal(' '.join(str(e).split()), 200)}); not assessed"
        log.debug("%s %s: collector failed", task.source, task.scope, exc_info=True)
        writer.record(task.source, task.scope, SCOPE_CALL, "failed", reason)
        return reason
    return None


class Executor(Protocol):
    """Runs collection tasks and yields each outcome as it finishes; everything lands in ``writer``."""

    def run(
        self,
        tasks: Sequence[Task],
        sources: Mapping[str, BaseModel],
        specs: Mapping[str, ConnectorSpec[Any]],
        writer: BundleWriter,
    ) -> Iterator[Outcome]:
        """Run every task."""
        ...


@dataclass(frozen=True)
class LocalExecutor:
    """Threads in this process, sharing the bundle writer (the default)."""

    workers: int = 4

    def run(
        self,
        tasks: Sequence[Task],
        sources: Mapping[str, BaseModel],
        specs: Mapping[str, ConnectorSpec[Any]],
        writer: BundleWriter,
    ) -> Iterator[Outcome]:
        """Run every task on a thread pool of ``workers`` threads."""
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="regwarden-collect") as pool:
            futures: dict[Future[str | None], Task] = {
                pool.submit(run_task, t, sources, specs, writer): t for t in tasks
            }
            for fut in as_completed(futures):
                task = futures[fut]
                yield Outcome(task, fut.result(), _calls_of(writer, task))


def _calls_of(writer: BundleWriter, task: Task) -> int:
    return sum(1 for c in writer.manifest("").calls if c.provider == task.source and c.scope == task.scope)


@dataclass(frozen=True)
class Part:
    """What one task collected, as data: bundle files (relative path -> bytes), calls and scopes."""

    task: Task
    files: dict[str, bytes]
    calls: tuple[ManifestCall, ...]
    scopes: tuple[str, ...]
    error: str | None
    requests: dict[str, RequestCounts] = field(default_factory=dict)


def collect_part(task: Task, settings: BaseModel, spec: ConnectorSpec[Any]) -> Part:
    """Collect one scope into a private part-bundle and return it as data (runs on a Dask worker)."""
    tmp = Path(tempfile.mkdtemp(prefix="regwarden-part-"))
    writer = BundleWriter(tmp / "part")
    try:
        error = run_task(task, {task.source: settings}, {task.source: spec}, writer, contain=False)
        files = {
            p.relative_to(writer.staging).as_posix(): p.read_bytes()
            for p in sorted(writer.staging.rglob("*"))
            if p.is_file()
        }
        manifest = writer.manifest("")
        return Part(task, files, tuple(manifest.calls), tuple(manifest.scopes), error, dict(manifest.requests))
    finally:
        writer.abort()
        shutil.rmtree(tmp, ignore_errors=True)


def merge_part(part: Part, writer: BundleWriter) -> None:
    """Write a part-bundle's files, calls and scopes into the driver's bundle."""
    with writer.working_on(part.task.source, part.task.scope):
        for rel, data in part.files.items():
            writer.put_file(rel, data)
    for c in part.calls:
        writer.record(c.provider, c.scope, c.call, c.status, c.detail)
    for s in part.scopes:
        writer.add_scope(s)
    writer.session.merge(part.requests)


@dataclass
class DaskExecutor:
    """Each task is a Dask task on the cluster at ``address`` (or on ``client``), retried ``retries``
    times when it raises; a scope whose retries are spent is recorded as a coverage gap."""

    address: str | None = None
    client: Any = None
    retries: int = 2
    connect_timeout: str = "20s"

    def run(
        self,
        tasks: Sequence[Task],
        sources: Mapping[str, BaseModel],
        specs: Mapping[str, ConnectorSpec[Any]],
        writer: BundleWriter,
    ) -> Iterator[Outcome]:
        """Submit every task, merge each part as it arrives."""
        try:
            from distributed import Client
            from distributed import as_completed as dask_completed
        except ImportError as e:  # pragma: no cover - depends on the installation
            raise ConfigError(f"--executor dask://…: Dask is not installed; {DASK_HINT}") from e
        client = self.client
        own = client is None
        if own:
            try:
                client = Client(self.address, timeout=self.connect_timeout)  # type: ignore[no-untyped-call]
            except OSError as e:
                raise ConfigError(f"--executor: cannot reach the Dask scheduler at {self.address}: {e}") from e
        try:
            futures = {
                client.submit(
                    collect_part,
                    t,
                    sources[t.source],
                    specs[t.source],
                    key=f"regwarden-collect-{t.source}-{t.scope}-{id(writer)}",
                    retries=self.retries,
                    pure=False,
                ): t
                for t in tasks
            }
            for fut in dask_completed(futures):  # type: ignore[no-untyped-call]
                task = futures[fut]
                if fut.status == "error":
                    exc = fut.exception()
                    reason = f"task failed after {self.retries + 1} attempt(s): {type(exc).__name__}: {exc}"
                    writer.add_scope(f"{task.source}:{task.scope}")
                    writer.record(task.source, task.scope, SCOPE_CALL, "failed", reason)
                    yield Outcome(task, reason, 0)
                    continue
                part: Part = fut.result()
                merge_part(part, writer)
                yield Outcome(task, part.error, len(part.calls))
        finally:
            if own:
                client.close()


def parse_executor(spec: str, workers: int) -> Executor:
    """``local`` (threads, the default) or ``dask://HOST:PORT`` (any Dask address after ``dask://``)."""
    if spec == "local":
        return LocalExecutor(workers)
    if spec.startswith("dask://"):
        rest = spec.removeprefix("dask://")
        if not rest:
            raise ConfigError("--executor dask://HOST:PORT: the scheduler address is missing")
        address = rest if "://" in rest else f"tcp://{rest}"
        try:  # a port that is no number, an unclosed [IPv6: refused here, not once collection started
            _ = urlsplit(address).port
        except ValueError as e:
            raise ConfigError(f"--executor {for_terminal(spec, 200)}: not a scheduler address ({e})") from e
        return DaskExecutor(address=address)
    raise ConfigError(f"--executor: expected 'local' or 'dask://HOST:PORT', got {spec!r}")
