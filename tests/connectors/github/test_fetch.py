"""Live collection against a local server answering like the GitHub REST API, and a live scan of the
incident estate (GitHub + PyPI fakes) through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.github.fetch import Settings, client, fetch_org
from connectors.github.plaintext import redact
from scanner.bundle import BundleReader, BundleWriter
from scanner.cli import main
from scanner.model import NodeId
from tests.connectors.github import estate

TOKEN = "FAKE-TOKEN-FOR-TESTS"
NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


def _serve(server: HTTPServer, files: dict[str, Any], *, page_repos: bool = True) -> None:
    """Serve every estate file at its API path; the repository list in two pages."""
    for rel, value in files.items():
        if not rel.startswith("github/"):
            continue
        api = "/" + rel.removeprefix("github/")
        if isinstance(value, str):  # a workflow file: GET with the raw media type
            server.expect_request(api).respond_with_data(value, content_type="text/plain")
            continue
        api = api.removesuffix(".json")
        if api == f"/orgs/{estate.ORG}/repos" and page_repos:
            first, rest = value[:4], value[4:]
            nxt = server.url_for(api) + "?per_page=100&page=2"
            server.expect_request(api, query_string={"per_page": "100", "page": "2"}).respond_with_json(rest)
            server.expect_request(api, query_string={"per_page": "100"}).respond_with_json(
                first, headers={"Link": f'<{nxt}>; rel="next", <{nxt}>; rel="last"'}
            )
            continue
        server.expect_request(api).respond_with_json(value)
    for repo, wfs in estate.WORKFLOWS.items():
        listing = [
            {"name": n, "path": f".github/workflows/{n}", "type": "file", "size": len(t)} for n, t in wfs.items()
        ]
        listing.append({"name": "scripts", "path": ".github/workflows/scripts", "type": "dir"})
        server.expect_request(f"/repos/{estate.ORG}/{repo}/contents/.github/workflows").respond_with_json(listing)
    # a repository without Actions, environments, keys or workflows: 404 everywhere

    def not_found(_req: Request) -> Response:
        return Response(json.dumps(NOT_FOUND), status=404, content_type="application/json")

    server.expect_request(re.compile(rf"^/repos/{estate.ORG}/{estate.NO_ACTIONS}/.*")).respond_with_handler(not_found)
    # no CODEOWNERS where the estate has none
    server.expect_request(
        re.compile(rf"^/repos/{estate.ORG}/[^/]+/contents/(?:\.github/|docs/)?CODEOWNERS$")
    ).respond_with_handler(not_found)


def _settings(server: HTTPServer, **kw: Any) -> Settings:
    return Settings(orgs=[estate.ORG], base_url=server.url_for("/"), token_env="FAKE_GH_TOKEN", max_wait=5, **kw)


def _collect(server: HTTPServer, tmp: Path, **kw: Any) -> tuple[BundleReader, list[float]]:
    waits: list[float] = []
    settings = _settings(server, **kw)
    writer = BundleWriter(tmp / "bundle")
    rc = client(settings, sleep=waits.append)
    raw = client(settings, accept="application/vnd.github.raw", sleep=waits.append)
    fetch_org(rc, raw, settings, estate.ORG, writer)
    return BundleReader(writer.commit("2026-11-01T00:00:00Z")), waits


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GH_TOKEN", TOKEN)


def test_collects_exactly_the_files_the_loader_reads(httpserver: HTTPServer, tmp_path: Path) -> None:
    files = estate.files()
    _serve(httpserver, files)
    bundle, waits = _collect(httpserver, tmp_path)
    assert waits == []
    written = set(bundle.files("github"))
    assert written == set(files)
    for rel, value in files.items():
        if isinstance(value, str):
            assert bundle.text(rel) == redact(value), rel
        else:
            assert bundle.json(rel) == value, rel
    # the token went in the header, and every request asked for the API version
    req = httpserver.log[0][0]
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert req.headers["X-GitHub-Api-Version"] == "2022-11-28"
    raws = [r for r, _ in httpserver.log if r.path.endswith((".yml", ".yaml"))]
    assert raws
    assert all(r.headers["Accept"] == "application/vnd.github.raw" for r in raws)
    not_found = bundle.manifest.not_found("github")
    assert f"GET /repos/{estate.ORG}/{estate.NO_ACTIONS}/actions/secrets" in not_found
    assert f"GET /repos/{estate.ORG}/{estate.NO_ACTIONS}/contents/.github/workflows" in not_found
    assert bundle.manifest.failed() == []


def test_committed_credential_is_redacted_before_it_is_written(httpserver: HTTPServer, tmp_path: Path) -> None:
    _serve(httpserver, estate.files())
    bundle, _ = _collect(httpserver, tmp_path)
    for rel in bundle.files(""):
        assert estate.FAKE_AWS_KEY_ID.encode() not in bundle.read_bytes(rel), rel
    text = bundle.text(f"github/repos/{estate.ORG}/fail-tag/contents/.github/workflows/release.yml")
    assert "AWS_ACCESS_KEY_ID: regwarden-redacted.aws-access-key.hmac-sha256-" in text


def test_secondary_rate_limit_is_retried(httpserver: HTTPServer, tmp_path: Path) -> None:
    path = f"/orgs/{estate.ORG}/actions/secrets"
    httpserver.expect_oneshot_request(path).respond_with_json(
        {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
        status=403,
        headers={"retry-after": "3"},
    )
    _serve(httpserver, estate.files())
    bundle, waits = _collect(httpserver, tmp_path)
    assert waits == [3.0]
    assert bundle.json(f"github{path}.json")["total_count"] == 1
    assert bundle.manifest.failed() == []


def test_forbidden_on_one_repository_is_a_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    path = f"/repos/{estate.ORG}/fail-tag-b/environments"
    httpserver.expect_request(path).respond_with_json({"message": "Resource not accessible by integration"}, status=403)
    _serve(httpserver, estate.files())
    bundle, _ = _collect(httpserver, tmp_path)
    failed = [(c.call, c.detail) for c in bundle.manifest.failed()]
    assert failed == [
        (
            f"GET {path}",
            f"github GET {httpserver.url_for(path)}: 403 forbidden (Resource not accessible by integration)",
        )
    ]
    assert TOKEN not in json.dumps(bundle.json("manifest.json"))
    # the rest of that repository and of the organization is collected
    assert bundle.exists(f"github/repos/{estate.ORG}/fail-tag-b/actions/secrets.json")
    assert bundle.exists(f"github/repos/{estate.ORG}/pass-prt/contents/.github/workflows/release.yml")


def test_repository_filter_and_malformed_page(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(f"/repos/{estate.ORG}/fail-tag/keys").respond_with_data("<html>oops</html>")
    _serve(httpserver, estate.files())
    bundle, _ = _collect(httpserver, tmp_path, repos=["fail-tag*"])
    repos = {rel.split("/")[3] for rel in bundle.files("github/repos")}
    assert repos == {"fail-tag", "fail-tag-b"}
    (failed,) = bundle.manifest.failed()
    assert failed.call == f"GET /repos/{estate.ORG}/fail-tag/keys"
    assert "not valid JSON" in failed.detail


def test_answers_of_the_wrong_shape_are_each_that_calls_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    org, repo = f"/orgs/{estate.ORG}", f"/repos/{estate.ORG}/fail-tag"
    # an organization secret without its name; a total_count that is not a number
    httpserver.expect_request(f"{org}/actions/secrets").respond_with_json(
        {"total_count": 1, "secrets": [{"created_at": "2026-01-01T00:00:00Z", "visibility": "selected"}]}
    )
    httpserver.expect_request(f"{org}/installations").respond_with_json({"total_count": None, "installations": []})
    # a workflows listing of bare names, an environment without its name, runs counted as "abc"
    httpserver.expect_request(f"{repo}/contents/.github/workflows").respond_with_json(["release.yml"])
    httpserver.expect_request(f"{repo}/environments").respond_with_json(
        {"total_count": 1, "environments": [{"id": 1, "node_id": "EN_1", "protection_rules": []}]}
    )
    httpserver.expect_request(f"{repo}/actions/runs").respond_with_json({"total_count": "abc", "workflow_runs": []})
    _serve(httpserver, estate.files())
    bundle, _ = _collect(httpserver, tmp_path, repos=["fail-tag*"])
    failed = {c.call: c.detail for c in bundle.manifest.failed()}
    assert set(failed) == {
        f"GET {org}/actions/secrets",
        f"GET {org}/installations",
        f"GET {repo}/contents/.github/workflows",
        f"GET {repo}/environments",
        f"GET {repo}/actions/runs?created=>={_since(bundle, repo)}",
    }
    assert failed[f"GET {org}/installations"].endswith("'total_count' is not an integer")
    assert "without a usable 'name'" in failed[f"GET {repo}/environments"]
    for rel in (
        "orgs/acme/actions/secrets.json",
        "orgs/acme/installations.json",
        "repos/acme/fail-tag/environments.json",
    ):
        assert not bundle.exists(f"github/{rel}"), rel
    # the rest of the repository, of the organization and the next repository are collected
    assert bundle.exists(f"github{repo}/keys.json")
    assert bundle.exists(f"github{org}/actions/oidc/customization/sub.json")
    assert bundle.exists(f"github/repos/{estate.ORG}/fail-tag-b/contents/.github/workflows/release.yml")


def _since(bundle: BundleReader, repo: str) -> str:
    (call,) = [c.call for c in bundle.manifest.calls if c.call.startswith(f"GET {repo}/actions/runs?")]
    return call.rsplit(">=", 1)[1]


def test_a_repository_list_entry_without_owner_is_a_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    repos = estate.files()[f"github/orgs/{estate.ORG}/repos.json"]
    broken = [{k: v for k, v in r.items() if k != "owner"} if r["name"] == "fail-tag" else r for r in repos]
    httpserver.expect_request(f"/orgs/{estate.ORG}/repos").respond_with_json(broken)
    _serve(httpserver, estate.files())
    bundle, _ = _collect(httpserver, tmp_path)
    (failed,) = bundle.manifest.failed()
    assert failed.call == f"GET /orgs/{estate.ORG}/repos"
    assert "'owner.login'" in failed.detail
    # the organization's other calls are collected
    assert bundle.exists(f"github/orgs/{estate.ORG}/installations.json")
    assert bundle.exists(f"github/orgs/{estate.ORG}/actions/oidc/customization/sub.json")


def test_missing_token_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer) -> None:
    from scanner.errors import ConfigError

    monkeypatch.delenv("FAKE_GH_TOKEN")
    with pytest.raises(ConfigError, match="FAKE_GH_TOKEN is not set"):
        client(_settings(httpserver))


def _serve_pypi(server: HTTPServer) -> None:
    for p in estate.PROJECTS:
        server.expect_request(f"/pypi/{p}/json").respond_with_json(estate.pypi_json(p))
        server.expect_request(f"/simple/{p}/").respond_with_json(
            estate.pypi_simple(p), content_type="application/vnd.pypi.simple.v1+json"
        )


def test_live_scan_reports_the_four_incidents_with_paths(httpserver: HTTPServer, tmp_path: Path) -> None:
    _serve(httpserver, estate.files())
    _serve_pypi(httpserver)
    projects = ", ".join(f'"{p}"' for p in estate.PROJECTS)
    toml = tmp_path / "regwarden.toml"
    toml.write_text(
        f"""
[sources.github]
orgs = ["{estate.ORG}"]
base_url = "{httpserver.url_for("/")}"
token_env = "FAKE_GH_TOKEN"

[sources.pypi]
index_url = "{httpserver.url_for("/").rstrip("/")}"
projects = [{projects}]
""",
        encoding="utf-8",
    )
    out = tmp_path / "report"
    code = main(["scan", "--config", str(toml), "--bundle", str(tmp_path / "bundle"), "--out", str(out)])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # Findings at or above high, and partial: only GitHub was collected, so the provenance of the PyPI
    # projects the workflows publish is not assessed (exit 3 wins over 1).
    assert code == 3
    assert {c["id"] for c in report["controls"] if any(u["collectable"] for u in c["not_assessed"])} == {"RB02"}
    rb11 = {f["subject"]["id"]: f for f in report["findings"] if f["rule"] == "RB11"}
    job = "github:job:acme/{}/.github/workflows/{}"
    assert set(rb11) == {
        "github:action:tj-actions/changed-files@v45",
        job.format("fail-token", "triage.yml#triage"),
        "github:untrusted-code:acme/fail-cache",
        "github:untrusted-code:acme/fail-prt",
    }
    for f in rb11.values():
        assert f["path"][-1]["dst"].startswith("pypi:project:acme-fail-"), f["subject"]["id"]
    # outsiders run their code in the lint job, which writes the cache the release job restores
    vias = [s["via"] for s in rb11["github:untrusted-code:acme/fail-cache"]["path"]]
    assert vias[0].startswith("pull_request_target: checks out and runs the pull request's code")
    assert vias[1] == "Actions cache of the default branch"
    for f in report["findings"]:
        if f["rule"] in ("RB05", "RB11"):
            assert "/pass-" not in f["subject"]["id"]
    assert {f["rule"] for f in report["findings"]} >= {"RB06", "RB11", "RB12"}
    for p in (out / "report.json", out / "report.html"):
        assert estate.FAKE_AWS_KEY_ID not in p.read_text(encoding="utf-8")


COMPOSITE_WF = """on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/setup
      - uses: $/.github/actions/other
      - uses: acme/shared-actions/build@v2
        with:
          token: ${{ secrets.NPM_TOKEN }}
"""
SETUP_ACTION = """runs:
  using: composite
  steps:
    - uses: ./.github/actions/inner
"""
INNER_ACTION = """runs:
  using: composite
  steps:
    - run: twine upload dist/*
      shell: bash
      env:
        TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}
"""
BUILD_ACTION = """inputs:
  token: {required: true}
runs:
  using: composite
  steps:
    - run: npm publish
      shell: bash
      env:
        NODE_AUTH_TOKEN: ${{ inputs.token }}
"""


def test_composite_actions_are_collected_and_expanded(httpserver: HTTPServer, tmp_path: Path) -> None:
    """The action.yml of the repository's own actions (./ and $/, nested) and of the organization's
    actions at the ref a step names are collected; third parties' are not. Their steps are the job's."""
    org = "/orgs/acme"
    httpserver.expect_request(org).respond_with_json({"login": "acme", "id": 1})
    repo = {"name": "app", "full_name": "acme/app", "owner": {"login": "acme"}, "private": True,
            "html_url": "https://github.com/acme/app"}  # fmt: skip
    httpserver.expect_request(f"{org}/repos").respond_with_json([repo])
    base = "/repos/acme/app"
    httpserver.expect_request(f"{base}/contents/.github/workflows").respond_with_json(
        [{"name": "release.yml", "path": ".github/workflows/release.yml", "type": "file"}]
    )
    httpserver.expect_request(f"{base}/contents/.github/workflows/release.yml").respond_with_data(COMPOSITE_WF)
    httpserver.expect_request(f"{base}/contents/.github/actions/setup/action.yml").respond_with_data(SETUP_ACTION)
    httpserver.expect_request(f"{base}/contents/.github/actions/inner/action.yml").respond_with_data(INNER_ACTION)
    httpserver.expect_request(f"{base}/contents/.github/actions/other/action.yml").respond_with_json(
        NOT_FOUND, status=404
    )
    httpserver.expect_request(f"{base}/contents/.github/actions/other/action.yaml").respond_with_data(
        "runs: {using: composite, steps: [{run: echo hi, shell: bash}]}\n"
    )
    httpserver.expect_request(
        "/repos/acme/shared-actions/contents/build/action.yml", query_string={"ref": "v2"}
    ).respond_with_data(BUILD_ACTION)

    def not_found(_req: Request) -> Response:
        return Response(json.dumps(NOT_FOUND), status=404, content_type="application/json")

    httpserver.expect_request(re.compile(r"^/(?:orgs|repos)/.*")).respond_with_handler(not_found)
    settings = Settings(orgs=["acme"], base_url=httpserver.url_for("/"), token_env="FAKE_GH_TOKEN", max_wait=5)
    writer = BundleWriter(tmp_path / "bundle")
    rc = client(settings, sleep=lambda _s: None)
    raw = client(settings, accept="application/vnd.github.raw", sleep=lambda _s: None)
    fetch_org(rc, raw, settings, "acme", writer)
    bundle = BundleReader(writer.commit("2026-11-01T00:00:00Z"))
    actions = sorted(r for r in bundle.files("github") if r.endswith(("action.yml", "action.yaml")))
    assert actions == [
        "github/action-refs/acme/shared-actions/v2/build/action.yml",
        "github/repos/acme/app/contents/.github/actions/inner/action.yml",
        "github/repos/acme/app/contents/.github/actions/other/action.yaml",
        "github/repos/acme/app/contents/.github/actions/setup/action.yml",
    ]
    # never asked for a third party's action
    assert not [r for r in httpserver.log if "actions/checkout" in r[0].path]
    from connectors.github import SPEC

    inv = SPEC.inventory(bundle)
    job = inv.node(NodeId("github:job:acme/app/.github/workflows/release.yml#release"))
    # twine inside a nested local action, npm publish inside the organization's action
    assert job.attrs["publishes"] == ("npm", "pypi")
    assert job.attrs["publish_routes"] == ("npm:secret:NPM_TOKEN", "pypi:secret:PYPI_TOKEN")
