"""``report.oscal.json``: an OSCAL assessment-results document (OSCAL 1.1.2 JSON) for GRC platforms.

One result per scan. Its reviewed controls are the controls a rule evaluated (RB01–RB12, ids in
lower case as OSCAL catalogs write them); each regwarden finding is an observation with its evidence
path; each reviewed control gets an OSCAL finding whose target is ``satisfied`` when no open finding
remains for it and ``not-satisfied`` otherwise; every open finding is also a risk. UUIDs are
version 5, derived from stable ids, so the same scan always yields the same document.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reports._common import iso_utc, owner_names, stable_uuid
from reports._stream import Stream, write
from reports.json import FindingOut, NotAssessedOut, Report, build_document
from scanner.findings import Status
from scanner.result import ScanResult

OSCAL_VERSION = "1.1.2"
#: Namespace of regwarden's own OSCAL properties.
PROP_NS = "urn:regwarden:oscal"


def _line(text: str) -> str:
    """OSCAL titles and property values are single-line tokens (``^\\S(.*\\S)?$`` in NIST's JSON schema);
    scanned names may hold newlines. U+FEFF is whitespace to the schema's (JavaScript) ``\\s`` but not
    to Python's ``str.split``, so it is folded too."""
    return " ".join(text.replace("\ufeff", " ").split()) or "-"


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": PROP_NS, "value": _line(value)}


def _evidence(f: FindingOut) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if f.path:
        hops = [f.path[0].src, *(s.dst for s in f.path)]
        kinds = [s.kind.value + ("[" + ",".join(a.value for a in s.actions) + "]" if s.actions else "") for s in f.path]
        chain = hops[0] + "".join(f" -{k}-> {h}" for k, h in zip(kinds, hops[1:], strict=True))
        out.append({"description": f"Evidence path: {chain}"})
    if f.location is not None:
        where = f.location.file + (f":{f.location.line}" if f.location.line is not None else "")
        out.append({"description": f"Read from bundle file {where}"})
    return out


def _observation(f: FindingOut, collected: str) -> dict[str, Any]:
    props = [
        _prop("rule", f.rule),
        _prop("severity", f.severity.value),
        _prop("status", f.status.value),
        _prop("subject-id", f.subject.id),
        _prop("blast-radius", str(f.blast_radius)),
    ]
    props += [_prop("owner", o) for o in owner_names(f)]
    obs: dict[str, Any] = {
        "uuid": stable_uuid("observation", f.id),
        "title": _line(f"{f.rule} {f.subject.name}"),
        "description": f.message,
        "props": props,
        "methods": ["TEST"],
        "types": ["finding"],
        "subjects": [
            {
                "subject-uuid": stable_uuid("subject", f.subject.id),
                "type": "resource",
                "title": _line(f.subject.name),
                "props": [_prop("node-id", f.subject.id), _prop("provider", f.subject.provider or "unknown")],
            }
        ],
        "collected": collected,
    }
    evidence = _evidence(f)
    if evidence:
        obs["relevant-evidence"] = evidence
    if f.suppression:
        obs["remarks"] = f"Suppressed: {f.suppression}"
    return obs


def _risk(f: FindingOut) -> dict[str, Any]:
    return {
        "uuid": stable_uuid("risk", f.id),
        "title": _line(f"{f.rule}: {f.control_title} — {f.subject.name}"),
        "description": f.message,
        "statement": f.remediation or f"Remediate {f.rule}: {f.control_title}.",
        "props": [_prop("severity", f.severity.value)],
        "status": "open",
        "related-observations": [{"observation-uuid": stable_uuid("observation", f.id)}],
    }


def _missing_remarks(unjudged: Sequence[NotAssessedOut], shown: int = 20) -> str:
    """What kept subjects from being judged: each missing fact with how many subjects lack it."""
    counts = Counter(u.missing for u in unjudged)
    parts = [f"{n} x missing {m}" for m, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    more = f"; and {len(parts) - shown} other missing fact(s)" if len(parts) > shown else ""
    return "Not assessed: " + "; ".join(parts[:shown]) + more + "."


def _result(doc: Report, stream: bool) -> dict[str, Any]:
    when = iso_utc(doc.generated_at)
    by_rule: dict[str, list[FindingOut]] = defaultdict(list)
    for f in doc.findings:
        by_rule[f.rule].append(f)
    assessed = [c for c in doc.controls if c.assessed]
    not_assessed = [c for c in doc.controls if not c.assessed]
    findings = []
    for c in assessed:
        fs = by_rule.get(c.id, [])
        open_ = [f for f in fs if f.status is Status.OPEN]
        coverage = f"Judged {c.judged} of {c.subjects} subject(s)" + (
            f"; {len(c.not_assessed)} not assessed." if c.not_assessed else "."
        )
        if fs:
            description = f"{len(open_)} open finding(s), {len(fs) - len(open_)} suppressed. {coverage}"
        elif c.not_assessed:
            description = f"No finding among what was judged, but the control is not assessed: {coverage}"
        else:
            description = (
                "No finding: the control holds for every subject it applies to. "
                + coverage
                + (
                    " The scan was partial: some scopes were not collected (see the result's remarks)."
                    if doc.coverage_gaps
                    else ""
                )
            )
        # satisfied only when every subject was judged and none failed; "pass" only when, besides, every scope
        # was collected (a pass in a partial scan is "other", with the gaps in the result's remarks).
        reason = "fail" if open_ else ("pass" if c.verdict == "pass" and not doc.coverage_gaps else "other")
        status: dict[str, Any] = {"state": "satisfied" if c.verdict == "pass" else "not-satisfied", "reason": reason}
        if c.not_assessed:
            status["remarks"] = _missing_remarks(c.not_assessed)
        finding: dict[str, Any] = {
            "uuid": stable_uuid("finding", doc.source, c.id),
            "title": f"{c.id}: {c.title}",
            "description": description,
            "props": [_prop("owasp-nhi", x) for x in c.owasp_nhi]
            + [_prop("nist-csf", x) for x in c.nist_csf]
            + [_prop("verdict", c.verdict), _prop("subjects", str(c.subjects)), _prop("judged", str(c.judged))],
            "target": {
                "type": "objective-id",
                "target-id": f"{c.id.lower()}_obj",
                "title": c.title,
                "status": status,
            },
        }
        if fs:
            finding["related-observations"] = [{"observation-uuid": stable_uuid("observation", f.id)} for f in fs]
        if open_:
            finding["related-risks"] = [{"risk-uuid": stable_uuid("risk", f.id)} for f in open_]
        findings.append(finding)
    selected = assessed or list(doc.controls)
    remarks = []
    if not_assessed:
        remarks.append(
            "Not assessed (no subject collected): " + "; ".join(f"{c.id} (needs {c.needs})" for c in not_assessed) + "."
        )
    if doc.partial:
        remarks.append(
            "PARTIAL SCAN — not assessed: "
            + "; ".join(f"{g.provider} {g.scope} {g.what}: {g.reason}" for g in doc.coverage_gaps)
        )
    result: dict[str, Any] = {
        "uuid": stable_uuid("result", doc.source, when),
        "title": _line(f"regwarden scan of {doc.source}"),
        "description": "Who can publish to, promote in or administer the package and image registries in scope.",
        "start": when,
        "end": when,
        "props": [_prop("partial", "true" if doc.partial else "false")] + [_prop("scope", s) for s in doc.scopes],
        "reviewed-controls": {
            "control-selections": [{"include-controls": [{"control-id": c.id.lower()} for c in selected]}]
        },
    }
    observations = (_observation(f, when) for f in doc.findings)
    risks = (_risk(f) for f in doc.findings if f.status is Status.OPEN)
    if doc.findings:
        result["observations"] = Stream(observations) if stream else list(observations)
    if any(f.status is Status.OPEN for f in doc.findings):
        result["risks"] = Stream(risks) if stream else list(risks)
    if findings:
        result["findings"] = findings
    if remarks:
        result["remarks"] = "\n\n".join(remarks)
    return result


def document(result: ScanResult, *, stream: bool = False) -> dict[str, Any]:
    """The assessment-results document as a JSON-ready dict; with ``stream``, its observations and
    risks are :class:`reports._stream.Stream` made while it is written."""
    doc = build_document(result)
    when = iso_utc(doc.generated_at)
    return {
        "assessment-results": {
            "uuid": stable_uuid("assessment-results", doc.source, when),
            "metadata": {
                "title": _line(f"regwarden registry identity assessment: {doc.source}"),
                "last-modified": when,
                "version": doc.tool.version,
                "oscal-version": OSCAL_VERSION,
                "props": [_prop("tool", f"{doc.tool.name} {doc.tool.version}")],
            },
            "import-ap": {
                "href": "#regwarden-controls",
                "remarks": "regwarden has no separate assessment plan: its plan is the controls RB01-RB12.",
            },
            "results": [_result(doc, stream)],
        }
    }


def text(result: ScanResult) -> str:
    """The document serialised: indent 2, trailing newline."""
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``report.oscal.json`` into ``out_dir`` observation by observation, atomically."""
    write(out_dir / "report.oscal.json", document(result, stream=True))
