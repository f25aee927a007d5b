"""``regwarden scan`` over local fakes of npm, PyPI, Docker Hub and JFrog: the four issue scenarios are
reported with their paths, and their hardened twins are not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from scanner.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NOW = datetime.now(UTC)
FAIL_NPM = "npm:token:fa1" + "0" * 125
PASS_NPM = "npm:token:9a5" + "1" * 125
FAIL_HUB = "dockerhub:token:fail-admin-idle-0000"
PASS_HUB = "dockerhub:token:pass-admin-fresh-0000"


def iso(days: float) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def load(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text())


def serve_npm(s: HTTPServer) -> None:
    s.expect_request("/npm/-/whoami").respond_with_json({"username": "alice"})
    s.expect_request("/npm/-/npm/v1/tokens").respond_with_json(
        {
            "objects": [
                {"key": FAIL_NPM.split(":")[2], "created": iso(-10), "readonly": False, "automation": False},
                {  # a granular access token, as the registry lists it (npm/cli#9443)
                    "name": "pass-release",
                    "description": "",
                    "key": PASS_NPM.split(":")[2],
                    "token": "npm_FAKE...FAKE",
                    "expiry": iso(30),
                    "cidr": [],
                    "bypass_2fa": True,
                    "revoked": None,
                    "created": iso(-10),
                    "updated": iso(-10),
                    "accessed": iso(-1),
                    "permissions": [{"name": "package", "action": "write"}],
                    "scopes": [{"name": "@acme/widgets", "type": "package"}],
                },
            ],
            "total": 2,
            "urls": {},
        }
    )
    s.expect_request("/npm/-/user/alice/package").respond_with_json({"@acme/widgets": "write"})
    s.expect_request("/npm/@acme/widgets").respond_with_json(load("npm/bundle/npm/@acme/widgets.json"))
    s.expect_request("/npm/-/npm/v1/attestations/@acme/widgets@2.0.0").respond_with_json(
        load("npm/bundle/npm/-/npm/v1/attestations/@acme/widgets@2.0.0.json")
    )


def serve_pypi(s: HTTPServer) -> None:
    base = FIXTURES / "pypi/bundle/pypi"
    for project in ("drifted-lib", "acme-release"):
        s.expect_request(f"/pypi/pypi/{project}/json").respond_with_json(
            load(f"pypi/bundle/pypi/pypi/{project}/json.json")
        )
        s.expect_request(f"/pypi/simple/{project}/").respond_with_json(
            load(f"pypi/bundle/pypi/simple/{project}/index.json")
        )
        for p in (base / "integrity" / project).rglob("provenance.json"):
            rel = p.relative_to(base).as_posix()
            s.expect_request("/pypi/" + rel.removesuffix(".json")).respond_with_json(json.loads(p.read_text()))


def serve_hub(s: HTTPServer) -> None:
    def pat(uuid: str, created: float, used: float, expires: float | None) -> dict[str, Any]:
        return {
            "uuid": uuid,
            "token_label": uuid,
            "scopes": ["repo:admin"],
            "created_at": iso(created),
            "last_used": iso(used),
            "expires_at": iso(expires) if expires is not None else None,
            "is_active": True,
            "token": "***",
        }

    s.expect_request("/hub/v2/auth/token", method="POST").respond_with_json({"access_token": "FAKE.JWT.FAKE"})
    s.expect_request("/hub/v2/access-tokens").respond_with_json(
        {
            "count": 2,
            "next": None,
            "results": [
                pat(FAIL_HUB.split(":")[2], -300, -200, None),
                pat(PASS_HUB.split(":")[2], -10, -1, 30),
            ],
        }
    )
    s.expect_request("/hub/v2/namespaces/alice/repositories").respond_with_json(
        load("dockerhub/bundle/dockerhub/v2/namespaces/alice/repositories.json")
    )


def serve_jfrog(s: HTTPServer) -> None:
    base = FIXTURES / "jfrog/bundle/jfrog"
    for p in base.rglob("*.json"):
        rel = p.relative_to(base).as_posix()
        if rel != "regwarden-settings.json":
            s.expect_request("/jf/" + rel.removesuffix(".json")).respond_with_json(json.loads(p.read_text()))


@pytest.fixture
def config(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for serve in (serve_npm, serve_pypi, serve_hub, serve_jfrog):
        serve(httpserver)
    for var in ("RW_E2E_NPM", "RW_E2E_HUB", "RW_E2E_JFROG"):
        monkeypatch.setenv(var, "FAKE-TOKEN-FOR-TESTS")
    url = httpserver.url_for("")
    toml = tmp_path / "regwarden.toml"
    toml.write_text(
        f"""
[output]
formats = ["json"]

[sources.npm]
registry_url = "{url}/npm"
token_env = "RW_E2E_NPM"

[sources.pypi]
index_url = "{url}/pypi"
projects = ["drifted-lib", "acme-release"]

[sources.dockerhub]
api_url = "{url}/hub"
username = "alice"
token_env = "RW_E2E_HUB"

[sources.jfrog]
url = "{url}/jf"
token_env = "RW_E2E_JFROG"
production_repos = ["npm-virtual", "pypi-virtual"]
verified_repos = ["pypi-remote"]
"""
    )
    return toml


def test_scan_reports_the_four_scenarios_with_paths(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["scan", "--config", str(config), "--bundle", str(tmp_path / "bundle"), "--out", str(out)])
    assert code == 1  # high findings, nothing failed to collect
    report = json.loads((out / "report.json").read_text())
    found: dict[tuple[str, str], dict[str, Any]] = {(f["rule"], f["subject"]["id"]): f for f in report["findings"]}
    expected = {
        ("RB01", FAIL_NPM),  # never-expiring npm publish token
        ("RB02", "pypi:project:drifted-lib"),  # Trusted Publisher, unattested latest release
        ("RB09", FAIL_HUB),  # repo:admin token unused for 200 days
        ("RB02", "jfrog:repository:npm-remote"),  # remote feeding the production virtual, unverified
    }
    assert expected <= set(found)
    for key in expected - {("RB02", "pypi:project:drifted-lib")}:
        assert found[key]["path"], key
    # RB02's Trusted-Publisher branch gives a path only when a standing token can publish too; the
    # evidence file still names where the fact came from.
    assert found[("RB02", "pypi:project:drifted-lib")]["location"]["file"] == "pypi/pypi/drifted-lib/json.json"
    quiet = (PASS_NPM, PASS_HUB, "pypi:project:acme-release", "jfrog:repository:pypi-remote")
    assert not [k for k in found if k[1] in quiet]
    assert ("RB02", "npm:package:@acme/widgets") not in found
    bundle = tmp_path / "bundle"
    assert (bundle / "npm/-/npm/v1/tokens.json").exists()
    assert (bundle / "dockerhub/v2/access-tokens.json").exists()
    assert (bundle / "jfrog/artifactory/api/repositories/npm-virtual.json").exists()
    assert (bundle / "pypi/pypi/drifted-lib/json.json").exists()
    assert "FAKE-TOKEN-FOR-TESTS" not in "".join(p.read_text() for p in bundle.rglob("*.json"))


def test_analyse_the_committed_fixture_bundles(tmp_path: Path) -> None:
    import shutil

    bundle = tmp_path / "b"
    for provider in ("npm", "dockerhub", "jfrog"):
        shutil.copytree(FIXTURES / provider / "bundle", bundle, dirs_exist_ok=True)
    out = tmp_path / "out"
    # Partial: the access list names a package whose packument the fixture lacks (the collector fetches
    # every one), so its provenance is not assessed (alice-utils' packument is in the fixture since
    # tests/hardening/test_absence.py needs an unscoped one).
    assert main(["analyse", str(bundle), "--out", str(out), "--format", "json"]) == 3
    report = json.loads((out / "report.json").read_text())
    not_collected = {u["name"] for c in report["controls"] for u in c["not_assessed"] if u["collectable"]}
    assert not_collected == {"left-pad-fake"}
    rules = {(f["rule"], f["subject"]["id"]) for f in report["findings"]}
    assert ("RB09", "dockerhub:token:b30bbf97-0000-4ecd-aabc-000000000001") in rules
    assert ("RB02", "jfrog:repository:npm-remote") in rules
