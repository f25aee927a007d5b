"""The AWS part of a synthetic estate: one ``get-account-authorization-details`` file per account.

AWS-managed policies are the real documents moto ships (``moto/iam/aws_managed_policies.py``):
invented short stand-ins would understate policy-evaluation cost (``ReadOnlyAccess`` has thousands
of actions). Customer policies mix registry push/publish on prefixes, wildcards (``ecr:*``,
``NotAction``), role chaining (``sts:AssumeRole``), denies and the usual S3/logs noise.
Roles trust services, other roles of the account (chains), other accounts, and GitHub's OIDC
provider for the service repositories that deploy with ``role-to-assume``.
"""

from __future__ import annotations

import json
import random
from functools import cache
from typing import Any

from bench.gen_github_pypi import RepoPlan
from bench.sizes import REGION, Size, Writer, alnum_id, date, rng_for

#: Always attached somewhere: the big read policies, the registry policies and the admin ones.
CORE_MANAGED = (
    "ReadOnlyAccess",
    "SecurityAudit",
    "ViewOnlyAccess",
    "AdministratorAccess",
    "PowerUserAccess",
    "AmazonEC2ContainerRegistryPowerUser",
    "AmazonEC2ContainerRegistryFullAccess",
    "AmazonEC2ContainerRegistryReadOnly",
    "AWSCodeArtifactAdminAccess",
    "AWSCodeArtifactReadOnlyAccess",
)
TEAMS = ("payments", "search", "platform", "data", "ml", "web", "mobile", "infra", "identity", "billing")
GH_OIDC = "token.actions.githubusercontent.com"


@cache
def managed_policies() -> dict[str, dict[str, Any]]:
    """moto's copy of the AWS-managed policies: name -> {Document, Path, DefaultVersionId, ...}."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, dict[str, Any]] = json.loads(aws_managed_policies_data)
    return data


def account_ids(size: Size) -> list[str]:
    """The estate's account ids (fake, 12 digits)."""
    return [f"{100000000000 + 7919 * (i + 1):012d}" for i in range(size.aws_accounts)]


def _registry_arns(acct: str, n: int) -> list[str]:
    out = []
    for i in range(n):
        team = TEAMS[i % len(TEAMS)]
        if i % 3 == 2:
            out.append(f"arn:aws:codeartifact:{REGION}:{acct}:repository/acme/{team}-{i}")
        else:
            out.append(f"arn:aws:ecr:{REGION}:{acct}:repository/{team}/svc-{i}")
    return out


def _customer_document(
    rng: random.Random, acct: str, registries: list[str], roles: list[str], broad: float = 1.0
) -> dict[str, Any]:
    """A customer policy; with ``broad`` < 1 only that share of its account-wide statements stays
    account-wide, the rest name one registry (a prefix pattern)."""

    def scope() -> str:
        # No extra draw when everything stays broad, so the small estate is unchanged.
        if broad >= 1 or rng.random() < broad:
            return "*"
        return rng.choice(registries) + "*"  # one registry (and its namesakes with a longer number)

    stmts: list[dict[str, Any]] = []
    for _ in range(rng.randint(2, 6)):
        roll = rng.random()
        if roll < 0.25:
            reg = rng.choice(registries)
            prefix = reg.rsplit("/", 1)[0] + "/*" if rng.random() < 0.5 else reg
            stmts.append({"Effect": "Allow", "Resource": prefix,
                          "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                                     "ecr:CompleteLayerUpload", "ecr:BatchCheckLayerAvailability",
                                     "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]})  # fmt: skip
        elif roll < 0.4:
            domain_repo = rng.choice([r for r in registries if ":codeartifact:" in r] or registries)
            pkg = domain_repo.replace(":repository/", ":package/") + "/*"
            stmts.append({"Effect": "Allow", "Resource": [domain_repo, pkg],
                          "Action": ["codeartifact:PublishPackageVersion", "codeartifact:PutPackageMetadata",
                                     "codeartifact:ReadFromRepository", "codeartifact:GetRepositoryEndpoint"]})  # fmt: skip
        elif roll < 0.5:
            stmts.append({"Effect": "Allow", "Action": rng.choice(["ecr:*", "codeartifact:*", "ecr:Put*"]),
                          "Resource": scope()})  # fmt: skip
        elif roll < 0.62 and roles:
            stmts.append({"Effect": "Allow", "Action": "sts:AssumeRole",
                          "Resource": [rng.choice(roles) for _ in range(rng.randint(1, 3))]})  # fmt: skip
        elif roll < 0.67:
            stmts.append({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": scope()})
        elif roll < 0.72:
            stmts.append(
                {"Effect": "Deny", "Action": ["ecr:DeleteRepository", "codeartifact:Delete*"], "Resource": "*"}
            )
        else:
            bucket = f"acme-{rng.choice(TEAMS)}-{rng.randint(0, 999)}"
            stmts.append({"Effect": "Allow",
                          "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject",
                                     "logs:CreateLogStream", "logs:PutLogEvents", "kms:Decrypt"],
                          "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]})  # fmt: skip
    return {"Version": "2012-10-17", "Statement": stmts}


def _policy_entry(name: str, arn: str, doc: dict[str, Any], created: str, path: str = "/") -> dict[str, Any]:
    return {
        "PolicyName": name,
        "PolicyId": alnum_id("ANPA", arn),
        "Arn": arn,
        "Path": path,
        "DefaultVersionId": "v1",
        "AttachmentCount": 1,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": created,
        "UpdateDate": created,
        "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": created}],
    }


def _trust(rng: random.Random, acct: str, others: list[str], role_arns: list[str], oidc: str | None) -> dict[str, Any]:
    if oidc is not None:
        sub = f"repo:{oidc}:ref:refs/heads/main" if rng.random() < 0.8 else f"repo:{oidc.split('/')[0]}/*"
        stmt: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{acct}:oidc-provider/{GH_OIDC}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringLike": {f"{GH_OIDC}:sub": sub},
                "StringEquals": {f"{GH_OIDC}:aud": "sts.amazonaws.com"},
            },
        }
    else:
        roll = rng.random()
        if roll < 0.5:
            principal: dict[str, Any] = {"Service": rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com",
                                                               "codebuild.amazonaws.com", "ecs-tasks.amazonaws.com"])}  # fmt: skip
        elif roll < 0.85 and role_arns:
            principal = {"AWS": [rng.choice(role_arns) for _ in range(rng.randint(1, 2))]}
        else:
            principal = {"AWS": f"arn:aws:iam::{rng.choice(others or [acct])}:root"}
        stmt = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [stmt]}


def authorization_details(size: Size, seed: int, acct: str, plans: list[RepoPlan]) -> dict[str, Any]:
    """One account's ``aws iam get-account-authorization-details`` answer, every page merged."""
    rng = rng_for(size, f"aws-{acct}", seed)
    accounts = [a for a in account_ids(size) if a != acct] + ["999999999999"]
    registries = _registry_arns(acct, size.aws_registries)
    oidc_roles = [p for p in plans if p.oidc_role and f":{acct}:" in p.oidc_role]
    n_roles = max(size.aws_roles, len(oidc_roles))
    role_names = [f"gh-deploy-{p.name}" for p in oidc_roles] + [
        f"{TEAMS[i % len(TEAMS)]}-role-{i:05d}" for i in range(n_roles - len(oidc_roles))
    ]
    role_arns = [f"arn:aws:iam::{acct}:role/{n}" for n in role_names]

    managed = managed_policies()
    extra = sorted(set(managed) - set(CORE_MANAGED))
    chosen = list(CORE_MANAGED) + rng.sample(extra, max(0, size.aws_managed_policies - len(CORE_MANAGED)))
    managed_arns = [(n, f"arn:aws:iam::aws:policy{managed[n].get('Path', '/')}{n}") for n in chosen]
    policies = [
        _policy_entry(n, arn, managed[n]["Document"], managed[n].get("CreateDate", "2015-02-06T18:40:00+00:00"),
                      managed[n].get("Path", "/"))
        for n, arn in managed_arns
    ]  # fmt: skip
    customer: list[tuple[str, str]] = []
    for i in range(size.aws_customer_policies):
        name = f"{TEAMS[i % len(TEAMS)]}-policy-{i:05d}"
        arn = f"arn:aws:iam::{acct}:policy/{name}"
        customer.append((name, arn))
        policies.append(
            _policy_entry(name, arn, _customer_document(rng, acct, registries, role_arns, size.aws_broad), date(rng))
        )

    def attached(k: int) -> list[dict[str, str]]:
        # Most attachments are customer policies; about one in five is AWS-managed (skewed to the core set).
        out = []
        for _ in range(k):
            if rng.random() < 0.2 * size.aws_broad:
                n, arn = managed_arns[min(int(rng.expovariate(0.25)), len(managed_arns) - 1)]
            else:
                n, arn = rng.choice(customer)
            out.append({"PolicyName": n, "PolicyArn": arn})
        return list({a["PolicyArn"]: a for a in out}.values())

    def inline(prefix: str) -> list[dict[str, Any]]:
        if rng.random() >= 0.5:
            return []
        return [
            {
                "PolicyName": f"{prefix}-inline",
                "PolicyDocument": _customer_document(rng, acct, registries, role_arns, size.aws_broad),
            }
        ]

    groups = []
    for i in range(size.aws_groups):
        name = f"{TEAMS[i % len(TEAMS)]}-group-{i:04d}"
        arn = f"arn:aws:iam::{acct}:group/{name}"
        groups.append({"Path": "/", "GroupName": name, "GroupId": alnum_id("AGPA", arn), "Arn": arn,
                       "CreateDate": date(rng), "GroupPolicyList": inline(name),
                       "AttachedManagedPolicies": attached(rng.randint(1, 3))})  # fmt: skip
    users = []
    for i in range(size.aws_users):
        name = f"svc-{TEAMS[i % len(TEAMS)]}-{i:05d}"
        arn = f"arn:aws:iam::{acct}:user/{name}"
        user: dict[str, Any] = {"Path": "/", "UserName": name, "UserId": alnum_id("AIDA", arn), "Arn": arn, "CreateDate": date(rng),
                "GroupList": sorted({g["GroupName"] for g in rng.sample(groups, min(len(groups), rng.randint(0, 2)))}),
                "AttachedManagedPolicies": attached(rng.randint(0, 2)), "UserPolicyList": inline(name),
                "Tags": [{"Key": "team", "Value": TEAMS[i % len(TEAMS)]}, {"Key": "owner", "Value": f"owner{i % 97}"}]}  # fmt: skip
        if rng.random() < 0.05:
            user["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                           "PermissionsBoundaryArn": customer[0][1]}  # fmt: skip
        users.append(user)
    roles = []
    oidc_by_name = {f"gh-deploy-{p.name}": p.full_name for p in oidc_roles}
    for name, arn in zip(role_names, role_arns, strict=True):
        # Chains: a role trusts roles earlier in the list only, so most chains end; some loop back.
        trust = _trust(rng, acct, accounts, role_arns[: max(1, role_arns.index(arn))], oidc_by_name.get(name))
        roles.append({"Path": "/", "RoleName": name, "RoleId": alnum_id("AROA", arn), "Arn": arn,
                      "CreateDate": date(rng), "AssumeRolePolicyDocument": trust, "InstanceProfileList": [],
                      "RolePolicyList": inline(name), "AttachedManagedPolicies": attached(rng.randint(1, 3)),
                      "Tags": [], "RoleLastUsed": {"LastUsedDate": date(rng, 2025, 2026), "Region": REGION}})  # fmt: skip
    return {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies,
            "IsTruncated": False}  # fmt: skip


def write_aws(w: Writer, size: Size, seed: int, plans: list[RepoPlan]) -> list[str]:
    """Every account's authorization details; returns the bundle paths written."""
    out = []
    for acct in account_ids(size):
        rel = f"aws/{acct}/iam-get-account-authorization-details.json"
        w.json(rel, authorization_details(size, seed, acct, plans), indent=4)  # as the AWS CLI prints it
        out.append(rel)
        _write_registries(w, size, acct)
    return out


def _write_registries(w: Writer, size: Size, acct: str) -> None:
    """The registries the policies name: ECR repositories and CodeArtifact repositories of one domain."""
    ecr: list[dict[str, str]] = []
    ca: list[dict[str, str]] = []
    for arn in _registry_arns(acct, size.aws_registries):
        name = arn.split(":repository/", 1)[1]
        if ":ecr:" in arn:
            ecr.append({"repositoryArn": arn, "registryId": acct, "repositoryName": name,
                        "imageTagMutability": "MUTABLE" if len(ecr) % 2 else "IMMUTABLE"})  # fmt: skip
        else:
            domain, repo = name.split("/", 1)
            ca.append({"name": repo, "domainName": domain, "domainOwner": acct, "arn": arn})
    base = f"aws/{acct}/{REGION}"
    w.json(f"{base}/ecr-describe-repositories.json", {"repositories": ecr}, indent=4)
    w.json(f"{base}/codeartifact-list-domains.json",
           {"domains": [{"name": "acme", "owner": acct, "arn": f"arn:aws:codeartifact:{REGION}:{acct}:domain/acme"}]},
           indent=4)  # fmt: skip
    w.json(f"{base}/codeartifact-list-repositories.json", {"repositories": ca}, indent=4)
