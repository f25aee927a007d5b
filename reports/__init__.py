"""Built-in report formats, registered in one explicit table (loaded by the scanner through the
``regwarden.reports`` entry point)."""

from __future__ import annotations

from reports import html, json
from scanner.plugins import FormatSpec

FORMATS: dict[str, FormatSpec] = {
    "json": FormatSpec("json", "report.json", json.render),
    "html": FormatSpec("html", "report.html", html.render),
}
