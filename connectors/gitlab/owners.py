"""Who owns what a GitLab project or group holds: its direct members with Maintainer access or more
(``access_level`` >= 40, state active), else those of the nearest parent group that has any.

Every GitLab node of a project (its variables, tokens, jobs, environments, the project itself) or of a group
gets an ``owned_by`` edge to each such member, ``via`` ``project maintainer`` or ``group maintainer`` (sources
of ``scanner/knowledge/owners.yaml``). A level whose member list was not collected is skipped. GitLab's
members API: https://docs.gitlab.com/api/members/ (valid access levels: 10 guest … 40 maintainer, 50 owner).
"""

from __future__ import annotations

from connectors.gitlab.raw import GitLabRaw, Member, ProjectRaw, ScopeRaw
from scanner.model import Edge, EdgeKind, Evidence, Inventory, Node, NodeId, NodeKind, node_id
from scanner.owners import OWNERS_NOT_COLLECTED_ATTR

PROVIDER = "gitlab"
#: Maintainer: can change the project's settings, variables and protected branches (what a fix takes).
MAINTAINER = 40
VIA_PROJECT = "project maintainer"
VIA_GROUP = "group maintainer"


def _levels(path: str) -> list[str]:
    """The path and its parents, nearest first."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _collected(s: ScopeRaw, raw: GitLabRaw) -> bool:
    """Whether the group or project was collected (one of its API files is in the bundle), as absence.py says."""
    if any(x is not None for x in (s.variables, s.deploy_tokens, s.access_tokens)):
        return True
    return s.path in raw.group_meta if not isinstance(s, ProjectRaw) else s.ci is not None


def _maintainers(members: list[Member]) -> list[str]:
    return sorted({m.username for m in members if m.access_level >= MAINTAINER and m.state in (None, "active")})


def add_owners(inv: Inventory, raw: GitLabRaw) -> None:
    """``owned_by`` edges from every GitLab node of a project or group to its maintainers."""
    scopes: dict[str, tuple[str, str, list[Member]]] = {}  # path -> (via, bundle file, members)
    for g in raw.groups:
        if g.members is not None:
            scopes[g.path] = (VIA_GROUP, f"{g.base}/members.json", g.members)
    for p in raw.projects:
        if p.members is not None:
            scopes[p.path] = (VIA_PROJECT, f"{p.base}/members.json", p.members)
    # Collected groups and projects whose member list is not in the bundle: a node none of whose levels names a
    # maintainer is then "owners not collected" (naming the nearest missing list), not unknown.
    missing = {
        s.path: f"{s.base}/members.json"
        for s in (*raw.groups, *raw.projects)
        if s.members is None and _collected(s, raw)
    }
    if not scopes and not missing:
        return
    owners: dict[str, tuple[str, Evidence, list[str]] | None] = {}

    def owners_of(path: str) -> tuple[str, Evidence, list[str]] | None:
        if path not in owners:
            owners[path] = None
            for level in _levels(path):
                found = scopes.get(level)
                if found is not None and _maintainers(found[2]):
                    owners[path] = (found[0], Evidence(found[1]), _maintainers(found[2]))
                    break
        return owners[path]

    people: dict[str, NodeId] = {}
    for node in list(inv.nodes()):
        if node.provider != PROVIDER or node.kind in (NodeKind.PERSON, NodeKind.THIRD_PARTY):
            continue
        repo = node.attrs.get("repo")
        path = repo if isinstance(repo, str) and repo else node.scope
        found = owners_of(path) if path and path != "instance" else None
        if found is None:
            gap = next((missing[lv] for lv in _levels(path) if lv in missing), None) if path else None
            if gap is not None:
                inv.add_attrs(node.id, {OWNERS_NOT_COLLECTED_ATTR: gap})
            continue
        via, ev, names = found
        for name in names:
            pid = people.get(name)
            if pid is None:
                pid = people[name] = node_id(PROVIDER, "user", name.lower())
                inv.add_node(Node(pid, NodeKind.PERSON, name, PROVIDER, "gitlab:user"))
            inv.add_edge(Edge(node.id, pid, EdgeKind.OWNED_BY, via=via, evidence=(ev,)))
