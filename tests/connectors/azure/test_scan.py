"""End to end: `regwarden scan` against the fake Azure, and `regwarden analyse` over the committed bundle."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from scanner.cli import main
from tests.connectors.azure.fake import FakeAzure

FIXTURE = Path(__file__).parents[2] / "fixtures" / "azure" / "bundle"
SUB = "00000000-0000-0000-0000-0000000000a1"
FAILACR = f"/subscriptions/{SUB}/resourcegroups/rg-ci/providers/microsoft.containerregistry/registries/failacr"
FAIL_SECRET = "azure:client-secret:00000000-0000-0000-0000-000000000d01/00000000-0000-0000-0000-000000000e01"
EXPECTED = {
    ("RB07", f"azure:registry:{FAILACR}"),
    ("RB01", FAIL_SECRET),
    ("RB01", f"azure:acr-admin:{FAILACR}"),
    ("RB01", f"azure:acr-token-password:{FAILACR}/tokens/fail-push-token/password1"),
    ("RB06", "azure:oidc-trust:00000000-0000-0000-0000-000000000d04/00000000-0000-0000-0000-000000003002"),
    # An Owner group at the management group holds READ, PUBLISH and PROMOTE on every registry.
    ("RB03", "azure:group:00000000-0000-0000-0000-000000000b06"),
}


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fresh_dates(path: str, data: Any) -> Any:
    """The pass twins' short-lived credentials, dated relative to the real clock of a live scan."""
    now = datetime.now(UTC)
    for item in data.get("value", []) if isinstance(data, dict) else []:
        for pc in item.get("passwordCredentials", []):
            if pc["displayName"] == "pass-short":
                pc["startDateTime"], pc["endDateTime"] = _iso(now - timedelta(days=10)), _iso(now + timedelta(days=50))
        if item.get("name") == "pass-pull-token":
            pw = item["properties"]["credentials"]["passwords"][0]
            pw["creationTime"], pw["expiry"] = _iso(now - timedelta(days=5)), _iso(now + timedelta(days=25))
        for kc in item.get("keyCredentials", []):
            kc["startDateTime"], kc["endDateTime"] = _iso(now - timedelta(days=5)), _iso(now + timedelta(days=55))
    return data


def _findings(out: Path) -> set[tuple[str, str]]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {(f["rule"], f["subject"]["id"]) for f in report["findings"]}


def _scan(fake: FakeAzure, tmp_path: Path, rbac_source: str) -> tuple[int, Path]:
    toml = tmp_path / "regwarden.toml"
    toml.write_text(
        f"""
[output]
formats = ["json"]
fail_on = "high"

[sources.azure]
subscriptions = ["{SUB}"]
arm_endpoint = "{fake.arm}"
graph_endpoint = "{fake.graph}"
arm_token_env = "AZ_FAKE_TOKEN"
graph_token_env = "AZ_FAKE_TOKEN"
max_wait = 1
rbac_source = "{rbac_source}"
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    return main(["scan", "--config", str(toml), "--bundle", str(tmp_path / "bundle"), "--out", str(out)]), out


@pytest.mark.parametrize("rbac_source", ["auto", "resource-graph"])
def test_scan_against_the_fake(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rbac_source: str
) -> None:
    fake = FakeAzure(httpserver, FIXTURE, page_size=2, edit=_fresh_dates)
    monkeypatch.setenv("AZ_FAKE_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    code, out = _scan(fake, tmp_path, rbac_source)
    assert code == 3  # partial: the fixture assigns a role whose definition is not listed
    found = _findings(out)
    assert found == EXPECTED
    assert not [s for _, s in found if "pass-" in s or s.endswith("passacr")]
    assert bool(fake.rg_requests) is (rbac_source == "resource-graph")


def test_refused_resource_graph_query_is_a_partial_scan(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeAzure(httpserver, FIXTURE, page_size=2, edit=_fresh_dates)
    fake.fail_query(lambda body: "roleassignments" in body["query"], 403)
    monkeypatch.setenv("AZ_FAKE_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    code, out = _scan(fake, tmp_path, "resource-graph")
    assert code == 3
    gaps = json.loads((out / "report.json").read_text(encoding="utf-8"))["coverage_gaps"]
    [gap] = [g for g in gaps if "ResourceGraph" in g["what"]]
    assert gap["what"] == "POST /providers/Microsoft.ResourceGraph/resources roleAssignments"
    assert "403 forbidden" in gap["reason"]
    assert SUB in gap["reason"]
    # Without role assignments no grant of a role is found; the registry's own settings still are.
    assert ("RB03", "azure:group:00000000-0000-0000-0000-000000000b06") not in _findings(out)
    assert ("RB07", f"azure:registry:{FAILACR}") in _findings(out)


def test_analyse_the_committed_bundle(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["analyse", str(FIXTURE), "--out", str(out), "--format", "json"])
    assert code == 3
    assert _findings(out) == EXPECTED
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["partial"] is True
    assert [g["what"] for g in report["coverage_gaps"]] == ["role definition 00000000-0000-0000-0000-00000000dead"]
