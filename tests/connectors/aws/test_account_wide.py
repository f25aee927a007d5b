"""Reach without enumeration: a wildcard grant reaches the account's registries even when none was collected.

The bundle is the Cloudsplaining test export (user ``obama`` has ``AdministratorAccess``; no ECR or CodeArtifact
file at all), that user's access key, and a GitHub workflow whose job hands the key's secret to an unpinned
action — the key pinned to the secret with ``[[links]]``. RB01 (a standing key with write rights) and RB11 (an
unpinned action beside it) must both fire with a path that ends at the account's ECR or CodeArtifact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.aws.load import load
from connectors.aws.transform import transform
from scanner.bundle import BundleReader
from scanner.cli import main
from scanner.model import Action, NodeId

FIXTURES = Path(__file__).parents[2] / "fixtures" / "aws"
ACCOUNT = "012345678901"
KEY = "AKIAFAKEFAKEFAKE0001"
ACCOUNT_WIDE = {f"aws:ecr-registry:{ACCOUNT}", f"aws:codeartifact-account:{ACCOUNT}"}
WORKFLOW = """\
name: deploy
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}
          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
          aws-region: eu-west-1
      - run: ./deploy.sh
"""


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def _bundle(root: Path, policy: str = "AdministratorAccess") -> Path:
    b = root / "bundle"
    auth = json.loads((FIXTURES / "authz-details-cloudsplaining-test.json").read_text())
    if policy != "AdministratorAccess":  # the fixed twin: the same user with a read-only registry policy
        for u in auth["UserDetailList"]:
            if u["UserName"] == "obama":
                u["GroupList"] = []
                u["AttachedManagedPolicies"] = []
                u["UserPolicyList"] = [
                    {
                        "PolicyName": "pull-only",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"}],
                        },
                    }
                ]
    _write(b / "aws" / ACCOUNT / "iam-get-account-authorization-details.json", auth)
    _write(
        b / "aws" / ACCOUNT / "iam-list-access-keys" / "obama.json",
        {
            "AccessKeyMetadata": [
                {"UserName": "obama", "AccessKeyId": KEY, "Status": "Active", "CreateDate": "2025-01-10T00:00:00Z"}
            ]
        },
    )
    secrets = [
        {"name": n, "created_at": "2025-01-10T00:00:00Z", "updated_at": "2025-01-10T00:00:00Z"}
        for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    ]
    _write(b / "github/repos/acme/app/actions/secrets.json", {"total_count": 2, "secrets": secrets})
    _write(b / "github/repos/acme/app/contents/.github/workflows/deploy.yml", WORKFLOW)
    # the other lists a collected repository has (each would be a coverage gap: issue 15)
    perms = {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False}
    _write(b / "github/repos/acme/app/actions/permissions/workflow.json", perms)
    _write(b / "github/repos/acme/app/environments.json", {"total_count": 0, "environments": []})
    _write(b / "manifest.json", {"version": 1, "tool": "regwarden", "collected_at": "2026-11-20T06:00:00Z"})
    return b


def test_admin_reaches_the_account_registries_without_any_collected(tmp_path: Path) -> None:
    inv = transform(load(BundleReader(_bundle(tmp_path))))
    obama = NodeId(f"aws:user:arn:aws:iam::{ACCOUNT}:user/obama")
    granted = {e.dst: e.actions for e in inv.edges() if e.src == obama and e.dst in ACCOUNT_WIDE}
    assert set(granted) == ACCOUNT_WIDE
    assert all(Action.ADMIN in a for a in granted.values())


@pytest.mark.parametrize(("policy", "expect"), [("AdministratorAccess", True), ("pull-only", False)])
def test_rb01_and_rb11_end_at_the_account_registry(tmp_path: Path, policy: str, expect: bool) -> None:
    bundle = _bundle(tmp_path, policy)
    toml = tmp_path / "regwarden.toml"
    toml.write_text(
        f'[[links]]\nsecret = "acme/app:AWS_SECRET_ACCESS_KEY"\ncredential = "aws:access-key:{KEY}"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = main(["analyse", str(bundle), "-o", str(out), "-f", "json", "--fail-on", "none", "-c", str(toml)])
    # Partial (exit 3, not 0, since issue 15): the bundle holds only the files this test needs, and each one
    # a collection has that it lacks (the credential report, the other users' key lists, the key's last use,
    # the repository's workflow runs) is a coverage gap naming it.
    assert code == 3
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {g["what"].rsplit("/", 1)[-1] for g in report["coverage_gaps"]} == {
        "iam-get-credential-report.csv",
        f"{KEY}.json",
        "userwithlotsofpermissions.json",
        "biden.json",
        "the repository's workflow runs",
    }
    found = {(f["rule"], f["subject"]["id"]): f for f in report["findings"]}
    key = ("RB01", f"aws:access-key:{KEY}")
    action = ("RB11", "github:action:aws-actions/configure-aws-credentials@v4")
    if not expect:
        assert key not in found
        assert action not in found
        return
    for k in (key, action):
        assert k in found, sorted(found)
        path = found[k]["path"]
        assert path[-1]["dst"] in ACCOUNT_WIDE, path
    assert next(s["kind"] for s in found[key]["path"]) == "authenticates_as"
