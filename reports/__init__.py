"""Built-in report formats, registered in one explicit table (loaded by the scanner through the
``regwarden.reports`` entry point). A format's module is imported only when it renders, so a run
that writes JSON and HTML never imports the OSCAL or GraphML writers."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.plugins import FormatSpec

if TYPE_CHECKING:
    from scanner.result import ScanResult


def _lazy(module: str, func: str = "render") -> Callable[[ScanResult, Path], None]:
    """``module.func``, imported on the first render."""

    def render(result: ScanResult, out_dir: Path) -> None:
        getattr(importlib.import_module(module), func)(result, out_dir)

    render.__qualname__ = render.__name__ = f"{module}.{func}"
    return render


FORMATS: dict[str, FormatSpec] = {
    "json": FormatSpec("json", "report.json", _lazy("reports.json")),
    "html": FormatSpec("html", "report.html", _lazy("reports.html")),
    "oscal": FormatSpec("oscal", "report.oscal.json", _lazy("reports.oscal")),
    "ocsf": FormatSpec("ocsf", "report.ocsf.json", _lazy("reports.ocsf")),
    "sarif": FormatSpec("sarif", "report.sarif", _lazy("reports.sarif")),
    "csv": FormatSpec("csv", "findings.csv", _lazy("reports.csv", "render_findings")),
    "inventory-csv": FormatSpec("inventory-csv", "inventory.csv", _lazy("reports.csv", "render_inventory")),
    "graphml": FormatSpec("graphml", "graph.graphml", _lazy("reports.graphml")),
}
