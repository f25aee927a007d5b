"""The drift section as JSON: IaC drift (with managed coverage) and scan-to-scan drift.

Written as ``drift.json`` beside the reports, stable ordering, no secret values (only ids,
names, Terraform addresses and state file names).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from scanner.drift.history import ScanDrift
from scanner.drift.iac import IacDrift

DRIFT_FORMAT_VERSION = 1


def _t(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


def iac_json(d: IacDrift) -> dict[str, Any]:
    """IaC drift as plain JSON."""
    return {
        "states": list(d.states),
        "coverage": [
            {"provider": c.provider, "managed": c.managed, "total": c.total, "percent": c.percent} for c in d.coverage
        ],
        "items": [
            {
                "kind": i.kind.value,
                "node": i.node,
                "provider": i.provider,
                "subtype": i.subtype,
                "name": i.name,
                "state": i.state,
                "address": i.address,
                "details": list(i.details),
            }
            for i in d.items
        ],
    }


def history_json(d: ScanDrift) -> dict[str, Any]:
    """Scan-to-scan drift as plain JSON."""

    def rows(xs: Any) -> list[dict[str, Any]]:
        out = []
        for x in xs:
            row = asdict(x)
            for k, v in row.items():
                if isinstance(v, datetime):
                    row[k] = v.isoformat()
                elif isinstance(v, tuple):
                    row[k] = list(v)
            out.append(row)
        return out

    return {
        "old_scan": d.old,
        "new_scan": d.new,
        "old_time": _t(d.old_time),
        "new_time": _t(d.new_time),
        "new_writers": rows(d.new_writers),
        "removed_writers": rows(d.removed_writers),
        "widened": rows(d.widened),
        "narrowed": rows(d.narrowed),
        "new_prod_paths": rows(d.new_prod_paths),
        "deadlines_crossed": rows(d.deadlines_crossed),
        "findings_opened": rows(d.opened),
        "findings_closed": rows(d.closed),
        "findings_seen": {k: {"first": _t(a), "last": _t(b)} for k, (a, b) in sorted(d.first_seen.items())},
    }


def drift_json(iac: IacDrift | None, scans: ScanDrift | None) -> dict[str, Any]:
    """The whole drift document."""
    return {
        "version": DRIFT_FORMAT_VERSION,
        "iac": iac_json(iac) if iac else None,
        "history": history_json(scans) if scans else None,
    }
