"""The scheduler under a fake clock: two ticks run, then SIGTERM stops it cleanly; no overlap; jitter."""

from __future__ import annotations

import fcntl
import os
import random
import signal
import threading
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import pytest

from scanner.errors import ConfigError
from scanner.schedule import Scheduler


class FakeClock:
    """Advances instantly on wait; records every wait."""

    def __init__(self, start: datetime) -> None:
        self.t = start
        self.waits: list[float] = []

    def now(self, tz: tzinfo) -> datetime:
        return self.t.astimezone(tz)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        self.waits.append(seconds)
        if stop.is_set():
            return True
        self.t += timedelta(seconds=max(0.0, seconds))
        return stop.is_set()


START = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)


def test_two_ticks_then_clean_stop_on_sigterm() -> None:
    clock = FakeClock(START)
    calls: list[datetime] = []

    def job() -> int:
        calls.append(clock.t)
        clock.t += timedelta(minutes=5)  # a scan takes time
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # what `kill` or Kubernetes sends
        return 0

    sched = Scheduler("0 */6 * * *", job, clock=clock)
    old = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        sched.install_signal_handlers()
        assert sched.run() == 0
    finally:
        signal.signal(signal.SIGTERM, old[0])
        signal.signal(signal.SIGINT, old[1])
    assert calls == [datetime(2026, 11, 28, 6, tzinfo=UTC), datetime(2026, 11, 28, 12, tzinfo=UTC)]
    assert [r.code for r in sched.runs] == [0, 0]
    assert sched.stop_event.is_set()


def test_overrun_skips_missed_ticks_never_overlaps() -> None:
    clock = FakeClock(START)
    calls: list[datetime] = []

    def job() -> int:
        calls.append(clock.t)
        clock.t += timedelta(hours=7)  # longer than the interval
        return 1

    sched = Scheduler("0 */6 * * *", job, clock=clock, max_runs=2)
    assert sched.run() == 0
    # the 12:00 tick was skipped while the first run went on until 13:00; the next run is at 18:00
    assert calls == [datetime(2026, 11, 28, 6, tzinfo=UTC), datetime(2026, 11, 28, 18, tzinfo=UTC)]
    assert all(w >= 0 for w in clock.waits)


def test_jitter_delays_within_bound() -> None:
    clock = FakeClock(START)
    calls: list[datetime] = []

    def job() -> int:
        calls.append(clock.t)
        return 0

    sched = Scheduler("0 * * * *", job, jitter=300, clock=clock,
                      rng=random.Random(7), max_runs=3)  # fmt: skip
    sched.run()
    base = [datetime(2026, 11, 28, h, tzinfo=UTC) for h in (2, 3, 4)]
    offsets = [(c - b).total_seconds() for c, b in zip(calls, base, strict=True)]
    assert all(0 <= o <= 300 for o in offsets)
    assert len(set(offsets)) == 3


def test_a_held_lock_skips_the_tick(tmp_path: Path) -> None:
    lock = tmp_path / ".bundle.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another scheduler / cron run holds it
    try:
        sched = Scheduler("*/5 * * * *", lambda: 0, clock=FakeClock(START), lock_path=lock, max_runs=1)
        sched.run()
        assert [r.code for r in sched.runs] == [None]
    finally:
        os.close(fd)


def test_bad_cron_is_refused() -> None:
    with pytest.raises(ConfigError, match="cron"):
        Scheduler("every six hours", lambda: 0)
