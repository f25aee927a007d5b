"""Webhook notification: one generic JSON POST when new findings at or above a severity, or
drift, appear. The URL (which often embeds a token) comes from an environment variable."""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx

from scanner.deadline import bounded, within
from scanner.drift.history import ScanDrift
from scanner.drift.render import drift_json
from scanner.drift.settings import NotifySettings
from scanner.errors import ConfigError
from scanner.findings import Severity, Status
from scanner.result import ScanResult
from scanner.urlpolicy import check_webhook

log = logging.getLogger("regwarden")


def webhook_url(n: NotifySettings) -> str | None:
    """The configured URL, from ``webhook_url_env`` or ``webhook_url``."""
    if n.webhook_url_env:
        url = os.environ.get(n.webhook_url_env)
        if not url:
            raise ConfigError(f"notify.webhook_url_env: environment variable {n.webhook_url_env} is not set")
        return check_webhook(url, f"notify.webhook_url_env ({n.webhook_url_env})")
    return check_webhook(n.webhook_url, "notify.webhook_url") if n.webhook_url else None


def payload(result: ScanResult, n: NotifySettings) -> dict[str, Any] | None:
    """The JSON to post, or None when there is nothing new worth telling."""
    threshold = Severity(n.min_severity).rank  # one of the five: the settings' type checked it with the file
    drift: ScanDrift | None = result.drift
    if drift is not None and drift.old is not None:
        opened = {f.id for f in drift.opened}
        new = [f for f in result.findings if f.id in opened and f.severity.rank >= threshold]
    elif drift is not None:
        new = []  # the first scan in history: a baseline, not news
    else:
        new = [f for f in result.findings if f.status is Status.OPEN and f.severity.rank >= threshold]
    has_drift = bool(n.on_drift and ((drift is not None and not drift.empty) or (result.iac and result.iac.items)))
    if not new and not has_drift:
        return None
    return {
        "event": "regwarden.scan",
        "source": result.source,
        "generated_at": result.generated_at.isoformat(),
        "new_findings": [
            {"id": f.id, "rule": f.rule, "severity": f.severity.value, "subject": f.subject, "message": f.message}
            for f in new
        ],
        "drift": drift_json(result.iac, drift) if has_drift else None,
    }


def notify(result: ScanResult, n: NotifySettings, *, transport: httpx.BaseTransport | None = None) -> bool:
    """POST the payload when there is one; True when sent. A failed POST is logged, never fatal:
    the scan and its history are already saved."""
    url = webhook_url(n)
    if not url:
        return False
    body = payload(result, n)
    if body is None:
        return False
    try:
        # timeout_seconds bounds the whole POST (a server trickling its answer cannot hold the scan).
        with bounded(httpx.Client(timeout=n.timeout_seconds, transport=transport)) as client, within(n.timeout_seconds):
            resp = client.post(url, json=body, headers={"User-Agent": "regwarden"})
        resp.raise_for_status()
    except httpx.HTTPError as e:
        log.warning("notify: webhook POST failed (%s); the scan itself is saved", type(e).__name__)
        return False
    return True
