"""GitHub and PyPI parts of a synthetic estate, in the shapes of the demo estate's files.

Three kinds of repository: libraries (CI plus a release workflow publishing a PyPI project, by
Trusted Publishing from a protected environment or with a stored token, sometimes beside an
unpinned third-party action), services (CI plus a deploy workflow that assumes an AWS role by OIDC
or uses static AWS keys, with staging and production environments) and the rest (CI only).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.sizes import Size, Writer, date, hexid, rng_for

API = "https://api.github.com"
WEB = "https://github.com"
PINNED = {
    "actions/checkout": "v4.2.2",
    "actions/setup-python": "v5.3.0",
    "actions/upload-artifact": "v4.4.3",
    "actions/download-artifact": "v4.1.8",
    "pypa/gh-action-pypi-publish": "v1.12.2",
    "aws-actions/configure-aws-credentials": "v4.0.2",
    "codecov/codecov-action": "v5.0.7",
}
THIRD_PARTY_UNPINNED = ("aquasecurity/trivy-action@master", "tj-actions/changed-files@v45", "some-vendor/scan@main")


def _uses(action: str, pinned: bool) -> str:
    if pinned:
        return f"{action}@{hexid(action)} # {PINNED.get(action, 'v1')}"
    return f"{action}@{PINNED.get(action, 'v1').split('.')[0]}"


@dataclass(frozen=True)
class RepoPlan:
    """What one generated repository holds (also read by the AWS generator for OIDC trusts)."""

    org: str
    name: str
    kind: str  # lib | service | misc
    trusted_publishing: bool = False
    oidc_role: str | None = None  # role ARN a service deploys with

    @property
    def full_name(self) -> str:
        """``org/name``."""
        return f"{self.org}/{self.name}"


def plan_repos(size: Size, seed: int, aws_accounts: list[str]) -> list[RepoPlan]:
    """Every repository of the estate, deterministically."""
    rng = rng_for(size, "github-plan", seed)
    plans: list[RepoPlan] = []
    for i in range(size.gh_repos):
        org = f"acme-{i % size.gh_orgs}"
        name = f"repo-{i:05d}"
        roll = rng.random()
        if roll < 0.4:
            plans.append(RepoPlan(org, name, "lib", trusted_publishing=rng.random() < 0.6))
        elif roll < 0.8:
            role = None
            if aws_accounts and rng.random() < 0.7:
                acct = aws_accounts[i % len(aws_accounts)]
                role = f"arn:aws:iam::{acct}:role/gh-deploy-{name}"
            plans.append(RepoPlan(org, name, "service", oidc_role=role))
        else:
            plans.append(RepoPlan(org, name, "misc"))
    return plans


def _repo_meta(p: RepoPlan, rng: random.Random) -> dict[str, object]:
    return {
        "id": int(hexid(p.full_name, 8), 16),
        "name": p.name,
        "full_name": p.full_name,
        "owner": {"login": p.org, "type": "Organization"},
        "private": rng.random() < 0.7,
        "html_url": f"{WEB}/{p.full_name}",
        "url": f"{API}/repos/{p.full_name}",
        "archived": rng.random() < 0.05,
        "default_branch": "main",
        # Not drawn from rng: the rest of the estate stays as it was generated before this field.
        "pushed_at": f"2026-{1 + int(hexid(p.full_name, 2), 16) % 12:02d}-15T09:00:00Z",
    }


def _ci(p: RepoPlan, rng: random.Random, secrets: list[str]) -> str:
    pinned = rng.random() < 0.5
    steps = [
        f"      - uses: {_uses('actions/checkout', pinned)}",
        f"      - uses: {_uses('actions/setup-python', pinned)}",
    ]
    steps.append("      - run: python -m pytest")
    if rng.random() < 0.3:
        secrets.append("CODECOV_TOKEN")
        steps.append(f"      - uses: {_uses('codecov/codecov-action', pinned)}")
        steps.append("        with:\n          token: ${{ secrets.CODECOV_TOKEN }}")
    lint = (
        "\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n" + "\n".join(steps[:2]) + "\n      - run: ruff check .\n"
    )
    return (
        "name: CI\n\non:\n  push:\n    branches: [main]\n  pull_request:\n\npermissions:\n  contents: read\n\n"
        "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n" + "\n".join(steps) + "\n" + lint
    )


def _release(p: RepoPlan, rng: random.Random, secrets: list[str]) -> str:
    pinned = rng.random() < 0.6
    build = (
        "  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: {_uses('actions/checkout', pinned)}\n      - run: python -m build\n"
        f"      - uses: {_uses('actions/upload-artifact', pinned)}\n        with:\n          name: dist\n          path: dist/\n"
    )
    if p.trusted_publishing:
        publish = (
            "  publish:\n    needs: build\n    runs-on: ubuntu-latest\n    environment: pypi\n"
            "    permissions:\n      id-token: write\n    steps:\n"
            f"      - uses: {_uses('actions/download-artifact', True)}\n        with:\n          name: dist\n"
            f"      - uses: {_uses('pypa/gh-action-pypi-publish', True)}\n"
        )
    else:
        secrets.append("PYPI_API_TOKEN")
        scan = f"      - uses: {rng.choice(THIRD_PARTY_UNPINNED)}\n" if rng.random() < 0.2 else ""
        publish = (
            "  publish:\n    needs: build\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - uses: {_uses('actions/download-artifact', pinned)}\n        with:\n          name: dist\n"
            f"{scan}      - uses: {_uses('pypa/gh-action-pypi-publish', pinned)}\n"
            "        with:\n          password: ${{ secrets.PYPI_API_TOKEN }}\n"
        )
    return f"name: Release\n\non:\n  release:\n    types: [published]\n\njobs:\n{build}\n{publish}"


def _deploy(p: RepoPlan, rng: random.Random, secrets: list[str], env_secrets: dict[str, list[str]]) -> str:
    if p.oidc_role:
        creds = f"          role-to-assume: {p.oidc_role}\n          aws-region: us-east-1\n"
        perms = "    permissions:\n      id-token: write\n      contents: read\n"
    else:
        secrets.extend(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
        creds = (
            "          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n"
            "          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n          aws-region: us-east-1\n"
        )
        perms = ""
    env_secrets["production"] = ["KUBECONFIG"]
    jobs = []
    for env in ("staging", "production"):
        jobs.append(
            f"  deploy-{env}:\n    runs-on: ubuntu-latest\n    environment: {env}\n{perms}    steps:\n"
            f"      - uses: {_uses('actions/checkout', True)}\n"
            f"      - uses: {_uses('aws-actions/configure-aws-credentials', rng.random() < 0.7)}\n        with:\n{creds}"
            "      - run: ./deploy.sh\n"
        )
    return "name: Deploy\n\non:\n  push:\n    branches: [main]\n\njobs:\n" + "\n".join(jobs)


def _environments(p: RepoPlan, rng: random.Random, names: list[str]) -> dict[str, object]:
    envs = []
    for n in names:
        rules: list[dict[str, object]] = []
        if n in ("pypi", "production") and rng.random() < 0.8:
            rules.append(
                {"id": 1, "type": "required_reviewers", "prevent_self_review": True,
                 "reviewers": [{"type": "Team", "reviewer": {"slug": "release-managers"}}]}
            )  # fmt: skip
        envs.append(
            {"id": int(hexid(p.full_name + n, 8), 16), "name": n, "protection_rules": rules,
             "deployment_branch_policy": None}
        )  # fmt: skip
    return {"total_count": len(envs), "environments": envs}


def _secret_list(names: list[str], rng: random.Random) -> dict[str, object]:
    items = []
    for n in sorted(set(names)):
        created = date(rng)
        items.append({"name": n, "created_at": created, "updated_at": created})
    return {"total_count": len(items), "secrets": items}


def write_github(w: Writer, size: Size, seed: int, plans: list[RepoPlan]) -> None:
    """Organisations, repositories, secrets, environments and workflow files."""
    rng = rng_for(size, "github", seed)
    by_org: dict[str, list[RepoPlan]] = {}
    for p in plans:
        by_org.setdefault(p.org, []).append(p)
    for org, repos in sorted(by_org.items()):
        base = f"github/orgs/{org}"
        w.json(f"{base}.json", {"login": org, "id": int(hexid(org, 8), 16)})
        w.json(f"{base}/repos.json", [_repo_meta(p, rng) for p in repos])
        shared = rng.sample(repos, min(8, len(repos)))
        org_secrets = [
            {"name": "PYPI_ORG_TOKEN", "created_at": "2023-09-05T13:48:20Z", "updated_at": "2023-09-05T13:48:20Z",
             "visibility": "selected", "selected_repositories_url": f"{API}/orgs/{org}/actions/secrets/PYPI_ORG_TOKEN/repositories"},
            {"name": "SLACK_WEBHOOK_URL", "created_at": "2023-02-14T09:26:51Z", "updated_at": "2025-06-03T08:11:40Z",
             "visibility": "all"},
        ]  # fmt: skip
        w.json(f"{base}/actions/secrets.json", {"total_count": len(org_secrets), "secrets": org_secrets})
        w.json(
            f"{base}/actions/secrets/PYPI_ORG_TOKEN/repositories.json",
            {"total_count": len(shared), "repositories": [_repo_meta(p, rng) for p in shared]},
        )
        for p in repos:
            _write_repo(w, p, rng)


def _write_repo(w: Writer, p: RepoPlan, rng: random.Random) -> None:
    base = f"github/repos/{p.full_name}"
    secrets: list[str] = []
    env_secrets: dict[str, list[str]] = {}
    wf = f"{base}/contents/.github/workflows"
    w.text(f"{wf}/ci.yml", _ci(p, rng, secrets))
    envs: list[str] = []
    if p.kind == "lib":
        w.text(f"{wf}/release.yml", _release(p, rng, secrets))
        envs = ["pypi"] if p.trusted_publishing else []
    elif p.kind == "service":
        w.text(f"{wf}/deploy.yml", _deploy(p, rng, secrets, env_secrets))
        envs = ["staging", "production"]
    w.json(f"{base}/actions/secrets.json", _secret_list(secrets, rng))
    perms = "write" if rng.random() < 0.1 else "read"
    w.json(
        f"{base}/actions/permissions/workflow.json",
        {"default_workflow_permissions": perms, "can_approve_pull_request_reviews": False},
    )
    w.json(f"{base}/environments.json", _environments(p, rng, envs))
    for env, names in env_secrets.items():
        w.json(f"{base}/environments/{env}/secrets.json", _secret_list(names, rng))


def write_pypi(w: Writer, size: Size, seed: int, plans: list[RepoPlan]) -> None:
    """One PyPI project per library repository, with roles, the simple index and provenance."""
    rng = rng_for(size, "pypi", seed)
    users = [f"user{i:05d}" for i in range(size.pypi_users)]
    for p in plans:
        if p.kind != "lib":
            continue
        project = f"{p.org}-{p.name}"
        version = f"{rng.randint(0, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        fname = f"{project.replace('-', '_')}-{version}.tar.gz"
        url = f"https://files.pythonhosted.org/packages/{hexid(fname, 2)}/{hexid(fname + 'x', 2)}/{hexid(fname, 60)}/{fname}"
        uploaded = date(rng, 2025, 2026)
        file = {
            "filename": fname,
            "url": url,
            "packagetype": "sdist",
            "upload_time_iso_8601": uploaded,
            "yanked": False,
        }
        roles = [["Owner", u] for u in rng.sample(users, min(len(users), rng.randint(1, 3)))]
        info = {
            "name": project,
            "version": version,
            "project_urls": {"Source": f"{WEB}/{p.full_name}"},
            "home_page": None,
            "author": None,
            "author_email": None,
            "maintainer": None,
            "maintainer_email": None,
        }
        w.json(
            f"pypi/pypi/{project}/json.json",
            {"info": info, "releases": {version: [file]}, "urls": [file], "last_serial": rng.randint(1, 10**8),
             "ownership": {"organization": None, "roles": [{"role": r, "user": u} for r, u in roles]}},
        )  # fmt: skip
        prov = f"https://pypi.org/integrity/{project}/{version}/{fname}/provenance" if p.trusted_publishing else None
        w.json(
            f"pypi/simple/{project}/index.json",
            {"meta": {"api-version": "1.4"}, "name": project, "versions": [version],
             "files": [{"filename": fname, "url": url, "hashes": {"sha256": hexid(fname, 64)}, "provenance": prov,
                        "upload-time": uploaded, "yanked": False}]},
        )  # fmt: skip
        w.json(f"pypi/xmlrpc/package_roles/{project}.json", roles)
        if p.trusted_publishing:
            w.json(f"pypi/integrity/{project}/{version}/{fname}/provenance.json", _provenance(p))


def _provenance(p: RepoPlan) -> dict[str, object]:
    return {
        "version": 1,
        "attestation_bundles": [
            {
                "publisher": {"kind": "GitHub", "repository": p.full_name, "workflow": "release.yml",
                              "environment": "pypi"},
                "attestations": [{"version": 1, "envelope": {"statement": "UExBQ0VIT0xERVI=",
                                                             "signature": "UExBQ0VIT0xERVI="},
                                  "verification_material": {"certificate": "UExBQ0VIT0xERVI=",
                                                            "transparency_entries": []}}],
            }
        ],
    }  # fmt: skip
