"""Workload Identity Federation: which CI platform a provider trusts, and whether its attribute
condition (CEL) or the binding's principal pins one repository.

A provider for GitHub or GitLab with no condition lets every repository on that platform exchange a
token; a condition that tests only the owner, or a prefix without the ``:`` after the repository,
still accepts repositories the owner did not mean. The analysis is deliberately conservative: a
condition it cannot read as pinned is reported as broad, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUERS = ("https://gitlab.com",)

#: Claims that name one repository, per platform.
_REPO_CLAIMS = {"github": ("repository",), "gitlab": ("project_path",)}
_SUB_PREFIX = {"github": "repo:", "gitlab": "project_path:"}

_STR = r"""(?:'([^']*)'|"([^"]*)")"""
_EQ = re.compile(rf"\b(assertion|attribute)\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*{_STR}")
_EQ_REV = re.compile(rf"{_STR}\s*==\s*\b(assertion|attribute)\.([A-Za-z_][A-Za-z0-9_]*)")
_STARTS = re.compile(rf"\b(assertion|attribute)\.([A-Za-z_][A-Za-z0-9_]*)\.startsWith\(\s*{_STR}\s*\)")
_IN = re.compile(r"\b(assertion|attribute)\.([A-Za-z_][A-Za-z0-9_]*)\s+in\s+\[([^\]]*)\]")


def platform(issuer: str | None, mapping: dict[str, str]) -> str | None:
    """``github``, ``gitlab`` or None, from the issuer (or, for self-managed GitLab, the claims mapped)."""
    if issuer is None:
        return None
    issuer = issuer.rstrip("/")
    if issuer == GITHUB_ISSUER:
        return "github"
    if issuer in GITLAB_ISSUERS or any("assertion.project_path" in v for v in mapping.values()):
        return "gitlab"
    return None


def _claim(kind: str, name: str, mapping: dict[str, str]) -> str:
    """The assertion claim behind ``attribute.X`` (through the mapping) or ``assertion.X``."""
    if kind == "assertion":
        return name
    source = mapping.get(f"attribute.{name}", "")
    m = re.fullmatch(r"\s*assertion\.([A-Za-z_][A-Za-z0-9_]*)\s*", source)
    return m.group(1) if m else ""


def _repo_from_sub(value: str, plat: str, exact: bool) -> str | None:
    # repo:org/app:ref:refs/heads/main — the repository ends at the next ':'; a prefix must include it.
    prefix = _SUB_PREFIX[plat]
    if not value.startswith(prefix):
        return None
    rest = value[len(prefix) :]
    repo, sep, _ = rest.partition(":")
    if not repo or (not exact and not sep):
        return None
    return repo


def _pins(text: str, plat: str, mapping: dict[str, str]) -> set[str]:
    """Repositories one conjunction of a condition pins (empty when it pins none)."""
    repo_claims = _REPO_CLAIMS[plat]
    found: set[str] = set()
    for m in _EQ.finditer(text):
        claim, value = _claim(m.group(1), m.group(2), mapping), m.group(3) or m.group(4) or ""
        found |= _value_pin(claim, value, plat, repo_claims, exact=True)
    for m in _EQ_REV.finditer(text):
        claim, value = _claim(m.group(3), m.group(4), mapping), m.group(1) or m.group(2) or ""
        found |= _value_pin(claim, value, plat, repo_claims, exact=True)
    for m in _STARTS.finditer(text):
        claim, value = _claim(m.group(1), m.group(2), mapping), m.group(3) or m.group(4) or ""
        if claim == "sub" and (repo := _repo_from_sub(value, plat, exact=False)):
            found.add(repo)
    for m in _IN.finditer(text):
        claim = _claim(m.group(1), m.group(2), mapping)
        for v in re.findall(_STR, m.group(3)):
            found |= _value_pin(claim, v[0] or v[1], plat, repo_claims, exact=True)
    return found


def _value_pin(claim: str, value: str, plat: str, repo_claims: tuple[str, ...], *, exact: bool) -> set[str]:
    if claim in repo_claims and value:
        return {value}
    if claim == "sub" and (repo := _repo_from_sub(value, plat, exact)):
        return {repo}
    return set()


@dataclass(frozen=True)
class Trust:
    """What a provider's condition accepts: the repositories it pins, or why it is too broad."""

    repositories: tuple[str, ...]
    broad_reason: str | None


def analyse_condition(condition: str | None, plat: str, mapping: dict[str, str]) -> Trust:
    """Pinned repositories of a GitHub/GitLab provider's ``attributeCondition``, or the reason it is broad.

    Every ``||`` branch must pin a repository; otherwise one branch admits other repositories.
    """
    if not condition or not condition.strip():
        return Trust((), "no attribute condition: any repository on the platform can exchange a token")
    branches = [b for b in re.split(r"\|\|", condition) if b.strip()]
    repos: set[str] = set()
    for branch in branches:
        pinned = _pins(branch, plat, mapping)
        if not pinned:
            if re.search(r"repository_owner|namespace_path", branch):
                why = "the condition tests the owner only, so every repository of that owner is accepted"
            else:
                why = "the condition does not pin a repository"
            return Trust((), f"{why}: {' '.join(condition.split())[:200]}")
        repos |= pinned
    return Trust(tuple(sorted(repos)), None)


def member_repository(member: str, plat: str, mapping: dict[str, str]) -> tuple[str, str | None]:
    """``(pool name, pinned repository or None)`` of a ``principalSet://``/``principal://`` member.

    ``principalSet://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/attribute.repository/org/app``
    pins ``org/app`` when ``attribute.repository`` maps the repository claim; ``.../P/*`` pins nothing.
    """
    body = member.split("://", 1)[1] if "://" in member else member
    body = body.removeprefix("iam.googleapis.com/")
    m = re.match(r"(projects/[^/]+/locations/[^/]+/workloadIdentityPools/[^/]+)/(.*)$", body)
    if not m:
        return "", None
    pool, rest = m.group(1), m.group(2)
    if rest.startswith("attribute."):
        attr, _, value = rest.partition("/")
        claim = _claim("attribute", attr.removeprefix("attribute."), mapping)
        if claim in _REPO_CLAIMS.get(plat, ()) and value:
            return pool, value
    elif rest.startswith("subject/") and plat in _SUB_PREFIX:
        return pool, _repo_from_sub(rest.removeprefix("subject/"), plat, exact=True)
    return pool, None
