"""Seed an AWS estate of fail-*/pass-* objects through the real API (moto answers it)."""

from __future__ import annotations

import json
from typing import Any

import boto3

REGION = "us-east-1"
FAKE_KEY_VALUE = "AKIAFAKEKEYFORTESTS0"  # AKIA-shaped, obviously fake
GH = "token.actions.githubusercontent.com"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(sub: str, account: str) -> str:
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{GH}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GH}:sub": sub},
            },
        }
    )


def seed(session: boto3.Session, endpoint_url: str | None = None) -> str:
    """Create the estate; return the account id."""
    kw: dict[str, Any] = {"region_name": REGION, "endpoint_url": endpoint_url}
    iam = session.client("iam", **kw)
    account = str(session.client("sts", **kw).get_caller_identity()["Account"])
    push = _doc(
        {
            "Effect": "Allow",
            "Action": [
                "ecr:PutImage",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:BatchGetImage",
            ],
            "Resource": "*",
        }
    )
    pull = _doc({"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"})
    for user, policy in (("fail-static-publisher", push), ("fail-console-user", pull), ("pass-reader", pull)):
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=policy)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        if user == "pass-reader":
            iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    iam.create_login_profile(UserName="fail-console-user", Password="Fake-Password-For-Tests-1")
    iam.create_open_id_connect_provider(
        Url=f"https://{GH}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    for role, sub in (("fail-oidc-broad", "repo:org/*"), ("pass-oidc-pinned", "repo:org/app:environment:prod")):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust(sub, account))
        iam.put_role_policy(RoleName=role, PolicyName="push", PolicyDocument=push)
    service_trust = _doc(
        {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    build_role = iam.create_role(RoleName="build-role", AssumeRolePolicyDocument=service_trust)["Role"]["Arn"]

    ecr = session.client("ecr", **kw)
    # Its tag names its owner (docs/owners.md); the private twin has a tag that names nobody.
    ecr.create_repository(repositoryName="fail-public-repo", tags=[{"Key": "team", "Value": "release-eng"}])
    ecr.create_repository(repositoryName="pass-private-repo", tags=[{"Key": "environment", "Value": "prod"}])
    ecr.set_repository_policy(
        repositoryName="fail-public-repo",
        policyText=_doc(
            {"Sid": "anyone", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage", "ecr:PutImage"]}
        ),
    )
    session.client("secretsmanager", **kw).create_secret(Name="release/pypi-token", SecretString="FAKE-TOKEN-FOR-TESTS")

    cb = session.client("codebuild", **kw)
    for name, env in (
        ("fail-build", [{"name": "AWS_ACCESS_KEY_ID", "value": FAKE_KEY_VALUE, "type": "PLAINTEXT"}]),
        (
            "pass-build",
            [
                {"name": "NODE_ENV", "value": "production", "type": "PLAINTEXT"},
                {"name": "TOKEN", "value": "release/pypi-token", "type": "SECRETS_MANAGER"},
            ],
        ),
    ):
        cb.create_project(
            name=name,
            source={"type": "S3", "location": "fake-source-bucket/src.zip"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
                "environmentVariables": env,
            },
            serviceRole=build_role,
        )
    cp = session.client("codepipeline", **kw)
    for name, approval in (("fail-deploy-prod", False), ("pass-deploy-prod", True)):
        stages: list[dict[str, Any]] = [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "Image",
                        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
                        "configuration": {"RepositoryName": "fail-public-repo"},
                        "outputArtifacts": [{"name": "img"}],
                    }
                ],
            },
        ]
        if approval:
            stages.append(
                {
                    "name": "Approve",
                    "actions": [
                        {
                            "name": "Review",
                            "actionTypeId": {
                                "category": "Approval",
                                "owner": "AWS",
                                "provider": "Manual",
                                "version": "1",
                            },
                        }
                    ],
                }
            )
        stages.append(
            {
                "name": "Deploy",
                "actions": [
                    {
                        "name": "Build",
                        "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                        "configuration": {"ProjectName": "pass-build"},
                        "inputArtifacts": [{"name": "img"}],
                    }
                ],
            }
        )
        pipe_role = iam.create_role(
            RoleName=f"{name}-role",
            AssumeRolePolicyDocument=_doc(
                {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
        )["Role"]["Arn"]
        cp.create_pipeline(
            pipeline={
                "name": name,
                "roleArn": pipe_role,
                "stages": stages,
                "artifactStore": {"type": "S3", "location": "fake-artifact-bucket"},
            }
        )
    return account
