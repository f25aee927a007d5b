"""zizmor (PyPI ``zizmor``, run ``--offline``) on the same corpus: its unpinned-uses and template-injection
findings per job, for the side-by-side with regwarden and the labels."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fidelity.corpus import CORPUS, repo_of

Key = tuple[str, str, str]


@dataclass
class ZizmorView:
    """zizmor's findings on the corpus, by job."""

    version: str = ""
    unpinned: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    injection: dict[Key, list[str]] = field(default_factory=lambda: defaultdict(list))
    dangerous_triggers: set[tuple[str, str]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


def available() -> str | None:
    """The zizmor executable (beside this Python first: the bench's venv), or None."""
    beside = Path(sys.executable).parent / "zizmor"
    return str(beside) if beside.exists() else shutil.which("zizmor")


def _job_of(location: dict[str, Any]) -> tuple[str, str] | None:
    sym = location["symbolic"]
    path = sym["key"].get("Local", {}).get("verbatim_path", "")
    route = [r.get("Key") for r in sym.get("route", {}).get("route", [])]
    if len(route) >= 2 and route[0] == "jobs" and isinstance(route[1], str):
        return path.removeprefix("./"), route[1]
    return None


def run(exe: str, persona: str = "regular") -> ZizmorView:
    """Run zizmor on every corpus repository (workflows only, as GitHub reads them)."""
    view = ZizmorView()
    view.version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    for d in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        repo = repo_of(d.name)
        wf = d / ".github" / "workflows"
        if not wf.is_dir():
            continue
        proc = subprocess.run(
            [
                exe,
                "--offline",
                "--format",
                "json",
                "--persona",
                persona,
                "--no-progress",
                "--collect=workflows",
                "--",  # --collect takes several values: the input must not read as one of them
                ".",
            ],
            cwd=d,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        # zizmor exits non-zero when it finds something: an answer is JSON on stdout, anything else an error
        try:
            findings = json.loads(proc.stdout)
        except json.JSONDecodeError:
            view.errors.append(f"{repo}: exit {proc.returncode}: {proc.stderr.strip()[:200]}")
            continue
        for f in findings:
            primary = next((loc for loc in f["locations"] if loc["symbolic"].get("kind") == "Primary"), None)
            if primary is None:
                continue
            where = _job_of(primary)
            if where is None:
                if f["ident"] == "dangerous-triggers":
                    path = primary["symbolic"]["key"].get("Local", {}).get("verbatim_path", "")
                    view.dangerous_triggers.add((repo, path.removeprefix("./")))
                continue
            key = (repo, where[0], where[1])
            feature = primary.get("concrete", {}).get("feature", "")
            if f["ident"] == "unpinned-uses":
                uses = feature.split("uses:", 1)[-1].strip().strip("'\"")
                view.unpinned[key].add(uses)
            elif f["ident"] == "template-injection":
                det = f["determinations"]
                view.injection[key].append(f"{det['severity']}/{det['confidence']}: {feature.strip()[:120]}")
    return view
