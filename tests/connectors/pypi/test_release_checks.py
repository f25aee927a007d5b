"""PyPI releases judged from what the bundle says: a 404 of the Integrity API (``not_found`` in the manifest)
or a PEP 691 ``provenance: null`` is "no provenance", not "unknown"; a release that matches no git tag of its
source repository, or was uploaded while no workflow of it ran, is reported (RB02) — twins beside each case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.github import SPEC as GITHUB
from connectors.pypi import SPEC as PYPI
from scanner.analyse import analyse, load_bundle
from scanner.bundle import BundleReader
from scanner.model import NodeId
from scanner.rules.rb02 import tag_matches

PROJECT = NodeId("pypi:project:acme-lib")
UPLOADS = {"1.0.0": "2026-10-05T10:00:00Z", "1.1.0": "2026-11-01T10:00:00Z", "1.2.0": "2026-11-10T03:00:00Z"}


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def _file(version: str) -> dict[str, Any]:
    return {
        "filename": f"acme_lib-{version}.tar.gz",
        "url": f"https://files.example/acme_lib-{version}.tar.gz",
        "packagetype": "sdist",
        "upload_time_iso_8601": UPLOADS[version],
    }


def _bundle(root: Path, *, tags: list[str], runs: list[tuple[str, str]], calls: list[dict[str, str]]) -> Path:
    b = root / "bundle"
    project = {
        "info": {"name": "acme-lib", "version": "1.2.0", "project_urls": {"Source": "https://github.com/acme/lib"}},
        "releases": {v: [_file(v)] for v in UPLOADS},
        "urls": [_file("1.2.0")],
    }
    _write(b / "pypi/pypi/acme-lib/json.json", project)
    _write(b / "github/repos/acme/lib/tags.json", [{"name": t, "commit": {"sha": "0" * 40, "url": ""}} for t in tags])
    workflow_runs = [
        {
            "id": i,
            "path": ".github/workflows/release.yml",
            "event": "push",
            "created_at": a,
            "run_started_at": a,
            "updated_at": z,
        }
        for i, (a, z) in enumerate(runs)
    ]
    _write(b / "github/repos/acme/lib/actions/runs.json", {"total_count": len(runs), "workflow_runs": workflow_runs})
    manifest = {"version": 1, "tool": "regwarden", "collected_at": "2026-11-20T06:00:00Z", "calls": calls}
    _write(b / "manifest.json", manifest)
    return b


RUNS_CALL = {
    "provider": "github",
    "scope": "acme",
    "call": "GET /repos/acme/lib/actions/runs?created=>=2026-10-20",
    "status": "ok",
    "detail": "",
}
NO_PROVENANCE = [
    {
        "provider": "pypi",
        "scope": "project:acme-lib",
        "status": "not_found",
        "detail": "",
        "call": f"GET /integrity/acme-lib/{v}/acme_lib-{v}.tar.gz/provenance",
    }
    for v in ("1.1.0", "1.2.0")
]


def test_integrity_404_is_no_provenance_and_absence_of_it_is_unknown(tmp_path: Path) -> None:
    judged = PYPI.inventory(BundleReader(_bundle(tmp_path / "a", tags=[], runs=[], calls=NO_PROVENANCE)))
    assert judged.node(PROJECT).attrs["latest_attested"] is False
    unknown = PYPI.inventory(BundleReader(_bundle(tmp_path / "b", tags=[], runs=[], calls=[])))
    assert unknown.node(PROJECT).attrs["latest_attested"] is None


def test_pep691_null_provenance_is_no_provenance(tmp_path: Path) -> None:
    b = _bundle(tmp_path, tags=[], runs=[], calls=[])
    files = [
        {
            "filename": f"acme_lib-{v}.tar.gz",
            "url": "https://files.example/x",
            "hashes": {"sha256": "0" * 64},
            "provenance": None,
            "upload-time": UPLOADS[v],
        }
        for v in UPLOADS
    ]
    _write(b / "pypi/simple/acme-lib/index.json", {"meta": {"api-version": "1.1"}, "name": "acme-lib", "files": files})
    assert PYPI.inventory(BundleReader(b)).node(PROJECT).attrs["latest_attested"] is False


def _findings(bundle: Path) -> dict[str, str]:
    loaded = load_bundle(bundle, {"pypi": PYPI, "github": GITHUB})
    result = analyse(loaded.inventory, source="t", as_of=loaded.collected_at)
    return {f.id: f.message for f in result.findings if f.rule == "RB02" and f.subject == PROJECT}


def test_release_without_a_tag(tmp_path: Path) -> None:
    runs = [("2026-10-05T09:55:00Z", "2026-10-05T10:10:00Z")]
    fail = _findings(_bundle(tmp_path / "f", tags=["v1.0.0", "v1.1.0"], runs=runs, calls=[]))
    [untagged] = [m for m in fail.values() if "match no tag" in m]
    assert "1.2.0" in untagged
    assert "1.1.0" not in untagged
    fixed = _findings(_bundle(tmp_path / "p", tags=["v1.0.0", "v1.1.0", "acme-lib-1.2.0"], runs=runs, calls=[]))
    assert not [m for m in fixed.values() if "match no tag" in m]


def test_release_uploaded_while_no_workflow_ran(tmp_path: Path) -> None:
    tags = ["1.0.0", "1.1.0", "1.2.0"]
    one_run = [("2026-11-01T09:55:00Z", "2026-11-01T10:07:00Z")]
    fail = _findings(_bundle(tmp_path / "f", tags=tags, runs=one_run, calls=[RUNS_CALL]))
    [lone] = [m for m in fail.values() if "no workflow" in m]
    assert "1.2.0" in lone
    assert "1.0.0" not in lone  # before the collected window: not judged
    assert "1.1.0" not in lone  # uploaded during the run
    both = [*one_run, ("2026-11-10T02:58:00Z", "2026-11-10T03:04:00Z")]
    fixed = _findings(_bundle(tmp_path / "p", tags=tags, runs=both, calls=[RUNS_CALL]))
    assert not [m for m in fixed.values() if "no workflow" in m]


@pytest.mark.parametrize(
    ("tag", "version", "ok"),
    [
        ("v1.2.0", "1.2.0", True),
        ("1.2.0", "1.2.0", True),
        ("acme-lib-v1.2.0", "1.2.0", True),
        ("@acme/widgets@2.0.0", "2.0.0", True),
        ("release/1.2.0", "1.2.0", True),
        ("v1.2.01", "1.2.0", False),
        ("v11.2.0", "1.2.0", False),
        ("1.2.0rc1", "1.2.0", False),
    ],
)
def test_tag_forms(tag: str, version: str, ok: bool) -> None:
    assert tag_matches(tag, version) is ok


def test_findings_name_the_facts_that_make_them_true(tmp_path: Path) -> None:
    """An auditor can check each finding: the release's version and upload time from the PyPI files, that no
    tag names it from tags.json, and that no run was going on from runs.json."""
    tags = ["v1.0.0", "v1.1.0"]
    one_run = [("2026-11-01T09:55:00Z", "2026-11-01T10:07:00Z")]
    loaded = load_bundle(
        _bundle(tmp_path / "f", tags=tags, runs=one_run, calls=[RUNS_CALL]), {"pypi": PYPI, "github": GITHUB}
    )
    result = analyse(loaded.inventory, source="t", as_of=loaded.collected_at)
    facts = {
        f.message: [(x.text, [e.file for e in x.evidence]) for x in f.facts]
        for f in result.findings
        if f.rule == "RB02" and f.subject == PROJECT
    }
    untagged = next(v for k, v in facts.items() if "match no tag" in k)
    assert any(t.startswith("release 1.2.0 uploaded 2026-11-10") and any(f.startswith("pypi/") for f in fs)
               for t, fs in untagged)  # fmt: skip
    assert ("no tag of acme/lib names 1.2.0 (2 tags collected)", ["github/repos/acme/lib/tags.json"]) in untagged
    lone = next(v for k, v in facts.items() if "were uploaded while" in k)
    assert any(t.startswith("none of the 1 workflow runs of acme/lib") and fs == ["github/repos/acme/lib/actions/runs.json"]
               for t, fs in lone)  # fmt: skip
