"""Federated credential subjects: pinned to one repository and one ref or environment, or too broad."""

from __future__ import annotations

import pytest

from connectors.azure.oidc import GITHUB_ISSUER, judge_expression, judge_subject

GH = GITHUB_ISSUER


@pytest.mark.parametrize(
    ("subject", "repo", "environment"),
    [
        ("repo:acme/app:environment:prod", "acme/app", "prod"),
        ("repo:acme/app:ref:refs/heads/main", "acme/app", None),
        ("repo:acme/app:ref:refs/tags/v1.2.0", "acme/app", None),
        (
            "repo:acme/app:environment:prod:job_workflow_ref:acme/app/.github/workflows/r.yml@refs/heads/main",
            "acme/app",
            "prod",
        ),
    ],
)
def test_pass_pinned_github_subjects(subject: str, repo: str, environment: str | None) -> None:
    v = judge_subject(GH, subject)
    assert (v.too_broad, v.repo, v.environment) == (False, repo, environment)


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("repo:acme/app:pull_request", "any pull request of acme/app"),
        ("repo:acme/*", "not pinned to one repository"),
        ("repository_owner:acme", "not pinned to one repository"),
        ("repo:acme/app:ref:refs/heads/*", "any matching branch"),
        ("repo:acme/app", "pins no ref or environment"),
        ("", "empty subject"),
    ],
)
def test_fail_broad_github_subjects(subject: str, reason: str) -> None:
    v = judge_subject(GH, subject)
    assert v.too_broad is True
    assert v.reason is not None
    assert reason in v.reason


def test_other_issuers() -> None:
    assert judge_subject("https://gitlab.com", "project_path:grp/app:ref_type:branch:ref:main").too_broad is False
    assert judge_subject("https://gitlab.com", "project_path:grp/*:ref_type:branch:ref:main").too_broad is True
    assert judge_subject("https://gitlab.com", "project_path:grp/app").too_broad is True
    assert judge_subject("https://vstoken.dev.azure.com/o1", "sc://acme/proj/conn").too_broad is False
    assert judge_subject("https://oidc.example", "system:serviceaccount:*:deployer").too_broad is True


def test_claims_matching_expressions() -> None:
    pinned = judge_expression(GH, "claims['sub'] eq 'repo:acme/app:environment:prod'")
    assert (pinned.too_broad, pinned.repo, pinned.environment) == (False, "acme/app", "prod")
    branches = judge_expression(
        GH,
        "claims['sub'] matches 'repo:acme/app:ref:refs/heads/*' and claims['job_workflow_ref'] matches 'acme/app/*'",
    )
    assert branches.too_broad
    assert branches.repo == "acme/app"
    assert judge_expression(GH, "claims['job_workflow_ref'] matches 'acme/*'").too_broad
    either = judge_expression(
        GH, "claims['sub'] eq 'repo:acme/app:environment:prod' or claims['sub'] eq 'repo:acme/lib:environment:prod'"
    )
    assert either.too_broad
    assert "several subjects" in (either.reason or "")
