"""report.html in real headless Chromium (Debian's chromium driven by Playwright; `.ci/setup-chromium.sh`
installs it): no console errors, no network, filters and search work, hostile names stay text, the
packed data unpacks to report.json, and a 20,000-finding / 50,000-node report opens."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reports import html as report_html
from reports import json as report_json
from scanner.graph import ScanGraph
from scanner.model import Action, Edge, EdgeKind, Inventory, Node, NodeId, NodeKind
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from tests.reports import estate, large

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="LOUD SKIP: playwright is not installed (pip install playwright)"
)
expect = sync_api.expect
if not CHROMIUM.exists():
    pytest.skip(
        "LOUD SKIP: /usr/bin/chromium is missing — run .ci/setup-chromium.sh (CI turns this skip into a failure)",
        allow_module_level=True,
    )


@dataclass
class Opened:
    """A page with everything it logged, requested or tried to pop up."""

    page: Any
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _open(browser: Any, path: Path, timeout_ms: int = 60_000) -> Opened:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    opened = Opened(page)
    page.on(
        "console", lambda m: opened.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: opened.console.append(f"pageerror: {e}"))

    def dialog(d: Any) -> None:
        opened.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)

    def route(r: Any) -> None:
        url = r.request.url
        if url == path.as_uri():
            r.continue_()
        else:
            opened.requests.append(url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_selector("html[data-ready=true]", timeout=timeout_ms)
    return opened


def _report(tmp_path: Path, result: ScanResult) -> Path:
    report_html.render(result, tmp_path)
    return tmp_path / "report.html"


def _clean(o: Opened) -> None:
    assert o.console == []
    assert o.requests == []
    assert o.dialogs == []


def _count(o: Opened) -> int:
    return int(o.page.locator("#finding-list details.finding").count())


def test_opens_clean_and_unpacks_to_report_json(browser: Any, tmp_path: Path) -> None:
    result = estate.build()
    o = _open(browser, _report(tmp_path, result))
    unpacked = json.loads(o.page.evaluate("JSON.stringify(window.regwarden.report)"))
    assert unpacked == report_json.build_document(result).model_dump(mode="json")
    _clean(o)


def test_demo_report_opens_clean(browser: Any, tmp_path: Path) -> None:
    from scanner.cli import main

    assert main(["demo", "--out", str(tmp_path), "--format", "html"]) == 0
    o = _open(browser, tmp_path / "report.html")
    assert _count(o) > 0
    # The top finding's card lists the facts that make it true, each with its evidence file.
    top = o.page.locator("#finding-list details.finding").first
    if top.get_attribute("open") is None:
        top.locator("summary").click()
    facts = top.locator("ul.facts").inner_text()
    assert "its Actions logs are public too" in facts
    assert "ci-release.yml:21" in facts
    o.page.locator("#identity-list li button").first.click()
    o.page.locator("#registry-list li button").first.click()
    assert "can PUBLISH here" in o.page.locator("#registry-detail").inner_text()
    _clean(o)


def test_hostile_names_render_as_text(browser: Any, tmp_path: Path) -> None:
    o = _open(browser, _report(tmp_path, estate.build()))
    page = o.page
    for d in page.locator("#finding-list details").all():
        d.locator("summary").click()
    for b in page.locator("#identity-list li button").all():
        b.click()
    for b in page.locator("#registry-list li button").all():
        b.click()
    body = page.locator("body").inner_text()
    assert estate.IMG in body
    assert estate.SCRIPT in body
    assert estate.LINK in body
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 2
    assert page.evaluate("document.querySelectorAll('a[href^=\"http\"]').length") == 0
    page.wait_for_timeout(100)
    _clean(o)


def test_filters_and_search(browser: Any, tmp_path: Path) -> None:
    o = _open(browser, _report(tmp_path, estate.build()))
    page = o.page
    assert _count(o) == 4
    page.select_option('select[data-filter="severity"]', "high")
    assert _count(o) == 2
    page.select_option('select[data-filter="control"]', "RB03")
    assert _count(o) == 1
    page.select_option('select[data-filter="severity"]', "")
    page.select_option('select[data-filter="control"]', "")
    page.select_option('select[data-filter="provider"]', "aws")
    assert _count(o) == 1
    page.select_option('select[data-filter="provider"]', "")
    page.select_option('select[data-filter="status"]', "suppressed")
    assert page.locator("#finding-list summary").inner_text().startswith("LOW")
    page.select_option('select[data-filter="status"]', "")
    page.select_option('select[data-filter="owner"]', "-")
    assert _count(o) == 2  # RB03 (the admin role) and RB09; RB01 and RB11 reach the account maint owns
    page.select_option('select[data-filter="owner"]', "maint")
    assert _count(o) == 2
    page.select_option('select[data-filter="owner"]', "")
    page.fill("#finding-search", "tok-1")
    expect(page.locator("#finding-list details.finding")).to_have_count(1)
    assert "1 of 4 findings match" in page.locator("#finding-count").inner_text()
    page.fill("#finding-search", "no such thing")
    expect(page.locator("#finding-list details.finding")).to_have_count(0)
    page.fill("#finding-search", "")
    expect(page.locator("#finding-list details.finding")).to_have_count(4)
    # the controls matrix links to its findings
    page.locator('a.ctl-link[data-control="RB11"]').click()
    assert _count(o) == 1
    assert page.locator('select[data-filter="control"]').input_value() == "RB11"
    # an open finding shows its evidence path as a graph
    first = page.locator("#finding-list details.finding").first
    assert first.locator("svg g.node").count() == 7
    _clean(o)


def _hub(publishers: int) -> ScanResult:
    inv = Inventory()
    reg = NodeId("aws:registry:prod")
    inv.add_node(Node(reg, NodeKind.RESOURCE, "prod-registry", "aws", "aws:ecr"))
    for i in range(publishers):
        nid = NodeId(f"aws:role:r{i:04d}")
        inv.add_node(Node(nid, NodeKind.IDENTITY, f"role-{i:04d}", "aws", "aws:role"))
        inv.add_edge(Edge(nid, reg, EdgeKind.GRANTS, frozenset({Action.PUBLISH}), via="push"))
    reach = ReachIndex.build(ScanGraph(inv))
    return ScanResult(datetime(2026, 3, 1, tzinfo=UTC), "hub", ("aws",), inv, reach, (), estate.RULES, ())


def test_hundreds_of_neighbours_stay_usable(browser: Any, tmp_path: Path) -> None:
    o = _open(browser, _report(tmp_path, _hub(400)))
    page = o.page
    detail = page.locator("#registry-detail")
    assert "400 identities can PUBLISH here." in detail.inner_text()
    assert detail.locator("svg g.node").count() == 17  # 16 neighbours and the registry itself
    assert detail.locator("svg text.more").text_content() == "+384 more"
    assert detail.locator("ul.rows li").count() == 50  # paged
    detail.locator(".pager button", has_text="Next").click()
    assert detail.locator("ul.rows li").first.inner_text().startswith("role-0050")
    # the list of identities is paged and searchable too
    page.fill("#identity-list input", "role-0399")
    assert page.locator("#identity-list li").count() == 1
    page.locator("#identity-list li button").click()
    assert "prod-registry" in page.locator("#identity-detail").inner_text()
    _clean(o)


def test_prints_to_pdf(browser: Any, tmp_path: Path) -> None:
    o = _open(browser, _report(tmp_path, estate.build()))
    o.page.emulate_media(media="print")
    pdf = o.page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    _clean(o)


@pytest.mark.slow
def test_large_report_opens(browser: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = large.build(nodes=50_000, findings=20_000)
    t0 = time.perf_counter()
    path = _report(tmp_path, result)
    rendered = time.perf_counter() - t0
    size_mb = path.stat().st_size / 1e6
    t1 = time.perf_counter()
    o = _open(browser, path, timeout_ms=60_000)
    opened = time.perf_counter() - t1
    with capsys.disabled():
        print(
            f"\n20k findings / 50k nodes: report.html {size_mb:.1f} MB, rendered in {rendered:.1f}s, ready in browser in {opened:.1f}s"
        )
    assert opened < 60
    assert size_mb < 20
    assert "20000 findings" in o.page.locator("#finding-count").inner_text()
    assert _count(o) == 50  # one page rendered, not twenty thousand
    o.page.fill("#finding-search", "token 12345 ")
    expect(o.page.locator("#finding-count")).to_contain_text(" of ", timeout=60_000)
    _clean(o)


def test_drift_and_trend_since_the_previous_scan(browser: Any, tmp_path: Path) -> None:
    """Two real scans around one change: the HTML alone says what changed and since when."""
    import shutil

    from scanner.cli import main
    from scanner.demo_estate import BUNDLE

    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    config = tmp_path / "regwarden.toml"
    config.write_text(f'[history]\nurl = "sqlite:///{tmp_path}/history.db"\n')
    args = ["analyse", str(bundle), "--config", str(config), "--fail-on", "none"]
    assert main([*args, "--out", str(tmp_path / "before")]) == 0
    wf = bundle / "github/repos/acme-corp/vision-kit/contents/.github/workflows/manual-publish.yml"
    text = wf.read_text()
    wf.write_text(text.replace("steps:", "steps:\n      - uses: some-org/helper-action@main", 1))
    assert main([*args, "--out", str(tmp_path / "after")]) == 0

    o = _open(browser, tmp_path / "after" / "report.html")
    _clean(o)
    drift = o.page.locator("#drift-scan").inner_text()
    assert "Compared with scan #1" in drift
    assert "can publish, promote, deploy or administer (1)" in drift
    assert "some-org/helper-action@main" in drift
    assert "+ PUBLISH on acme-vision-kit" in drift
    assert "Findings opened (1)" in drift
    trend = o.page.locator("#trend").inner_text()
    assert "Compared with the scan of" in trend
    assert "critical\t1\t2\t+1" in trend


def test_findings_group_by_subject(browser: Any, tmp_path: Path) -> None:
    """RB11 is one finding per (action, job): grouped by subject, one action reads as "runs beside N jobs"."""
    from tests.connectors.github import estate as gh

    bundle = tmp_path / "bundle"
    for rel, content in gh.files().items():
        path = bundle / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    from scanner.cli import main

    out = tmp_path / "out"
    main(["analyse", str(bundle), "--out", str(out), "--format", "html", "--fail-on", "none"])
    o = _open(browser, out / "report.html")
    page = o.page
    page.select_option('select[data-filter="control"]', "RB11")
    tag = "tj-actions/changed-files@v45"
    page.locator("#finding-list details.finding summary", has_text=tag).nth(1).wait_for()
    summaries = page.locator("#finding-list details.finding summary").all_inner_texts()
    assert len([t for t in summaries if tag in t]) == 2  # one per job it runs beside
    assert all(" in acme/" in t for t in summaries if tag in t)
    page.check("#finding-group")
    group = page.locator("#finding-list details.finding-group", has_text=tag)
    group.first.wait_for()
    assert group.count() == 1
    assert "runs beside 2 jobs that can publish" in group.locator("summary").inner_text()
    group.locator("summary").click()
    group.locator("details.finding").nth(1).wait_for()  # its cards are drawn when the group opens
    assert group.locator("details.finding").count() == 2


def test_demo_findings_group_by_owner(browser: Any, tmp_path: Path) -> None:
    """What does team X have to fix? Grouped by owner, the demo has no "(no owner)" group, each team's group
    holds exactly the findings report.json gives it, and a card names the owner and what says so."""
    from scanner.cli import main

    assert main(["demo", "--out", str(tmp_path), "--format", "html"]) == 0
    o = _open(browser, tmp_path / "report.html")
    page = o.page
    report = json.loads(page.evaluate("JSON.stringify(window.regwarden.report)"))
    by_owner: dict[str, int] = {}
    for f in report["findings"]:
        for name in {x["name"] for x in f["owners"]}:
            by_owner[name] = by_owner.get(name, 0) + 1
    page.select_option('select[data-filter="owner"]', "-")
    expect(page.locator("#finding-list details.finding")).to_have_count(0)
    page.select_option('select[data-filter="owner"]', "")
    page.check("#finding-group-owner")
    groups = page.locator("#finding-list details.owner-group")
    groups.first.wait_for()
    shown = {g.get_attribute("data-owner") for g in groups.all()}
    assert "" not in shown  # nothing without an owner
    assert shown == set(by_owner)
    team = "@acme-corp/release-managers"
    group = page.locator(f'#finding-list details.owner-group[data-owner="{team}"]')
    assert f"{by_owner[team]} findings to fix" in group.locator("summary").inner_text()
    group.locator("summary").first.click()
    cards = group.locator("details.finding")
    expect(cards).to_have_count(by_owner[team])
    assert all(f"owner {team}" in t for t in cards.locator("summary").all_inner_texts())
    card = cards.first
    card.locator("summary").click()
    owner_row = card.locator("dd span.owners").first.inner_text()
    assert team in owner_row
    assert "CODEOWNERS" in owner_row
    _clean(o)


#: Every finding card's right edge, and every descendant's outside a scrolling evidence graph, against
#: the card's own and its list's: what sticks out, by how many pixels (empty when nothing does).
_OVERFLOW_JS = """() => {
  const out = [];
  const list = document.getElementById("finding-list").getBoundingClientRect();
  for (const card of document.querySelectorAll("#finding-list details.finding")) {
    const box = card.getBoundingClientRect();
    if (box.right > list.right + 0.5) out.push(["card", card.dataset.id, box.right - list.right]);
    if (card.scrollWidth > card.clientWidth + 1) out.push(["scroll", card.dataset.id, card.scrollWidth - card.clientWidth]);
    for (const e of card.querySelectorAll("*")) {
      if (e.closest(".svgwrap") && !e.classList.contains("svgwrap")) continue;  // scrolls inside its frame
      const r = e.getBoundingClientRect();
      if (r.width && r.right > box.right + 0.5) out.push([e.tagName + "." + e.className, card.dataset.id, r.right - box.right]);
    }
  }
  return out;
}"""


@pytest.mark.parametrize(("media", "width"), [("screen", 1400), ("print", 690)])
def test_no_finding_card_is_wider_than_its_container(browser: Any, tmp_path: Path, media: str, width: int) -> None:
    """Long evidence paths and remediation texts wrap, or scroll inside the card (the path graph), at a
    wide screen and at the width of an A4 page with 14 mm margins (print media, every card expanded)."""
    from scanner.cli import main

    assert main(["demo", "--out", str(tmp_path), "--format", "html"]) == 0
    o = _open(browser, tmp_path / "report.html")
    page = o.page
    page.set_viewport_size({"width": width, "height": 900})
    if media == "print":
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    else:
        page.evaluate("document.querySelectorAll('#finding-list details.finding').forEach(d => { d.open = true; })")
    page.wait_for_function(
        "[...document.querySelectorAll('#finding-list details.finding')].every(d => d.open && d.querySelector('dl'))"
    )
    cards = _count(o)
    assert cards >= 40  # every finding of the demo, expanded
    assert page.evaluate("document.querySelectorAll('#finding-list .svgwrap svg').length") >= 40
    assert page.evaluate(_OVERFLOW_JS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _clean(o)


#: Real public workflows from the fidelity corpus (origins and commits in each folder's SOURCE.yaml): PyPI
#: Trusted Publishing behind environments, npm and Docker Hub tokens, GoReleaser to many registries, the
#: tj-actions repository itself.
PUBLIC_WORKFLOWS = (
    "pallets__flask",
    "psf__black",
    "axios__axios",
    "ultralytics__yolov3",
    "tj-actions__changed-files",
    "goreleaser__goreleaser",
    "encode__httpx",
    "vitejs__vite",
)


def test_public_workflows_alone_are_never_a_pass_where_subjects_were_not_judged(browser: Any, tmp_path: Path) -> None:
    """Issue 15: a bundle of real public workflows and nothing else (no registry files, no secrets lists, no
    environments) — every control whose subjects could not all be judged shows no pass, the exit code is 3,
    and the page lists what is missing."""
    from bench.fidelity.corpus import build_bundle
    from scanner.cli import main

    bundle = tmp_path / "bundle"
    build_bundle(bundle, only=PUBLIC_WORKFLOWS)
    out = tmp_path / "out"
    code = main(["analyse", str(bundle), "--out", str(out), "--format", "json,html", "--fail-on", "none"])
    assert code == 3
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["partial"] is True
    controls = {c["id"]: c for c in report["controls"]}
    unjudged = {cid for cid, c in controls.items() if c["subjects"] == 0 or c["not_assessed"]}
    # What a workflow cannot tell: the provenance of what it publishes (RB02), whether an environment
    # requires a reviewer (RB05), when a token in a secret expires or was last used (RB01, RB09).
    assert {"RB01", "RB02", "RB05", "RB09"} <= unjudged
    assert all(controls[c]["verdict"] != "pass" for c in unjudged)
    o = _open(browser, out / "report.html")
    page = o.page
    for cid in sorted(unjudged):
        row = page.locator("table.matrix tbody tr", has=page.locator(f'a[data-control="{cid}"]'))
        assert row.get_attribute("class") in ("state-not-assessed", "state-fail"), cid
        assert "PASS" not in row.locator(".state").inner_text().upper().split()
        c = controls[cid]
        expected = (
            f"judged {c['judged']} of {c['subjects']}; {len(c['not_assessed'])} not assessed"
            if c["subjects"]
            else "no subject collected"
        )
        assert expected in row.locator("td.coverage").inner_text()
    banner = page.locator("#partial").inner_text()
    assert "could not be judged because a file or call is missing" in banner
    listed = page.locator("#not-assessed ~ details.not-assessed")
    assert sorted(listed.evaluate_all("els => els.map(e => e.dataset.control)")) == sorted(
        cid for cid in unjudged if controls[cid]["not_assessed"]
    )
    rb05 = page.locator('details.not-assessed[data-control="RB05"]').inner_text()
    assert "missing: whether its environment requires a reviewer" in rb05
    assert "github/repos/<owner>/<repo>/environments.json" in rb05
    assert "pallets/flask publish.yaml#publish-pypi" in rb05
    rb02 = page.locator('details.not-assessed[data-control="RB02"]').inner_text()
    assert "pypi/pypi/<project>/json.json" in rb02
    _clean(o)
