"""An organization seeded with the four incident patterns (fail-*) and their hardened variants (pass-*).

Every value is fake. ``FILES`` maps a bundle path to what GitHub returns for it (JSON) or to a
workflow file as committed (str); the live tests serve exactly these answers, the offline tests
write them as a bundle. ``AKIAIOSFODNN7EXAMPLE`` is AWS's documented example key id (not a key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ORG = "acme"
SHA = "0123456789abcdef0123456789abcdef01234567"
FAKE_AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
T0 = "2026-01-05T10:00:00Z"

# --- 1. a mutable action tag in two release jobs (tj-actions/changed-files, 2025) ----------------
TAG_RELEASE = f"""name: release
on:
  push:
    tags: ["v*"]
env:
  AWS_REGION: eu-west-1
  AWS_ACCESS_KEY_ID: {FAKE_AWS_KEY_ID}
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
      - uses: tj-actions/changed-files@v45
      - run: aws s3 sync dist s3://acme-artifacts
        env:
          AWS_SECRET_ACCESS_KEY: ${{{{ secrets.AWS_SECRET_ACCESS_KEY }}}}
      - uses: pypa/gh-action-pypi-publish@{SHA}
        with:
          password: ${{{{ secrets.PYPI_TOKEN }}}}
"""
TAG_RELEASE_B = f"""name: release
on:
  release:
    types: [published]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
      - uses: tj-actions/changed-files@v45
      - uses: pypa/gh-action-pypi-publish@{SHA}
        with:
          password: ${{{{ secrets.PYPI_TOKEN }}}}
"""
# hardened: pinned SHAs, Trusted Publishing, a protected environment
HARDENED_RELEASE = f"""name: release
on:
  push:
    tags: ["v*"]
permissions:
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@{SHA}
      - uses: tj-actions/changed-files@{SHA}
      - uses: actions/setup-python@{SHA}
      - uses: pypa/gh-action-pypi-publish@{SHA}
"""

# --- 2. a GITHUB_TOKEN with actions: write starts the release workflow (Nx, 2025) ----------------
TOKEN_TRIAGE = f"""name: triage
on: pull_request_target
permissions:
  actions: write
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/labeler@{SHA}
"""
TOKEN_TRIAGE_PASS = TOKEN_TRIAGE.replace("  actions: write", "  pull-requests: write")
DISPATCH_RELEASE = f"""name: release
on: workflow_dispatch
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
      - uses: pypa/gh-action-pypi-publish@{SHA}
        with:
          password: ${{{{ secrets.PYPI_TOKEN }}}}
"""

# --- 3. a cache written on pull_request_target and restored by the release job (Ultralytics, 2024)
CACHE_PR = f"""name: lint
on: pull_request_target
permissions: {{}}
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      # the pull request's code runs here (Ultralytics: an injected branch name did the same), and
      # whatever it leaves in pip's cache is saved for the default branch
      - uses: actions/checkout@{SHA}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
      - uses: actions/setup-python@{SHA}
        with:
          cache: pip
      - run: pip install ruff && ruff check .
"""
CACHE_RELEASE = f"""name: release
on:
  push:
    tags: ["v*"]
permissions:
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
      - uses: actions/setup-python@{SHA}
        with:
          cache: pip
      - run: pip install build twine && python -m build && twine upload dist/*
        env:
          TWINE_PASSWORD: ${{{{ secrets.PYPI_TOKEN }}}}
"""
# hardened: the pull request's code runs on pull_request (no secrets, a read-only token, and a cache
# scoped to the pull request's own ref), and the release job restores no cache
CACHE_PR_PASS = CACHE_PR.replace("on: pull_request_target", "on: pull_request")
CACHE_RELEASE_PASS = CACHE_RELEASE.replace("        with:\n          cache: pip\n", "").replace(
    "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    environment: pypi\n"
)

# --- 4. pull_request_target checks out the pull request's head with a publish secret (LiteLLM-like)
PRT_PREVIEW = f"""name: preview
on: pull_request_target
permissions:
  contents: read
jobs:
  preview:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
      - run: pip install build twine && python -m build && twine upload --repository-url https://upload.pypi.org/legacy/ dist/*
        env:
          TWINE_PASSWORD: ${{{{ secrets.PYPI_TOKEN }}}}
"""
PRT_PREVIEW_PASS = f"""name: preview
on: pull_request
permissions:
  contents: read
jobs:
  preview:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
      - run: pip install build && python -m build
"""

#: repository -> {workflow file: text}
WORKFLOWS: dict[str, dict[str, str]] = {
    "fail-tag": {"release.yml": TAG_RELEASE},
    "fail-tag-b": {"release.yml": TAG_RELEASE_B},
    "pass-tag": {"release.yml": HARDENED_RELEASE},
    "fail-token": {"triage.yml": TOKEN_TRIAGE, "release.yml": DISPATCH_RELEASE},
    "pass-token": {"triage.yml": TOKEN_TRIAGE_PASS, "release.yml": HARDENED_RELEASE},
    "fail-cache": {"lint.yml": CACHE_PR, "release.yml": CACHE_RELEASE},
    "pass-cache": {"lint.yml": CACHE_PR_PASS, "release.yml": CACHE_RELEASE_PASS},
    "fail-prt": {"preview.yml": PRT_PREVIEW},
    "pass-prt": {"preview.yml": PRT_PREVIEW_PASS, "release.yml": HARDENED_RELEASE},
}
#: repositories that publish to PyPI with a stored token, and the hardened ones (a project each)
PROJECTS: dict[str, str] = {f"acme-{r}": r for r in WORKFLOWS}
NO_ACTIONS = "docs"  # a repository without Actions: 404 on its Actions endpoints


def _repo(i: int, name: str) -> dict[str, Any]:
    return {
        "id": 1000 + i,
        "node_id": f"R_{i}",
        "name": name,
        "full_name": f"{ORG}/{name}",
        "owner": {"login": ORG, "id": 1, "type": "Organization"},
        "private": True,
        "html_url": f"https://github.com/{ORG}/{name}",
        "archived": False,
        "default_branch": "main",
        "pushed_at": f"2026-10-{1 + i:02d}T09:00:00Z",
    }


def team(i: int, slug: str, permission: str) -> dict[str, Any]:
    """One item of ``GET /repos/{owner}/{repo}/teams`` (schema ``team`` of github/rest-api-description)."""
    return {
        "id": i,
        "node_id": f"T_{i}",
        "url": f"https://api.github.com/teams/{i}",
        "html_url": f"https://github.com/orgs/{ORG}/teams/{slug}",
        "name": slug.replace("-", " ").title(),
        "slug": slug,
        "description": "",
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": permission,
        "permissions": {
            "pull": True,
            "triage": permission != "pull",
            "push": permission in ("push", "maintain", "admin"),
            "maintain": permission in ("maintain", "admin"),
            "admin": permission == "admin",
        },
        "members_url": f"https://api.github.com/teams/{i}/members{{/member}}",
        "repositories_url": f"https://api.github.com/teams/{i}/repos",
        "parent": None,
    }


#: CODEOWNERS files (path inside the repository → text) of the repositories that have one.
CODEOWNERS: dict[str, tuple[str, str]] = {
    "fail-tag": (
        ".github/CODEOWNERS",
        "# the release workflows belong to release engineering\n"
        "*                    @acme/developers\n"
        "/.github/workflows/  @acme/release-eng @octocat  # and its lead\n",
    ),
    "pass-tag": ("docs/CODEOWNERS", "*.yml  security@acme.example\n"),
}


def _secrets(*names: str) -> dict[str, Any]:
    return {"total_count": len(names), "secrets": [{"name": n, "created_at": T0, "updated_at": T0} for n in names]}


def files() -> dict[str, Any]:
    """Every bundle file of the estate: path → JSON document, or workflow text."""
    repos = [*WORKFLOWS, NO_ACTIONS]
    out: dict[str, Any] = {
        f"github/orgs/{ORG}.json": {"login": ORG, "id": 1, "url": f"https://api.github.com/orgs/{ORG}"},
        f"github/orgs/{ORG}/repos.json": [_repo(i, r) for i, r in enumerate(repos)],
        f"github/orgs/{ORG}/actions/secrets.json": {
            "total_count": 1,
            "secrets": [
                {
                    "name": "ORG_PYPI_TOKEN",
                    "created_at": T0,
                    "updated_at": T0,
                    "visibility": "selected",
                    "selected_repositories_url": f"https://api.github.com/orgs/{ORG}/actions/secrets/ORG_PYPI_TOKEN/repositories",
                }
            ],
        },
        f"github/orgs/{ORG}/actions/secrets/ORG_PYPI_TOKEN/repositories.json": {
            "total_count": 2,
            "repositories": [_repo(0, "fail-tag"), _repo(1, "fail-tag-b")],
        },
        f"github/orgs/{ORG}/personal-access-tokens.json": [
            {
                "id": 25381,
                "owner": {"login": "octo-release-bot", "id": 7, "type": "User"},
                "repository_selection": "all",
                "repositories_url": "https://api.github.com/organizations/1/personal-access-token-requests/25381/repositories",
                "permissions": {"organization": {"members": "read"}, "repository": {"contents": "write"}, "other": {}},
                "access_granted_at": "2025-05-16T08:47:09Z",
                "token_id": 98716,
                "token_name": "release automation",
                "token_expired": False,
                "token_expires_at": None,
                "token_last_used_at": "2026-10-01T12:00:00Z",
            }
        ],
        f"github/orgs/{ORG}/installations.json": {
            "total_count": 1,
            "installations": [
                {
                    "id": 4242,
                    "account": {"login": ORG, "id": 1},
                    "repository_selection": "all",
                    "app_id": 17,
                    "app_slug": "release-drafter",
                    "target_type": "Organization",
                    "permissions": {"contents": "write", "metadata": "read", "pull_requests": "write"},
                    "events": ["push", "pull_request"],
                    "created_at": "2024-02-01T00:00:00Z",
                    "updated_at": "2024-02-01T00:00:00Z",
                    "suspended_at": None,
                }
            ],
        },
        f"github/orgs/{ORG}/actions/oidc/customization/sub.json": {"include_claim_keys": ["repo", "context"]},
    }
    for repo, wfs in WORKFLOWS.items():
        base = f"github/repos/{ORG}/{repo}"
        hardened = repo.startswith("pass-")
        names = ("PYPI_TOKEN", "AWS_SECRET_ACCESS_KEY") if repo == "fail-tag" else ("PYPI_TOKEN",)
        out[f"{base}/actions/secrets.json"] = _secrets(*names) if not hardened or repo == "pass-cache" else _secrets()
        out[f"{base}/actions/permissions/workflow.json"] = {
            "default_workflow_permissions": "read",
            "can_approve_pull_request_reviews": False,
        }
        envs: list[dict[str, Any]] = []
        if "environment: pypi" in "".join(wfs.values()):
            envs.append(
                {
                    "id": 1,
                    "node_id": "EN_1",
                    "name": "pypi",
                    "url": "",
                    "html_url": "",
                    "created_at": T0,
                    "updated_at": T0,
                    "protection_rules": [
                        {
                            "id": 3,
                            "node_id": "GA_1",
                            "type": "required_reviewers",
                            "prevent_self_review": True,
                            "reviewers": [{"type": "Team", "reviewer": {"id": 9, "slug": "release-managers"}}],
                        }
                    ],
                    "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
                }
            )
            out[f"{base}/environments/pypi/secrets.json"] = _secrets()
        out[f"{base}/environments.json"] = {"total_count": len(envs), "environments": envs}
        out[f"{base}/keys.json"] = (
            [
                {
                    "id": 77,
                    "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE",
                    "url": f"https://api.github.com/repos/{ORG}/{repo}/keys/77",
                    "title": "release pusher",
                    "verified": True,
                    "created_at": "2023-01-01T00:00:00Z",
                    "read_only": False,
                    "added_by": "octocat",
                    "last_used": None,
                    "enabled": True,
                }
            ]
            if repo == "fail-tag"
            else []
        )
        out[f"{base}/actions/oidc/customization/sub.json"] = {"use_default": True}
        out[f"{base}/tags.json"] = [{"name": "v1.0.0", "commit": {"sha": "0" * 40, "url": ""}}]
        out[f"{base}/actions/runs.json"] = {"total_count": 0, "workflow_runs": []}
        out[f"{base}/dependency-graph/sbom.json"] = {
            "sbom": {
                "SPDXID": "SPDXRef-DOCUMENT",
                "spdxVersion": "SPDX-2.3",
                "creationInfo": {"created": T0, "creators": ["Tool: GitHub.com-Dependency-Graph"]},
                "name": f"com.github.{ORG}/{repo}",
                "dataLicense": "CC0-1.0",
                "documentNamespace": f"https://github.com/{ORG}/{repo}/dependency_graph/sbom-0",
                "packages": [],
                "relationships": [],
            }
        }
        for name, text in wfs.items():
            out[f"{base}/contents/.github/workflows/{name}"] = text
        # every repository has an admin team; a read-only team owns nothing
        out[f"{base}/teams.json"] = [team(1, f"{repo}-admins", "admin"), team(2, "readers", "pull")]
        if repo in CODEOWNERS:
            path, text = CODEOWNERS[repo]
            out[f"{base}/contents/{path}"] = text
    return out


def write_bundle(root: Path, data: dict[str, Any] | None = None) -> Path:
    """Write the estate as an offline bundle."""
    for rel, value in (data or files()).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2), encoding="utf-8")
    return root


def pypi_json(project: str) -> dict[str, Any]:
    """``GET /pypi/{project}/json`` of a project whose source is one of the estate's repositories."""
    return {
        "info": {
            "name": project,
            "version": "1.0.0",
            "summary": "fake",
            "project_urls": {"Source": f"https://github.com/{ORG}/{PROJECTS[project]}"},
            "yanked": False,
        },
        "last_serial": 1,
        "releases": {"1.0.0": []},
        "urls": [],
        "vulnerabilities": [],
    }


def pypi_files() -> dict[str, Any]:
    """The PyPI part of an offline bundle: each project's JSON API answer and simple index."""
    out: dict[str, Any] = {}
    for p in PROJECTS:
        out[f"pypi/pypi/{p}/json.json"] = pypi_json(p)
        out[f"pypi/simple/{p}/index.json"] = pypi_simple(p)
    return out


def pypi_simple(project: str) -> dict[str, Any]:
    """``GET /simple/{project}/`` as JSON (PEP 691), with no files."""
    return {"meta": {"api-version": "1.1"}, "name": project, "files": [], "versions": ["1.0.0"]}
