"""Built-in report formats, registered in one explicit table (loaded by the scanner through the
``regwarden.reports`` entry point)."""

from __future__ import annotations

from reports import csv, graphml, html, json, ocsf, oscal, sarif
from scanner.plugins import FormatSpec

FORMATS: dict[str, FormatSpec] = {
    "json": FormatSpec("json", "report.json", json.render),
    "html": FormatSpec("html", "report.html", html.render),
    "oscal": FormatSpec("oscal", "report.oscal.json", oscal.render),
    "ocsf": FormatSpec("ocsf", "report.ocsf.json", ocsf.render),
    "sarif": FormatSpec("sarif", "report.sarif", sarif.render),
    "csv": FormatSpec("csv", "findings.csv", csv.render_findings),
    "inventory-csv": FormatSpec("inventory-csv", "inventory.csv", csv.render_inventory),
    "graphml": FormatSpec("graphml", "graph.graphml", graphml.render),
}
