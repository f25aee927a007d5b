"""report.html without a browser: hostile names never become markup, the CSP pins the inline code,
nothing external is referenced, partial scans are obvious, output is deterministic."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2.utils import htmlsafe_json_dumps

from reports import html as report_html
from scanner.result import ScanResult
from tests.reports import estate

TEMPLATES = Path(report_html.__file__).parent / "templates"


class _Collector(HTMLParser):
    """Every element with its attributes, the text outside scripts, and the scripts' contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._in: tuple[str, dict[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = (tag, dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in and self._in[0] == "script":
            self.scripts.append((self._in[1], data))
        elif self._in and self._in[0] == "style":
            self.styles.append(data)
        else:
            self.text.append(data)


def _render(tmp_path: Path, result: ScanResult | None = None) -> tuple[str, _Collector]:
    report_html.render(result or estate.build(), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    parser.close()
    return page, parser


def test_hostile_names_never_become_markup(tmp_path: Path) -> None:
    page, parsed = _render(tmp_path)
    tags = [t for t, _ in parsed.elements]
    assert "img" not in tags
    assert "iframe" not in tags
    assert tags.count("script") == 2  # the data block and the viewer, nothing else
    assert "<img src=x" not in page
    assert "</script><script>alert" not in page
    # server-rendered text (the coverage table) shows the name escaped, as text
    assert f"403 {estate.IMG}" in "".join(parsed.text)
    assert not any(k.startswith("on") for _, attrs in parsed.elements for k in attrs)


def test_data_block_is_json_with_markup_escaped(tmp_path: Path) -> None:
    page, parsed = _render(tmp_path)
    data_attrs, data = next((a, d) for a, d in parsed.scripts if a.get("id") == "data")
    assert data_attrs.get("type") == "application/json"
    assert "<" not in data
    assert ">" not in data
    payload = json.loads(data)
    assert payload["format"] == "regwarden-html-2"
    names = [n[1] for n in payload["nodes"]]
    assert estate.IMG in names
    assert estate.SCRIPT in names
    assert page.count('id="data"') == 1  # embedded once


def test_csp_pins_the_inline_script_and_style(tmp_path: Path) -> None:
    _, parsed = _render(tmp_path)
    metas = [a for t, a in parsed.elements if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1
    csp = metas[0]["content"] or ""
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert "unsafe" not in csp
    viewer = next(d for a, d in parsed.scripts if "type" not in a)
    assert directives["script-src"] == report_html.csp_hash(viewer)
    assert directives["style-src"] == report_html.csp_hash(parsed.styles[0])
    assert "connect-src" not in directives  # falls back to default-src 'none'


def test_no_external_references(tmp_path: Path) -> None:
    _, parsed = _render(tmp_path)
    for tag, attrs in parsed.elements:
        for key in ("src", "srcset", "action", "formaction", "poster", "data", "style"):
            assert key not in attrs, (tag, attrs)
        if "href" in attrs:
            href = attrs["href"] or ""
            assert (tag == "a" and href.startswith("#")) or (tag == "link" and href == "data:,"), attrs
    for name in ("report.html.j2", "report.css", "report.js"):
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        assert "url(" not in text, name
        assert "@import" not in text, name
        assert not re.search(
            r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|innerHTML|outerHTML|insertAdjacentHTML|eval)\b",
            text,
        ), name
    assert "://" not in (TEMPLATES / "report.html.j2").read_text(encoding="utf-8")


def test_partial_banner_and_coverage(tmp_path: Path) -> None:
    page, parsed = _render(tmp_path / "partial")
    assert "PARTIAL SCAN" in page
    text = "".join(parsed.text)
    assert "iam-get-account-authorization-details" in text
    full, parsed_full = _render(tmp_path / "full", estate.build(partial=False))
    assert "PARTIAL SCAN" not in full
    assert "Every configured scope was assessed." in "".join(parsed_full.text)


def test_controls_matrix(tmp_path: Path) -> None:
    _, parsed = _render(tmp_path)
    rows = [a.get("class") for t, a in parsed.elements if t == "tr" and (a.get("class") or "").startswith("state-")]
    assert len(rows) == 12
    assert rows[0] == "state-fail"  # RB01 has an open finding
    assert rows[1] == "state-not-assessed"  # RB02: no rule ran
    assert rows[8] == "state-pass-partial"  # RB09: its only finding is suppressed; the scan is partial
    text = "".join(parsed.text)
    assert "NHI7" in text
    assert "PR.AA-01" in text


def test_failed_render_leaves_no_file(tmp_path: Path) -> None:
    good = estate.build()
    bad = ScanResult(
        generated_at=good.generated_at,
        source=good.source,
        scopes=good.scopes,
        inventory=good.inventory,
        reach=good.reach,
        findings=(*good.findings, "not a finding"),  # type: ignore[arg-type]
        rules=good.rules,
        gaps=good.gaps,
    )
    with pytest.raises(AttributeError):
        report_html.render(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_deterministic(tmp_path: Path) -> None:
    a, _ = _render(tmp_path / "a")
    b, _ = _render(tmp_path / "b", estate.build(reverse=True))
    assert a == b


def test_data_block_is_what_jinja2_tojson_writes(tmp_path: Path) -> None:
    # The data block is written from bytes, around the rendered template: it must be exactly what
    # `{{ data|tojson }}` wrote (jinja2's own escaping of < > & '), for hostile names too, and the
    # page around it must be the template's.
    result = estate.build()
    page, parsed = _render(tmp_path, result)
    data = next(d for a, d in parsed.scripts if a.get("id") == "data")
    want = htmlsafe_json_dumps(report_html.payload(result), dumps=report_html._json_dumps)
    assert data == str(want)
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in data
    assert "\\u0026" in report_html.data_json({"a": "&", "b": "'"}).decode()
    assert (
        report_html.data_json({"x": "<>&'é"})
        == str(htmlsafe_json_dumps({"x": "<>&'é"}, dumps=report_html._json_dumps)).encode()
    )
    assert "regwarden-data-slot-" not in page
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")


def test_a_name_shaped_like_the_data_slot_stays_text(tmp_path: Path) -> None:
    # The slot is a fresh random nonce per render: a name that looks like one is only data.
    result = estate.build()
    fake = '"regwarden-data-slot-00000000000000000000000000000000"'
    inv = result.inventory
    subject = inv.node(result.findings[0].subject)  # on the page: its finding names it
    inv._nodes[subject.id] = replace(subject, name=fake)
    page, parsed = _render(tmp_path, result)
    data = json.loads(next(d for a, d in parsed.scripts if a.get("id") == "data"))
    assert [n[1] for n in data["nodes"] if n[0] == subject.id] == [fake]
    assert page.count('id="data"') == 1
