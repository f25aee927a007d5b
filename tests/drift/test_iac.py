"""IaC drift: a seeded live estate against a state file that declares most of it."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from connectors.terraform import SPEC
from scanner.bundle import BundleReader
from scanner.cli import main
from scanner.drift.iac import DriftKind, compare
from scanner.model import Inventory
from tests.drift import estate

FIXTURES = Path(__file__).parent.parent / "fixtures" / "terraform"


def declared(tmp_path: Path, *files: str) -> Inventory:
    for f in files:
        target = tmp_path / "bundle" / "terraform" / "local" / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / f, target)
    return SPEC.inventory(BundleReader(tmp_path / "bundle"))


@pytest.fixture
def decl(tmp_path: Path) -> Inventory:
    return declared(tmp_path, "estate.tfstate")


def test_reports_exactly_the_seeded_unmanaged_missing_and_changed(decl: Inventory) -> None:
    drift = compare(estate.live_inventory(), decl)
    assert {i.node for i in drift.of(DriftKind.UNMANAGED)} == estate.EXPECTED_UNMANAGED
    assert {i.node for i in drift.of(DriftKind.MISSING)} == estate.EXPECTED_MISSING
    assert {i.node for i in drift.of(DriftKind.CHANGED)} == estate.EXPECTED_CHANGED


def test_items_name_the_state_file_and_address(decl: Inventory) -> None:
    drift = compare(estate.live_inventory(), decl)
    by = {i.node: i for i in drift.items}
    missing = by[estate.USER["legacy-deployer"]]
    assert (missing.state, missing.address) == ("terraform/local/estate.tfstate", "aws_iam_user.missing")
    role = by[estate.ROLE]
    assert role.address == "module.release.aws_iam_role.deploy"
    assert role.details == (f"widened: {estate.ECR_ID} [PUBLISH]",)
    fic = by[estate.FIC]
    assert fic.details == (
        "subject: declared 'repo:acme-corp/app:environment:prod', live 'repo:acme-corp/app:ref:refs/heads/main'",
    )
    env = by[estate.GH["environment"]]
    assert env.details == ("protected: declared True, live False",)
    assert by[estate.SHADOW_KEY].state == ""
    assert by[estate.SHADOW_KEY].address == ""


def test_count_and_for_each_instances_are_addressed(decl: Inventory) -> None:
    addrs = {n.attr("tf_address") for n in decl.nodes()}
    assert {"aws_iam_user.ci[0]", "aws_iam_user.ci[1]"} <= addrs
    assert {'google_service_account.builder["builder"]', 'google_service_account.builder["deployer"]'} <= addrs


def test_managed_coverage_per_provider(decl: Inventory) -> None:
    cov = {c.provider: (c.managed, c.total, c.percent) for c in compare(estate.live_inventory(), decl).coverage}
    # aws: ci-0, ci-1, release, key of 6 (shadow-bot and its key are not declared)
    assert cov["aws"] == (4, 6, 66.7)
    assert cov["gcp"] == (4, 5, 80.0)  # builder, deployer, key, wif of + shadow
    assert cov["azure"] == (3, 3, 100.0)
    assert cov["github"] == (5, 6, 83.3)


def test_nothing_drifts_when_live_matches(decl: Inventory) -> None:
    live = estate.live_inventory(include_legacy=True)
    # remove the seeded differences
    fixed = Inventory()
    for n in live.nodes():
        if n.id in estate.EXPECTED_UNMANAGED:
            continue
        if n.id == estate.FIC:
            n = replace(n, attrs={**n.attrs, "subject": "repo:acme-corp/app:environment:prod"})
        if n.id == estate.GH["environment"]:
            n = replace(n, attrs={**n.attrs, "protected": True})
        fixed.add_node(n)
    for e in live.edges():
        if e.via != "hotfix-push (console)" and e.src in fixed and e.dst in fixed:
            fixed.add_edge(e)
    assert compare(fixed, decl).items == ()


def test_unscanned_provider_is_not_missing(decl: Inventory) -> None:
    live = Inventory()
    for n in estate.live_inventory().nodes():
        if n.provider == "github":
            live.add_node(n)
    drift = compare(live, decl)
    assert {i.provider for i in drift.items} == {"github"}


def test_analyse_cli_writes_drift_json_for_a_bundle_with_states(tmp_path: Path) -> None:
    """End to end with the real GitHub connector: the demo estate plus a state declaring some of it."""
    from scanner.demo_estate import BUNDLE

    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    state = {
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": 1,
        "lineage": "00000000-0000-4000-8000-000000000001",
        "outputs": {},
        "resources": [
            {
                "mode": "managed",
                "type": "github_actions_organization_secret",
                "name": "pypi",
                "provider": 'provider["registry.terraform.io/integrations/github"]',
                "instances": [
                    {
                        "schema_version": 0,
                        "attributes": {"secret_name": "PYPI_ORG_TOKEN", "visibility": "selected",
                                       "plaintext_value": "CANARY-DEMO-9999"},
                        "sensitive_attributes": [[{"type": "get_attr", "value": "plaintext_value"}]],
                    }
                ],
            },
            {
                "mode": "managed",
                "type": "github_actions_secret",
                "name": "gone",
                "provider": 'provider["registry.terraform.io/integrations/github"]',
                "instances": [{"schema_version": 0, "attributes": {"repository": "platform-api", "secret_name": "REMOVED_TOKEN"},
                               "sensitive_attributes": []}],
            },
        ],
    }  # fmt: skip
    (bundle / "terraform" / "local").mkdir(parents=True)
    (bundle / "terraform" / "local" / "github.tfstate").write_text(json.dumps(state))
    out = tmp_path / "out"
    code = main(["analyse", str(bundle), "--out", str(out), "--fail-on", "none", "--format", "json"])
    assert code == 0
    drift = json.loads((out / "drift.json").read_text())
    items = drift["iac"]["items"]
    missing = [i for i in items if i["kind"] == "missing"]
    assert [(i["node"], i["address"]) for i in missing] == [
        ("github:secret:*/platform-api/REMOVED_TOKEN", "github_actions_secret.gone")
    ]
    managed = {i["node"] for i in items if i["kind"] != "unmanaged"}
    assert "github:org-secret:acme-corp/PYPI_ORG_TOKEN" not in {i["node"] for i in items} - managed
    unmanaged = {i["node"] for i in items if i["kind"] == "unmanaged"}
    assert "github:org-secret:acme-corp/PYPI_ORG_TOKEN" not in unmanaged
    assert unmanaged  # the demo estate declares far more than this state
    assert "CANARY-DEMO-9999" not in (out / "drift.json").read_text()
    assert "CANARY-DEMO-9999" not in (out / "report.json").read_text()
