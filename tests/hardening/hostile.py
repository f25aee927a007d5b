"""Inject the hostile-names corpus (tests/fixtures/hostile/names.json) into every name-like field of a
copy of the demo estate: workflow, job and step names, action refs, environment names, a repository
name, PyPI maintainers and package roles."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from itertools import cycle
from pathlib import Path
from typing import Any

import yaml

from scanner.bundle import BundleReader
from tests.hardening.bundles import DEMO, FIXTURES

CORPUS = json.loads((FIXTURES / "hostile" / "names.json").read_text(encoding="utf-8"))
NAMES: list[str] = CORPUS["names"]
BAD_SECRET_NAMES: list[str] = CORPUS["secret_names_github_rejects"]


def path_safe(name: str) -> bool:
    """A name that can also be a folder name (environment and repository folders are named after them)."""
    return "/" not in name and "\x00" not in name and name not in (".", "..") and len(name.encode()) < 200


class Injector:
    """Hands out corpus names round-robin and counts where each went."""

    def __init__(self) -> None:
        self._all = cycle(NAMES)
        self._safe = cycle([n for n in NAMES if path_safe(n)])
        self.used: Counter[str] = Counter()

    def next(self, field: str, *, for_path: bool = False) -> str:
        name = next(self._safe if for_path else self._all)
        self.used[field] += 1
        return name


def _dump_yaml(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=False, width=1_000_000)


def _workflows(root: Path, inj: Injector) -> None:
    reader = BundleReader(root)
    for rel in reader.files("github/repos", ".yml"):
        doc = reader.yaml(rel)
        if not isinstance(doc, dict):
            continue
        doc["name"] = inj.next("workflow name")
        for job in (doc.get("jobs") or {}).values():
            if not isinstance(job, dict):
                continue
            job["name"] = inj.next("job name")
            for step in job.get("steps") or []:
                if not isinstance(step, dict):
                    continue
                step["name"] = inj.next("step name")
                uses = step.get("uses")
                # The publishing actions stay (they make a job a publisher); every other ref is hostile.
                if isinstance(uses, str) and not uses.startswith(("./", "docker://")) and "publish" not in uses:
                    step["uses"] = f"third-party/{inj.next('action ref').replace('@', '%')}@v1"
        root.joinpath(rel).write_text(_dump_yaml(doc), encoding="utf-8")


def _environments(root: Path, inj: Injector) -> None:
    for envs in sorted(root.glob("github/repos/*/*/environments.json")):
        doc = json.loads(envs.read_text(encoding="utf-8"))
        renames: dict[str, str] = {}
        for env in doc["environments"]:
            new = inj.next("environment name", for_path=True)
            renames[env["name"]] = new
            env["name"] = new
        envs.write_text(json.dumps(doc), encoding="utf-8")
        folder = envs.with_suffix("")
        for old, new in renames.items():
            if (folder / old).is_dir():
                (folder / old).rename(folder / new)
        # Jobs name their environment: keep them pointing at the renamed ones.
        for wf in sorted(envs.parent.glob("contents/.github/workflows/*.yml")):
            wdoc = BundleReader(root).yaml(wf.relative_to(root).as_posix())
            for job in (wdoc.get("jobs") or {}).values():
                env = job.get("environment") if isinstance(job, dict) else None
                if isinstance(env, str) and env in renames:
                    job["environment"] = renames[env]
                elif isinstance(env, dict) and env.get("name") in renames:
                    env["name"] = renames[env["name"]]
            wf.write_text(_dump_yaml(wdoc), encoding="utf-8")


def _pypi(root: Path, inj: Injector) -> None:
    for doc_path in sorted(root.glob("pypi/pypi/*/json.json")):
        doc = json.loads(doc_path.read_text(encoding="utf-8"))
        doc["info"]["author"] = inj.next("pypi author")
        doc["info"]["maintainer"] = inj.next("pypi maintainer")
        for role in (doc.get("ownership") or {}).get("roles") or []:
            role["user"] = inj.next("pypi owner")
        doc_path.write_text(json.dumps(doc), encoding="utf-8")
    for roles_path in sorted(root.glob("pypi/xmlrpc/package_roles/*.json")):
        roles = json.loads(roles_path.read_text(encoding="utf-8"))
        roles_path.write_text(json.dumps([[r, inj.next("pypi package role")] for r, _ in roles]), encoding="utf-8")


def _repo_name(root: Path, inj: Injector) -> None:
    """GitHub allows only ``[A-Za-z0-9._-]`` in repository names; a hand-made bundle may hold anything."""
    repos_file = next(root.glob("github/orgs/*/repos.json"))
    org = repos_file.parent.name
    repos = json.loads(repos_file.read_text(encoding="utf-8"))
    repo = repos[-1]
    new = inj.next("repository name", for_path=True)
    old = repo["name"]
    repo["name"], repo["full_name"] = new, f"{org}/{new}"
    repos_file.write_text(json.dumps(repos), encoding="utf-8")
    folder = root / "github" / "repos" / org
    if (folder / old).is_dir():
        (folder / old).rename(folder / new)


def hostile_demo(dst: Path) -> tuple[Path, Counter[str]]:
    """A copy of the demo estate with hostile names everywhere a name goes; returns it and the counts."""
    shutil.copytree(DEMO, dst)
    inj = Injector()
    _environments(dst, inj)
    _workflows(dst, inj)
    _pypi(dst, inj)
    _repo_name(dst, inj)
    return dst, inj.used
