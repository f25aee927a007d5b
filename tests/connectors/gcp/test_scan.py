"""End to end: ``regwarden scan`` against the fake GCP APIs, and ``analyse`` over the committed bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from scanner.cli import main
from tests.connectors.gcp.fake import FIXTURE, FakeGcp

POOLS = "projects/111111111111/locations/global/workloadIdentityPools"
FAIL_WIF = f"gcp:wif-provider:{POOLS}/fail-pool/providers/fail-github"
PASS_WIF = f"gcp:wif-provider:{POOLS}/pass-pool/providers/pass-github"
FAIL_SA = "gcp:service-account:fail-deployer@acme-prod.iam.gserviceaccount.com"
APP_IMAGES = "gcp:ar-repository:projects/acme-prod/locations/us-central1/repositories/app-images"


def _config(tmp_path: Path, server: HTTPServer, projects: list[str]) -> Path:
    toml = tmp_path / "regwarden.toml"
    toml.write_text(
        '[output]\nformats = ["json"]\n\n[sources.gcp]\n'
        f"projects = {json.dumps(projects)}\n"
        'credentials = "anonymous"\n'
        f'endpoint = "{server.url_for("").rstrip("/")}"\n'
        "backoff = 0\nmax_wait = 1\n"
    )
    return toml


def _findings(out: Path) -> dict[str, set[str]]:
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    found: dict[str, set[str]] = {}
    for f in report["findings"]:
        found.setdefault(f["rule"], set()).add(f["subject"]["id"])
    return found


def test_scan_reports_the_broad_github_trust_with_its_path(tmp_path: Path, httpserver: HTTPServer) -> None:
    fake = FakeGcp()
    fake.install(httpserver)
    out, bundle = tmp_path / "out", tmp_path / "bundle"
    toml = _config(tmp_path, httpserver, ["acme-prod"])
    code = main(["scan", "--config", str(toml), "--bundle", str(bundle), "--out", str(out)])
    assert code == 1  # high findings, nothing left unassessed
    found = _findings(out)
    assert found["RB06"] == {FAIL_WIF}  # the pass- twin pins assertion.repository == 'org/app'
    report = json.loads((out / "report.json").read_text())
    [rb06] = [f for f in report["findings"] if f["rule"] == "RB06"]
    assert rb06["severity"] == "high"
    assert [(s["src"], s["kind"], s["dst"]) for s in rb06["path"]] == [
        (FAIL_WIF, "authenticates_as", FAIL_SA),
        (FAIL_SA, "grants", APP_IMAGES),
    ]
    assert found["RB09"] == {"gcp:service-account:fail-legacy@acme-prod.iam.gserviceaccount.com"}
    assert found["RB05"] == {APP_IMAGES}
    assert report["partial"] is False


def test_scan_with_a_forbidden_project_is_partial(tmp_path: Path, httpserver: HTTPServer) -> None:
    fake = FakeGcp()
    fake.forbidden.add("/v3/projects/acme-denied")
    fake.install(httpserver)
    out = tmp_path / "out"
    toml = _config(tmp_path, httpserver, ["acme-prod", "acme-denied"])
    code = main(["scan", "--config", str(toml), "--bundle", str(tmp_path / "b"), "--out", str(out)])
    assert code == 3
    report = json.loads((out / "report.json").read_text())
    assert report["partial"] is True
    assert [(g["provider"], g["scope"]) for g in report["coverage_gaps"]] == [("gcp", "projects/acme-denied")]
    assert _findings(out)["RB06"] == {FAIL_WIF}


def test_analyse_the_committed_bundle(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["analyse", str(FIXTURE), "--out", str(out), "--format", "json"])
    assert code == 1
    found = _findings(out)
    assert found["RB06"] == {FAIL_WIF}
    assert PASS_WIF not in set().union(*found.values())
    assert found["RB01"] == {
        "gcp:sa-key:projects/acme-prod/serviceAccounts/fail-legacy@acme-prod.iam.gserviceaccount.com/keys/" + "1" * 40
    }
    assert found["RB07"] == {
        f"gcp:ar-repository:projects/acme-prod/locations/us-central1/repositories/{r}"
        for r in ("app-images", "pypi-remote", "npm-virtual")
    }
