"""The demo's workflow runs (``github/repos/{owner}/{repo}/actions/runs.json``), as collected in an era.

Every workflow of every repository runs weekly over the collection window, and the workflows of a
repository that publishes to PyPI or npm also ran when each of its releases was uploaded, so no release
looks published from outside CI and every token held in a secret has a last use (RB09 reads it from the
runs).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scanner.demo_estate import registries
from scanner.demo_estate.common import COLLECTED, ORG, Era, Files, number

#: Days of runs collected, as ``[sources.github] runs_days`` defaults to.
WINDOW_DAYS = 90
_RUN = timedelta(minutes=9)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def files(era: Era) -> Files:
    """``runs.json`` of every demo repository, newest run first as GitHub lists them."""
    from scanner.demo_estate.generate import REPOS  # the repositories are defined there

    collected = _parse(COLLECTED[era])
    released: dict[str, list[datetime]] = {}
    for repo in REPOS:
        released[repo.name] = [_parse(r.uploaded) for r in (repo.project.releases if repo.project else ())]
    for data in registries.npm_files(era).values():
        if isinstance(data, dict) and isinstance(data.get("time"), dict):
            url = str((data.get("repository") or {}).get("url", ""))
            name = url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
            times = [_parse(t) for v, t in data["time"].items() if v not in ("created", "modified")]
            released.setdefault(name, []).extend(times)
    start = collected - timedelta(days=WINDOW_DAYS)
    out: Files = {}
    for repo in REPOS:
        starts: list[tuple[datetime, str, str]] = []
        for filename, _ in repo.workflows:
            path = f".github/workflows/{filename}"
            offset = number(f"{repo.name}/{filename}", 0, 6)
            t = collected - timedelta(days=1 + offset, hours=3)
            while t > start:
                starts.append((t, path, "push"))
                t -= timedelta(days=7)
            for up in released.get(repo.name, ()):
                if start < up < collected:
                    starts.append((up - timedelta(minutes=4), path, "release"))
        runs = []
        for i, (t, path, event) in enumerate(sorted(starts, reverse=True)):
            run_id = number(f"{repo.name}/{path}/{_iso(t)}", 10**9, 10**10 - 1)
            runs.append(
                {
                    "id": run_id + i,
                    "name": path.rsplit("/", 1)[-1],
                    "path": path,
                    "event": event,
                    "status": "completed",
                    "conclusion": "success",
                    "created_at": _iso(t),
                    "run_started_at": _iso(t),
                    "updated_at": _iso(t + _RUN),
                    "html_url": f"https://github.com/{ORG}/{repo.name}/actions/runs/{run_id + i}",
                }
            )
        out[f"github/repos/{ORG}/{repo.name}/actions/runs.json"] = {"total_count": len(runs), "workflow_runs": runs}
    return out
