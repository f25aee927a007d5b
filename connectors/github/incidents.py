"""Edges between the jobs of one repository that the public incidents walked. Pure: no I/O.

* A ``GITHUB_TOKEN`` with ``contents: write`` can send ``repository_dispatch``; one with
  ``actions: write`` can start any ``workflow_dispatch`` workflow. The repository's token is a
  credential the writing jobs hold; it grants DEPLOY on the workflows it can start and leads to
  their jobs (and so their secrets). Pushes made with the token start no workflow (GitHub's
  rule), so the push itself is not modelled as control of a job.
* The Actions cache of the default branch is shared by every run there: a job on an untrusted
  trigger that writes the cache (or runs the pull request's code, which can write any key with the
  runtime token) controls what a release job restores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from connectors.github.jobs import PROVIDER
from connectors.github.raw import WorkflowFile
from scanner.model import (
    Action,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    Node,
    NodeId,
    NodeKind,
    node_id,
)


class JobFacts(Protocol):
    """What the repository-level edges need to know about a built job."""

    @property
    def id(self) -> NodeId: ...
    @property
    def wf(self) -> WorkflowFile: ...
    @property
    def evidence(self) -> tuple[Evidence, ...]: ...
    @property
    def untrusted_trigger(self) -> bool: ...
    @property
    def checks_out_untrusted(self) -> bool: ...
    @property
    def outsider_controlled(self) -> bool: ...
    def writes(self, scope: str) -> bool | None: ...
    def cache_use(self) -> tuple[bool, bool]: ...


#: scope of the GITHUB_TOKEN -> (what it lets a job do, which workflows' jobs it can start)
_TOKEN_POWERS: dict[str, tuple[str, Action]] = {
    "contents": ("start repository_dispatch workflows", Action.DEPLOY),
    "actions": ("start workflow_dispatch workflows", Action.DEPLOY),
}


def _starts(scope: str, wf: WorkflowFile) -> bool:
    event = "repository_dispatch" if scope == "contents" else "workflow_dispatch"
    return event in wf.workflow.triggers


def token_edges(inv: Inventory, repo: str, jobs: Sequence[JobFacts]) -> None:
    """The repository's GITHUB_TOKEN, per write scope some job is given, and where it leads."""
    for scope, (power, action) in _TOKEN_POWERS.items():
        holders = [j for j in jobs if j.writes(scope) is True]
        if not holders:
            continue
        tid = node_id(PROVIDER, "actions-token", f"{repo}#{scope}-write")
        inv.add_node(
            Node(
                id=tid,
                kind=NodeKind.CREDENTIAL,
                name=f"GITHUB_TOKEN of {repo} with {scope}: write",
                provider=PROVIDER,
                subtype="github:actions-token",
                scope=repo,
                attrs={"repo": repo, "permission": f"{scope}: write", "power": power},
                credential=CredentialInfo(lifetime=Lifetime.SHORT_LIVED),
                evidence=tuple(dict.fromkeys(e for j in holders for e in j.evidence)),
            )
        )
        for j in holders:
            inv.add_edge(
                Edge(j.id, tid, EdgeKind.CAN_READ_SECRET, via=f"GITHUB_TOKEN ({scope}: write)", evidence=j.evidence)
            )
        for j in jobs:
            if not _starts(scope, j.wf):
                continue
            wf_id = node_id(PROVIDER, "workflow", f"{repo}/{j.wf.path}")
            inv.add_edge(Edge(tid, wf_id, EdgeKind.GRANTS, frozenset({action}), via=f"{scope}: write"))
            inv.add_edge(Edge(tid, j.id, EdgeKind.CAN_ASSUME, via=power, evidence=j.evidence))


def cache_edges(inv: Inventory, jobs: Sequence[JobFacts]) -> None:
    """Writer on an untrusted trigger → every trusted job of the repository that restores a cache."""
    # Only code an outsider controls can put something of theirs in the cache: a job on an outsider
    # trigger that runs the default branch's code saves the default branch's cache.
    writers = [
        j
        for j in jobs
        if j.untrusted_trigger and j.outsider_controlled and (j.cache_use()[1] or j.checks_out_untrusted)
    ]
    readers = [j for j in jobs if not j.untrusted_trigger and j.cache_use()[0]]
    for w in writers:
        for r in readers:
            inv.add_edge(
                Edge(
                    w.id,
                    r.id,
                    EdgeKind.CAN_ASSUME,
                    via="Actions cache of the default branch",
                    conditions=(("cache_scope", "default branch"),),
                    evidence=w.evidence + r.evidence,
                )
            )
