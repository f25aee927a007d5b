"""Hostile names injected into every name-like field of the demo estate (see ``hostile.py``): the HTML
report renders them as text in headless Chromium (nothing runs, no dialog, no layout break), the terminal
gets no control sequence, CSV cells are never formulas, JSON/SARIF/OSCAL/OCSF stay valid and GraphML
parses. Secret names GitHub would reject are refused in one line naming the file."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from trestle.oscal.assessment_results import AssessmentResults

from scanner.cli import main
from scanner.textsafe import for_terminal
from tests.hardening import figures
from tests.hardening.bundles import DEMO, FIXTURES, ROOT
from tests.hardening.hostile import BAD_SECRET_NAMES, NAMES, hostile_demo

FORMATS = "json,html,csv,inventory-csv,sarif,oscal,ocsf,graphml"
#: What a terminal must never receive: C0/C1 controls other than newline, bidi controls, zero-width.
TERMINAL_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str, Counter[str]]]:
    """The hostile demo estate analysed once into every format; yields (bundle, out, terminal text, counts)."""
    base = tmp_path_factory.mktemp("hostile")
    bundle, used = hostile_demo(base / "bundle")
    out = base / "out"
    cap = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", cap)
        mp.setattr("sys.stderr", cap)
        code = main(["analyse", str(bundle), "--out", str(out), "--format", FORMATS, "--fail-on", "none"])
    assert code == 0, cap.getvalue()[-2000:]
    yield bundle, out, cap.getvalue(), used
    shutil.rmtree(base, ignore_errors=True)


def _strings(doc: Any) -> Iterator[str]:
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _names_in(strings: list[str]) -> int:
    """How many (string, hostile name) pairs carry a hostile name intact."""
    return sum(1 for s in strings for n in NAMES if n in s)


def test_injection_reached_every_field(estate: tuple[Path, Path, str, Counter[str]]) -> None:
    _, out, _, used = estate
    assert set(used) >= {
        "workflow name",
        "job name",
        "step name",
        "action ref",
        "environment name",
        "repository name",
        "pypi author",
        "pypi maintainer",
        "pypi owner",
        "pypi package role",
    }
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    names = list(_strings(doc))
    assert all(any(n in s for s in names) for n in NAMES), "a hostile name did not reach the inventory"
    figures.record("hostile-injected", used)


def test_json_formats_stay_valid(estate: tuple[Path, Path, str, Counter[str]]) -> None:
    _, out, _, _ = estate
    counts: Counter[str] = Counter()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "reports" / "schema" / "report-v2.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    counts["json"] = _names_in(list(_strings(report)))

    sarif = json.loads((out / "report.sarif").read_text(encoding="utf-8"))
    sarif_schema = json.loads((FIXTURES / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    counts["sarif"] = _names_in(list(_strings(sarif)))

    oscal = json.loads((out / "report.oscal.json").read_text(encoding="utf-8"))
    AssessmentResults.model_validate(oscal["assessment-results"])
    counts["oscal"] = _names_in(list(_strings(oscal)))

    ocsf = json.loads((out / "report.ocsf.json").read_text(encoding="utf-8"))
    ocsf_schema = json.loads(
        (FIXTURES / "schemas" / "ocsf-1.4.0-compliance-finding.schema.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft202012Validator(ocsf_schema).validate(ocsf)
    counts["ocsf"] = _names_in(list(_strings(ocsf)))

    tree = ET.parse(out / "graph.graphml")  # noqa: S314 - our own output
    counts["graphml"] = _names_in([t for e in tree.iter() for t in (e.text or "", *e.attrib.values())])
    assert counts["json"] > 0
    assert counts["oscal"] > 0
    assert counts["ocsf"] > 0
    assert counts["graphml"] > 0
    figures.record("hostile-names-json-formats", counts)


def test_csv_cells_are_never_formulas(estate: tuple[Path, Path, str, Counter[str]]) -> None:
    _, out, _, _ = estate
    counts: Counter[str] = Counter()
    for name in ("findings.csv", "inventory.csv"):
        rows = list(csv.reader(io.StringIO((out / name).read_text(encoding="utf-8"), newline="")))
        cells = [c for row in rows[1:] for c in row]
        bad = [c[:40] for c in cells if c.startswith(FORMULA_START)]
        assert bad == [], f"{name}: cells a spreadsheet reads as formulas: {bad[:5]}"
        counts[name] = sum(1 for c in cells for n in NAMES if n.lstrip("".join(FORMULA_START)) in c)
    assert counts["inventory.csv"] > 0
    figures.record("hostile-names-csv", counts)


def test_terminal_output_has_no_control_sequences(estate: tuple[Path, Path, str, Counter[str]]) -> None:
    bundle, out, text, _ = estate
    assert TERMINAL_UNSAFE.findall(text) == []
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    ids = [f["subject"]["id"] for f in report["findings"] if any(h in f["subject"]["id"] for h in NAMES)][:3]
    assert ids, "no hostile node id to explain"
    shown = 0
    for nid in ids:
        cap = io.StringIO()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("sys.stdout", cap)
            mp.setattr("sys.stderr", cap)
            assert main(["explain", nid, "--bundle", str(bundle)]) == 0
        assert TERMINAL_UNSAFE.findall(cap.getvalue()) == [], cap.getvalue()[:500]
        shown += sum(1 for h in NAMES if for_terminal(h, 500)[:30] in cap.getvalue())
    cap = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", cap)
        mp.setattr("sys.stderr", cap)
        assert main(["demo", "--out", str(out / "demo"), "--format", "json"]) == 0
    assert TERMINAL_UNSAFE.findall(cap.getvalue()) == []
    shown += sum(1 for h in NAMES if for_terminal(h, 70)[:20] in text)
    assert shown > 0
    figures.record("hostile-names-terminal", {"names shown sanitised": shown, "explained nodes": len(ids)})


def test_secret_names_github_rejects_are_refused_in_one_line(tmp_path: Path) -> None:
    refused = 0
    bundle = tmp_path / "b"
    shutil.copytree(DEMO, bundle)
    rel = next(bundle.glob("github/repos/*/*/actions/secrets.json"))
    original = rel.read_text(encoding="utf-8")
    for bad in BAD_SECRET_NAMES:
        doc = json.loads(original)
        doc["secrets"].append({"name": bad, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
        doc["total_count"] = len(doc["secrets"])
        rel.write_text(json.dumps(doc), encoding="utf-8")
        cap = io.StringIO()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("sys.stdout", cap)
            mp.setattr("sys.stderr", cap)
            code = main(["analyse", str(bundle), "--out", str(tmp_path / "out"), "--format", "json"])
        msg = cap.getvalue()
        assert code == 2, msg
        assert msg.count("\n") == 1, msg
        assert rel.relative_to(bundle).as_posix() in msg, msg
        assert TERMINAL_UNSAFE.findall(msg) == [], msg
        refused += 1
    figures.record("hostile-secret-names", {"refused": refused})


def _clean_width(browser: Any, out: Path) -> int:
    """Width of the demo report (no hostile names) opened the same way: the reference for "no layout break"."""
    demo = out / "clean"
    assert main(["demo", "--out", str(demo), "--format", "html"]) == 0
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((demo / "report.html").as_uri())
    page.wait_for_selector("html[data-ready=true]", timeout=60_000)
    for d in page.locator("#finding-list details").all():
        d.locator("summary").click()
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    page.close()
    return width


@pytest.mark.skipif(not CHROMIUM.exists(), reason="LOUD SKIP: /usr/bin/chromium missing; run .ci/setup-chromium.sh")
def test_html_renders_hostile_names_as_text(estate: tuple[Path, Path, str, Counter[str]]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    _, out, _, _ = estate
    html = out / "report.html"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []

            def dialog(d: Any) -> None:
                problems.append(f"dialog: {d.message}")
                d.dismiss()

            def route(r: Any) -> None:
                if r.request.url == html.as_uri():
                    r.continue_()
                else:
                    problems.append(r.request.url)
                    r.abort()

            page.on("dialog", dialog)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type == "error" else None)
            page.route("**/*", route)
            page.goto(html.as_uri())
            page.wait_for_selector("html[data-ready=true]", timeout=60_000)
            for d in page.locator("#finding-list details").all():
                d.locator("summary").click()
            for b in page.locator("#identity-list li button").all()[:40]:
                b.click()
            for b in page.locator("#registry-list li button").all()[:40]:
                b.click()
            page.wait_for_timeout(100)
            assert page.evaluate("window.__pwned") is None
            assert page.evaluate("document.querySelectorAll('script').length") == 2
            assert page.evaluate("document.querySelectorAll('img, iframe, object, embed, svg image').length") == 0
            assert (
                page.evaluate(
                    "[...document.querySelectorAll('*')].filter(e => [...e.attributes]"
                    ".some(a => a.name.startsWith('on'))).length"
                )
                == 0
            )
            assert page.evaluate("document.querySelectorAll('b').length") == 0  # "<b>bold</b>" stayed text
            width = page.evaluate("document.documentElement.scrollWidth")
            clean = _clean_width(browser, out)
            assert width <= clean, f"layout broken: page is {width}px wide, the clean demo report {clean}px"
            body = page.locator("body").inner_text()
            data = json.loads(page.evaluate("JSON.stringify(window.regwarden.report)"))
            shown = sum(1 for n in NAMES if n.replace("\r\n", "\n")[:40].split("\n")[0] in body)
            packed = _names_in(list(_strings(data)))
            assert problems == []
            assert shown > 0
            assert packed > 0
        finally:
            browser.close()
    figures.record("hostile-names-html", {"names visible as text": shown, "names in packed data": packed})
