"""The dependency graph SBOM becomes ``consumes`` edges, so a publish token's blast radius reaches the internal
repositories that would install a malicious release — and the RB01/RB11 evidence path ends there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from connectors.github import SPEC as GITHUB
from connectors.github.sbom import parse_purl, purl_target
from scanner.bundle import BundleReader
from scanner.cli import main
from scanner.model import EdgeKind, NodeId

SBOM = Path(__file__).parents[2] / "fixtures" / "github" / "sbom" / "internal-svc.json"
RELEASE = """\
name: release
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install build twine && python -m build
      - run: twine upload dist/*
        env:
          TWINE_USERNAME: __token__
          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}
"""
PYPI_JSON = {
    "ownership": {"organization": None, "roles": [{"role": "Owner", "user": "acme-admin"}]},
    "info": {
        "name": "acme-lib",
        "version": "1.2.0",
        "project_urls": {"Source": "https://github.com/acme/lib"},
    },
    "releases": {
        "1.2.0": [
            {
                "filename": "acme_lib-1.2.0.tar.gz",
                "url": "https://files.example/acme_lib-1.2.0.tar.gz",
                "packagetype": "sdist",
                "upload_time_iso_8601": "2026-11-01T10:00:00.000000Z",
            }
        ]
    },
    "urls": [],
}


@pytest.mark.parametrize(
    ("purl", "parsed", "target"),
    [
        ("pkg:pypi/acme_lib@1.2.0", ("pypi", "", "acme_lib", "1.2.0"), "pypi:project:acme-lib"),
        ("pkg:npm/%40acme/widgets@%5E2.0.0", ("npm", "@acme", "widgets", "^2.0.0"), "npm:package:@acme/widgets"),
        ("pkg:npm/left-pad", ("npm", "", "left-pad", None), "npm:package:left-pad"),
        ("pkg:docker/acme/api@1.0", ("docker", "acme", "api", "1.0"), "dockerhub:repository:acme/api"),
        ("pkg:docker/nginx@1.27", ("docker", "", "nginx", "1.27"), "dockerhub:repository:library/nginx"),
        ("pkg:githubactions/actions/checkout@4", ("githubactions", "actions", "checkout", "4"), None),
        ("not-a-purl", None, None),
    ],
)
def test_purls(purl: str, parsed: tuple[str, str, str, str | None] | None, target: str | None) -> None:
    assert parse_purl(purl) == parsed
    assert purl_target(purl) == target


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def _bundle(root: Path, with_sbom: bool = True) -> Path:
    b = root / "bundle"
    secrets = {"total_count": 1, "secrets": [{"name": "PYPI_TOKEN", "created_at": "2024-01-01T00:00:00Z",
                                             "updated_at": "2024-01-01T00:00:00Z"}]}  # fmt: skip
    _write(b / "github/repos/acme/lib/actions/secrets.json", secrets)
    _write(b / "github/repos/acme/lib/contents/.github/workflows/release.yml", RELEASE)
    # The run history: the token's last use is the release workflow's last run (RB09 judges it).
    runs = {"total_count": 1, "workflow_runs": [{"id": 1, "path": ".github/workflows/release.yml", "event": "push",
            "created_at": "2026-11-19T10:00:00Z", "updated_at": "2026-11-19T10:05:00Z"}]}  # fmt: skip
    _write(b / "github/repos/acme/lib/actions/runs.json", runs)
    _write(b / "github/repos/acme/internal-svc/tags.json", [])
    # The lists every collected repository has (their absence would be a coverage gap: issue 15).
    for repo in ("acme/lib", "acme/internal-svc"):
        _write(
            b / f"github/repos/{repo}/actions/permissions/workflow.json",
            {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False},
        )
        _write(b / f"github/repos/{repo}/environments.json", {"total_count": 0, "environments": []})
    _write(b / "github/repos/acme/internal-svc/actions/secrets.json", {"total_count": 0, "secrets": []})
    _write(b / "github/repos/acme/internal-svc/actions/runs.json", {"total_count": 0, "workflow_runs": []})
    if with_sbom:
        shutil.copy(SBOM, _mk(b / "github/repos/acme/internal-svc/dependency-graph/sbom.json"))
    _write(b / "pypi/pypi/acme-lib/json.json", PYPI_JSON)
    simple = {"meta": {"api-version": "1.1"}, "name": "acme-lib", "files": [
        {"filename": "acme_lib-1.2.0.tar.gz", "url": "https://files.example/acme_lib-1.2.0.tar.gz",
         "hashes": {"sha256": "0" * 64}, "provenance": None}]}  # fmt: skip
    _write(b / "pypi/simple/acme-lib/index.json", simple)
    _write(b / "manifest.json", {"version": 1, "tool": "regwarden", "collected_at": "2026-11-20T06:00:00Z"})
    return b


def _mk(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_sbom_gives_consumes_hints_with_the_version_asked_for(tmp_path: Path) -> None:
    inv = GITHUB.inventory(BundleReader(_bundle(tmp_path)))
    hints = {(h.src, h.dst, h.conditions) for h in inv.hints if h.kind is EdgeKind.CONSUMES}
    repo = NodeId("github:repo:acme/internal-svc")
    assert hints == {
        (repo, "pypi:project:acme-lib", (("version", "1.2.0"),)),
        (repo, "npm:package:@acme/widgets", (("version", "^2.0.0"),)),
        (repo, "pypi:project:requests", (("version", "2.32.3"),)),
    }


@pytest.mark.parametrize("with_sbom", [True, False])
def test_token_path_ends_at_the_internal_repository(tmp_path: Path, with_sbom: bool) -> None:
    out = tmp_path / "out"
    code = main(["analyse", str(_bundle(tmp_path, with_sbom)), "-o", str(out), "-f", "json", "--fail-on", "none"])
    assert code == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    found = {(f["rule"], f["subject"]["id"]): f["path"] for f in report["findings"]}
    token = ("RB01", "pypi:token:github/acme/lib/PYPI_TOKEN")
    action = ("RB11", "github:action:actions/checkout@v4")
    for key in (token, action):
        assert key in found, sorted(found)
        last = found[key][-1]
        if with_sbom:  # the fixed twin (no SBOM) stops at the package
            assert (last["src"], last["kind"], last["dst"]) == (
                "pypi:project:acme-lib",
                "consumes",
                "github:repo:acme/internal-svc",
            )
        else:
            assert last["dst"] == "pypi:project:acme-lib"
