"""AWS owners: the tags and the IAM path of users and roles (get-account-authorization-details carries both).
A tag naming an owner wins over the path; a path of the configured form names one; AWS's own paths and
tags that name no owner do not. The Cloudsplaining example export (real paths: /, /service-role/,
/aws-service-role/…, /aws-reserved/…, /job-function/) gives no owner at all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from connectors.aws.load import load
from connectors.aws.transform import transform
from scanner.bundle import BundleReader
from scanner.model import NodeId
from scanner.owners import resolve

FIXTURES = Path(__file__).parents[2] / "fixtures" / "aws"
ACCOUNT = "012345678901"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}  # fmt: skip


def _role(name: str, path: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "Path": path,
        "RoleName": name,
        "RoleId": "AROAEXAMPLE" + name.upper().replace("-", "")[:9],
        "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}",
        "CreateDate": "2025-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": TRUST,
        "InstanceProfileList": [],
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        "RoleLastUsed": {},
    }


def _user(name: str, path: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "Path": path,
        "UserName": name,
        "UserId": "AIDAEXAMPLE" + name.upper().replace("-", "")[:9],
        "Arn": f"arn:aws:iam::{ACCOUNT}:user{path}{name}",
        "CreateDate": "2025-01-01T00:00:00Z",
        "UserPolicyList": [],
        "GroupList": [],
        "AttachedManagedPolicies": [],
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }


def _owners(tmp: Path, auth: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    d = tmp / "aws" / ACCOUNT
    d.mkdir(parents=True)
    (d / "iam-get-account-authorization-details.json").write_text(json.dumps(auth))
    index = resolve(transform(load(BundleReader(tmp))))
    return {nid.rsplit("/", 1)[-1]: {(o.name, o.source) for o in owners} for nid, owners in index.by_node.items()}


def test_tags_and_iam_paths_of_users_and_roles(tmp_path: Path) -> None:
    auth = {
        "UserDetailList": [
            _user("fail-jenkins", "/", {"owner": "ops"}),
            _user("pass-jenkins", "/", {"environment": "prod"}),
        ],
        "GroupDetailList": [],
        "RoleDetailList": [
            _role("fail-deploy", "/teams/payments/", {}),
            _role("pass-deploy", "/application/", {}),
            _role("tagged-deploy", "/teams/payments/", {"Team": "billing"}),
            _role("AWSServiceRoleForSupport", "/aws-service-role/support.amazonaws.com/", {}),
        ],
        "Policies": [],
    }
    assert _owners(tmp_path, auth) == {
        "fail-jenkins": {("ops", "tag")},
        "fail-deploy": {("payments", "iam_path")},
        "tagged-deploy": {("billing", "tag")},  # the tag wins over the path
    }


def test_the_real_example_export_names_no_owner(tmp_path: Path) -> None:
    d = tmp_path / "aws" / ACCOUNT
    d.mkdir(parents=True)
    shutil.copy(
        FIXTURES / "authz-details-cloudsplaining-example.json", d / "iam-get-account-authorization-details.json"
    )
    inv = transform(load(BundleReader(tmp_path)))
    paths = {n.attrs.get("iam_path") for n in inv.nodes() if n.subtype in ("aws:iam-user", "aws:iam-role")}
    assert {"/", "/aws-reserved/sso.amazonaws.com/", "/aws-service-role/support.amazonaws.com/"} <= paths
    assert resolve(inv).by_node == {}
    assert inv.node(NodeId(f"aws:user:arn:aws:iam::{ACCOUNT}:user/obama")).tags == ()
