"""Who owns what in the demo estate, stated where a real estate states it (docs/owners.md): each GitHub
repository's teams (``GET /repos/{owner}/{repo}/teams``) and a CODEOWNERS file in three repositories (one in
each place GitHub looks), the GitLab group's and projects' direct members (``GET …/members``). Cloud tags and
labels are in ``aws.py``, ``gcp.py`` and ``azure.py``; IAM paths in ``aws.py``; Terraform module addresses
in ``terraform.py``; PyPI roles and npm maintainers with their projects and packages.

A team with ``push`` or ``pull`` permission owns nothing (only ``admin`` and ``maintain`` do); a GitLab
Developer (30) owns nothing (Maintainer, 40, and Owner, 50, do). Both appear here, so the demo shows who is
*not* an owner too.
"""

from __future__ import annotations

from typing import Any

#: Teams that own repositories: slug -> (id, name, description). Merged into generate.TEAMS.
OWNING_TEAMS: dict[str, tuple[int, str, str]] = {
    "python-libs": (9120611, "Python libraries", "Maintainers of the Acme Python client libraries"),
    "ml-platform": (9120634, "ML platform", "Model serving, LLM gateway and ML tooling"),
    "data-eng": (9120659, "Data engineering", "Warehouse connectors and batch pipelines"),
    "devex": (9120672, "Developer experience", "CLI, docs and developer tooling"),
    "platform": (9120698, "Platform", "Platform services, infrastructure and the edge"),
    "payments": (9120715, "Payments", "Payments and billing services"),
    "web": (9120733, "Web", "Customer web apps and the design system"),
    "sre": (9120750, "SRE", "Operations, the legacy monolith and its scripts"),
}

_LIBS = (
    "http-client",
    "config-loader",
    "retry-policy",
    "schema-registry-client",
    "metrics-sdk",
    "auth-client",
    "feature-flags",
    "tracing-utils",
    "sdk-examples",
    "service-template",
    "benchmark-suite",
)
_BY_TEAM: dict[str, tuple[str, ...]] = {
    "python-libs": _LIBS,
    "ml-platform": ("llm-gateway", "vision-kit", "ml-notebooks"),
    "data-eng": ("data-connectors", "etl-helpers", "data-pipelines"),
    "devex": ("cli-tools", "docs-site", "docs-previews"),
    "platform": ("platform-api", "infra-terraform", "load-tests", "status-page", "internal-dashboard", "edge-proxy"),
    "payments": ("payments-api", "billing-worker", "legacy-billing"),
    "web": ("web-frontend", "design-system", "web-portal", "ui-kit"),
    "sre": ("monolith", "ops-scripts"),
}
#: The permission an owning team has: infra-terraform's is admin, every other maintain.
_ADMIN = frozenset({"infra-terraform"})
#: Teams that can push or read a repository but own nothing there (GitHub's repository teams list them too).
_OTHERS: dict[str, tuple[tuple[str, str], ...]] = {
    **{lib: (("release-managers", "push"),) for lib in _LIBS[:8]},
    "llm-gateway": (("release-managers", "push"),),
    "vision-kit": (("release-managers", "push"),),
    "platform-api": (("platform-leads", "pull"),),
}


def repo_teams(repo: str) -> list[tuple[str, str]]:
    """(team slug, permission) of every team of the repository, by slug."""
    owning = [(team, "admin" if repo in _ADMIN else "maintain") for team, repos in _BY_TEAM.items() if repo in repos]
    if not owning:
        raise ValueError(f"no owning team for demo repository {repo}")
    return sorted([*owning, *_OTHERS.get(repo, ())])


#: CODEOWNERS files: repository -> (path in the repository, text). One in each place GitHub looks.
CODEOWNERS: dict[str, tuple[str, str]] = {
    "llm-gateway": (
        ".github/CODEOWNERS",
        "# The gateway is the ML platform's; its release workflows are the release managers'.\n"
        "*                   @acme-corp/ml-platform\n"
        "/.github/workflows/ @acme-corp/release-managers\n",
    ),
    "payments-api": (
        "CODEOWNERS",
        "*        @acme-corp/payments\n/.github/ @acme-corp/platform mkowalski@acme-corp.example\n",
    ),
    # Only Python files have a code owner here: the workflows belong to the repository's team.
    "monolith": ("docs/CODEOWNERS", "*.py @acme-corp/sre @tbrown\n/docs/ @acme-corp/devex\n"),
}


def gitlab_member(username: str, name: str, access_level: int, uid: int, web: str) -> dict[str, Any]:
    """One item of GitLab's ``GET …/members`` (https://docs.gitlab.com/api/members/)."""
    return {
        "id": uid,
        "username": username,
        "name": name,
        "state": "active",
        "locked": False,
        "avatar_url": f"{web}/uploads/-/system/user/avatar/{uid}/avatar.png",
        "web_url": f"{web}/{username}",
        "created_at": "2024-08-26T09:00:12.331Z",
        "expires_at": None,
        "access_level": access_level,
        "group_saml_identity": None,
        "membership_state": "active",
    }


#: GitLab direct members: group or project path (under the top group) -> (username, name, access level, id).
#: The top group's Owner owns what a project with no maintainer of its own holds (ml/feature-store).
GITLAB_MEMBERS: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    "": (("mkowalski", "Marta Kowalski", 50, 2291834), ("asmith", "Alex Smith", 30, 3145700)),
    "ml/model-server": (("lnguyen", "Linh Nguyen", 40, 5287011), ("tbrown", "Tom Brown", 30, 6134990)),
    "ml/feature-store": (("rpatel", "Ravi Patel", 30, 4098127),),
}
