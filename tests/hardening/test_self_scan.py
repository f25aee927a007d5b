"""regwarden follows its own advice: its GitHub workflows, read as a GitHub bundle (one repository, the
workflow files as committed, the protected ``pypi`` environment), give no finding — and they pin every
action by full commit SHA, default to no token permissions and publish through Trusted Publishing. The
bundle also holds the repository's composite action (``action.yml``, expanded into the job that uses
it) and the scheduled workflow docs/scheduling.md gives as the example of using it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from scanner.bundle import BundleReader
from scanner.cli import main
from tests.hardening import figures
from tests.hardening.bundles import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
EXAMPLE = ROOT / "docs" / "examples" / "regwarden-scheduled.yml"
ORG = "regwarden-project"
REPO = {
    "id": 1,
    "node_id": "R_regwarden",
    "name": "regwarden",
    "full_name": f"{ORG}/regwarden",
    "private": False,
    "owner": {"login": ORG, "id": 2, "type": "Organization"},
    "html_url": f"https://github.com/{ORG}/regwarden",
    "fork": False,
    "archived": False,
    "default_branch": "main",
    "visibility": "public",
}
PYPI_ENV: dict[str, Any] = {
    "total_count": 1,
    "environments": [
        {
            "id": 3,
            "node_id": "EN_pypi",
            "name": "pypi",
            "url": f"https://api.github.com/repos/{ORG}/regwarden/environments/pypi",
            "html_url": f"https://github.com/{ORG}/regwarden/deployments/activity_log?environments_filter=pypi",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "can_admins_bypass": False,
            "protection_rules": [
                {
                    "id": 1,
                    "node_id": "GA_1",
                    "prevent_self_review": True,
                    "type": "required_reviewers",
                    "reviewers": [
                        {"type": "Team", "reviewer": {"name": "Maintainers", "slug": "maintainers", "id": 4}}
                    ],
                },
                {"id": 2, "node_id": "GA_2", "type": "branch_policy"},
            ],
            "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
        }
    ],
}


#: The example's protected environment, beside ``pypi``: main only, reviewed by the maintainers.
AUDIT_ENV = {
    **PYPI_ENV["environments"][0],
    "id": 5,
    "node_id": "EN_audit",
    "name": "regwarden-audit",
    "url": f"https://api.github.com/repos/{ORG}/regwarden/environments/regwarden-audit",
    "html_url": f"https://github.com/{ORG}/regwarden/deployments/activity_log?environments_filter=regwarden-audit",
    "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
}
ENVIRONMENTS = {"total_count": 2, "environments": [PYPI_ENV["environments"][0], AUDIT_ENV]}


def _bundle(dst: Path) -> Path:
    gh = dst / "github"
    (gh / "orgs" / ORG).mkdir(parents=True)
    (gh / "orgs" / ORG / "repos.json").write_text(json.dumps([REPO]), encoding="utf-8")
    repo = gh / "repos" / ORG / "regwarden"
    shutil.copytree(WORKFLOWS, repo / "contents" / ".github" / "workflows")
    shutil.copy2(ROOT / "action.yml", repo / "contents" / "action.yml")
    # The example as it would sit in this repository: the action used from its own checkout.
    example = EXAMPLE.read_text(encoding="utf-8").replace("regwarden-project/regwarden@COMMIT_SHA", "./")
    (repo / "contents" / ".github" / "workflows" / "regwarden.yml").write_text(example, encoding="utf-8")
    (repo / "environments.json").write_text(json.dumps(ENVIRONMENTS), encoding="utf-8")
    (repo / "actions" / "permissions").mkdir(parents=True)
    (repo / "actions" / "permissions" / "workflow.json").write_text(
        json.dumps({"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False}),
        encoding="utf-8",
    )
    return dst


def test_own_workflows_follow_the_advice() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {p.name for p in files} == {"ci.yml", "release.yml"}
    reader = BundleReader(ROOT)
    pins = 0
    for p in files:
        doc = reader.yaml(p.relative_to(ROOT).as_posix())
        assert doc["permissions"] == {}, p.name
        assert "secrets." not in p.read_text(encoding="utf-8"), p.name
        for job in doc["jobs"].values():
            assert "write" not in json.dumps(job.get("permissions", {})).replace('"id-token": "write"', "")
            for step in job["steps"]:
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
                    pins += 1
    release = reader.yaml(".github/workflows/release.yml")
    publish = release["jobs"]["publish"]
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["steps"][-1]["with"]["attestations"] is True
    figures.record("self-scan-pins", {"actions pinned by SHA": pins})


def test_regwarden_finds_nothing_in_its_own_repository(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "bundle")
    out = tmp_path / "out"
    code = main(["analyse", str(bundle), "--out", str(out), "--format", "json", "--fail-on", "info"])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [(f["rule"], f["subject"]["id"]) for f in report["findings"]] == []
    # No finding, but not a clean pass: the bundle holds no PyPI files, so whether the releases carry
    # provenance (RB02) is not assessed, and the scan says so with exit 3.
    unjudged = [(c["id"], u["name"]) for c in report["controls"] for u in c["not_assessed"]]
    assert unjudged == [("RB02", f"PyPI packages published from {ORG}/regwarden")]
    assert code == 3
    assert len(report["identities"]) + len(report["resources"]) > 0  # the workflows were read
    figures.record("self-scan", {"findings": 0, "nodes": len(report["identities"]) + len(report["resources"])})


def test_the_action_and_its_example_are_read_and_clean(tmp_path: Path) -> None:
    """The composite action is expanded into the example's job: its steps (pinned actions, the scan)
    are part of what regwarden judged, and none of them gives a finding."""
    from connectors.github.load import load
    from connectors.github.transform import transform

    inv = transform(load(BundleReader(_bundle(tmp_path / "bundle"))))
    job = next(n for n in inv.nodes() if n.id.endswith("/.github/workflows/regwarden.yml#scan"))
    third = {e.dst for e in inv.edges() if e.src == job.id and e.kind.value == "runs_code_of"}
    assert any("actions/upload-artifact@b7c566a772e6b6bfb58ed0dc250532a479d7789f" in t for t in third), third
    assert any("github/codeql-action/upload-sarif@" in t for t in third), third
