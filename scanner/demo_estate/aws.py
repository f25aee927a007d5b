"""The AWS account of the demo estate (acme-corp-prod, 210987654321, eu-west-1), as the ``aws`` CLI
prints it: IAM authorization details, the credential report, access keys, the GitHub OIDC provider,
ECR repositories, CodePipeline pipelines and CloudTrail.

Stories (README.md, "Across providers"): ``payments-api`` pushes to ECR by OIDC from a protected
environment and CodePipeline deploys it after a manual approval; ``billing-worker`` pushes on a tag
with no approval anywhere; ``jenkins-legacy`` is an IAM user with a 2023 access key that Terraform
does not know. Between the two collections someone widened ``gha-billing-worker-push`` from its own
repository to every repository of the registry (Terraform still declares the narrow policy).
"""

from __future__ import annotations

import json
from typing import Any

from scanner.demo_estate.cloud_workflows import AWS_ACCOUNT, AWS_REGION
from scanner.demo_estate.common import ORG, Era, Files, digest

ACCOUNT = AWS_ACCOUNT
REGION = AWS_REGION
GITHUB_OIDC = "token.actions.githubusercontent.com"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_OIDC}"
BASE = f"aws/{ACCOUNT}"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _aws_id(prefix: str, seed: str, length: int = 17) -> str:
    """An IAM unique id (``AIDA…``, ``AROA…``): the prefix and upper-case letters and digits."""
    raw = int(digest(seed), 16)
    chars = []
    for _ in range(length):
        raw, i = divmod(raw, 32)
        chars.append(_ALNUM[i])
    return prefix + "".join(chars)


def access_key_id(seed: str) -> str:
    """An access key id in AWS's documented example form (``AKIA…EXAMPLE``): not a live key's shape."""
    return _aws_id("AKIA", seed, 9) + "EXAMPLE"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _ecr_arn(repository: str) -> str:
    return f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}"


PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]


def push_policy(resource: str) -> dict[str, Any]:
    """Push (and pull) images to ``resource``; the login token is account-wide by design."""
    return _doc(
        {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "Push", "Effect": "Allow", "Action": PUSH_ACTIONS, "Resource": resource},
    )


def github_trust(subject: str) -> dict[str, Any]:
    """A role trust for GitHub's OIDC tokens, pinned to one subject and the STS audience."""
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": OIDC_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GITHUB_OIDC}:sub": subject},
            },
        }
    )


def _service_trust(service: str) -> dict[str, Any]:
    return _doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def _role(
    name: str,
    created: str,
    trust: dict[str, Any],
    policy_name: str,
    policy: dict[str, Any],
    *,
    last_used: str | None,
    tags: dict[str, str],
    path: str = "/",
) -> dict[str, Any]:
    return {
        "Path": path,
        "RoleName": name,
        "RoleId": _aws_id("AROA", f"role:{name}"),
        "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}",
        "CreateDate": created,
        "AssumeRolePolicyDocument": trust,
        "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": policy_name, "PolicyDocument": policy}],
        "AttachedManagedPolicies": [],
        "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        "RoleLastUsed": {"LastUsedDate": last_used, "Region": REGION} if last_used else {},
    }


def _pipeline_policy(service: str) -> dict[str, Any]:
    return _doc(
        {
            "Sid": "ReadSource",
            "Effect": "Allow",
            "Action": ["ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": _ecr_arn(service),
        },
        {
            "Sid": "Deploy",
            "Effect": "Allow",
            "Action": [
                "ecs:DescribeServices",
                "ecs:DescribeTaskDefinition",
                "ecs:RegisterTaskDefinition",
                "ecs:UpdateService",
            ],
            "Resource": "*",
        },
        {
            "Sid": "Artifacts",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::acme-corp-pipeline-artifacts-{ACCOUNT}/*",
        },
    )


#: The IAM path of the CodePipeline service roles: the team that runs the pipelines.
PIPELINE_ROLE_PATH = "/teams/payments/"
JENKINS_KEY_CREATED = "2023-03-07T10:02:11+00:00"
JENKINS_KEY_USED = "2026-11-02T03:14:00+00:00"


def authorization_details(era: Era) -> dict[str, Any]:
    """``aws iam get-account-authorization-details`` (every page merged)."""
    billing_resource = _ecr_arn("billing-worker") if era == "previous" else _ecr_arn("*")
    roles = [
        _role(
            "gha-payments-api-deploy",
            "2024-10-14T09:41:27+00:00",
            github_trust(f"repo:{ORG}/payments-api:environment:production"),
            "ecr-push-payments-api",
            push_policy(_ecr_arn("payments-api")),
            last_used="2026-11-18T15:52:09+00:00",
            tags={"managed-by": "terraform", "repository": f"{ORG}/payments-api"},
        ),
        _role(
            "gha-billing-worker-push",
            "2024-11-04T13:20:44+00:00",
            github_trust(f"repo:{ORG}/billing-worker:ref:refs/tags/v*"),
            "ecr-push-billing-worker",
            push_policy(billing_resource),
            last_used="2026-11-12T10:11:30+00:00",
            tags={"managed-by": "terraform", "repository": f"{ORG}/billing-worker"},
        ),
        *(
            _role(
                f"codepipeline-{service}-prod",
                created,
                _service_trust("codepipeline.amazonaws.com"),
                "deploy",
                _pipeline_policy(service),
                last_used=used,
                tags={"managed-by": "terraform"},
                path=PIPELINE_ROLE_PATH,  # names the owner (docs/owners.md, iam_path)
            )
            for service, created, used in (
                ("payments-api", "2024-10-14T09:41:30+00:00", "2026-11-18T16:30:12+00:00"),
                ("billing-worker", "2024-11-04T13:20:47+00:00", "2026-11-12T10:19:58+00:00"),
            )
        ),
    ]
    jenkins = {
        "Path": "/",
        "UserName": "jenkins-legacy",
        "UserId": _aws_id("AIDA", "user:jenkins-legacy"),
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/jenkins-legacy",
        "CreateDate": "2023-03-07T09:58:40+00:00",
        "UserPolicyList": [{"PolicyName": "ecr-push", "PolicyDocument": push_policy(_ecr_arn("payments-api"))}],
        "GroupList": [],
        "AttachedManagedPolicies": [],
        "Tags": [{"Key": "owner", "Value": "ops"}],
    }
    return {
        "UserDetailList": [jenkins],
        "GroupDetailList": [],
        "RoleDetailList": sorted(roles, key=lambda r: r["RoleName"]),
        "Policies": [],
    }


def credential_report() -> str:
    """``aws iam get-credential-report`` (Content, base64-decoded): the root row and every user."""
    cols = (
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
        "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
        "cert_2_active,cert_2_last_rotated"
    )
    root = (
        f"<root_account>,arn:aws:iam::{ACCOUNT}:root,2022-12-19T10:31:05+00:00,not_supported,"
        "2026-09-30T08:12:44+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
        "false,N/A,false,N/A"
    )
    jenkins = (
        f"jenkins-legacy,arn:aws:iam::{ACCOUNT}:user/jenkins-legacy,2023-03-07T09:58:40+00:00,false,N/A,N/A,N/A,"
        f"false,true,{JENKINS_KEY_CREATED},{JENKINS_KEY_USED},{REGION},ecr,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
    )
    return "\n".join((cols, root, jenkins)) + "\n"


def _repository(name: str, created: str) -> dict[str, Any]:
    return {
        "repositoryArn": _ecr_arn(name),
        "registryId": ACCOUNT,
        "repositoryName": name,
        "repositoryUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{name}",
        "createdAt": created,
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfiguration": {"encryptionType": "AES256"},
    }


def _pipeline(service: str, created: str, *, approval: bool) -> dict[str, Any]:
    """``aws codepipeline get-pipeline``: ECR source, optionally a manual approval, ECS deploy."""
    stages: list[dict[str, Any]] = [
        {
            "name": "Source",
            "actions": [
                {
                    "name": "Image",
                    "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
                    "runOrder": 1,
                    "configuration": {"RepositoryName": service, "ImageTag": "latest"},
                    "outputArtifacts": [{"name": "SourceImage"}],
                    "inputArtifacts": [],
                    "region": REGION,
                }
            ],
        }
    ]
    if approval:
        stages.append(
            {
                "name": "Approve",
                "actions": [
                    {
                        "name": "ReleaseManagerApproval",
                        "actionTypeId": {
                            "category": "Approval",
                            "owner": "AWS",
                            "provider": "Manual",
                            "version": "1",
                        },
                        "runOrder": 1,
                        "configuration": {"CustomData": f"Approve the {service} release to production"},
                        "outputArtifacts": [],
                        "inputArtifacts": [],
                        "region": REGION,
                    }
                ],
            }
        )
    stages.append(
        {
            "name": "Production",
            "actions": [
                {
                    "name": "DeployToEcs",
                    "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
                    "runOrder": 1,
                    "configuration": {
                        "ClusterName": "prod",
                        "ServiceName": service,
                        "FileName": "imagedefinitions.json",
                    },
                    "outputArtifacts": [],
                    "inputArtifacts": [{"name": "SourceImage"}],
                    "region": REGION,
                }
            ],
        }
    )
    name = f"{service}-prod"
    return {
        "pipeline": {
            "name": name,
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role{PIPELINE_ROLE_PATH}codepipeline-{service}-prod",
            "artifactStore": {"type": "S3", "location": f"acme-corp-pipeline-artifacts-{ACCOUNT}"},
            "stages": stages,
            "version": 3,
            "executionMode": "QUEUED",
            "pipelineType": "V2",
        },
        "metadata": {
            "pipelineArn": f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{name}",
            "created": created,
            "updated": created,
        },
    }


def files(era: Era) -> Files:
    """Every ``aws/`` file of the estate as it was collected in ``era``."""
    key = access_key_id("jenkins-legacy")
    trail = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/acme-corp-org-trail"
    reg = f"{BASE}/{REGION}"
    out: Files = {
        f"{BASE}/iam-get-account-authorization-details.json": authorization_details(era),
        f"{BASE}/iam-get-credential-report.csv": credential_report(),
        f"{BASE}/iam-list-access-keys/jenkins-legacy.json": {
            "AccessKeyMetadata": [
                {
                    "UserName": "jenkins-legacy",
                    "AccessKeyId": key,
                    "Status": "Active",
                    "CreateDate": JENKINS_KEY_CREATED,
                }
            ]
        },
        f"{BASE}/iam-get-access-key-last-used/{key}.json": {
            "UserName": "jenkins-legacy",
            "AccessKeyLastUsed": {"LastUsedDate": JENKINS_KEY_USED, "ServiceName": "ecr", "Region": REGION},
        },
        f"{BASE}/iam-list-open-id-connect-providers.json": {"OpenIDConnectProviderList": [{"Arn": OIDC_ARN}]},
        f"{BASE}/iam-get-open-id-connect-provider/{GITHUB_OIDC}.json": {
            "Url": GITHUB_OIDC,
            "ClientIDList": ["sts.amazonaws.com"],
            "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"],
            "CreateDate": "2024-10-14T09:40:02+00:00",
            "Tags": [],
        },
        f"{reg}/ecr-describe-repositories.json": {
            "repositories": [
                _repository("billing-worker", "2024-11-04T13:21:02+00:00"),
                _repository("payments-api", "2024-10-14T09:42:15+00:00"),
            ]
        },
        f"{reg}/ecr-describe-pull-through-cache-rules.json": {"pullThroughCacheRules": []},
        # The repositories' tags name the team that runs them (docs/owners.md).
        **{
            f"{reg}/ecr-list-tags-for-resource/{name}.json": {
                "tags": [{"Key": "managed-by", "Value": "terraform"}, {"Key": "team", "Value": "payments"}]
            }
            for name in REPOSITORIES
        },
        f"{reg}/codepipeline-list-pipelines.json": {
            "pipelines": [
                {
                    "name": f"{s}-prod",
                    "version": 3,
                    "pipelineType": "V2",
                    "executionMode": "QUEUED",
                    "created": c,
                    "updated": c,
                }
                for s, c in (
                    ("billing-worker", "2024-11-04T13:25:10+00:00"),
                    ("payments-api", "2024-10-14T09:47:33+00:00"),
                )
            ]
        },
        f"{reg}/codepipeline-get-pipeline/payments-api-prod.json": _pipeline(
            "payments-api", "2024-10-14T09:47:33+00:00", approval=True
        ),
        f"{reg}/codepipeline-get-pipeline/billing-worker-prod.json": _pipeline(
            "billing-worker", "2024-11-04T13:25:10+00:00", approval=False
        ),
        f"{reg}/cloudtrail-describe-trails.json": {
            "trailList": [
                {
                    "Name": "acme-corp-org-trail",
                    "S3BucketName": f"acme-corp-cloudtrail-{ACCOUNT}",
                    "IncludeGlobalServiceEvents": True,
                    "IsMultiRegionTrail": True,
                    "HomeRegion": REGION,
                    "TrailARN": trail,
                    "LogFileValidationEnabled": True,
                    "HasCustomEventSelectors": True,
                    "HasInsightSelectors": False,
                    "IsOrganizationTrail": False,
                }
            ]
        },
        f"{reg}/cloudtrail-get-event-selectors/acme-corp-org-trail.json": {
            "TrailARN": trail,
            "EventSelectors": [
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [],
                    "ExcludeManagementEventSources": [],
                }
            ],
        },
    }
    return out


def policy_text(doc: dict[str, Any]) -> str:
    """A policy document as Terraform's state keeps it (compact JSON text)."""
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


#: ECR repositories of the demo; neither has a repository policy.
REPOSITORIES = ("billing-worker", "payments-api")


def calls(era: Era) -> list[dict[str, str]]:
    """The manifest's record of the calls whose 404 is an answer: the repositories and the registry have no
    policy, as ``aws ecr get-repository-policy`` and ``get-registry-policy`` say with *PolicyNotFoundException."""
    del era  # the same in both collections
    answers = [("ecr get-registry-policy", "RegistryPolicyNotFoundException")]
    answers += [(f"ecr get-repository-policy {name}", "RepositoryPolicyNotFoundException") for name in REPOSITORIES]
    return [
        {"provider": "aws", "scope": ACCOUNT, "call": f"{call} ({REGION})", "status": "not_found", "detail": detail}
        for call, detail in answers
    ]
