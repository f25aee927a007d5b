"""AWS transform from the Cloudsplaining example exports, policy evaluation and OIDC subject judgement."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from connectors.aws import actions, policy
from connectors.aws.load import load
from connectors.aws.oidc import judge_subject
from connectors.aws.policy import (
    Target,
    TargetIndex,
    action_mask,
    compile_document,
    evaluate,
    intersect,
    names,
    statement_classes,
)
from connectors.aws.transform import transform
from scanner.bundle import BundleReader
from scanner.model import Action, EdgeKind, NodeId, NodeKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "aws"
ACCOUNT = "012345678901"
R, P, PR, D, A = Action.READ, Action.PUBLISH, Action.PROMOTE, Action.DEPLOY, Action.ADMIN


def _bundle(tmp: Path, fixture: str) -> BundleReader:
    d = tmp / "aws" / ACCOUNT
    d.mkdir(parents=True)
    shutil.copy(FIXTURES / fixture, d / "iam-get-account-authorization-details.json")
    return BundleReader(tmp)


@pytest.mark.parametrize(
    ("fixture", "users", "groups", "roles", "policies"),
    [
        ("authz-details-cloudsplaining-example.json", 44, 5, 78, 84),
        ("authz-details-cloudsplaining-test.json", 3, 2, 3, 32),
    ],
)
def test_counts_match_the_file(
    tmp_path: Path, fixture: str, users: int, groups: int, roles: int, policies: int
) -> None:
    raw = load(_bundle(tmp_path, fixture))
    auth = raw.accounts[0].auth
    assert auth is not None
    assert (len(auth.UserDetailList), len(auth.GroupDetailList), len(auth.RoleDetailList), len(auth.Policies)) == (
        users,
        groups,
        roles,
        policies,
    )
    inv = transform(raw)
    kinds = [n.subtype for n in inv.nodes()]
    assert (kinds.count("aws:iam-user"), kinds.count("aws:iam-role")) == (users, roles)
    assert not inv.dangling()


def _policy_statements() -> dict[str, Any]:
    data = json.loads((FIXTURES / "authz-details-cloudsplaining-example.json").read_text())
    out: dict[str, Any] = {}
    for p in data["Policies"]:
        for v in p["PolicyVersionList"]:
            if v["IsDefaultVersion"]:
                st = v["Document"]["Statement"]
                out[p["PolicyName"]] = st if isinstance(st, list) else [st]
    return out


# Real statements from the example file, with the classes they reach (any resource).
# (policy, an action its statement names, classes); the statement is found by that action.
TABLE = [
    ("privesc8-AttachGroupPolicy", "iam:AttachGroupPolicy", {A}),
    ("privesc4-CreateAccessKey", "iam:CreateAccessKey", {A}),
    ("privesc21-PassExistingRoleToNewDataPipeline", "iam:PassRole", {A}),
    ("privesc-codeBuildCreateProjectPassRole-policy", "codebuild:StartBuild", {D, A}),
    ("privesc14-UpdatingAssumeRolePolicy", "iam:UpdateAssumeRolePolicy", {A}),
    ("fp2-allow-all", "*", {R, P, PR, D, A}),
    ("fp4-nonExploitableResourceConstraint", "iam:CreatePolicyVersion", {A}),
]


@pytest.mark.parametrize(("policy", "action", "expected"), TABLE)
def test_action_classes_of_real_statements(policy: str, action: str, expected: set[Action]) -> None:
    stmts = _policy_statements()[policy]
    stmt = next(s for s in stmts if action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))
    assert statement_classes(stmt) == frozenset(expected)


@pytest.mark.parametrize(
    ("action", "cls"),
    [
        ("codeartifact:PublishPackageVersion", P),
        ("codeartifact:PutPackageMetadata", P),
        ("codeartifact:CopyPackageVersions", PR),
        ("codeartifact:UpdatePackageVersionsStatus", PR),
        ("ecr:PutImage", P),
        ("ecr:InitiateLayerUpload", P),
        ("ecr:UploadLayerPart", P),
        ("ecr:CompleteLayerUpload", P),
        ("ecr:BatchDeleteImage", A),
        ("ecr:PutImageTagMutability", A),
        ("codepipeline:StartPipelineExecution", D),
        ("iam:CreateAccessKey", A),
        ("iam:PutRolePolicy", A),
        ("iam:AttachUserPolicy", A),
        ("iam:UpdateAssumeRolePolicy", A),
        ("iam:PassRole", A),
        ("ecr:BatchGetImage", R),
        ("ecr:GetAuthorizationToken", None),
        ("s3:GetObject", None),
    ],
)
def test_table(action: str, cls: Action | None) -> None:
    assert actions.classify(action) is cls


def test_every_registry_operation_has_a_class() -> None:
    for name in actions.catalogue():
        if name.split(":")[0] in actions.REGISTRY_SERVICES and not name.endswith("GetAuthorizationToken"):
            assert actions.classify(name) is not None, name


def test_wildcards_expand_from_botocore() -> None:
    assert "ecr:PutImage" in names(action_mask("ecr:Put*"))
    assert "ecr:BatchGetImage" not in names(action_mask("ecr:Put*"))
    assert names(action_mask("ECR:putimage")) == ["ecr:PutImage"]
    assert len(names(action_mask("*"))) == len(actions.catalogue())
    assert action_mask("s3:*") == 0


def _eval(doc: dict[str, Any], boundary: dict[str, Any] | None = None) -> tuple[int, int]:
    repo = "arn:aws:ecr:us-east-1:123456789012:repository/app"
    other = "arn:aws:ecr:us-east-1:123456789012:repository/other"
    idx = TargetIndex(
        [Target(NodeId("n1"), "123456789012", "ecr", (repo,)), Target(NodeId("n2"), "123456789012", "ecr", (other,))]
    )
    eff = evaluate(compile_document(doc), idx)
    if boundary is not None:
        eff = intersect(eff, evaluate(compile_document(boundary), idx))
    return eff.on(0), eff.on(1)


def _doc(*st: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(st)}


def test_deny_notaction_notresource_boundary() -> None:
    put = action_mask("ecr:PutImage")
    allow_all = {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}
    deny_app = {"Effect": "Deny", "Action": "ecr:PutImage", "Resource": "arn:aws:ecr:*:*:repository/app"}
    on_app, on_other = _eval(_doc(allow_all, deny_app))
    assert not on_app & put
    assert on_other & put
    # NotAction: everything but iam -> ecr:PutImage allowed; NotResource: everything but app.
    on_app, on_other = _eval(
        _doc({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:ecr:*:*:repository/app"})
    )
    assert not on_app & put
    assert on_other & put
    # A conditional Deny does not count (over-approximation in favour of seeing the path).
    cond_deny = {**deny_app, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
    assert _eval(_doc(allow_all, cond_deny))[0] & put
    # Boundary: only pulls are permitted.
    on_app, _ = _eval(_doc(allow_all), _doc({"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"}))
    assert on_app == action_mask("ecr:BatchGetImage")


@pytest.mark.parametrize(
    ("subject", "broad", "repo", "env"),
    [
        ("repo:org/*", True, None, None),
        ("repo:*", True, None, None),
        ("repo:org/app:*", True, "org/app", None),
        ("repo:org/app:ref:*", True, "org/app", None),
        ("repo:org/app:ref:refs/heads/*", True, "org/app", None),
        ("repo:org/app:environment:prod", False, "org/app", "prod"),
        ("repo:org/app:ref:refs/heads/main", False, "org/app", None),
        ("repo:org/app:ref:refs/tags/v*", False, "org/app", None),
    ],
)
def test_github_subjects(subject: str, broad: bool, repo: str | None, env: str | None) -> None:
    reason, got_repo, got_env = judge_subject("token.actions.githubusercontent.com", subject)
    assert (reason is not None, got_repo, got_env) == (broad, repo, env)


def test_oidc_trust_and_link_hint(tmp_path: Path) -> None:
    gh = "token.actions.githubusercontent.com"

    def role(name: str, cond: dict[str, Any]) -> dict[str, Any]:
        return {
            "RoleName": name,
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
            "CreateDate": "2026-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": _doc(
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{gh}"},
                    "Condition": cond,
                }
            ),
        }

    auth = {
        "RoleDetailList": [
            role("fail-none", {"StringEquals": {f"{gh}:aud": "sts.amazonaws.com"}}),
            role(
                "pass-pinned",
                {"StringEquals": {f"{gh}:aud": "sts.amazonaws.com", f"{gh}:sub": "repo:org/app:environment:prod"}},
            ),
        ]
    }
    d = tmp_path / "aws" / ACCOUNT
    d.mkdir(parents=True)
    (d / "iam-get-account-authorization-details.json").write_text(json.dumps(auth))
    inv = transform(load(BundleReader(tmp_path)))
    trusts = {n.name: n for n in inv.nodes() if n.subtype == "aws:oidc-trust"}
    assert trusts[f"{gh} -> fail-none"].attrs["subject_too_broad"] is True
    assert trusts[f"{gh} -> pass-pinned"].attrs["subject_too_broad"] is False
    assert all(n.kind is NodeKind.CREDENTIAL for n in trusts.values())
    assert [(h.kind, dict(h.src.attrs)) for h in inv.hints if not isinstance(h.src, str)] == [
        (EdgeKind.CAN_ASSUME, {"repo": "org/app", "oidc": True, "environment": "prod"})
    ]


def test_documents_share_a_compilation_only_when_equal() -> None:
    # compile_document caches by a canonical key: the same document in another key order shares the
    # compilation; NaN and null, or a huge number, never share one with a different document.
    allow = {"Effect": "Allow", "Action": "ecr:PutImage", "Resource": "*"}
    a = {"Version": "2012-10-17", "Statement": [allow]}
    b = {"Statement": [dict(reversed(list(allow.items())))], "Version": "2012-10-17"}
    assert policy._doc_key(a) == policy._doc_key(b)
    assert policy.compile_document(a) is policy.compile_document(b)
    nan = {"Statement": [{**allow, "Sid": float("nan")}]}
    null = {"Statement": [{**allow, "Sid": None}]}
    assert policy._doc_key(nan) != policy._doc_key(null)
    huge = {"Statement": [{**allow, "Sid": 2**70}]}
    assert policy._doc_key(huge) != policy._doc_key({"Statement": [{**allow, "Sid": 2**70 + 1}]})
    text = '{"Statement": []}'
    assert policy._doc_key(text) == text
    deny = {"Version": "2012-10-17", "Statement": [{**allow, "Effect": "Deny"}]}
    assert policy._doc_key(deny) != policy._doc_key(a)
    assert [s.allow for s in policy.compile_document(deny)] == [False]


def test_a_transform_keeps_no_compiled_documents() -> None:
    # The cache serves one transform (managed policies and copies compile once); kept after it, the
    # large benchmark estate's 42k compiled documents held ~117 MB for the rest of the analysis.
    kept = policy.compile_document({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]})
    inv = transform(load(BundleReader(FIXTURES / "bundle")))
    assert len(inv) > 0
    assert not policy._DOC_CACHE
    again = policy.compile_document({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]})
    assert again == kept
    assert again is not kept
