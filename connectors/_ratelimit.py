"""Rate-limit budgets read from the providers' answers, so that collection paces itself: when the
calls left before a reset run out, the next call waits for the reset instead of being refused.

Every answer updates the budget of its API (:data:`BUDGET_HEADERS`); a budget is shared by every
client of the run that calls the same origin (one token per source), through the run's
:class:`~scanner.collect_session.CollectSession`. A call reserves one unit before it is sent, so
that concurrent threads do not all spend the last one; an answer then sets the budget to what the
provider says is left (a ``304`` that GitHub did not count gives its unit back that way).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class BudgetHeaders:
    """Where a provider tells its budget: calls ``remaining`` and the ``reset`` time (Unix seconds),
    optionally the ``limit`` and the ``resource`` (bucket) an answer counted against."""

    remaining: str
    reset: str
    limit: str
    resource: str | None
    who: str


#: The budget headers of the REST providers, in the order they are consulted.
BUDGET_HEADERS: tuple[BudgetHeaders, ...] = (
    BudgetHeaders(
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-limit",
        "x-ratelimit-resource",
        "GitHub (docs.github.com: Rate limits for the REST API), Docker Hub",
    ),
    BudgetHeaders("ratelimit-remaining", "ratelimit-reset", "ratelimit-limit", None, "GitLab (RateLimit-* headers)"),
)

#: A reset further away than this is not waited for by pacing (a wrong clock or header): the call is
#: sent and the provider's answer decides. GitHub's and GitLab's windows are one hour and one minute.
MAX_PACE_WAIT = 3900.0


@dataclass(frozen=True)
class Reading:
    """What one answer said about its budget."""

    remaining: int
    reset: float
    limit: int | None


def read(resp: httpx.Response, now: float) -> Reading | None:
    """The budget an answer reports, from :data:`BUDGET_HEADERS`, or None when it reports none."""
    for h in BUDGET_HEADERS:
        rem, reset = resp.headers.get(h.remaining), resp.headers.get(h.reset)
        if rem is None or reset is None:
            continue
        try:
            remaining = int(rem.split(";", 1)[0].strip())
            when = float(reset.strip())
        except ValueError:
            continue
        if not math.isfinite(when):  # "nan" or "inf" parse as floats but are no time to wait for
            continue
        if when < 1e9:  # seconds from now, not a time
            when = now + when
        try:
            limit: int | None = int(resp.headers.get(h.limit, "").split(";", 1)[0].strip())
        except ValueError:
            limit = None
        return Reading(max(remaining, 0), when, limit)
    return None


@dataclass
class Budget:
    """The calls left on one API until its reset, as last reported (thread-safe)."""

    remaining: int | None = None
    reset: float = 0.0
    limit: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, reading: Reading) -> None:
        """Take what an answer said."""
        with self._lock:
            self.remaining, self.reset, self.limit = reading.remaining, reading.reset, reading.limit

    def reserve(self, now: float) -> float:
        """Seconds to wait before the next call (0: go, one unit reserved)."""
        with self._lock:
            if self.remaining is None:
                return 0.0
            if now >= self.reset:
                self.remaining = None  # a new window: unknown until the next answer says
                return 0.0
            if self.remaining > 0:
                self.remaining -= 1
                return 0.0
            return self.reset - now

    def waited(self) -> None:
        """A pause until the reset is over: what is left is unknown until the next answer says (an
        early wake-up, or clocks that differ, end in a refusal that :meth:`refused` handles)."""
        with self._lock:
            self.remaining = None

    def refused(self, now: float, times: int) -> None:
        """The provider refused a call for the budget. Its reset (already read from the answer) is
        waited for; a reset that has passed by our clock (we are early, or the clocks differ) is
        waited out a little longer each time, never failing the call for it."""
        with self._lock:
            self.remaining = 0
            self.reset = max(self.reset, now + min(60.0, 2.0**times))


def paced(
    budget: Budget,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    notify: Callable[[float], None],
) -> float:
    """Wait until ``budget`` allows one more call; return the seconds waited. A reset beyond
    :data:`MAX_PACE_WAIT` is not waited for."""
    wait = budget.reserve(clock())
    if wait <= 0 or wait > MAX_PACE_WAIT:
        return 0.0
    notify(wait)
    sleep(wait)
    budget.waited()
    return wait
