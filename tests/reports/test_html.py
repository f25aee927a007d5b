"""report.html: hostile names stay text, nothing is fetched, partial scans are obvious."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports import html as report_html
from scanner.result import ScanResult
from tests.reports import estate

TEMPLATE = Path(report_html.__file__).parent / "templates" / "report.html.j2"


class _Collector(HTMLParser):
    """Every element with its attributes, and every piece of text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _render(tmp_path: Path, result: ScanResult | None = None) -> tuple[str, _Collector]:
    report_html.render(result or estate.build(), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    parser.close()
    return page, parser


def test_hostile_names_are_rendered_as_text(tmp_path: Path) -> None:
    page, parsed = _render(tmp_path)
    tags = {t for t, _ in parsed.elements}
    assert "img" not in tags
    assert "script" not in tags
    assert "iframe" not in tags
    text = "".join(parsed.text)
    for hostile in (estate.IMG, estate.SCRIPT, estate.LINK):
        assert hostile in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not any(k.startswith("on") for _, attrs in parsed.elements for k in attrs)


def test_no_external_references(tmp_path: Path) -> None:
    _, parsed = _render(tmp_path)
    for tag, attrs in parsed.elements:
        for key in ("src", "srcset", "action", "formaction", "poster", "data"):
            assert key not in attrs, (tag, attrs)
        if "href" in attrs:
            assert tag == "a"
            assert (attrs["href"] or "").startswith("#"), attrs
    assert "style" not in {k for _, attrs in parsed.elements for k in attrs}
    # the only URLs in the page come from data (as text); the template itself names none
    assert "://" not in TEMPLATE.read_text(encoding="utf-8")
    assert "url(" not in TEMPLATE.read_text(encoding="utf-8")
    assert "@import" not in TEMPLATE.read_text(encoding="utf-8")


def test_content_security_policy(tmp_path: Path) -> None:
    _, parsed = _render(tmp_path)
    metas = [a for t, a in parsed.elements if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1
    csp = metas[0]["content"] or ""
    assert "default-src 'none'" in csp
    assert "style-src 'unsafe-inline'" in csp
    assert "script-src" not in csp


def test_partial_banner_lists_gaps(tmp_path: Path) -> None:
    page, parsed = _render(tmp_path / "partial")
    assert "PARTIAL SCAN" in page
    text = "".join(parsed.text)
    assert "iam-get-account-authorization-details" in text
    assert f"403 {estate.IMG}" in text
    full, _ = _render(tmp_path / "full", estate.build(partial=False))
    assert "PARTIAL SCAN" not in full


def test_findings_in_report_order_with_paths(tmp_path: Path) -> None:
    _page, parsed = _render(tmp_path)
    text = "".join(parsed.text)
    positions = [text.index(f"RB{n}") for n in ("11", "03", "01", "09")]
    assert positions == sorted(positions)
    # severity groups, most severe first
    order = [text.index(s) for s in ("critical", "high", "low")]
    assert order == sorted(order)
    # the evidence chain names the nodes and the edge kinds
    assert "authenticates_as" in text
    assert "runs_code_of" in text
    assert "NHI7, NHI4" in text
    assert "PR.AA-01, PR.AA-05" in text
    assert f"Fix it. {estate.SCRIPT}" in text


def test_blast_radius_largest_first_and_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, parsed = _render(tmp_path / "all")
    text = "".join(parsed.text)
    section = text[text.index("Identities, credentials") :]
    assert section.index("registry-admin") < section.index("pypi token tok-1")
    monkeypatch.setattr(report_html, "MAX_IDENTITIES", 1)
    _, parsed = _render(tmp_path / "capped")
    text = "".join(parsed.text)
    section = text[text.index("Identities, credentials") :]
    assert "registry-admin" in section
    assert "pypi token tok-1" not in section
    assert "5 more are in report.json" in section


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
