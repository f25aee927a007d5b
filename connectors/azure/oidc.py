"""Judging a federated identity credential's subject: is it pinned to one workload?

Entra compares ``subject`` exactly, so a classic credential is as narrow as the subject it names:
a GitHub subject must name one repository and one ref or environment. Flexible credentials
(``claimsMatchingExpression``, e.g. ``claims['sub'] matches 'repo:acme/app:ref:refs/heads/*'``)
accept wildcards, which is where breadth comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# Claims GitHub can put in a (customised) subject, each followed by its value except pull_request.
_GITHUB_KEYS = frozenset(
    {
        "repo",
        "environment",
        "ref",
        "ref_type",
        "context",
        "job_workflow_ref",
        "workflow",
        "workflow_ref",
        "repository_owner",
        "repository_owner_id",
        "repository_id",
        "repository_visibility",
        "actor",
        "actor_id",
        "event_name",
        "head_ref",
        "base_ref",
    }
)
_SUB_CLAUSE = re.compile(r"claims\s*\[\s*'sub'\s*\]\s*(matches|eq)\s*'([^']*)'", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SubjectVerdict:
    """What a subject (or expression) admits: too broad or not, why, and the exact repository and
    environment it pins (for linking CI jobs), when it pins them."""

    too_broad: bool
    reason: str | None = None
    repo: str | None = None
    environment: str | None = None
    ref: str | None = None


def github_claims(subject: str) -> dict[str, str]:
    """Split a GitHub subject (``repo:o/r:environment:prod``) into its claims."""
    parts = subject.split(":")
    claims: dict[str, str] = {}
    i = 0
    while i < len(parts):
        key = parts[i]
        if key == "pull_request":
            claims["pull_request"] = ""
            i += 1
        elif key in _GITHUB_KEYS and i + 1 < len(parts):
            claims[key] = parts[i + 1]
            i += 2
        else:
            claims.setdefault("unparsed", "")
            claims["unparsed"] += key
            i += 1
    return claims


def _github(subject: str) -> SubjectVerdict:
    claims = github_claims(subject)
    repo = claims.get("repo")
    if repo is None or "*" in repo or "/" not in repo:
        what = f"repositories matching {repo!r}" if repo else "any repository of the owner"
        return SubjectVerdict(True, f"subject {subject!r} is not pinned to one repository ({what})")
    env = claims.get("environment")
    ref = claims.get("ref")
    if env is not None and "*" not in env:
        return SubjectVerdict(False, repo=repo, environment=env, ref=ref if ref and "*" not in ref else None)
    if ref is not None and "*" not in ref:
        return SubjectVerdict(False, repo=repo, ref=ref)
    if env is not None or ref is not None:
        return SubjectVerdict(True, f"subject {subject!r} accepts any matching branch, tag or environment", repo=repo)
    if "pull_request" in claims:
        return SubjectVerdict(True, f"subject {subject!r} accepts any pull request of {repo}", repo=repo)
    return SubjectVerdict(True, f"subject {subject!r} pins no ref or environment of {repo}", repo=repo)


def _gitlab(subject: str) -> SubjectVerdict:
    # project_path:group/project:ref_type:branch:ref:main
    parts = subject.split(":")
    claims = dict(zip(parts[0::2], parts[1::2], strict=False))
    path = claims.get("project_path")
    if not path or "*" in path:
        return SubjectVerdict(True, f"subject {subject!r} is not pinned to one project")
    ref = claims.get("ref")
    if not ref or "*" in ref:
        return SubjectVerdict(True, f"subject {subject!r} accepts any ref of {path}")
    return SubjectVerdict(False)


def judge_subject(issuer: str, subject: str) -> SubjectVerdict:
    """Is an exact-match (or wildcard pattern) subject pinned to one workload of its issuer?"""
    if not subject.strip():
        return SubjectVerdict(True, "empty subject")
    if issuer.rstrip("/").startswith(GITHUB_ISSUER):
        return _github(subject)
    if subject.startswith("project_path:"):
        return _gitlab(subject)
    if "*" in subject:
        return SubjectVerdict(True, f"subject pattern {subject!r} admits several workloads")
    return SubjectVerdict(False)


def judge_expression(issuer: str, expression: str) -> SubjectVerdict:
    """Judge a flexible credential's ``claimsMatchingExpression``: every alternative for ``sub`` must
    be pinned, and a ``sub`` condition must exist at all."""
    clauses = _SUB_CLAUSE.findall(expression)
    if not clauses:
        return SubjectVerdict(True, f"claims-matching expression {expression!r} has no condition on the subject")
    verdicts = [judge_subject(issuer, pattern) for _op, pattern in clauses]
    broad = next((v for v in verdicts if v.too_broad), None)
    if broad is not None:
        return broad
    if len(verdicts) > 1 and re.search(r"\bor\b", expression, re.IGNORECASE):
        return SubjectVerdict(True, f"claims-matching expression {expression!r} accepts several subjects")
    return verdicts[0]
