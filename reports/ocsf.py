"""``report.ocsf.json``: one OCSF Compliance Finding event (class 2003, OCSF 1.4.0) per finding, as
a JSON array, for SIEMs and security data lakes.

Severity maps critical→5, high→4, medium→3, low→2, info→1; a finding is a failed check of its
control (``compliance.status_id`` 3); suppressed findings carry ``status_id`` 3 (Suppressed). A control
that could not judge every subject it applies to adds one event per subject it could not judge:
``compliance.status_id`` 0 (Unknown), severity Informational, the missing fact in ``unmapped.missing``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reports._atomic import write_atomic
from reports._common import epoch_ms, owner_names, stable_uuid
from reports.json import ControlOut, FindingOut, NotAssessedOut, Report, build_document
from scanner.findings import Severity, Status
from scanner.result import ScanResult

OCSF_VERSION = "1.4.0"
CLASS_UID = 2003  # Compliance Finding
CATEGORY_UID = 2  # Findings
ACTIVITY_CREATE = 1
SEVERITY_ID = {Severity.INFO: 1, Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4, Severity.CRITICAL: 5}
STANDARDS = ("OWASP Non-Human Identities Top 10 (2025)", "NIST CSF 2.0")


def _envelope(doc: Report, time_ms: int, uid: str) -> dict[str, Any]:
    """The fields every event of this file shares: class, activity, time and the product that wrote it."""
    return {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": time_ms,
        "metadata": {
            "version": OCSF_VERSION,
            "uid": uid,
            "product": {"name": doc.tool.name, "vendor_name": doc.tool.name, "version": doc.tool.version},
        },
    }


def _event(f: FindingOut, doc: Report, time_ms: int) -> dict[str, Any]:
    suppressed = f.status is Status.SUPPRESSED
    unmapped: dict[str, Any] = {
        "blast_radius": f.blast_radius,
        "evidence_path": [
            {"src": s.src, "dst": s.dst, "kind": s.kind.value, "actions": [a.value for a in s.actions], "via": s.via}
            for s in f.path
        ],
        "owners": list(owner_names(f)),
        "facts": [{"text": x.text, "files": list(x.files)} for x in f.facts],
    }
    if f.location is not None:
        unmapped["location"] = {"file": f.location.file, "line": f.location.line}
    if f.suppression:
        unmapped["suppression"] = f.suppression
    return {
        **_envelope(doc, time_ms, f.id),
        "severity_id": SEVERITY_ID[f.severity],
        "severity": f.severity.value.capitalize() if f.severity is not Severity.INFO else "Informational",
        "status_id": 3 if suppressed else 1,
        "status": "Suppressed" if suppressed else "New",
        "message": f.message,
        "finding_info": {
            "uid": f.id,
            "title": f"{f.rule}: {f.control_title}",
            "desc": f.message,
            "types": [f.rule_title],
            "analytic": {"uid": f.rule, "name": f.rule_title, "type_id": 1, "type": "Rule"},
        },
        "compliance": {
            "standards": list(STANDARDS),
            "control": f.rule,
            "requirements": [*f.owasp_nhi, *f.nist_csf],
            "status_id": 3,
            "status": "Fail",
        },
        "remediation": {"desc": f.remediation or "See the control description."},
        "resources": [
            {
                "uid": f.subject.id,
                "name": f.subject.name,
                "type": f.subject.kind.value if f.subject.kind else "unknown",
                "cloud_partition": f.subject.provider or None,
            }
        ],
        "unmapped": unmapped,
    }


def _not_assessed(c: ControlOut, u: NotAssessedOut, doc: Report, time_ms: int) -> dict[str, Any]:
    """A subject the control could not judge: an Unknown compliance result naming what is missing."""
    uid = f"{c.id}-not-assessed-{stable_uuid('not-assessed', c.id, u.subject)}"
    message = f"{c.id} could not judge {u.name}: missing {u.missing}."
    return {
        **_envelope(doc, time_ms, uid),
        "severity_id": 1,
        "severity": "Informational",
        "status_id": 1,
        "status": "New",
        "message": message,
        "finding_info": {
            "uid": uid,
            "title": f"{c.id}: {c.title} (not assessed)",
            "desc": message,
            "types": ["Not assessed"],
            "analytic": {"uid": c.id, "name": c.title, "type_id": 1, "type": "Rule"},
        },
        "compliance": {
            "standards": list(STANDARDS),
            "control": c.id,
            "requirements": [*c.owasp_nhi, *c.nist_csf],
            "status_id": 0,
            "status": "Unknown",
        },
        "resources": [{"uid": u.subject, "name": u.name}],
        "unmapped": {"missing": u.missing, "not_collected": u.collectable},
    }


def events(result: ScanResult) -> list[dict[str, Any]]:
    """The OCSF events, in report order."""
    doc = build_document(result)
    t = epoch_ms(doc.generated_at)
    out = []
    for f in doc.findings:
        ev = _event(f, doc, t)
        ev["resources"] = [{k: v for k, v in r.items() if v is not None} for r in ev["resources"]]
        out.append(ev)
    for c in doc.controls:
        out.extend(_not_assessed(c, u, doc, t) for u in c.not_assessed)
    return out


def text(result: ScanResult) -> str:
    """The events serialised as one JSON array (indent 2, trailing newline)."""
    return json.dumps(events(result), indent=2, ensure_ascii=False) + "\n"


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``report.ocsf.json`` into ``out_dir`` atomically."""
    write_atomic(out_dir / "report.ocsf.json", text(result))
