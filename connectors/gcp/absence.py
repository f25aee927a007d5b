"""What the absence of a GCP file means (connectors/gcp/bundle_files.yaml). Pure: no I/O.

An IAM policy is known when its ``getIamPolicy.json`` is in the bundle, or when a ``searchAllIamPolicies``
answer covers the resource (a resource without a result there has no binding of its own). Audit
configuration is read from ``getIamPolicy.json`` only. What a project inherits is known when its chain of
folders up to its organization is known (each container's own file names its parent) and each of their
policies is. Whatever is not known leaves the facts it feeds unknown, naming the first file that would have
told, and each such file is a coverage gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from connectors.gcp.assets import SCOPE_SUFFIX
from connectors.gcp.raw import GcpRaw, ProjectRaw
from scanner.model import CoverageGap, Inventory

PROVIDER = "gcp"
ROOT = "gcp"


def chain(raw: GcpRaw, p: ProjectRaw) -> tuple[list[str], str | None]:
    """The project's folders and organization, nearest first, and the file whose absence cuts the chain short
    (None when it reaches an organization, or a container without a parent)."""
    if p.meta is None:
        return [], f"{ROOT}/projects/{p.project_id}.json"
    out: list[str] = []
    parent = p.meta.data.parent
    while parent and parent not in out:
        out.append(parent)
        meta = raw.containers.get(parent)
        if meta is None:
            return out, None if parent.startswith("organizations/") else f"{ROOT}/{parent}.json"
        parent = meta.data.parent
    return out, None


def _covered(raw: GcpRaw, names: Iterable[str]) -> bool:
    return _covered_by(raw.searched, names)


def _covered_by(scopes: frozenset[str], names: Iterable[str]) -> bool:
    return any(n in scopes for n in names)


def policy_files(raw: GcpRaw, p: ProjectRaw) -> list[str]:
    """The files missing to know every binding the project and its ancestors set (what its resources
    inherit), first the nearest."""
    ancestors, cut = chain(raw, p)
    scopes = [f"projects/{p.project_id}", *ancestors]
    missing: list[str] = []
    if p.policy is None and not _covered(raw, scopes):
        missing.append(f"{ROOT}/projects/{p.project_id}/getIamPolicy.json")
    for i, anc in enumerate(ancestors):
        if anc not in raw.policies and not _covered(raw, ancestors[i:]):
            missing.append(f"{ROOT}/{anc}/getIamPolicy.json")
    if cut is not None:
        missing.append(cut)
    return missing


def own_policy_file(raw: GcpRaw, p: ProjectRaw, found: object, rel: str) -> str | None:
    """``rel`` (a resource's getIamPolicy.json) when its policy is unknown: neither the file nor a search
    answer covering the resource."""
    if found is not None or _covered(raw, [f"projects/{p.project_id}", *chain(raw, p)[0]]):
        return None
    return rel


def audit_files(raw: GcpRaw, p: ProjectRaw) -> list[str]:
    """The getIamPolicy files (the only answers with auditConfigs) missing to know the project's audit
    configuration, inherited included, first the nearest."""
    ancestors, cut = chain(raw, p)
    missing = [] if p.audit is not None else [f"{ROOT}/projects/{p.project_id}/getIamPolicy.json"]
    missing += [f"{ROOT}/{anc}/getIamPolicy.json" for anc in ancestors if anc not in raw.audits]
    return missing + ([cut] if cut is not None else [])


def gaps(raw: GcpRaw, inv: Inventory) -> None:
    """A coverage gap for each file the collected ones say a project needs but the bundle lacks."""
    seen = {(g.provider, g.what) for g in inv.gaps}

    def gap(scope: str, rel: str, consequence: str) -> None:
        if (PROVIDER, rel) not in seen and scope not in raw.failed_scopes:
            seen.add((PROVIDER, rel))
            inv.add_gap(CoverageGap(PROVIDER, scope, rel, f"not collected: {consequence}"))

    for scope in sorted(raw.searches_expected - raw.searched):
        if f"{scope}{SCOPE_SUFFIX}" not in raw.failed_scopes:  # (a failed search is a gap of its own)
            gap(scope, f"{ROOT}/{scope}/searchAllIamPolicies.json", "the IAM policies it would give are unknown")
    for p in raw.projects:
        scope = f"projects/{p.project_id}"
        for pool in p.pools.data if p.pools else ():
            if pool.providers is None:
                short = pool.pool.name.rsplit("/", 1)[-1]
                rel = f"{pool.file.removesuffix('.json')}/{short}/providers.json"
                gap(scope, rel, f"the providers of workload identity pool {short} (whom it trusts) are not in the scan")
        if not (p.repositories or p.service_accounts is not None):
            continue  # nothing of the project inherits a binding
        if any(listed.data for listed in p.repositories):
            for rel in audit_files(raw, p):
                gap(scope, rel, "whether the project's registry writes are logged (auditConfigs) is unknown")
        for s in p.service_accounts.data if p.service_accounts else ():
            if s.keys is None:
                rel = f"{ROOT}/projects/{p.project_id}/serviceAccounts/{s.account.email}/keys.json"
                gap(scope, rel, f"the keys of {s.account.email} are not in the scan")
        # Bindings come from a search when the collection asked for one: its answer, or its gap, says it all.
        if not _covered_by(raw.searches_expected, [scope, *chain(raw, p)[0]]):
            _policy_gaps(raw, p, partial(gap, scope))


def _policy_gaps(raw: GcpRaw, p: ProjectRaw, gap: Callable[[str, str], None]) -> None:
    """The project's missing getIamPolicy files: its own and its ancestors', its repositories', its service
    accounts'."""
    for rel in policy_files(raw, p):
        gap(rel, "the bindings the project's repositories and service accounts inherit are unknown")
    for listed in p.repositories:
        for r in listed.data:
            short = r.repo.name.rsplit("/", 1)[-1]
            own = own_policy_file(raw, p, r.policy, f"{listed.file.removesuffix('.json')}/{short}/getIamPolicy.json")
            if own is not None:
                gap(own, f"who the policy of repository {short} admits is unknown")
    for s in p.service_accounts.data if p.service_accounts else ():
        rel = f"{ROOT}/projects/{p.project_id}/serviceAccounts/{s.account.email}/getIamPolicy.json"
        own = own_policy_file(raw, p, s.policy, rel)
        if own is not None:
            gap(own, f"who can act as {s.account.email} is unknown")
