"""After analysis: apply suppressions, save the scan to history, compute scan-to-scan drift and notify.

Called by the CLI with the file configuration; without one (``analyse`` of a bundle with no
``--config``) nothing here runs and the result is returned unchanged.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace

from scanner.analyse import sort_findings
from scanner.config import FileConfig
from scanner.drift.history import diff, snapshot
from scanner.drift.notify import notify
from scanner.drift.settings import HistorySettings
from scanner.errors import ConfigError
from scanner.result import ScanResult
from scanner.store import HistoryStore, database_url
from scanner.suppress import apply

log = logging.getLogger("regwarden")


def open_store(h: HistorySettings) -> HistoryStore:
    """The history database the settings point at."""
    url = h.url
    if h.url_env:
        url = os.environ.get(h.url_env)
        if not url:
            raise ConfigError(f"history.url_env: environment variable {h.url_env} is not set")
    return HistoryStore.open(database_url(url, h.path))


def record(result: ScanResult, h: HistorySettings, *, max_age_days: int = 90) -> ScanResult:
    """Save the scan (one transaction) and attach the drift from the previous scan."""
    store = open_store(h)
    try:
        latest = store.latest(1)
        old = store.load(latest[0]) if latest else None
        snap = snapshot(result, max_age_days=max_age_days)
        scan_id = store.save(snap, keep=h.keep)
        drift = diff(old, replace(snap, id=scan_id))
        drift = replace(drift, first_seen=store.seen([f.id for f in result.findings]))
    finally:
        store.close()
    log.info("history: saved scan %d in %s", scan_id, store.where)
    return replace(result, drift=drift, scan_id=scan_id)


def finish(result: ScanResult, file: FileConfig | None) -> ScanResult:
    """Suppressions, history and notification, as configured in ``file``."""
    if file is None:
        return result
    if file.suppress:
        result = replace(
            result, findings=sort_findings(apply(result.findings, file.suppress, result.generated_at.date()))
        )
    if file.history is not None and file.history.enabled:
        age = file.baseline.max_credential_age_days if file.baseline and file.baseline.max_credential_age_days else 90
        result = record(result, file.history, max_age_days=age)
    if file.notify is not None:
        notify(result, file.notify)
    return result
