"""What `make demo` shows: findings from every connector, chains that cross from CI into each cloud, the
Terraform grant that drifted, and drift and trend since the previous collection (README, "Two commands")."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.plugins import connectors

LIVE = sorted(set(connectors()) - {"terraform"})


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(folder), "--format", "json,html"]) == 0
    return folder


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _providers(finding: dict[str, Any]) -> list[str]:
    """The providers along a finding's evidence path, in order (node ids start with the provider)."""
    seen: list[str] = []
    for step in finding["path"]:
        for node in (step["src"], step["dst"]):
            p = node.split(":", 1)[0]
            if p not in seen:
                seen.append(p)
    return seen


def test_findings_come_from_every_live_connector(out: Path) -> None:
    """A finding comes from a connector when its evidence file is in that connector's bundle folder."""
    report = _json(out / "report.json")
    folders = {f["location"]["file"].split("/", 1)[0] for f in report["findings"] if f["location"]}
    assert folders >= set(LIVE)


def test_terraform_declares_and_one_declared_grant_drifted(out: Path) -> None:
    iac = _json(out / "drift.json")["iac"]
    assert iac["states"] == ["terraform/s3/acme-corp-tfstate/ci-identities/terraform.tfstate"]
    changed = [i for i in iac["items"] if i["kind"] == "changed"]
    assert [(i["node"], i["address"]) for i in changed] == [
        (
            "aws:role:arn:aws:iam::210987654321:role/gha-billing-worker-push",
            "module.team_payments.module.billing_worker_ci.aws_iam_role.this",
        )
    ]
    assert changed[0]["details"] == [
        "widened: aws:ecr-repository:arn:aws:ecr:eu-west-1:210987654321:repository/payments-api [READ,PUBLISH]"
    ]
    unmanaged = {i["node"] for i in iac["items"] if i["kind"] == "unmanaged"}
    assert "aws:user:arn:aws:iam::210987654321:user/jenkins-legacy" in unmanaged  # a shadow identity
    assert not [i for i in iac["items"] if i["kind"] == "missing"]


@pytest.mark.parametrize(
    ("ci", "cloud", "subject"),
    [
        ("github", "aws", "github:job:acme-corp/billing-worker/.github/workflows/release.yml#push-image"),
        ("gitlab", "gcp", "gitlab:job:acme-corp/ml/model-server/.gitlab-ci.yml#push-image"),
        ("github", "azure", "github:job:acme-corp/web-portal/.github/workflows/image.yml#push-image"),
    ],
)
def test_a_chain_crosses_from_ci_into_each_cloud(out: Path, ci: str, cloud: str, subject: str) -> None:
    report = _json(out / "report.json")
    chains = [f for f in report["findings"] if f["subject"]["id"] == subject and _providers(f)[:2] == [ci, cloud]]
    assert chains, f"no finding on {subject} whose path runs {ci} -> {cloud}"
    first = chains[0]["path"][0]
    # OIDC federation, no stored cloud key on the way: the cloud's trust links the job to the role, or
    # the job's own step assumes the role by OIDC.
    assert first["kind"] == "can_assume" or "(OIDC)" in first["via"]
    assert "PUBLISH" in chains[0]["path"][-1]["actions"]


@pytest.mark.parametrize(
    ("job", "deployment"),
    [
        (
            "github:job:acme-corp/billing-worker/.github/workflows/release.yml#push-image",
            "aws:codepipeline:arn:aws:codepipeline:eu-west-1:210987654321:billing-worker-prod",
        ),
        (
            "gitlab:job:acme-corp/ml/model-server/.gitlab-ci.yml#push-image",
            "gcp:build-trigger:projects/acme-ml-prod/triggers/5c1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d4e5",
        ),
    ],
)
def test_the_ci_job_reaches_the_production_deployment(out: Path, job: str, deployment: str) -> None:
    """CI OIDC -> cloud role -> image registry -> deployment: the deploy is in the job's blast radius."""
    report = _json(out / "report.json")
    sets = {r["id"]: r for r in report["reach_sets"]}
    (identity,) = [i for i in report["identities"] if i["id"] == job]
    reached = {r["resource"]: r["actions"] for r in sets[identity["reach_set"]]["blast_radius"]}
    assert reached[deployment] == ["DEPLOY"]


def test_an_approval_stage_keeps_the_deployment_out_of_reach(out: Path) -> None:
    """The well-configured twin: payments-api's pipeline waits for a manual approval."""
    report = _json(out / "report.json")
    sets = {r["id"]: r for r in report["reach_sets"]}
    (identity,) = [
        i
        for i in report["identities"]
        if i["id"] == "github:job:acme-corp/payments-api/.github/workflows/release.yml#push-image"
    ]
    reached = {r["resource"] for r in sets[identity["reach_set"]]["blast_radius"]}
    assert not [r for r in reached if r.startswith("aws:codepipeline:")]


def test_at_least_three_cross_provider_chains(out: Path) -> None:
    report = _json(out / "report.json")
    crossing = [f for f in report["findings"] if len(_providers(f)) >= 2]
    assert len(crossing) >= 3
    assert {"aws", "gcp", "azure"} <= {p for f in crossing for p in _providers(f)}


def test_each_cloud_chain_reaches_a_deployment_where_one_follows(out: Path) -> None:
    """The image registries of AWS and GCP start production deploys with no approval (RB05)."""
    report = _json(out / "report.json")
    starts = {
        f["subject"]["id"]: f for f in report["findings"] if f["rule"] == "RB05" and f["subject"]["kind"] == "resource"
    }
    assert set(starts) == {
        "aws:ecr-repository:arn:aws:ecr:eu-west-1:210987654321:repository/billing-worker",
        "gcp:ar-repository:projects/acme-ml-prod/locations/europe-west4/repositories/models",
    }


def test_drift_since_the_previous_collection(out: Path) -> None:
    history = _json(out / "drift.json")["history"]
    assert (history["old_scan"], history["new_scan"]) == (1, 2)
    assert history["old_time"].startswith("2026-11-13T06:00:00")
    opened = {f["subject"] for f in history["findings_opened"]}
    closed = {f["subject"] for f in history["findings_closed"]}
    assert opened == {
        "dockerhub:token:" + next(iter(o.split(":", 2)[2] for o in opened if o.startswith("dockerhub:"))),
        "gcp:sa-key:" + next(iter(o.split(":", 2)[2] for o in opened if o.startswith("gcp:"))),
    }
    assert {c.split(":", 1)[0] for c in closed} == {"azure", "npm"}
    assert {w["node"].split(":", 1)[0] for w in history["new_writers"]} == {"dockerhub", "gcp"}
    widened = {w["node"] for w in history["widened"]}
    assert "aws:role:arn:aws:iam::210987654321:role/gha-billing-worker-push" in widened


def test_the_html_report_shows_the_trend(out: Path) -> None:
    page = (out / "report.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert m is not None
    data = json.loads(html.unescape(m.group(1)))
    previous = data["history"]["previous"]
    assert previous["generated_at"].startswith("2026-11-13T06:00:00")
    now = json.loads((out / "report.json").read_text())["summary"]["findings_by_severity"]
    assert previous["findings_by_severity"]["high"] == now["high"] - 1  # two opened, one closed
    assert previous["findings_by_severity"]["medium"] == now["medium"] + 1  # one closed
    assert "No previous scan recorded" not in page
