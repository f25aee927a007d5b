"""IAM policies from Cloud Asset Inventory ``searchAllIamPolicies``: the same graph as ``getIamPolicy`` on
each resource, from a number of IAM calls that grows with pages, not with projects × resources.

One fake serves both APIs from one data model (the bundle files; see fake.py), so every test collects
the same estate both ways and compares what comes out.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors.gcp import SPEC, assets, fetch
from connectors.gcp.settings import Settings
from scanner.bundle import BundleReader, BundleWriter
from scanner.cli import main
from scanner.collect import CollectReport, collect
from scanner.errors import AuthError, BundleError, ConnectorError
from scanner.model import Inventory
from tests.connectors.gcp.estate import write_estate
from tests.connectors.gcp.fake import FIXTURE, FakeGcp

ORG_SEARCH = "/v1/organizations/999:searchAllIamPolicies"
ORG_SCOPE = "organizations/999:searchAllIamPolicies"
REPO = "projects/acme-prod/locations/us-central1/repositories"
APP_IMAGES = f"gcp:ar-repository:{REPO}/app-images"


def _graph(inv: Inventory) -> tuple[set[Any], set[Any], set[Any], list[Any]]:
    """Nodes, edges, hints and gaps with everything but the evidence file names, which differ by source."""
    nodes = {
        (n.id, n.kind, n.name, n.subtype, n.scope, tuple(sorted(n.attrs.items())), n.credential) for n in inv.nodes()
    }
    edges = {(e.src, e.dst, e.kind, e.actions, e.via, e.conditions, e.approval_required) for e in inv.edges()}
    hints = {(str(h.src), h.dst, h.kind, h.via, h.conditions, h.approval_required) for h in inv.hints}
    return nodes, edges, hints, sorted((g.scope, g.what) for g in inv.gaps)


def _both(fake: FakeGcp, settings: Settings, tmp_path: Path) -> dict[str, tuple[CollectReport, BundleReader, int, int]]:
    """Collect the estate with each IAM source: (report, bundle, getIamPolicy requests, search requests)."""
    out = {}
    for source in ("get-iam-policy", "asset-inventory"):
        fake.requests.clear()
        report = collect({"gcp": settings.model_copy(update={"iam_source": source})}, {"gcp": SPEC}, tmp_path / source)
        paths = [p for _, p in fake.requests]
        gets = sum(p.endswith(":getIamPolicy") for p in paths)
        searches = sum(p.endswith(":searchAllIamPolicies") for p in paths)
        out[source] = (report, BundleReader(report.bundle), gets, searches)
    return out


@pytest.fixture
def org(settings: Settings) -> Settings:
    """The fixture estate configured by its organization (folders and projects listed by the fake)."""
    return settings.model_copy(update={"projects": [], "organization": "999"})


# --- settings and scopes ------------------------------------------------------------------------------


def test_auto_uses_the_asset_inventory_only_with_an_organization_or_folders() -> None:
    assert not Settings(projects=["p"]).asset_inventory
    assert Settings(organization="1").asset_inventory
    assert Settings(folders=["2"]).asset_inventory
    assert Settings(projects=["p"], iam_source="asset-inventory").asset_inventory
    assert not Settings(organization="1", iam_source="get-iam-policy").asset_inventory


def test_one_search_per_root_and_per_project_outside_the_roots(settings: Settings, fake: FakeGcp) -> None:
    only_projects = settings.model_copy(update={"iam_source": "asset-inventory"})
    assert fetch.scopes(only_projects) == [
        "projects/acme-prod:searchAllIamPolicies",
        "projects/acme-prod",
        "folders/555",
        "organizations/999",
    ]
    # folders/555 lies under the organization (one search covers it); acme-other lies outside (its own).
    mixed = settings.model_copy(
        update={"organization": "999", "folders": ["555"], "projects": ["acme-prod", "acme-other"]}
    )
    assert fetch.scopes(mixed) == [
        ORG_SCOPE,
        "projects/acme-other:searchAllIamPolicies",
        "organizations/999",
        "folders/555",
        "projects/acme-prod",
        "projects/acme-other",
    ]


# --- the same graph from either source ---------------------------------------------------------------


@pytest.mark.parametrize("sa_unique_ids", [False, True], ids=["sa-by-email", "sa-by-unique-id"])
def test_both_sources_give_the_same_graph(org: Settings, fake: FakeGcp, tmp_path: Path, sa_unique_ids: bool) -> None:
    fake.sa_unique_ids = sa_unique_ids
    got = _both(fake, org, tmp_path)
    (old_report, old, _, _), (new_report, new, _, _) = got["get-iam-policy"], got["asset-inventory"]
    assert old_report.failed == new_report.failed == ()
    assert _graph(SPEC.inventory(new)) == _graph(SPEC.inventory(old)) == _graph(SPEC.inventory(BundleReader(FIXTURE)))
    # The bulk bundle holds the search and no per-resource policy the search covers.
    assert new.exists("gcp/organizations/999/searchAllIamPolicies.json")
    assert not list(new.files("gcp/projects/acme-prod/serviceAccounts", "getIamPolicy.json"))
    assert not list(new.files("gcp/projects/acme-prod/locations", "getIamPolicy.json"))
    # Kept: the project has repositories, and only getIamPolicy carries the auditConfigs they are judged by.
    assert new.exists("gcp/projects/acme-prod/getIamPolicy.json")
    assert SPEC.inventory(new).node(APP_IMAGES).attrs["audit_logging"] is True  # type: ignore[arg-type]


def test_a_list_of_projects_searches_each_project(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    report = collect({"gcp": settings.model_copy(update={"iam_source": "asset-inventory"})}, {"gcp": SPEC}, target)
    assert report.failed == ()
    reader = BundleReader(target)
    assert reader.exists("gcp/projects/acme-prod/searchAllIamPolicies.json")
    assert _graph(SPEC.inventory(reader)) == _graph(SPEC.inventory(BundleReader(FIXTURE)))


def _findings(out: Path) -> tuple[set[tuple[str, str, str, tuple[tuple[str, str, str], ...]]], bool]:
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    found = {
        (f["rule"], f["subject"]["id"], f["severity"], tuple((s["src"], s["kind"], s["dst"]) for s in f["path"]))
        for f in report["findings"]
    }
    return found, report["partial"]


def _toml(tmp_path: Path, server: HTTPServer, source: str) -> Path:
    toml = tmp_path / f"{source}.toml"
    toml.write_text(
        '[output]\nformats = ["json"]\n\n[sources.gcp]\norganization = "999"\ncredentials = "anonymous"\n'
        f'iam_source = "{source}"\nendpoint = "{server.url_for("").rstrip("/")}"\nbackoff = 0\nmax_wait = 1\n'
    )
    return toml


def test_a_scan_finds_the_same_from_either_source(tmp_path: Path, httpserver: HTTPServer) -> None:
    FakeGcp().install(httpserver)
    results = {}
    for source in ("get-iam-policy", "asset-inventory"):
        out = tmp_path / f"out-{source}"
        args = ["scan", "--config", str(_toml(tmp_path, httpserver, source)), "--bundle", str(tmp_path / source)]
        code = main([*args, "--out", str(out)])
        results[source] = (code, *_findings(out))
    assert results["asset-inventory"] == results["get-iam-policy"]
    code, found, partial = results["asset-inventory"]
    assert (code, partial) == (1, False)
    assert {rule for rule, *_ in found} >= {"RB01", "RB05", "RB06", "RB07", "RB09"}


# --- calls: pages, not projects × resources ---------------------------------------------------------


@pytest.mark.parametrize(("n", "m", "k"), [(4, 5, 3), (3, 4, 0)])
def test_iam_calls_grow_with_pages_not_with_resources(
    tmp_path: Path, httpserver: HTTPServer, settings: Settings, n: int, m: int, k: int
) -> None:
    page = 10
    fake = FakeGcp(root=write_estate(tmp_path / "estate", n, m, k), page_size=page)
    fake.install(httpserver)
    got = _both(fake, settings.model_copy(update={"projects": [], "organization": "900"}), tmp_path)
    (old_report, old, old_gets, old_searches) = got["get-iam-policy"]
    (new_report, new, new_gets, new_searches) = got["asset-inventory"]
    assert old_report.failed == new_report.failed == ()
    containers = 2  # organizations/900 and folders/500 keep getIamPolicy either way (their auditConfigs)
    # Old: one getIamPolicy per project, service account and repository.
    assert (old_gets, old_searches) == (containers + n * (1 + m + k), 0)
    # New: the search pages (every object with a binding is one result), plus the projects that hold a
    # repository (their auditConfigs); nothing per service account or repository.
    results = containers + n * (1 + m + k)
    pages = math.ceil(results / page)
    assert (new_gets, new_searches) == (containers + (n if k else 0), pages)
    assert len(fake.search("organizations/900")) == results
    # The manifest counts calls (one per paged call): the collection report shows the same saving.
    iam = {"get-iam-policy": old, "asset-inventory": new}
    recorded = {
        s: sum(c.call.startswith(("getIamPolicy", "searchAllIamPolicies")) for c in r.manifest.calls)
        for s, r in iam.items()
    }
    assert recorded == {
        "get-iam-policy": containers + n * (1 + m + k),
        "asset-inventory": containers + (n if k else 0) + 1,
    }
    assert old_report.calls - new_report.calls == recorded["get-iam-policy"] - recorded["asset-inventory"]
    assert _graph(SPEC.inventory(new)) == _graph(SPEC.inventory(old))


# --- failures ------------------------------------------------------------------------------------------


def test_a_refused_search_is_a_coverage_gap_and_exit_3(tmp_path: Path, httpserver: HTTPServer) -> None:
    fake = FakeGcp()
    fake.forbidden.add(ORG_SEARCH)
    fake.install(httpserver)
    out = tmp_path / "out"
    toml = _toml(tmp_path, httpserver, "auto")
    code = main(["scan", "--config", str(toml), "--bundle", str(tmp_path / "b"), "--out", str(out)])
    assert code == 3
    report = json.loads((out / "report.json").read_text())
    assert report["partial"] is True
    [gap] = report["coverage_gaps"]
    assert (gap["provider"], gap["scope"]) == ("gcp", ORG_SCOPE)
    # The rest of the organization is still collected.
    reader = BundleReader(tmp_path / "b")
    assert reader.exists("gcp/projects/acme-prod/serviceAccounts.json")
    [failed] = reader.manifest.failed()
    assert failed.detail.startswith("gcp searchAllIamPolicies organizations/999: 403 forbidden (Permission denied")
    assert failed.detail.endswith(
        'needs cloudasset.assets.searchAllIamPolicies on organizations/999, or set iam_source = "get-iam-policy"'
    )
    assert "\n" not in failed.detail


def _collect_search(settings: Settings, tmp_path: Path, sleeps: list[float] | None = None) -> BundleReader:
    writer = BundleWriter(tmp_path / "bundle")
    sleep = sleeps.append if sleeps is not None else (lambda _s: None)
    fetch.collect(settings.model_copy(update={"organization": "999"}), ORG_SCOPE, writer, sleep=sleep)
    return BundleReader(writer.commit("2026-11-28T12:00:00Z"))


def test_throttling_honours_retry_after(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    fake.fail(ORG_SEARCH, 429, times=2, headers={"Retry-After": "3"})
    sleeps: list[float] = []
    reader = _collect_search(settings, tmp_path, sleeps)
    assert sleeps == [3.0, 3.0]
    assert len(reader.json("gcp/organizations/999/searchAllIamPolicies.json")["results"]) == 7
    assert [c.call for c in reader.manifest.calls if c.call.startswith("search")] == ["searchAllIamPolicies"]


def test_throttling_that_does_not_end_fails_the_scope(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    fake.fail(ORG_SEARCH, 429, times=10, headers={"Retry-After": "0"})
    with pytest.raises(ConnectorError, match=r"^gcp searchAllIamPolicies organizations/999: HTTP 429 after 3 attempt"):
        _collect_search(settings, tmp_path)


def test_every_page_is_fetched_with_the_asset_types(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    reader = _collect_search(settings, tmp_path)
    seen = fake.searches
    assert [s.get("pageToken", [""])[0] for s in seen] == ["", "p2", "p4", "p6"]
    assert all(s["assetTypes"] == list(assets.ASSET_TYPES) and s["pageSize"] == ["500"] for s in seen)
    saved = reader.json("gcp/organizations/999/searchAllIamPolicies.json")
    assert set(saved) == {"results"}
    assert saved["results"] == fake.search("organizations/999")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "malformed response (not a JSON object)"),
        ('{"results": {"resource": "x"}}', "malformed response (results is not a list)"),
        ('{"results": [{"policy": {}}]}', "malformed response (results.0.resource: Field required)"),
        (
            '{"results": [{"resource": "//x", "policy": {"bindings": [{"members": []}]}}]}',
            "malformed response (results.0.policy.bindings.0.role: Field required)",
        ),
        ('{"results": [], "nextPageToken": 7}', "malformed response (nextPageToken is not a string)"),
    ],
)
def test_a_malformed_page_is_one_line_naming_the_call(
    settings: Settings, fake: FakeGcp, tmp_path: Path, body: str, problem: str
) -> None:
    fake.raw[ORG_SEARCH] = body
    with pytest.raises(ConnectorError) as err:
        _collect_search(settings, tmp_path)
    assert str(err.value) == f"gcp searchAllIamPolicies organizations/999: {problem}"


def test_a_forbidden_search_names_the_permission(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    fake.forbidden.add(ORG_SEARCH)
    with pytest.raises(AuthError, match=r"403 forbidden .*; needs cloudasset\.assets\.searchAllIamPolicies"):
        _collect_search(settings, tmp_path)


# --- loading a bundle made by hand ---------------------------------------------------------------------


def _asset_bundle(tmp_path: Path, results: list[dict[str, Any]]) -> Path:
    """The fixture with every SA and repository getIamPolicy file replaced by one organization search."""
    dst = tmp_path / "bundle"
    shutil.copytree(FIXTURE, dst)
    for sub in ("serviceAccounts", "locations"):
        for f in (dst / "gcp/projects/acme-prod" / sub).rglob("getIamPolicy.json"):
            f.unlink()
    (dst / "gcp/organizations/999/searchAllIamPolicies.json").write_text(json.dumps(results))  # gcloud's bare array
    return dst


def test_gcloud_output_with_numbers_and_unique_ids_loads_the_same(tmp_path: Path) -> None:
    """``gcloud asset search-all-iam-policies --format=json`` (a bare array); SAs named by unique id and
    repositories by project number resolve too."""
    fake = FakeGcp(sa_unique_ids=True)
    results = fake.search("organizations/999")
    ar = "//artifactregistry.googleapis.com/projects/"
    for r in results:
        r["resource"] = r["resource"].replace(f"{ar}acme-prod/", f"{ar}111111111111/")
    assert any("/serviceAccounts/1000" in r["resource"] for r in results)
    assert any("projects/111111111111/locations" in r["resource"] for r in results)
    bundle = _asset_bundle(tmp_path, results)
    assert _graph(SPEC.inventory(BundleReader(bundle))) == _graph(SPEC.inventory(BundleReader(FIXTURE)))


def test_get_iam_policy_wins_and_only_it_gives_audit_configs(tmp_path: Path) -> None:
    results = FakeGcp().search("organizations/999")
    bundle = _asset_bundle(tmp_path, results)
    # The project's own getIamPolicy (with auditConfigs) wins over its search result ...
    project = next(r for r in results if r["resource"].endswith("/projects/acme-prod"))
    project["policy"]["bindings"] = [{"role": "roles/editor", "members": ["user:stale@acme.example"]}]
    (bundle / "gcp/organizations/999/searchAllIamPolicies.json").write_text(json.dumps({"results": results}))
    inv = SPEC.inventory(BundleReader(bundle))
    assert not any("stale" in n.id for n in inv.nodes())
    assert inv.node(APP_IMAGES).attrs["audit_logging"] is True  # type: ignore[arg-type]
    # ... and without it the bindings come from the search, while audit logging is not assessed (not "off").
    (bundle / "gcp/projects/acme-prod/getIamPolicy.json").unlink()
    inv = SPEC.inventory(BundleReader(bundle))
    assert any("stale" in n.id for n in inv.nodes())
    assert inv.node(APP_IMAGES).attrs["audit_logging"] is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "invalid JSON"),
        ('{"results": [], "nextPageToken": "p2"}', "nextPageToken is set"),
        ('{"results": [{"policy": {}}]}', "0.resource: Field required"),
        ('{"results": 3}', "expected a JSON array or an object with 'results'"),
    ],
)
def test_a_malformed_search_file_names_the_file(tmp_path: Path, content: str, problem: str) -> None:
    bundle = _asset_bundle(tmp_path, [])
    rel = "gcp/organizations/999/searchAllIamPolicies.json"
    (bundle / rel).write_text(content)
    with pytest.raises(BundleError) as err:
        SPEC.inventory(BundleReader(bundle))
    assert err.value.file == rel
    assert problem in err.value.problem
