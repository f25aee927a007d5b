"""``regwarden schedule``: run scans in-process on a cron schedule.

Fire times come from croniter (maintained, pure: ``next fire after t`` is a function, which is what
lets tests drive the loop with a fake clock). The loop itself is small on purpose: one thread runs
the job synchronously, so two runs can never overlap in one process; a lock file (:func:`run_lock`,
which ``regwarden scan`` and ``collect`` take too) keeps a cron job or a second scheduler on the same
host from overlapping (the tick is skipped, not queued). The loop's exit code says whether a run failed.
A tick missed because a run overran is skipped, never run in a burst. SIGTERM or SIGINT ends the
loop after the current run finishes (a scan is saved in one transaction either way).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import random
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from types import FrameType
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from scanner.errors import ConfigError

log = logging.getLogger("regwarden")


class Clock(Protocol):
    """Time as the scheduler sees it."""

    def now(self, tz: tzinfo) -> datetime:
        """The current time in ``tz``."""
        ...

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Wait ``seconds`` or until ``stop`` is set; True when stopped."""
        ...


class SystemClock:
    """The real clock; waiting is interruptible by the stop event (no sleeping through SIGTERM)."""

    def now(self, tz: tzinfo) -> datetime:
        """The wall-clock time in ``tz``."""
        return datetime.now(tz)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Block until the deadline or a stop."""
        return stop.wait(max(0.0, seconds))


def parse_timezone(name: str) -> tzinfo:
    """A time zone by IANA name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(f"schedule.timezone: unknown time zone {name!r}") from e


def check_cron(expr: str) -> str:
    """Validate a five-field cron expression."""
    if len(expr.split()) != 5 or not croniter.is_valid(expr):
        raise ConfigError(f"--cron: {expr!r} is not a five-field cron expression (e.g. '0 */6 * * *')")
    return expr


@dataclass(frozen=True)
class Run:
    """One run: when it was due, when it started, its exit code (None when skipped)."""

    due: datetime
    started: datetime
    code: int | None


@dataclass
class Scheduler:
    """Runs ``job`` at every cron tick (+ a random delay up to ``jitter`` seconds) until stopped."""

    cron: str
    job: Callable[[], int]
    jitter: float = 0.0
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)
    lock_path: Path | None = None
    max_runs: int | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    runs: list[Run] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_cron(self.cron)

    def next_fire(self, after: datetime) -> datetime:
        """The first cron tick strictly after ``after``."""
        nxt: datetime = croniter(self.cron, after).get_next(datetime)
        return nxt

    def stop(self, *_: object) -> None:
        """Ask the loop to end after the current run (signal-handler safe)."""
        self.stop_event.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the loop cleanly (must be called from the main thread)."""

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.warning("schedule: %s received; stopping after the current run", signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def run(self) -> int:
        """The loop. Returns 0 after a clean stop when every run ended 0 (no finding at the threshold)
        or 1 (findings: a result, not a failure) or was skipped; else the worst exit code of a run
        that failed (4 internal, 3 partial, 2 bad input), so a supervisor sees the failure."""
        due = self.next_fire(self.clock.now(self.tz))
        while not self.stop_event.is_set():
            delay = self.rng.uniform(0, self.jitter) if self.jitter else 0.0
            start_at = due + timedelta(seconds=delay)
            wait = (start_at - self.clock.now(self.tz)).total_seconds()
            log.info("schedule: next run at %s", start_at.isoformat())
            if self.clock.wait(wait, self.stop_event):
                break
            self.runs.append(Run(due, self.clock.now(self.tz), self._run_once()))
            if self.max_runs is not None and len(self.runs) >= self.max_runs:
                break
            now = self.clock.now(self.tz)
            following = self.next_fire(due)
            if following <= now:
                skipped = 0
                while following <= now:
                    following = self.next_fire(following)
                    skipped += 1
                log.warning("schedule: the run overran; skipped %d missed tick(s)", skipped)
            due = following
        log.info("schedule: stopped after %d run(s)", len(self.runs))
        failed = [r.code for r in self.runs if r.code not in (None, 0, 1)]
        return max(failed) if failed else 0

    def _run_once(self) -> int | None:
        with run_lock(self.lock_path) as held:
            if not held:
                log.warning("schedule: another run holds %s; skipping this tick", self.lock_path)
                return None
            # The job (the CLI's main) turns every error into an exit code: a failed run never
            # ends the schedule.
            code = self.job()
            if code not in (0, 1):
                log.warning("schedule: run ended with exit code %d", code)
            return code


#: Lock files this process holds, with their depth: the scheduler holds the lock while its own scan
#: takes it again.
_held: dict[str, int] = {}
_held_guard = threading.Lock()


def lock_path(bundle_dir: Path) -> Path:
    """The host-wide run lock of a configuration: a hidden file beside its bundle folder."""
    folder = Path(os.path.abspath(bundle_dir))
    return folder.with_name(f".{folder.name}.lock") if folder.name else folder / ".regwarden.lock"


@contextlib.contextmanager
def run_lock(path: Path | None) -> Iterator[bool]:
    """Hold the run lock at ``path`` (an ``flock``, released when the process ends, even by a kill);
    yields False at once when another process holds it. Re-entrant within this process."""
    if path is None:
        yield True
        return
    key = os.path.abspath(path)
    with _held_guard:
        mine = key in _held
        if mine:
            _held[key] += 1
    if mine:
        try:
            yield True
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        with _held_guard:
            _held[key] = 1
        try:
            yield True
        finally:
            with _held_guard:
                del _held[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
