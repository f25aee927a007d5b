"""When a credential held in an Actions secret was last used: the last run of a workflow that reads it.

GitHub records no use of a secret, but it records every workflow run (``actions/runs.json``, the last
``runs_days``): a token is used when a workflow whose job reads its secret runs. So a credential that the
publish graph found in a secret gets ``last_used`` = the start of the latest such run, or, when none of
those workflows ran in the collected window, ``unused_since`` = the window's start (RB09 judges both).
When a repository whose jobs read the secret has no runs collected, the credential says so
(``runs_unread``) and RB09 lists it as not assessed, naming the file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from connectors._types import iso_time
from connectors.github.raw import RepoRaw
from scanner.model import CredentialInfo, EdgeKind, Inventory, Node, NodeId, NodeKind


def _last_runs(repo: RepoRaw) -> tuple[dict[str, datetime], datetime | None]:
    """The latest run start per workflow file of a repository, and the latest of any workflow."""
    assert repo.runs is not None
    latest: dict[str, datetime] = {}
    for run in repo.runs.data.workflow_runs:
        t = iso_time(run.run_started_at or run.created_at)
        if t is None or not run.path:
            continue
        path = run.path.split("@", 1)[0]  # a reusable workflow's run path may carry @ref
        if path not in latest or t > latest[path]:
            latest[path] = t
    return latest, max(latest.values(), default=None)


def record_use(inv: Inventory, repos: Mapping[str, RepoRaw]) -> None:
    """Set ``last_used`` (or ``unused_since``, or ``runs_unread``) on every credential held in a secret."""
    readers: dict[NodeId, set[NodeId]] = defaultdict(set)
    for e in inv.edges():
        if e.kind is EdgeKind.CAN_READ_SECRET:
            readers[e.dst].add(e.src)
    runs = {name.lower(): _last_runs(r) for name, r in repos.items() if r.runs is not None}
    since = {name.lower(): iso_time(r.runs_since) for name, r in repos.items() if r.runs is not None}
    for node in list(inv.nodes()):
        secret = node.attrs.get("secret")
        if node.kind is not NodeKind.CREDENTIAL or node.credential is None or not isinstance(secret, str):
            continue
        jobs = [inv.node(j) for j in sorted(readers.get(NodeId(secret), ())) if j in inv]
        if not jobs:
            continue
        last: datetime | None = None
        unread: list[str] = []
        window: list[datetime] = []
        for job in jobs:
            repo = str(job.attrs.get("repo") or "")
            known = runs.get(repo.lower())
            if known is None:
                unread.append(f"github/repos/{repo}/actions/runs.json")
                continue
            per_file, any_run = known
            triggers = job.attrs.get("triggers")
            called = isinstance(triggers, tuple) and "workflow_call" in triggers
            # A reusable workflow's runs are recorded under its caller: any run of the repository may be one.
            t = any_run if called else per_file.get(str(job.attrs.get("workflow_path") or ""))
            if t is not None and (last is None or t > last):
                last = t
            start = since.get(repo.lower())
            if start is not None:
                window.append(start)
        if last is not None:
            info = node.credential
            used = CredentialInfo(info.lifetime, info.created, info.expires, last, info.last_rotated, info.fingerprint)
            inv.add_node(
                Node(node.id, node.kind, "", node.provider, "", attrs={"use_from": "workflow runs"}, credential=used)
            )
        elif unread:
            inv.add_node(
                Node(node.id, node.kind, "", node.provider, "", attrs={"runs_unread": tuple(sorted(set(unread)))})
            )
        elif window:
            start = min(window)
            inv.add_node(Node(node.id, node.kind, "", node.provider, "", attrs={"unused_since": start.isoformat()}))
