"""Azure collection at the wire: the azure-mgmt clients and the Graph REST client against a local
fake that serves the fixture bundle by API path, one item per page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors.azure import SPEC
from connectors.azure.fetch import Settings, collect, scopes
from scanner.analyse import load_bundle
from scanner.bundle import BundleReader, BundleWriter
from scanner.collect import collect as run_collection
from scanner.collect_session import CollectSession
from scanner.errors import AuthError
from tests.connectors.azure.fake import FakeAzure

FIXTURE = Path(__file__).parents[2] / "fixtures" / "azure" / "bundle"
SUB = "00000000-0000-0000-0000-0000000000a1"
OTHER = "00000000-0000-0000-0000-0000000000a2"
TOKEN = "FAKE-TOKEN-FOR-TESTS"
REGISTRIES = f"/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries"
ASSIGNMENTS = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments"
FAILACR = f"/subscriptions/{SUB}/resourceGroups/rg-ci/providers/Microsoft.ContainerRegistry/registries/failacr"


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeAzure:
    monkeypatch.setenv("AZ_TEST_ARM_TOKEN", TOKEN)
    monkeypatch.setenv("AZ_TEST_GRAPH_TOKEN", TOKEN)
    return FakeAzure(httpserver, FIXTURE)


def settings(fake: FakeAzure, subs: list[str] | None = None, **kw: Any) -> Settings:
    return Settings(
        subscriptions=[SUB] if subs is None else subs,
        arm_endpoint=fake.arm,
        graph_endpoint=fake.graph,
        arm_token_env="AZ_TEST_ARM_TOKEN",
        graph_token_env="AZ_TEST_GRAPH_TOKEN",
        **kw,
    )


def run(fake: FakeAzure, tmp_path: Path, scopes_: list[str], waits: list[float] | None = None) -> BundleReader:
    writer = BundleWriter(tmp_path / "bundle")
    for scope in scopes_:
        collect(settings(fake), scope, writer, sleep=(waits if waits is not None else []).append)
    return BundleReader(writer.commit("2026-11-20T00:00:00Z"))


def calls(bundle: BundleReader) -> dict[str, str]:
    return {c.call: c.status for c in bundle.manifest.calls}


def test_collects_every_file_of_the_fixture_through_paging(fake: FakeAzure, tmp_path: Path) -> None:
    bundle = run(fake, tmp_path, ["graph", f"subscriptions/{SUB}"])
    fixture = BundleReader(FIXTURE)
    expected = [f for f in fixture.files("azure")]
    assert sorted(bundle.files("azure")) == sorted(expected)
    for rel in expected:
        want, got = fixture.json(rel), bundle.json(rel)
        if "value" in want:
            assert got["value"] == want["value"], rel
        else:
            assert got == want, rel
    # Every list had more than one page: each was followed (ARM nextLink, Graph @odata.nextLink).
    assert fake.seen.count(REGISTRIES) == 2
    assert fake.seen.count("/graph/v1.0/servicePrincipals") == 5
    assert fake.auth == {f"Bearer {TOKEN}"}
    assert set(calls(bundle).values()) == {"ok"}
    # The same inventory as the committed fixture.
    live, offline = SPEC.inventory(bundle), SPEC.inventory(fixture)
    assert {n.id for n in live.nodes()} == {n.id for n in offline.nodes()}
    assert {e.key for e in live.edges()} == {e.key for e in offline.edges()}


def test_never_calls_for_secret_values(fake: FakeAzure, tmp_path: Path) -> None:
    run(fake, tmp_path, ["graph", f"subscriptions/{SUB}"])
    assert not [p for p in fake.seen if p.endswith(("/listCredentials", "/generateCredentials", "/addPassword"))]


def test_secret_fields_that_come_back_are_dropped(fake: FakeAzure, tmp_path: Path) -> None:
    def leak(path: str, data: Any) -> Any:
        for item in data.get("value", []) if isinstance(data, dict) else []:
            for pc in item.get("passwordCredentials", []):
                pc["secretText"] = "FAKE-SECRET-VALUE-1"
            for pw in item.get("properties", {}).get("credentials", {}).get("passwords", []):
                pw["value"] = "FAKE-SECRET-VALUE-2"
        return data

    fake.edit = leak
    bundle = run(fake, tmp_path, ["graph", f"subscriptions/{SUB}"])
    text = "".join(bundle.text(rel) for rel in bundle.files("azure"))
    assert "FAKE-SECRET-VALUE" not in text
    # The claims-matching expression's "value" is data, not a secret: kept.
    assert "claims['sub'] matches" in text


def test_arm_throttling_honours_retry_after(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail(REGISTRIES, 429, times=2, retry_after="7")
    fake.fail("/graph/v1.0/applications", 429, times=1, retry_after="3")
    waits: list[float] = []
    bundle = run(fake, tmp_path, ["graph", f"subscriptions/{SUB}"], waits)
    assert sorted(waits) == [3.0, 7.0, 7.0]
    assert bundle.exists(f"azure{REGISTRIES}.json")
    assert set(calls(bundle).values()) == {"ok"}


def test_too_long_retry_after_fails_that_call_only(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail(ASSIGNMENTS, 429, retry_after="3600")
    bundle = run(fake, tmp_path, [f"subscriptions/{SUB}"])
    status = {c.call: (c.status, c.detail) for c in bundle.manifest.calls}
    assert status[ASSIGNMENTS][0] == "failed"
    assert "asked to wait 3600s" in status[ASSIGNMENTS][1]
    assert not bundle.exists(f"azure{ASSIGNMENTS}.json")
    assert bundle.exists(f"azure{REGISTRIES}.json")


def test_registry_child_404_is_not_found_and_403_is_failed(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail(f"{FAILACR}/tokens", 404)
    fake.fail(f"{FAILACR}/scopeMaps", 403)
    bundle = run(fake, tmp_path, [f"subscriptions/{SUB}"])
    status = calls(bundle)
    assert status[f"{FAILACR}/tokens"] == "not_found"
    assert status[f"{FAILACR}/scopeMaps"] == "failed"
    detail = next(c.detail for c in bundle.manifest.calls if c.call == f"{FAILACR}/scopeMaps")
    assert "403 forbidden (AuthorizationFailed)" in detail
    assert TOKEN not in detail


def test_403_on_one_subscription_is_a_coverage_gap(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail(f"/subscriptions/{OTHER}", 403)
    report = run_collection({"azure": settings(fake, [SUB, OTHER])}, {"azure": SPEC}, tmp_path / "b")
    assert report.failed == (f"azure:subscriptions/{OTHER}",)
    loaded = load_bundle(report.bundle, {"azure": SPEC})
    gaps = [(g.scope, g.what) for g in loaded.inventory.gaps]
    assert (f"subscriptions/{OTHER}", "collect scope") in gaps
    assert any(n.name == "failacr" for n in loaded.inventory.nodes())


def test_scope_discovery_lists_visible_subscriptions(fake: FakeAzure) -> None:
    # Discovered subscriptions may be many: role assignments come from Resource Graph unless told otherwise.
    assert scopes(settings(fake, [])) == ["graph", "resource-graph", f"subscriptions/{SUB}"]
    assert scopes(settings(fake, [], graph=False, rbac_source="per-subscription")) == [f"subscriptions/{SUB}"]


def test_scope_discovery_is_counted_and_waits_through_the_runs_sleeper(fake: FakeAzure) -> None:
    fake.fail("/subscriptions", 429, times=1, retry_after="3")
    slept: list[float] = []
    tally = CollectSession(sleep=slept.append)
    assert scopes(settings(fake, []), tally=tally) == ["graph", "resource-graph", f"subscriptions/{SUB}"]
    counts = tally.counts()["azure"]
    assert (counts.fetched, counts.retried, counts.failed) == (fake.seen.count("/subscriptions"), 1, 0)
    assert counts.fetched >= 2  # the 429 and the answer
    assert slept == [3.0]


def test_graph_refusal_fails_the_graph_scope(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail("/graph/v1.0/servicePrincipals", 403)
    with pytest.raises(AuthError, match=r"servicePrincipals: 403 forbidden"):
        run(fake, tmp_path, ["graph"])


def test_missing_token_variable_is_an_auth_error(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZ_TEST_ARM_TOKEN")
    with pytest.raises(AuthError, match="AZ_TEST_ARM_TOKEN is not set"):
        run(fake, tmp_path, [f"subscriptions/{SUB}"])


def test_malformed_graph_page_fails_the_call(fake: FakeAzure, tmp_path: Path) -> None:
    fake.edit = lambda path, data: {"value": "nope"} if path.endswith("/servicePrincipals") else data
    with pytest.raises(Exception, match="not a Graph collection page"):
        run(fake, tmp_path, ["graph"])


def test_settings_refuse_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        Settings.model_validate({"client_secret_value": "x"})
