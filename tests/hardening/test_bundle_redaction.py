"""A bundle never contains a secret value: every registry token format and every command-line
credential form of ``scanner/knowledge/token_formats.yaml``, planted in a workflow file, a GitLab CI
file and API answers collected live at the wire, is absent from every byte of the committed bundle;
each is kept as a fingerprint marker, and the report still names the credentials (RB12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from connectors.github.fetch import Settings as GitHubSettings
from connectors.github.fetch import client as github_client
from connectors.github.fetch import fetch_org
from connectors.gitlab.fetch import Settings as GitLabSettings
from connectors.gitlab.fetch import client as gitlab_client
from connectors.gitlab.fetch import fetch_group
from scanner.analyse import analyse, load_bundle
from scanner.bundle import BundleWriter
from scanner.knowledge.token_formats import formats, forms
from scanner.plugins import connectors
from scanner.redact import MARKER
from tests.hardening import figures

SECRET_FORMATS = [f for f in formats() if f.secret]


def _planted_workflow() -> str:
    lines = ["name: release", "on: push", "env:"]
    lines += [f"  PLANTED_{i}: {f.example}" for i, f in enumerate(SECRET_FORMATS) if "\n" not in f.example]
    lines += ["jobs:", "  publish:", "    runs-on: ubuntu-latest", "    steps:"]
    for form in forms():
        if form.id == "secret-key-value":
            lines += ["      - uses: docker/login-action@v3", "        with:", "          username: bob"]
            lines += [f"          password: {form.value}"]
        else:
            lines += [f"      - run: {json.dumps(form.example)}"]
    key = next(f for f in SECRET_FORMATS if f.id == "private-key")
    lines += ["      - run: |", *[f"          {x}" for x in key.example.splitlines()]]
    return "\n".join(lines) + "\n"


def _values() -> list[str]:
    out = [f.example for f in SECRET_FORMATS if "\n" not in f.example]
    out += [form.value for form in forms()]
    out.append(next(f for f in SECRET_FORMATS if f.id == "private-key").example.splitlines()[1])
    return out


def _leaks(root: Path, values: list[str]) -> list[str]:
    found = []
    for p in sorted(root.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            found += [f"{p.relative_to(root)}: {v[:12]}…" for v in values if v.encode() in data]
    return found


def test_every_format_and_form_planted_in_collected_files_is_absent_from_the_bundle(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDACT_GH", "FAKE-TOKEN-FOR-TESTS")
    monkeypatch.setenv("REDACT_GL", "FAKE-TOKEN-FOR-TESTS")
    workflow = _planted_workflow()
    planted_desc = " ".join(f.example for f in SECRET_FORMATS if "\n" not in f.example)
    # GitHub: a workflow file, and an API answer whose free text carries tokens too.
    repo = {"name": "app", "full_name": "acme/app", "owner": {"login": "acme"}, "archived": False, "private": True}
    repo |= {"html_url": "https://github.com/acme/app", "description": planted_desc}
    httpserver.expect_request("/orgs/acme").respond_with_json({"login": "acme", "id": 1, "description": planted_desc})
    httpserver.expect_request("/orgs/acme/repos").respond_with_json([repo])
    httpserver.expect_request("/repos/acme/app/contents/.github/workflows").respond_with_json(
        [{"name": "release.yml", "path": ".github/workflows/release.yml", "type": "file"}]
    )
    httpserver.expect_request("/repos/acme/app/contents/.github/workflows/release.yml").respond_with_data(workflow)
    # GitLab: the CI file and a project answer with a runners token.
    api = "/gitlab/api/v4"
    httpserver.expect_request(f"{api}/groups/acme").respond_with_json({"id": 1, "full_path": "acme"})
    httpserver.expect_request(f"{api}/groups/acme/projects").respond_with_json(
        [{"id": 2, "path_with_namespace": "acme/app", "default_branch": "main", "runners_token": "GR1348941Hunter2"}]
    )
    httpserver.expect_request(f"{api}/projects/acme/app/repository/files/.gitlab-ci.yml/raw").respond_with_data(
        workflow.replace("name: release\non: push\n", "stages: [deploy]\n")
    )
    httpserver.no_handler_status_code = 404
    writer = BundleWriter(tmp_path / "bundle")
    gh = GitHubSettings(orgs=["acme"], base_url=httpserver.url_for("/"), token_env="REDACT_GH", max_retries=0)
    fetch_org(github_client(gh), github_client(gh, accept="application/vnd.github.raw"), gh, "acme", writer)
    gl = GitLabSettings(groups=["acme"], base_url=httpserver.url_for("/gitlab"), token_env="REDACT_GL", max_retries=0)
    fetch_group(gitlab_client(gl), gl, "acme", writer)
    bundle = writer.commit("2026-11-28T00:00:00Z")
    values = [*_values(), "GR1348941Hunter2"]
    leaks = _leaks(bundle, values)
    assert leaks == []
    stored = (bundle / "github/repos/acme/app/contents/.github/workflows/release.yml").read_text(encoding="utf-8")
    kinds = {m.group(1) for m in MARKER.finditer(stored)}
    assert {f.id for f in SECRET_FORMATS} <= kinds
    # Each form's value is replaced (by that form or by one that also covers the line).
    assert len(MARKER.findall(stored)) >= len(SECRET_FORMATS) + len(forms()) - 1
    # The report still sees every credential, as a fingerprint (RB12), and never the value.
    loaded = load_bundle(bundle, connectors())
    result = analyse(loaded.inventory, source="t", as_of=loaded.collected_at)
    rb12 = [f for f in result.findings if f.rule == "RB12"]
    assert rb12
    assert not [v for v in values if any(v in json.dumps(f.message) for f in rb12)]
    figures.record(
        "bundle-redaction",
        {"token formats planted": len(SECRET_FORMATS), "credential forms planted": len(forms()), "leaks": len(leaks)},
    )
