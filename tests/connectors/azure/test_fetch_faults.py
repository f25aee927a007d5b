"""Azure collection faults at the wire: what a read-only collector must do when ARM or Graph answers in
ways the SDK does not handle on its own (an unregistered resource provider, a null page, a paging
loop, items without ids, one application's refusal), and that every request is counted and every wait
goes through the run's sleeper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors._http import MAX_PAGES
from connectors.azure.fetch import collect, collect_live, scopes
from scanner.bundle import BundleReader, BundleWriter
from scanner.collect_session import CollectSession
from tests.connectors.azure.fake import RG_PATH, Failure, FakeAzure
from tests.connectors.azure.test_fetch import ASSIGNMENTS, FAILACR, FIXTURE, REGISTRIES, SUB, TOKEN, settings

IDENTITIES = f"/subscriptions/{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
PASS_MI = (
    f"/subscriptions/{SUB}/resourceGroups/rg-ci/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pass-mi"
)
PASSACR = f"/subscriptions/{SUB}/resourceGroups/rg-ci/providers/Microsoft.ContainerRegistry/registries/passacr"
APPS = [f"00000000-0000-0000-0000-000000000d0{n}" for n in (1, 2, 3, 4)]


def fic(app: str) -> str:
    return f"/v1.0/applications/{app}/federatedIdentityCredentials"


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeAzure:
    monkeypatch.setenv("AZ_TEST_ARM_TOKEN", TOKEN)
    monkeypatch.setenv("AZ_TEST_GRAPH_TOKEN", TOKEN)
    return FakeAzure(httpserver, FIXTURE)


def run(fake: FakeAzure, tmp_path: Path, scopes_: list[str], waits: list[float], **kw: Any) -> BundleReader:
    writer = BundleWriter(tmp_path / "bundle")
    for scope in scopes_:
        collect(settings(fake, **kw), scope, writer, sleep=waits.append)
    return BundleReader(writer.commit("2026-11-20T00:00:00Z"))


def outcome(bundle: BundleReader, call: str) -> list[tuple[str, str]]:
    """Every record of one call: (status, detail)."""
    return [(c.status, c.detail) for c in bundle.manifest.calls if c.call == call]


@pytest.mark.parametrize(
    ("path", "namespace", "other"),
    [
        (REGISTRIES, "Microsoft.ContainerRegistry", f"{PASS_MI}/federatedIdentityCredentials"),
        (IDENTITIES, "Microsoft.ManagedIdentity", f"{PASSACR}/tokens"),
        (ASSIGNMENTS, "Microsoft.Authorization", f"{PASSACR}/tokens"),
    ],
)
def test_unregistered_provider_is_a_failed_call_and_nothing_is_registered(
    fake: FakeAzure, httpserver: HTTPServer, tmp_path: Path, path: str, namespace: str, other: str
) -> None:
    # ARM's answer to a list in a namespace the subscription has not registered.
    message = (
        f"The subscription is not registered to use namespace '{namespace}'. "
        "See https://aka.ms/rps-not-found for how to register subscriptions."
    )
    body = {"error": {"code": "MissingSubscriptionRegistration", "message": message}}
    fake.failures[path] = Failure(409, -1, {}, body)
    waits: list[float] = []
    bundle = run(fake, tmp_path, [f"subscriptions/{SUB}"], waits)
    # The SDK's default pipeline would POST .../providers/{namespace}/register: a write.
    assert [r.method for r, _ in httpserver.log if r.method != "GET"] == []
    assert not [p for p in fake.seen if p.endswith("/register")]
    assert outcome(bundle, path) == [("failed", f"azure GET {path}: HTTP 409 (MissingSubscriptionRegistration)")]
    assert not bundle.exists(f"azure{path}.json")
    assert bundle.exists(f"azure{other}.json")
    assert waits == []


def test_every_request_is_counted_in_the_run_tally(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail(REGISTRIES, 429, times=1, retry_after="2")  # ARM: one retry
    fake.fail(f"{FAILACR}/scopeMaps", 403)  # ARM: one failed call
    fake.fail("/graph/v1.0/applications", 429, times=1, retry_after="1")  # Graph: one retry
    fake.fail(f"/graph{fic(APPS[0])}", 500)  # Graph: four retries, then one failed call
    fake.fail_query(lambda body: True, 429, times=1, retry_after="1")  # Resource Graph: one retry,
    # then a malformed answer (one failed call) to the retried first query.
    fake.edit = lambda path, data: {"data": None} if path == RG_PATH and len(fake.rg_requests) == 2 else data
    waits: list[float] = []
    session = CollectSession(sleep=waits.append)
    writer = BundleWriter(tmp_path / "bundle", session)
    for scope in ("graph", f"subscriptions/{SUB}", "resource-graph"):
        collect_live(settings(fake), scope, writer)
    manifest = BundleReader(writer.commit("2026-11-20T00:00:00Z")).manifest
    counts = manifest.requests["azure"]
    assert counts.fetched == len(fake.seen)
    assert counts.retried == 1 + 1 + 4 + 1 == len(waits)
    assert counts.failed == len([c for c in manifest.calls if c.status == "failed"]) == 3


def test_the_live_collector_waits_through_the_run_sleeper(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail(REGISTRIES, 429, times=1, retry_after="5")
    fake.fail("/graph/v1.0/applications", 429, times=1, retry_after="3")
    waits: list[float] = []
    writer = BundleWriter(tmp_path / "bundle", CollectSession(sleep=waits.append))
    for scope in ("graph", f"subscriptions/{SUB}"):
        collect_live(settings(fake), scope, writer)
    assert sorted(waits) == [3.0, 5.0]


def test_a_page_whose_value_is_null_is_a_failed_call(fake: FakeAzure, tmp_path: Path) -> None:
    fake.edit = lambda path, data: {"value": None} if path == REGISTRIES else data
    bundle = run(fake, tmp_path, [f"subscriptions/{SUB}"], [])
    assert outcome(bundle, REGISTRIES) == [
        ("failed", f"azure GET {REGISTRIES}: not a list page ('value' is not a list)")
    ]
    assert not bundle.exists(f"azure{REGISTRIES}.json")
    assert bundle.exists(f"azure{PASS_MI}/federatedIdentityCredentials.json")


def test_items_without_a_usable_id_are_skipped_as_failed_calls(fake: FakeAzure, tmp_path: Path) -> None:
    def holes(path: str, data: Any) -> Any:
        if path == REGISTRIES:
            data["value"] = [{"name": "noid"}, {"id": "not-an-arm-id", "name": "odd"}, *data["value"]]
        elif path == IDENTITIES:
            data["value"] = [{"id": f"{PASS_MI}-2"}, *data["value"]]
        elif path == "/graph/v1.0/applications":
            data["value"] = [{"displayName": "no id"}, *data["value"]]
        return data

    fake.edit = holes
    bundle = run(fake, tmp_path, ["graph", f"subscriptions/{SUB}"], [])
    assert outcome(bundle, REGISTRIES) == [
        (
            "failed",
            f"azure GET {REGISTRIES}: item 1: a registry without a resource id in the answer; "
            "its scope maps and tokens are not collected",
        ),
        (
            "failed",
            f"azure GET {REGISTRIES}: item 2: a registry whose id is not an ARM resource id ('not-an-arm-id'); "
            "its scope maps and tokens are not collected",
        ),
        ("ok", ""),
    ]
    assert outcome(bundle, IDENTITIES) == [
        (
            "failed",
            f"azure GET {IDENTITIES}: item 1: a managed identity without a name in the answer ({PASS_MI}-2); "
            "whom it trusts is not collected",
        ),
        ("ok", ""),
    ]
    assert outcome(bundle, "/v1.0/applications") == [
        (
            "failed",
            "azure GET /v1.0/applications: item 1: an application without a usable object id in the answer; "
            "whom it trusts is not collected",
        ),
        ("ok", ""),
    ]
    # The other items' children are collected.
    assert bundle.exists(f"azure{PASSACR}/tokens.json")
    assert bundle.exists(f"azure{FAILACR}/scopeMaps.json")
    assert bundle.exists(f"azure{PASS_MI}/federatedIdentityCredentials.json")
    assert all(bundle.exists(f"azure/graph{fic(app)}.json") for app in APPS)


def test_one_applications_refusal_is_that_calls_gap(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail(f"/graph{fic(APPS[0])}", 403)
    fake.fail(f"/graph{fic(APPS[1])}", 503)
    fake.edit = lambda path, data: {"value": "nope"} if path == f"/graph{fic(APPS[2])}" else data
    waits: list[float] = []
    bundle = run(fake, tmp_path, ["graph"], waits)
    assert [s for s, _ in outcome(bundle, fic(APPS[0]))] == ["failed"]
    assert "403 forbidden" in outcome(bundle, fic(APPS[0]))[0][1]
    assert outcome(bundle, fic(APPS[1]))[0][0] == "failed"
    assert "HTTP 503 after 5 attempt(s)" in outcome(bundle, fic(APPS[1]))[0][1]
    assert outcome(bundle, fic(APPS[2])) == [
        ("failed", f"azure GET /applications/{APPS[2]}/federatedIdentityCredentials: not a Graph collection page")
    ]
    assert outcome(bundle, fic(APPS[3])) == [("ok", "")]
    assert bundle.exists(f"azure/graph{fic(APPS[3])}.json")
    assert len(waits) == 4  # the 503's retries, through the sleeper


def test_a_repeated_next_link_stops_the_list(fake: FakeAzure, tmp_path: Path) -> None:
    def loop(path: str, data: Any) -> Any:
        # The last page links back to the first page's next link. Past 40 requests the fake stops
        # looping, so that a collector without the check ends (with the list wrongly recorded ok).
        if path == REGISTRIES and fake.seen.count(REGISTRIES) <= 40:
            data["nextLink"] = f"{fake.server.url_for(REGISTRIES)}?$skiptoken=1"
        return data

    fake.edit = loop
    bundle = run(fake, tmp_path, [f"subscriptions/{SUB}"], [])
    assert outcome(bundle, REGISTRIES) == [
        ("failed", f"azure GET {REGISTRIES}: pagination loop (nextLink repeated after 2 pages)")
    ]
    assert fake.seen.count(REGISTRIES) == 2
    assert bundle.exists(f"azure{PASS_MI}/federatedIdentityCredentials.json")


def test_a_list_stops_after_max_pages(fake: FakeAzure, tmp_path: Path) -> None:
    def endless(path: str, data: Any) -> Any:
        # Every page links to a new one (empty past the items). Past MAX_PAGES + 10 requests the fake
        # stops, so that a collector without the bound ends (with the list wrongly recorded ok).
        n = fake.seen.count(IDENTITIES)
        if path == IDENTITIES and n <= MAX_PAGES + 10:
            data["nextLink"] = f"{fake.server.url_for(IDENTITIES)}?$skiptoken={10 + n}"
        return data

    fake.edit = endless
    bundle = run(fake, tmp_path, [f"subscriptions/{SUB}"], [])
    assert outcome(bundle, IDENTITIES) == [
        ("failed", f"azure GET {IDENTITIES}: more than {MAX_PAGES} pages; stopped (not assessed past it)")
    ]
    assert fake.seen.count(IDENTITIES) == MAX_PAGES
    assert bundle.exists(f"azure{REGISTRIES}.json")


def test_a_listed_subscription_without_an_id_is_skipped(fake: FakeAzure, tmp_path: Path) -> None:
    def ghost(path: str, data: Any) -> Any:
        if path == "/subscriptions":
            data["value"].append({"displayName": "no id", "state": "Enabled"})
        return data

    fake.edit = ghost
    assert scopes(settings(fake, [])) == ["graph", "resource-graph", f"subscriptions/{SUB}"]
    writer = BundleWriter(tmp_path / "bundle")
    waits: list[float] = []
    collect(settings(fake, []), "resource-graph", writer, sleep=waits.append)
    bundle = BundleReader(writer.commit("2026-11-20T00:00:00Z"))
    assert outcome(bundle, "/subscriptions") == [
        ("failed", "azure GET /subscriptions: 1 subscription(s) without a usable subscriptionId; not assessed"),
        ("ok", ""),
    ]
    assert [body["subscriptions"] for body in fake.rg_requests] == [[SUB]] * 3
    assert RG_PATH in fake.seen
