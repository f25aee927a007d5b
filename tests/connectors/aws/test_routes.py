"""Escalation routes: the vulnerable case and its fixed twin for each condition a route needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectors.aws.load import load
from connectors.aws.transform import transform
from scanner.bundle import BundleReader
from scanner.model import EdgeKind

A = "111111111111"


def _user(name: str, action: str, resource: str) -> dict[str, Any]:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    return {"UserName": name, "UserId": name, "Arn": f"arn:aws:iam::{A}:user/{name}", "Path": "/",
            "CreateDate": "2024-01-01T00:00:00Z", "GroupList": [], "AttachedManagedPolicies": [],
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": doc}]}  # fmt: skip


def _role(name: str, service: str, profile: bool, ssm_agent: bool) -> dict[str, Any]:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": service}}]}  # fmt: skip
    perms = [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]
    if ssm_agent:
        perms.append({"Effect": "Allow", "Action": "ssmmessages:CreateControlChannel", "Resource": "*"})
    return {"RoleName": name, "RoleId": name, "Arn": f"arn:aws:iam::{A}:role/{name}", "Path": "/",
            "CreateDate": "2024-01-01T00:00:00Z", "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": perms}}],
            "AttachedManagedPolicies": [],
            "InstanceProfileList": [{"InstanceProfileName": name}] if profile else []}  # fmt: skip


def test_route_twins(tmp_path: Path) -> None:
    users = [
        _user("fail-lambda", "lambda:UpdateFunctionCode", "*"),
        _user("pass-lambda-one-function", "lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{A}:function:one"),
        _user("fail-ssm", "ssm:SendCommand", "*"),
        _user("fail-connect", "ec2-instance-connect:SendSSHPublicKey", "*"),
    ]
    roles = [
        _role("fn-role", "lambda.amazonaws.com", profile=False, ssm_agent=False),
        _role("ec2-managed", "ec2.amazonaws.com", profile=True, ssm_agent=True),
        _role("ec2-no-agent", "ec2.amazonaws.com", profile=True, ssm_agent=False),  # SSM cannot reach it
        _role("ec2-no-profile", "ec2.amazonaws.com", profile=False, ssm_agent=True),  # no instance runs as it
    ]
    path = tmp_path / "aws" / A / "iam-get-account-authorization-details.json"
    path.parent.mkdir(parents=True)
    auth = {"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}
    path.write_text(json.dumps(auth), encoding="utf-8")
    inv = transform(load(BundleReader(tmp_path)))
    edges = {
        (e.src.rsplit("/", 1)[-1], e.dst.rsplit("/", 1)[-1])
        for e in inv.expanded_edges()
        if e.kind is EdgeKind.CAN_ASSUME and e.src.startswith("aws:user:")
    }
    assert edges == {
        ("fail-lambda", "fn-role"),
        ("fail-ssm", "ec2-managed"),
        ("fail-connect", "ec2-managed"),
        ("fail-connect", "ec2-no-agent"),
    }
