"""``fetch`` at the wire: the REST clients against a local fake speaking the GCP APIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.gcp import SPEC, fetch
from connectors.gcp.settings import Settings
from scanner.bundle import BundleReader, BundleWriter
from scanner.collect import collect
from scanner.collect_session import CollectSession
from scanner.errors import ConnectorError
from tests.connectors.gcp.fake import FIXTURE, FakeGcp

PROJECT = "projects/acme-prod"
SAS = "/v1/projects/acme-prod/serviceAccounts"
REPOS = "/v1/projects/acme-prod/locations/us-central1/repositories"


def _collect_scope(settings: Settings, tmp_path: Path, sleeps: list[float] | None = None) -> BundleReader:
    writer = BundleWriter(tmp_path / "bundle")
    fetch.collect(settings, PROJECT, writer, sleep=(sleeps.append if sleeps is not None else lambda _s: None))
    return BundleReader(writer.commit("2026-11-28T12:00:00Z"))


def _graph(reader: BundleReader) -> tuple[set[str], set[tuple[str, str, str, str]]]:
    inv = SPEC.inventory(reader)
    return {n.id for n in inv.nodes()}, {(e.src, e.dst, e.kind.value, e.via) for e in inv.edges()}


def test_scopes_add_the_ancestors(settings: Settings, fake: FakeGcp) -> None:
    assert fetch.scopes(settings) == ["projects/acme-prod", "folders/555", "organizations/999"]
    assert fetch.scopes(settings.model_copy(update={"ancestors": False})) == ["projects/acme-prod"]


def test_scope_discovery_is_counted_and_waits_through_the_runs_sleeper(settings: Settings, fake: FakeGcp) -> None:
    fake.fail("/v3/folders", 429, headers={"Retry-After": "2"})
    org = settings.model_copy(update={"projects": [], "organization": "999", "iam_source": "get-iam-policy"})
    slept: list[float] = []
    tally = CollectSession(sleep=slept.append)
    fake.requests.clear()
    assert "organizations/999" in fetch.scopes(org, tally=tally)
    counts = tally.counts()["gcp"]
    assert (counts.fetched, counts.retried, counts.failed) == (len(fake.requests), 1, 0)
    assert slept == [2.0]  # the throttled walk waited what it was told, through the run's sleeper


def test_scopes_walk_an_organization(settings: Settings, fake: FakeGcp) -> None:
    fake.handlers["folders"] = lambda req: (
        {"folders": [{"name": "folders/555", "parent": "organizations/999", "state": "ACTIVE"}]}
        if req.args["parent"] == "organizations/999"
        else {}
    )
    fake.handlers["projects"] = lambda req: (
        {
            "projects": [
                {"name": "projects/111111111111", "projectId": "acme-prod", "state": "ACTIVE"},
                {"name": "projects/222222222222", "projectId": "acme-gone", "state": "DELETE_REQUESTED"},
            ]
        }
        if req.args["parent"] == "folders/555"
        else {}
    )
    org = settings.model_copy(update={"projects": [], "organization": "999", "iam_source": "get-iam-policy"})
    assert fetch.scopes(org) == ["organizations/999", "folders/555", "projects/acme-prod"]
    # With an organization, ``auto`` takes the asset inventory: one search over the whole organization first.
    auto = org.model_copy(update={"iam_source": "auto"})
    assert fetch.scopes(auto) == [
        "organizations/999:searchAllIamPolicies",
        "organizations/999",
        "folders/555",
        "projects/acme-prod",
    ]


def test_collect_round_trips_the_fixture(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    """Everything the fake serves lands in the bundle under its REST path and transforms the same."""
    target = tmp_path / "bundle"
    settings = settings.model_copy(update={"projects": ["acme-prod", "acme-denied"]})
    fake.forbidden.add("/v3/projects/acme-denied")
    report = collect({"gcp": settings}, {"gcp": SPEC}, target, workers=3)
    assert report.failed == ("gcp:projects/acme-denied",)
    reader = BundleReader(target)
    failed = [(c.scope, c.call) for c in reader.manifest.failed()]
    assert failed == [("projects/acme-denied", "collect scope")]
    assert "403 forbidden" in reader.manifest.failed()[0].detail
    assert _graph(reader) == _graph(BundleReader(FIXTURE))
    # Paging: five service accounts at two a page, three repositories at two a page.
    assert fake.requests.count(("GET", SAS)) == 3
    assert fake.requests.count(("GET", REPOS)) == 2
    # Every role is fetched once per bundle, although three scopes reference roles.
    roles = [p for _, p in fake.requests if p.startswith("/v1/roles/")]
    assert len(roles) == len(set(roles)) == 6
    not_found = {c.call for c in reader.manifest.calls if c.status == "not_found"}
    assert not_found == set()


def test_429_is_retried_honouring_retry_after(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    fake.fail(SAS, 429, times=2, headers={"Retry-After": "1"})  # discovery client (IAM)
    fake.fail(REPOS, 503, times=1)  # GAPIC client (Artifact Registry), backoff 0
    sleeps: list[float] = []
    reader = _collect_scope(settings, tmp_path, sleeps)
    assert sleeps == [1.0, 1.0, 0.0]
    assert len(reader.json("gcp/projects/acme-prod/serviceAccounts.json")["accounts"]) == 5
    assert len(reader.json("gcp/projects/acme-prod/locations/us-central1/repositories.json")["repositories"]) == 3
    assert reader.manifest.failed() == []


def test_throttling_that_does_not_end_is_a_recorded_gap(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    fake.fail(SAS, 429, times=10, headers={"Retry-After": "0"})
    fake.fail(REPOS, 429, times=1, headers={"Retry-After": "3600"})  # longer than max_wait: give up at once
    reader = _collect_scope(settings, tmp_path)
    failed = {c.call: c.detail for c in reader.manifest.failed()}
    assert "HTTP 429 after 3 attempt(s)" in failed["serviceAccounts.list"]
    assert "more than the 5s allowed" in failed["repositories.list us-central1"]
    assert not reader.exists("gcp/projects/acme-prod/serviceAccounts.json")
    # The rest of the project is still collected.
    assert reader.exists("gcp/projects/acme-prod/triggers.json")
    assert reader.exists("gcp/projects/acme-prod/locations/global/workloadIdentityPools.json")


def test_403_on_one_call_is_recorded_and_the_rest_collected(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    fake.forbidden.add("/v1/projects/acme-prod/triggers")
    reader = _collect_scope(settings, tmp_path)
    [gap] = reader.manifest.failed()
    assert (gap.call, gap.scope) == ("triggers.list", PROJECT)
    assert "403 forbidden (Permission denied" in gap.detail
    assert reader.exists("gcp/projects/acme-prod/serviceAccounts.json")


def test_malformed_pages_fail_the_call_naming_it(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    fake.raw["/v1/projects/acme-prod/locations/global/workloadIdentityPools"] = "{not json"
    fake.raw[REPOS] = json.dumps({"repositories": [{"name": 7, "mode": {"x": 1}}]})
    reader = _collect_scope(settings, tmp_path)
    failed = {c.call: c.detail for c in reader.manifest.failed()}
    assert "malformed response" in failed["workloadIdentityPools.list"]
    assert "malformed response" in failed["repositories.list us-central1"]


def test_pagination_loop_is_refused(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    fake.handlers["projects/acme-prod/triggers"] = lambda _req: {"triggers": [], "nextPageToken": "same"}
    reader = _collect_scope(settings, tmp_path)
    failed = {c.call: c.detail for c in reader.manifest.failed()}
    assert "pagination loop" in failed["triggers.list"]


def test_trigger_substitutions_keep_only_fingerprints(settings: Settings, fake: FakeGcp, tmp_path: Path) -> None:
    trigger = {
        "id": "t1",
        "name": "deploy",
        "substitutions": {"_TOKEN": "FAKE-TOKEN-FOR-TESTS"},
        "build": {"steps": [{"name": "gcr.io/cloud-builders/docker", "env": ["PASS=FAKE-TOKEN-FOR-TESTS", "X"]}]},
    }
    fake.handlers["projects/acme-prod/triggers"] = lambda _req: {"triggers": [trigger]}
    reader = _collect_scope(settings, tmp_path)
    text = reader.text("gcp/projects/acme-prod/triggers.json")
    assert "FAKE-TOKEN-FOR-TESTS" not in text
    saved = json.loads(text)["triggers"][0]
    assert saved["substitutions"]["_TOKEN"].startswith("hmac-sha256:")
    assert saved["build"]["steps"][0]["env"][0].startswith("PASS=hmac-sha256:")


def test_unknown_scope_and_no_scope(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="unknown scope"):
        fetch.collect(settings, "billingAccounts/1", BundleWriter(tmp_path / "b"))
    with pytest.raises(ConnectorError, match="no scope configured"):
        fetch.scopes(settings.model_copy(update={"projects": []}))
