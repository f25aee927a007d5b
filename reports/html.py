"""``report.html``: one self-contained page for auditors (inline CSS, no script, nothing fetched).

Names in a scanned estate are attacker-controlled, so the page is rendered by jinja2 with
autoescaping on and ``StrictUndefined``; data only ever reaches the template as plain values, never
as markup built here. The view model is the JSON document (:func:`reports.json.build_document`), so
both formats show the same findings in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reports._atomic import write_atomic
from reports.json import FindingOut, IdentityOut, Report, build_document
from scanner.findings import Severity, Status
from scanner.result import ScanResult

#: How many identities the blast-radius section lists, and how many resources per identity.
MAX_IDENTITIES = 200
MAX_RESOURCES_PER_IDENTITY = 50

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


@dataclass(frozen=True, slots=True)
class SeverityGroup:
    """The findings of one severity, in report order."""

    severity: Severity
    findings: tuple[FindingOut, ...]


@dataclass(frozen=True, slots=True)
class IdentityView:
    """An identity in the blast-radius section: its reach size and the resources shown."""

    identity: IdentityOut
    size: int
    hidden: int  # resources not listed (over MAX_RESOURCES_PER_IDENTITY)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _groups(doc: Report) -> list[SeverityGroup]:
    order = sorted(Severity, key=lambda s: -s.rank)
    return [SeverityGroup(s, fs) for s in order if (fs := tuple(f for f in doc.findings if f.severity is s))]


def _top_identities(doc: Report) -> list[IdentityView]:
    sized = [(sum(len(r.actions) for r in i.blast_radius), i) for i in doc.identities]
    sized.sort(key=lambda x: (-x[0], x[1].id))
    return [
        IdentityView(i, size, max(0, len(i.blast_radius) - MAX_RESOURCES_PER_IDENTITY))
        for size, i in sized[:MAX_IDENTITIES]
    ]


def render_text(result: ScanResult) -> str:
    """The whole page as a string."""
    doc = build_document(result)
    names = {n.id: n.name for n in result.inventory.nodes()}
    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=doc,
        csp=CSP,
        generated_at=doc.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        names=names,
        groups=_groups(doc),
        severities=sorted(Severity, key=lambda s: -s.rank),
        suppressed=doc.summary.findings_by_status[Status.SUPPRESSED],
        identities=_top_identities(doc),
        identities_hidden=max(0, len(doc.identities) - MAX_IDENTITIES),
        max_resources=MAX_RESOURCES_PER_IDENTITY,
    )


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``report.html`` into ``out_dir`` atomically."""
    text = render_text(result)
    write_atomic(out_dir / "report.html", text)
