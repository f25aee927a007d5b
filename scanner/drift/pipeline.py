"""After analysis: apply suppressions, compare with history, and — once the reports are written —
save the scan to history and notify.

The order is the promise: the reports never depend on the history database being writable. A
database that is down, locked, full or corrupt costs the drift section and the saved scan (a
warning, exit 3), never the report. Without a file configuration (``analyse`` of a bundle with no
``--config``) nothing here runs and the result is returned unchanged.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from scanner.analyse import sort_findings
from scanner.drift.history import Snapshot, diff, snapshot
from scanner.errors import ConfigError, HistoryError, RegwardenError
from scanner.result import ScanResult
from scanner.suppress import apply
from scanner.textsafe import for_terminal

# SQLAlchemy (the store) and httpx (notify) are imported when a history or a webhook is configured:
# ``analyse`` without them never pays for either.
if TYPE_CHECKING:
    from scanner.config import FileConfig
    from scanner.drift.settings import HistorySettings
    from scanner.store import HistoryStore

log = logging.getLogger("regwarden")


def open_store(h: HistorySettings) -> HistoryStore:
    """The history database the settings point at."""
    from scanner.store import HistoryStore, database_url

    url, setting = h.url, "history.url"
    if h.url_env:
        url, setting = os.environ.get(h.url_env), f"history.url_env ({h.url_env})"
        if not url:
            raise ConfigError(f"history.url_env: environment variable {h.url_env} is not set")
    return HistoryStore.open(database_url(url, h.path, setting=setting))


@dataclass
class Pending:
    """What :func:`after_reports` still has to do: the snapshot to save (None: no history configured),
    and what went wrong with history so far (a warning each; any makes the scan exit 3)."""

    snap: Snapshot | None = None
    problems: list[str] | None = None

    @property
    def failed(self) -> bool:
        """True when history could not be read or written."""
        return bool(self.problems)


def _max_age(file: FileConfig) -> int:
    b = file.baseline
    return b.max_credential_age_days if b and b.max_credential_age_days else 90


def _history_problem(pending: Pending, what: str, e: RegwardenError) -> None:
    """Keep the problem for the caller, who reports each once (the CLI: one warning line on stderr, after
    the summary). Not logged as a warning too: that printed every problem twice."""
    msg = f"history: {what}: {for_terminal(' '.join(str(e).split()), 300)}"
    log.debug("%s", msg)
    pending.problems = [*(pending.problems or []), msg]


def before_reports(result: ScanResult, file: FileConfig | None) -> tuple[ScanResult, Pending]:
    """Suppressions, then drift against the latest stored scan (read only; this scan is saved later).

    Configuration mistakes (a missing ``url_env`` variable, an invalid webhook URL, an unknown
    database kind) are raised here, before anything is written, for exit 2."""
    pending = Pending()
    if file is None:
        return result, pending
    if file.suppress:
        result = replace(
            result, findings=sort_findings(apply(result.findings, file.suppress, result.generated_at.date()))
        )
    if file.notify is not None:
        from scanner.drift.notify import webhook_url

        webhook_url(file.notify)  # refused now, not after the reports
    h = file.history
    if h is None or not h.enabled:
        return result, pending
    pending.snap = snap = snapshot(result, max_age_days=_max_age(file))
    try:
        store = open_store(h)
        try:
            latest = store.latest(1)
            old = store.load(latest[0]) if latest else None
            seen = store.seen([f.id for f in result.findings])
        finally:
            store.close()
        # this scan has no id until it is saved; the stored summaries drift needs are decoded here
        drift = diff(old, snap)
    except HistoryError as e:  # down, locked, corrupt (the store names the database and the problem)
        _history_problem(pending, "not read (no drift in this report)", e)
        return result, pending
    drift = replace(drift, first_seen=_with_this_scan(seen, [f.id for f in result.findings], snap.time))
    return replace(result, drift=drift), pending


def _with_this_scan(
    seen: dict[str, tuple[datetime, datetime]], ids: list[str], now: datetime
) -> dict[str, tuple[datetime, datetime]]:
    """First and last time each finding was present, this scan included (as if it were already saved)."""
    out = dict(seen)
    for fid in ids:
        first, last = out.get(fid, (now, now))
        out[fid] = (min(first, now), max(last, now))
    return out


def after_reports(result: ScanResult, file: FileConfig | None, pending: Pending) -> ScanResult:
    """Save the scan (one transaction), then notify. A history failure is a warning in ``pending``."""
    if file is None:
        return result
    h = file.history
    if pending.snap is not None and h is not None:
        try:
            store = open_store(h)
            try:
                scan_id = store.save(pending.snap, keep=h.keep)
            finally:
                store.close()
        except HistoryError as e:
            _history_problem(pending, "this scan was not saved (the reports are written)", e)
        else:
            log.info("history: saved scan %d in %s", scan_id, store.where)
            drift = result.drift if result.drift is not None else diff(None, pending.snap)
            result = replace(result, drift=replace(drift, new=scan_id), scan_id=scan_id)
    if file.notify is not None:
        from scanner.drift.notify import notify

        notify(result, file.notify)
    return result


def record(result: ScanResult, h: HistorySettings, *, max_age_days: int = 90) -> ScanResult:
    """Compare with history and save the scan — both halves, with no reports between — raising
    :class:`HistoryError` when either fails (for callers that have no report to protect)."""
    from scanner.config import FileConfig
    from scanner.drift.settings import BaselineSettings

    file = FileConfig(history=h, baseline=BaselineSettings(max_credential_age_days=max_age_days))
    result, pending = before_reports(result, file)
    result = after_reports(result, file, pending)
    if pending.problems:
        raise HistoryError(pending.problems[0])
    return result
