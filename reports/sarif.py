"""``report.sarif``: SARIF 2.1.0 for the findings that point at a file (workflow files, build
configs, state files), so code-scanning UIs can show them next to the file.

One run per GitHub repository whose files hold findings: locations are paths inside that repository
(``.github/workflows/release.yml``), ``versionControlProvenance`` names it and ``automationDetails.id``
(``regwarden/OWNER/REPO/``) is the code-scanning category, so the run can be uploaded to that
repository as it is (docs/report.md shows how to pick one run out). Findings in any other file
(a state file, a build project) are in one more run whose locations are bundle-relative paths resolved
against the ``BUNDLE`` base id. Every rule carries ``security-severity``. Subjects a control could not
judge are tool notifications of each run's invocation. No timestamps: two renders of the same scan are
byte-identical.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reports._common import SEVERITY_SCORE, owner_names
from reports._stream import Stream, write
from reports.json import FindingOut, Report, build_document
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


#: Bundle files that are a file of a GitHub repository: (owner, repo, path inside it).
_IN_REPOSITORY = (  # DOTALL: a file name may hold a line break, and is still the repository's file
    re.compile(r"github/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/contents/(?P<path>.+)", re.DOTALL),
    re.compile(r"github/action-refs/(?P<owner>[^/]+)/(?P<repo>[^/]+)/[^/]+/(?P<path>.+)", re.DOTALL),
)
#: Notifications per run: what kept controls from judging subjects, grouped by control and missing fact.
MAX_NOTIFICATIONS = 100


def repository_file(bundle_file: str) -> tuple[str, str] | None:
    """``("owner/repo", "path/inside")`` when a bundle file is a file of a GitHub repository."""
    for rx in _IN_REPOSITORY:
        m = rx.fullmatch(bundle_file)
        if m is not None:
            return f"{m['owner']}/{m['repo']}", m["path"]
    return None


def _result(f: FindingOut, rule_index: int) -> dict[str, Any]:
    assert f.location is not None
    region: dict[str, Any] = {}
    if f.location.line is not None and f.location.line >= 1:
        region = {"region": {"startLine": f.location.line}}
    in_repo = repository_file(f.location.file)
    artifact = (
        {"uri": quote(in_repo[1], safe="/")}
        if in_repo is not None
        else {"uri": quote(f.location.file, safe="/"), "uriBaseId": "BUNDLE"}
    )
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.message} (subject: {f.subject.name})"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact,
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
            "bundleFile": f.location.file,
            "facts": [{"text": x.text, "files": list(x.files)} for x in f.facts],
            "evidencePath": [f"{s.src} -[{s.kind.value}]-> {s.dst}" for s in f.path],
            "owners": list(owner_names(f)),
        },
    }
    if f.status is Status.SUPPRESSED:
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.suppression or ""}]
    return out


def _rules(result: ScanResult, doc: Report, located: list[FindingOut]) -> list[dict[str, Any]]:
    """Every control as a rule, each with ``security-severity`` (the rule's severity, raised to its most
    severe finding's) and its remediation as ``help``."""
    by_id = {r.id: r for r in result.rules}
    rules: dict[str, dict[str, Any]] = {}
    for c in doc.controls:
        rule = by_id.get(c.id)
        sev = rule.severity.value if rule is not None else Severity.MEDIUM.value
        rules[c.id] = {
            "id": c.id,
            "name": c.id,
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": rule.title if rule is not None else c.title},
            "help": {"text": rule.remediation if rule is not None and rule.remediation else c.title},
            "properties": {
                "tags": ["security", *c.owasp_nhi, *c.nist_csf],
                "precision": "high",
                "security-severity": SEVERITY_SCORE[sev],
            },
        }
    for f in located:
        rule_out = rules.setdefault(
            f.rule,
            {
                "id": f.rule,
                "name": f.rule,
                "shortDescription": {"text": f.control_title},
                "fullDescription": {"text": f.rule_title},
                "help": {"text": f.remediation or f.rule_title},
                "properties": {"tags": ["security"], "precision": "high", "security-severity": "0.0"},
            },
        )
        props = rule_out["properties"]
        props["security-severity"] = max(props["security-severity"], SEVERITY_SCORE[f.severity.value], key=float)
    return [rules[k] for k in sorted(rules)]


def _notifications(doc: Report, index: dict[str, int]) -> list[dict[str, Any]]:
    """What kept each control from judging subjects, one notification per (control, missing fact)."""
    out: list[dict[str, Any]] = []
    for c in doc.controls:
        counts: dict[str, int] = {}
        for u in c.not_assessed:
            counts[u.missing] = counts.get(u.missing, 0) + 1
        for missing, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            note: dict[str, Any] = {
                "level": "warning",
                "message": {"text": f"{c.id} not assessed for {n} subject(s): missing {missing}"},
            }
            if c.id in index:
                note["associatedRule"] = {"id": c.id, "index": index[c.id]}
            out.append(note)
    return out[:MAX_NOTIFICATIONS]


def document(result: ScanResult, *, stream: bool = False) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict; with ``stream``, each run's results are a
    :class:`reports._stream.Stream` made while it is written."""
    doc = build_document(result)
    located = [f for f in doc.findings if f.location is not None]
    ordered = _rules(result, doc, located)
    index = {r["id"]: i for i, r in enumerate(ordered)}
    by_repo: dict[str, list[FindingOut]] = {}
    rest: list[FindingOut] = []
    for f in located:
        assert f.location is not None
        in_repo = repository_file(f.location.file)
        if in_repo is None:
            rest.append(f)
        else:
            by_repo.setdefault(in_repo[0], []).append(f)
    notes = _notifications(doc, index)
    tool = {"driver": {"name": doc.tool.name, "version": doc.tool.version, "rules": ordered}}
    invocation = {"executionSuccessful": True, "toolExecutionNotifications": notes}
    runs: list[dict[str, Any]] = []
    for repo, fs in sorted(by_repo.items(), key=lambda kv: kv[0].lower()):
        runs.append(
            {
                "tool": tool,
                "automationDetails": {"id": f"regwarden/{repo}/"},
                "versionControlProvenance": [{"repositoryUri": f"https://github.com/{quote(repo, safe='/')}"}],
                "invocations": [invocation],
                "results": _results(fs, index, stream),
                "properties": {"source": doc.source, "partial": doc.partial, "repository": repo},
            }
        )
    if rest or not runs:
        runs.append(
            {
                "tool": tool,
                "automationDetails": {"id": "regwarden/bundle/"},
                "originalUriBaseIds": {
                    "BUNDLE": {"description": {"text": f"The evidence bundle the scan read: {doc.source}"}}
                },
                "invocations": [invocation],
                "results": _results(rest, index, stream),
                "properties": {"source": doc.source, "partial": doc.partial},
            }
        )
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}


def _results(fs: list[FindingOut], index: dict[str, int], stream: bool) -> list[dict[str, Any]] | Stream:
    made = (_result(f, index[f.rule]) for f in fs)
    return Stream(made) if stream else list(made)


def text(result: ScanResult) -> str:
    """The SARIF log serialised: indent 2, trailing newline."""
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``report.sarif`` into ``out_dir`` result by result, atomically."""
    write(out_dir / "report.sarif", document(result, stream=True))
