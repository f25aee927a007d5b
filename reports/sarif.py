"""``report.sarif``: SARIF 2.1.0 for the findings that point at a file (workflow files, build
configs, state files), so code-scanning UIs can show them next to the file.

Locations are bundle-relative paths, resolved against the ``BUNDLE`` base id. No timestamps: two
renders of the same scan are byte-identical.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reports._atomic import write_atomic
from reports._common import SEVERITY_SCORE
from reports.json import FindingOut, build_document
from scanner.findings import Severity, Status
from scanner.result import ScanResult

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def _result(f: FindingOut, rule_index: int) -> dict[str, Any]:
    assert f.location is not None
    region: dict[str, Any] = {}
    if f.location.line is not None and f.location.line >= 1:
        region = {"region": {"startLine": f.location.line}}
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.message} (subject: {f.subject.name})"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(f.location.file, safe="/"), "uriBaseId": "BUNDLE"},
                    **region,
                },
                "logicalLocations": [{"fullyQualifiedName": f.subject.id, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {"regwardenFindingId/v1": f.id},
        "properties": {
            "severity": f.severity.value,
            "subject": f.subject.id,
            "blastRadius": f.blast_radius,
            "evidencePath": [f"{s.src} -[{s.kind.value}]-> {s.dst}" for s in f.path],
        },
    }
    if f.status is Status.SUPPRESSED:
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.suppression or ""}]
    return out


def document(result: ScanResult) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    doc = build_document(result)
    located = [f for f in doc.findings if f.location is not None]
    rules: dict[str, dict[str, Any]] = {}
    for c in doc.controls:
        rules[c.id] = {
            "id": c.id,
            "name": c.id,
            "shortDescription": {"text": c.title},
            "properties": {"tags": ["security", *c.owasp_nhi, *c.nist_csf]},
        }
    for f in located:
        rule = rules.setdefault(f.rule, {"id": f.rule, "name": f.rule, "shortDescription": {"text": f.control_title}})
        rule["fullDescription"] = {"text": f.rule_title}
        if f.remediation:
            rule["help"] = {"text": f.remediation}
        props = rule.setdefault("properties", {"tags": ["security"]})
        score = SEVERITY_SCORE[f.severity.value]
        props["security-severity"] = max(props.get("security-severity", "0.0"), score, key=float)
    ordered = [rules[k] for k in sorted(rules)]
    index = {r["id"]: i for i, r in enumerate(ordered)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": doc.tool.name,
                        "version": doc.tool.version,
                        "rules": ordered,
                    }
                },
                "originalUriBaseIds": {
                    "BUNDLE": {"description": {"text": f"The evidence bundle the scan read: {doc.source}"}}
                },
                "results": [_result(f, index[f.rule]) for f in located],
                "properties": {"source": doc.source, "partial": doc.partial},
            }
        ],
    }


def text(result: ScanResult) -> str:
    """The SARIF log serialised: indent 2, trailing newline."""
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``report.sarif`` into ``out_dir`` atomically."""
    write_atomic(out_dir / "report.sarif", text(result))
