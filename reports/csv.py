"""``findings.csv`` and ``inventory.csv``: one row per finding / per node, with stable columns.

Rows come from the canonical document (:func:`reports.json.build_document`) so the order is the
report order. Every cell is neutralised against spreadsheet formula injection
(:func:`reports._common.spreadsheet_cell`): names in a scanned estate are attacker-controlled.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from reports._atomic import write_atomic
from reports._common import iso_utc, owner_names, owners, spreadsheet_cell
from reports.json import build_document
from scanner.result import ScanResult

FINDING_COLUMNS: tuple[str, ...] = (
    "id",
    "rule",
    "severity",
    "status",
    "control_title",
    "subject_id",
    "subject_name",
    "subject_kind",
    "provider",
    "owners",
    "blast_radius",
    "message",
    "path",
    "remediation",
    "owasp_nhi",
    "nist_csf",
    "location_file",
    "location_line",
    "suppression",
)

INVENTORY_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "name",
    "provider",
    "subtype",
    "scope",
    "owners",
    "lifetime",
    "created",
    "expires",
    "last_used",
    "last_rotated",
    "blast_radius",
    "evidence",
)


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_cell(c) for c in row])
    return buf.getvalue()


def findings_text(result: ScanResult) -> str:
    """The findings table (RFC 4180: CRLF line ends, header row first)."""
    doc = build_document(result)
    rows = []
    for f in doc.findings:
        path = ""
        if f.path:
            hops = [f.path[0].src, *(s.dst for s in f.path)]
            kinds = [s.kind.value for s in f.path]
            path = hops[0] + "".join(f" -[{k}]-> {h}" for k, h in zip(kinds, hops[1:], strict=True))
        rows.append(
            (
                f.id,
                f.rule,
                f.severity.value,
                f.status.value,
                f.control_title,
                f.subject.id,
                f.subject.name,
                f.subject.kind.value if f.subject.kind else "",
                f.subject.provider,
                "; ".join(owner_names(f)),
                f.blast_radius,
                f.message,
                path,
                f.remediation,
                "; ".join(f.owasp_nhi),
                "; ".join(f.nist_csf),
                f.location.file if f.location else None,
                f.location.line if f.location else None,
                f.suppression,
            )
        )
    return _table(FINDING_COLUMNS, rows)


def inventory_text(result: ScanResult) -> str:
    """The inventory table: every node, sorted by id."""
    own = owners(result)
    rows = []
    for n in sorted(result.inventory.nodes(), key=lambda n: n.id):
        c = n.credential
        rows.append(
            (
                n.id,
                n.kind.value,
                n.name,
                n.provider,
                n.subtype,
                n.scope,
                "; ".join(own.get(n.id, ())),
                c.lifetime.value if c else None,
                iso_utc(c.created) if c and c.created else None,
                iso_utc(c.expires) if c and c.expires else None,
                iso_utc(c.last_used) if c and c.last_used else None,
                iso_utc(c.last_rotated) if c and c.last_rotated else None,
                result.reach.size(n.id),
                "; ".join(f"{e.file}:{e.line}" if e.line is not None else e.file for e in n.evidence),
            )
        )
    return _table(INVENTORY_COLUMNS, rows)


def render_findings(result: ScanResult, out_dir: Path) -> None:
    """Write ``findings.csv`` into ``out_dir`` atomically."""
    write_atomic(out_dir / "findings.csv", findings_text(result))


def render_inventory(result: ScanResult, out_dir: Path) -> None:
    """Write ``inventory.csv`` into ``out_dir`` atomically."""
    write_atomic(out_dir / "inventory.csv", inventory_text(result))
