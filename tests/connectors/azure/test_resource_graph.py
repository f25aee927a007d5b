"""Role assignments and definitions of every subscription through Azure Resource Graph, at the wire: the
same graph as the per-subscription lists, calls that grow with rows (not subscriptions), batches of at
most 1,000 subscriptions, throttling, refusals, malformed and truncated answers, and offline exports."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from pytest_httpserver import HTTPServer

from connectors.azure import SPEC
from connectors.azure.fetch import Settings, collect, scopes
from connectors.azure.load import RG_ASSIGNMENTS, load, resource_graph_file
from connectors.azure.resource_graph import PATH, query_text
from scanner.analyse import analyse, load_bundle
from scanner.bundle import BundleReader, BundleWriter
from scanner.collect import collect as run_collection
from scanner.model import EdgeKind, Inventory, NodeId
from tests.connectors.azure import estate
from tests.connectors.azure.fake import RG_PATH, FakeAzure

TOKEN = "FAKE-TOKEN-FOR-TESTS"
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
Source = Literal["resource-graph", "per-subscription"]


@pytest.fixture(autouse=True)
def _tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZ_TEST_TOKEN", TOKEN)


def settings(fake: FakeAzure, subs: list[str], source: Source | Literal["auto"], **kw: Any) -> Settings:
    return Settings(
        subscriptions=subs,
        arm_endpoint=fake.arm,
        graph_endpoint=fake.graph,
        arm_token_env="AZ_TEST_TOKEN",
        graph_token_env="AZ_TEST_TOKEN",
        rbac_source=source,
        **kw,
    )


def collect_all(
    fake: FakeAzure, subs: list[str], source: Source, out: Path, failed: tuple[str, ...] = (), **kw: Any
) -> BundleReader:
    """A whole collection (every scope) through the engine, as `regwarden collect` runs it; ``failed``:
    the scopes with a failed call."""
    report = run_collection({"azure": settings(fake, subs, source, **kw)}, {"azure": SPEC}, out, workers=2)
    assert report.failed == failed
    return BundleReader(report.bundle)


def collect_rg(fake: FakeAzure, subs: list[str], out: Path, waits: list[float] | None = None) -> BundleReader:
    """Only the resource-graph scope."""
    writer = BundleWriter(out)
    sleep = (waits if waits is not None else []).append
    collect(settings(fake, subs, "resource-graph", graph=False), "resource-graph", writer, sleep=sleep)
    return BundleReader(writer.commit("2026-11-20T00:00:00Z"))


def rg_calls(bundle: BundleReader, status: str | None = None) -> list[tuple[str, str, str]]:
    return [
        (c.call, c.status, c.detail)
        for c in bundle.manifest.calls
        if "Microsoft.ResourceGraph" in c.call and (status is None or c.status == status)
    ]


def _view(inv: Inventory) -> tuple[dict[NodeId, Any], dict[Any, Any], set[tuple[str, str, str, str]]]:
    """Everything the graph says, without evidence (which names the file a row came from)."""
    nodes = {n.id: (n.kind, n.name, n.subtype, n.scope, dict(n.attrs), n.credential) for n in inv.nodes()}
    edges = {e.key: (e.actions, e.conditions, e.approval_required) for e in inv.edges()}
    gaps = {(g.provider, g.scope, g.what, g.reason) for g in inv.gaps}
    return nodes, edges, gaps


def test_both_sources_give_the_same_graph_and_findings(httpserver: HTTPServer, tmp_path: Path) -> None:
    data = tmp_path / "estate"
    subs = [estate.FIXTURE_SUB, *estate.build(data, subs=5, per_sub=40, with_fixture=True)]
    fake = FakeAzure(httpserver, data, page_size=25)
    per_sub = collect_all(fake, subs, "per-subscription", tmp_path / "per-sub")
    via_rg = collect_all(fake, subs, "resource-graph", tmp_path / "rg")

    # The Resource Graph bundle holds no per-subscription RBAC list, only the three answers.
    assert not [f for f in via_rg.files("azure") if "Microsoft.Authorization" in f]
    assert [f for f in via_rg.files("azure/providers")] == [
        resource_graph_file(n) for n in ("roleAssignments", "roleDefinitions", "subscriptions")
    ]
    a = load_bundle(per_sub.root, {"azure": SPEC}).inventory
    b = load_bundle(via_rg.root, {"azure": SPEC}).inventory
    assert _view(a) == _view(b)
    # Not vacuous: inherited assignments reach every registry, only where ARM says they apply.
    grants = {(e.src, e.dst) for e in b.edges() if e.kind is EdgeKind.GRANTS}
    owner_group = NodeId("azure:group:00000000-0000-0000-0000-00000000c001")
    uaa = NodeId("azure:sp:00000000-0000-0000-0000-00000000c002")
    acr = "azure:registry:/subscriptions/{}/resourcegroups/rg-{}/providers/microsoft.containerregistry/registries/acr{}"
    for i, sub in enumerate(subs[1:]):
        assert (owner_group, NodeId(acr.format(sub, i, i))) in grants
        assert ((uaa, NodeId(acr.format(sub, i, i))) in grants) is (i % 2 == 0)
    assert len(grants) > 100
    # The fixture's assignment of an unlisted role is the same gap both ways.
    assert {g[2] for g in _view(b)[2]} == {"role definition 00000000-0000-0000-0000-00000000dead"}

    def findings(inv: Inventory) -> set[tuple[str, str, str, int]]:
        result = analyse(inv, source="test", as_of=AS_OF, generated_at=AS_OF)
        return {(f.rule, f.subject, f.severity.value, f.blast_radius) for f in result.findings}

    found = findings(b)
    assert found == findings(a)
    assert ("RB03", "azure:group:00000000-0000-0000-0000-00000000c001") in {(r, s) for r, s, *_ in found}


def test_calls_grow_with_rows_not_subscriptions(httpserver: HTTPServer, tmp_path: Path) -> None:
    data = tmp_path / "estate"
    subs = estate.build(data, subs=12, per_sub=250)
    fake = FakeAzure(httpserver, data, page_size=1000)
    per_sub = collect_all(fake, subs, "per-subscription", tmp_path / "per-sub", graph=False)
    before = len(fake.rg_requests)
    via_rg = collect_all(fake, subs, "resource-graph", tmp_path / "rg", graph=False)

    rows = 12 * 250 + len(estate.INHERITED)  # each inherited assignment is one row, however many it reaches
    assert rows == 3003
    assert math.ceil(rows / 1000) == 4
    assert len(via_rg.json(resource_graph_file(RG_ASSIGNMENTS))["data"]) == rows
    # The old path: one roleAssignments and one roleDefinitions list per subscription.
    authz = [c.call for c in per_sub.manifest.calls if "Microsoft.Authorization" in c.call]
    assert sum(c.endswith("/roleAssignments") for c in authz) == 12
    assert len(authz) == 24
    # Resource Graph: ceil(3003/1000) = 4 assignment pages, 1 of definitions, 1 of subscriptions.
    calls = rg_calls(via_rg)
    assert [c for c, *_ in calls].count(f"POST {PATH} roleAssignments") == 4
    assert len(calls) == 6
    assert {s for _, s, _ in calls} == {"ok"}
    assert len(fake.rg_requests) - before == 6
    assert before == 0
    assert len(per_sub.manifest.calls) - len(via_rg.manifest.calls) == 24 - 6
    assert not [c for c in via_rg.manifest.calls if "Microsoft.Authorization" in c.call]


def test_subscriptions_are_batched_by_1000(httpserver: HTTPServer, tmp_path: Path) -> None:
    data = tmp_path / "estate"
    subs = estate.build(data, subs=1001, per_sub=1)
    fake = FakeAzure(httpserver, data)
    bundle = collect_rg(fake, subs, tmp_path / "b")

    sizes = [len(r["subscriptions"]) for r in fake.rg_requests]
    assert max(sizes) == 1000
    assert {s for r in fake.rg_requests for s in r["subscriptions"]} == set(subs)
    # Assignments: 1000 + 3 inherited rows (2 pages), then 1 + 3 (1 page); definitions and subscriptions 1+1.
    assert [c for c, *_ in rg_calls(bundle)].count(f"POST {PATH} roleAssignments") == 3
    assert len(fake.rg_requests) == 7
    answer = bundle.json(resource_graph_file(RG_ASSIGNMENTS))
    assert answer["subscriptions"] == subs
    assert len(answer["data"]) == 1001 + 3  # rows above the subscriptions come back per batch, stored once
    assert answer["query"] == query_text(RG_ASSIGNMENTS)


def test_throttling_honours_retry_after_and_the_user_quota(httpserver: HTTPServer, tmp_path: Path) -> None:
    data = tmp_path / "estate"
    subs = estate.build(data, subs=2, per_sub=3)
    fake = FakeAzure(httpserver, data, quota=2)
    fake.fail(RG_PATH, 429, times=1, retry_after="3")
    waits: list[float] = []
    bundle = collect_rg(fake, subs, tmp_path / "b", waits)
    # The 429 waits Retry-After; the answer that leaves no quota waits its reset before the next query.
    assert waits == [3.0, 2.0]
    assert {s for _, s, _ in rg_calls(bundle)} == {"ok"}
    assert fake.rg_requests[0]["options"] == {
        "$top": 1000,
        "resultFormat": "objectArray",
        "authorizationScopeFilter": "AtScopeAboveAndBelow",
    }


def test_refused_query_is_a_gap_for_its_subscriptions(httpserver: HTTPServer, tmp_path: Path) -> None:
    data = tmp_path / "estate"
    subs = estate.build(data, subs=2, per_sub=3)
    fake = FakeAzure(httpserver, data)
    fake.fail_query(lambda body: "roleassignments" in body["query"], 403)
    bundle = collect_all(fake, subs, "resource-graph", tmp_path / "b", ("azure:resource-graph",), graph=False)

    assert not bundle.exists(resource_graph_file(RG_ASSIGNMENTS))
    assert bundle.exists(resource_graph_file("roleDefinitions"))
    [(call, _, detail)] = rg_calls(bundle, "failed")
    assert call == f"POST {PATH} roleAssignments"
    assert "403 forbidden" in detail
    assert all(s in detail for s in subs)
    assert TOKEN not in detail
    loaded = load_bundle(bundle.root, {"azure": SPEC})
    assert [(g.scope, g.what) for g in loaded.inventory.gaps] == [("resource-graph", call)]
    assert all(s.role_assignments is None for s in load(bundle).subscriptions)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda out, _: {**out, "data": "nope"}, "malformed answer ('data' is not a list of rows with an id)"),
        (lambda out, _: {**out, "data": {"columns": [], "rows": []}}, "malformed answer ('data' is not a list"),
        (lambda out, _: {**out, "resultTruncated": "maybe"}, "malformed answer ('resultTruncated' is 'maybe')"),
        (lambda out, first: {**out, "$skipToken": first}, "pagination loop ($skipToken repeated)"),
    ],
)
def test_malformed_pages_fail_the_call_naming_it(
    httpserver: HTTPServer, tmp_path: Path, edit: Callable[[dict[str, Any], str], Any], problem: str
) -> None:
    data = tmp_path / "estate"
    subs = estate.build(data, subs=2, per_sub=3)
    fake = FakeAzure(httpserver, data)
    first = fake.skip_token(query_text(RG_ASSIGNMENTS), subs, 0)  # a valid token that leads back to page 1
    fake.edit = lambda path, out: edit(out, first) if "roleassignments" in json.dumps(out["data"][:1]) else out
    bundle = collect_rg(fake, subs, tmp_path / "b")
    [(_, _, detail)] = rg_calls(bundle, "failed")
    page = 2 if "loop" in problem else 1
    assert detail.startswith(f"azure POST {PATH} (roleAssignments, batch 1/1, page {page}): {problem}")
    assert not bundle.exists(resource_graph_file(RG_ASSIGNMENTS))


def test_truncated_answer_keeps_its_rows_and_records_a_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    data = tmp_path / "estate"
    subs = estate.build(data, subs=2, per_sub=3)
    fake = FakeAzure(httpserver, data)

    def truncate(path: str, out: dict[str, Any]) -> dict[str, Any]:
        if "roleassignments" not in json.dumps(out["data"][:1]):
            return out
        return {**out, "data": out["data"][:4], "resultTruncated": "true"}

    fake.edit = truncate
    bundle = collect_rg(fake, subs, tmp_path / "b")
    [(_, status, detail)] = [c for c in rg_calls(bundle) if c[0].endswith("roleAssignments")]
    assert status == "failed"
    assert "resultTruncated without a $skipToken after 4 row(s)" in detail
    assert subs[1] in detail
    answer = bundle.json(resource_graph_file(RG_ASSIGNMENTS))
    assert len(answer["data"]) == 4
    assert answer["resultTruncated"] == "true"


def test_scopes_and_the_auto_default(httpserver: HTTPServer, tmp_path: Path) -> None:
    data = tmp_path / "estate"
    a, b = estate.build(data, subs=2, per_sub=1)
    fake = FakeAzure(httpserver, data)
    assert scopes(settings(fake, [a], "auto")) == ["graph", f"subscriptions/{a}"]
    assert scopes(settings(fake, [a, b], "auto")) == [
        "graph",
        "resource-graph",
        f"subscriptions/{a}",
        f"subscriptions/{b}",
    ]
    assert scopes(settings(fake, [a, b], "per-subscription", graph=False)) == [
        f"subscriptions/{a}",
        f"subscriptions/{b}",
    ]
    assert scopes(settings(fake, [a], "resource-graph", graph=False)) == ["resource-graph", f"subscriptions/{a}"]
    # Discovered subscriptions: Resource Graph lists the same ones (one ARM call, recorded).
    assert scopes(settings(fake, [], "auto", graph=False)) == [
        "resource-graph",
        f"subscriptions/{a}",
        f"subscriptions/{b}",
    ]
    bundle = collect_rg(fake, [], tmp_path / "b")
    assert bundle.json(resource_graph_file(RG_ASSIGNMENTS))["subscriptions"] == [a, b]
    assert ("/subscriptions", "ok") in {(c.call, c.status) for c in bundle.manifest.calls}


# --- offline: an `az graph query` export ------------------------------------------------------------------


def _offline(tmp_path: Path, with_chain: bool) -> BundleReader:
    """Two subscriptions' registries, and their RBAC as `az graph query` prints it (no `subscriptions`)."""
    data = tmp_path / "estate"
    subs = estate.build(data, subs=2, per_sub=2)
    rows: list[dict[str, Any]] = []
    for sub in subs:
        path = data / "azure/subscriptions" / sub / "providers/Microsoft.Authorization/roleAssignments.json"
        rows += [r for r in json.loads(path.read_text())["value"] if r["id"] not in {x["id"] for x in rows}]
        path.unlink()
        (path.parent / "roleDefinitions.json").unlink()
    for row in rows:  # a row whose properties leave the scope out: the id says it
        row["properties"].pop("scope")
    graph = data / resource_graph_file("x").rsplit("/", 1)[0]
    graph.mkdir(parents=True)
    (graph / "roleAssignments.json").write_text(json.dumps({"count": len(rows), "data": rows, "skip_token": None}))
    defs = json.loads((estate.FIXTURE / "azure/subscriptions" / estate.FIXTURE_SUB /
                       "providers/Microsoft.Authorization/roleDefinitions.json").read_text())["value"]  # fmt: skip
    (graph / "roleDefinitions.json").write_text(json.dumps(defs))  # a bare list of rows
    if with_chain:
        chains = {subs[0]: ["mg-prod", "mg-platform"], subs[1]: ["mg-platform"]}
        containers = [
            {"id": f"/subscriptions/{s}", "type": "microsoft.resources/subscriptions",
             "properties": {"managementGroupAncestorsChain": [{"name": g} for g in chain]}}
            for s, chain in chains.items()
        ]  # fmt: skip
        (graph / "subscriptions.json").write_text(json.dumps({"data": containers}))
    return BundleReader(data)


def test_offline_export_is_attributed_by_management_group_chain(tmp_path: Path) -> None:
    raw = load(_offline(tmp_path, with_chain=True))
    by_sub = {s.subscription_id: s for s in raw.subscriptions}
    first, second = (by_sub[estate.sub_id(i)] for i in (0, 1))
    assert first.role_assignments is not None
    assert second.role_assignments is not None
    scopes_first = {ra.properties.scope for ra in first.role_assignments.items}
    scopes_second = {ra.properties.scope for ra in second.role_assignments.items}
    assert "/providers/Microsoft.Management/managementGroups/mg-prod" in scopes_first
    assert "/providers/Microsoft.Management/managementGroups/mg-prod" not in scopes_second
    assert {"/", "/providers/Microsoft.Management/managementGroups/mg-platform"} <= scopes_second
    assert not {s for s in scopes_second if s.startswith(f"/subscriptions/{first.subscription_id}")}
    assert first.role_definitions is not None
    assert len(first.role_definitions.items) == 9
    assert first.gaps == ()
    assert second.gaps == ()


def test_offline_export_without_the_chain_is_a_gap_not_a_guess(tmp_path: Path) -> None:
    inv = SPEC.inventory(_offline(tmp_path, with_chain=False))
    gaps = {(g.scope, g.what) for g in inv.gaps}
    assert gaps == {(estate.sub_id(i), "management-group role assignments") for i in (0, 1)}
    group = NodeId("azure:group:00000000-0000-0000-0000-00000000c001")
    assert group not in inv  # the mg-platform Owner is not handed to anyone without the chain
