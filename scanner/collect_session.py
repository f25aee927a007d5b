"""What the connectors of one collection run share: where the HTTP cache lives, the clock and the
sleeper that pace calls, the rate-limit budgets of each API, and the tally of requests per
provider that the manifest records (``requests`` in ``manifest.json``).

The scanner owns this object and hands it to the connectors through the
:class:`~scanner.bundle_writer.BundleWriter`; it knows nothing of HTTP itself (the connectors'
REST client does), so the core still never imports a connector.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from scanner.manifest import RequestCounts

T = TypeVar("T")
log = logging.getLogger("regwarden")


def default_cache_dir(bundle_dir: Path) -> Path:
    """Where a bundle's HTTP cache lives by default: a hidden folder beside the bundle folder (like its
    run lock), never inside it — the bundle is what is handed to analysis and auditors."""
    folder = Path(os.path.abspath(bundle_dir))
    return folder.with_name(f".{folder.name}.cache")


def session_for(
    cache: bool, cache_dir: Path | None, bundle_dir: Path, on_event: Callable[[str], None] | None = None
) -> CollectSession:
    """The session of a run writing ``bundle_dir``: its HTTP cache in ``cache_dir`` (default
    :func:`default_cache_dir`) unless ``cache`` is off. A cache folder that cannot be made is
    warned about and the run collects without it (a cache never fails a scan)."""
    folder = None
    if cache:
        folder = Path(os.path.abspath(cache_dir)) if cache_dir else default_cache_dir(bundle_dir)
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            log.warning("HTTP cache %s cannot be used (%s); collecting without it", folder, e.strerror)
            folder = None
    return CollectSession(cache_dir=folder, on_event=on_event)


@dataclass
class CollectSession:
    """Per-run shared state. ``cache_dir`` None: no HTTP cache. ``clock`` (Unix time) and ``sleep``
    are injectable so that pacing can be tested and benchmarked without waiting. ``on_event`` gets
    one-line notices meant for the progress output (a pause for a rate-limit reset)."""

    cache_dir: Path | None = None
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    on_event: Callable[[str], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _counts: dict[str, dict[str, float]] = field(default_factory=dict, init=False, repr=False)
    _shared: dict[Any, Any] = field(default_factory=dict, init=False, repr=False)

    def count(self, provider: str, **amounts: float) -> None:
        """Add to a provider's tally (``fetched``, ``cached``, ``retried``, ``failed``, ``paced_seconds``)."""
        with self._lock:
            mine = self._counts.setdefault(provider, {})
            for name, n in amounts.items():
                mine[name] = mine.get(name, 0) + n

    def counts(self) -> dict[str, RequestCounts]:
        """Each provider's tally so far."""
        with self._lock:
            return {p: RequestCounts.model_validate(c) for p, c in sorted(self._counts.items())}

    def merge(self, counts: dict[str, RequestCounts]) -> None:
        """Add another session's tallies (a Dask part collected elsewhere)."""
        for provider, c in counts.items():
            self.count(provider, **c.model_dump())

    def shared(self, key: Any, make: Callable[[], T]) -> T:
        """The one object of this run under ``key`` (a rate-limit budget, a provider's cache), made on
        first use: every client of a provider that uses the same token shares it."""
        with self._lock:
            if key not in self._shared:
                self._shared[key] = make()
            found: T = self._shared[key]
            return found

    def notify(self, message: str) -> None:
        """Pass a progress notice on (nothing when no one listens)."""
        if self.on_event is not None:
            self.on_event(message)
