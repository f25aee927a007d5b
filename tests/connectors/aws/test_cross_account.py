"""Cross-account grants need both sides: the target's resource policy (or the role's trust) AND the principal's
own identity policies. A foreign principal named by a policy but allowed nothing by its own account gets
nothing; a foreign account that was not collected keeps the resource policy's word (an upper bound)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.aws.load import load
from connectors.aws.transform import transform
from scanner.bundle import BundleReader
from scanner.model import Action, EdgeKind, Inventory

A, B, C = "111111111111", "222222222222", "333333333333"
REPO = f"arn:aws:ecr:us-east-1:{B}:repository/app"


def _user(account: str, name: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    policies = [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]
    return {"UserName": name, "UserId": name.upper(), "Arn": f"arn:aws:iam::{account}:user/{name}", "Path": "/",
            "CreateDate": "2024-01-01T00:00:00Z", "GroupList": [], "AttachedManagedPolicies": [],
            "UserPolicyList": policies if statements else []}  # fmt: skip


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _authz(users: list[dict[str, Any]], roles: list[dict[str, Any]]) -> dict[str, Any]:
    return {"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}


@pytest.fixture(scope="module")
def inv(tmp_path_factory: pytest.TempPathFactory) -> Inventory:
    root = tmp_path_factory.mktemp("xacct")
    alice = _user(A, "alice", [{"Effect": "Allow", "Action": ["ecr:*", "sts:AssumeRole"], "Resource": "*"}])
    bob = _user(A, "bob", [])  # his account lets him do nothing
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": [f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:user/bob"]}}]}  # fmt: skip
    role = {"RoleName": "deployer", "RoleId": "R1", "Arn": f"arn:aws:iam::{B}:role/deployer", "Path": "/",
            "CreateDate": "2024-01-01T00:00:00Z", "AssumeRolePolicyDocument": trust, "RolePolicyList": [],
            "AttachedManagedPolicies": [], "InstanceProfileList": []}  # fmt: skip
    _write(root / "aws" / A / "iam-get-account-authorization-details.json", _authz([alice, bob], []))
    _write(root / "aws" / B / "iam-get-account-authorization-details.json", _authz([], [role]))
    region = root / "aws" / B / "us-east-1"
    _write(region / "ecr-describe-repositories.json", {"repositories": [
        {"repositoryArn": REPO, "registryId": B, "repositoryName": "app", "repositoryUri": "x",
         "createdAt": "2024-01-01T00:00:00Z", "imageTagMutability": "MUTABLE"}]})  # fmt: skip
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "named", "Effect": "Allow", "Action": ["ecr:PutImage", "ecr:BatchGetImage"],
         "Principal": {"AWS": [f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:user/bob",
                               f"arn:aws:iam::{C}:user/carol"]}}]}  # fmt: skip
    _write(region / "ecr-get-repository-policy" / "app.json", {"registryId": B, "repositoryName": "app",
                                                               "policyText": json.dumps(policy)})  # fmt: skip
    return transform(load(BundleReader(root)))


def _grants(inv: Inventory) -> dict[str, frozenset[Action]]:
    return {
        e.src.rsplit("/", 1)[-1]: e.actions for e in inv.expanded_edges() if e.kind is EdgeKind.GRANTS and REPO in e.dst
    }


def test_resource_policy_and_identity_policy_both_needed(inv: Inventory) -> None:
    grants = _grants(inv)
    assert grants["alice"] == frozenset({Action.READ, Action.PUBLISH})  # both sides allow it
    assert "bob" not in grants  # named by the repository policy, allowed nothing by his own account
    assert grants["carol"] == frozenset({Action.READ, Action.PUBLISH})  # account C not collected: upper bound


def test_cross_account_trust_needs_the_principal_to_be_allowed_to_assume(inv: Inventory) -> None:
    assumes = {
        e.src.rsplit("/", 1)[-1] for e in inv.expanded_edges() if e.kind is EdgeKind.CAN_ASSUME and "deployer" in e.dst
    }
    assert assumes == {"alice"}


def test_identity_policy_alone_reaches_nothing_in_another_account(inv: Inventory) -> None:
    alice = f"aws:user:arn:aws:iam::{A}:user/alice"
    foreign = {e.dst for e in inv.expanded_edges() if e.src == alice and e.kind is EdgeKind.GRANTS and f":{B}" in e.dst}
    assert foreign == {f"aws:ecr-repository:{REPO}"}  # only where B's repository policy lets her in
