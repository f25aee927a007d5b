"""Docker Hub records -> Inventory. Pure: no I/O.

Repositories are RESOURCES (subtype ``dockerhub:repository``, category ``package``). Access tokens are
CREDENTIALS that GRANT straight on the repositories they reach: a personal token reaches what its owner
can reach, capped by its scope; an organisation token reaches the repositories its resources name.
Teams are IDENTITIES with their repository permissions; members and owners can assume them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fnmatch import fnmatchcase

from connectors.dockerhub.actions import (
    ADMIN_ROLES,
    OAT_SCOPES,
    OWNERS_TEAM,
    PAT_SCOPES,
    PUBLIC_ONLY_SCOPES,
    TEAM_PERMISSIONS,
)
from connectors.dockerhub.raw import DockerHubRaw, OrgRaw, OrgToken, PersonalToken, Repository
from scanner.model import (
    Action,
    AttrValue,
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

PROVIDER = "dockerhub"
SCOPE = "hub.docker.com"
_RANK = {Action.READ: 1, Action.PUBLISH: 2, Action.ADMIN: 3}


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 time from Hub (``Z`` suffix, microseconds), as an aware datetime."""
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _level(actions: frozenset[Action]) -> int:
    return max((_RANK[a] for a in actions), default=0)


def _of_level(level: int) -> frozenset[Action]:
    return frozenset(a for a, r in _RANK.items() if r == level)


class _Builder:
    def __init__(self, raw: DockerHubRaw) -> None:
        self.raw = raw
        self.inv = Inventory()
        self.repos: dict[str, tuple[Repository, Evidence]] = {}
        for loaded in raw.repositories:
            for r in loaded.data.results:
                self.repos[f"{r.namespace}/{r.name}"] = (r, Evidence(loaded.path))
        self.orgs = {o.name: o for o in raw.orgs}
        # user -> repository full name -> level, from teams and organisation roles
        self.user_level: dict[str, dict[str, int]] = {}
        self.known_orgs: set[str] = set()

    def repo_id(self, full: str) -> NodeId:
        return node_id(PROVIDER, "repository", full)

    def add_repos(self) -> None:
        for full, (r, ev) in sorted(self.repos.items()):
            self.inv.add_node(
                Node(
                    id=self.repo_id(full),
                    kind=NodeKind.RESOURCE,
                    name=full,
                    provider=PROVIDER,
                    subtype="dockerhub:repository",
                    scope=r.namespace,
                    attrs={
                        "category": "package",
                        "namespace": r.namespace,
                        "private": r.is_private,
                        "repository_type": r.repository_type,
                        # Hub's API does not name the source repository of an image.
                        "source_repo": None,
                    },
                    evidence=(ev,),
                )
            )

    def identity(self, kind: str, native: str, name: str, subtype: str, scope: str, ev: Evidence) -> NodeId:
        nid = node_id(PROVIDER, kind, native)
        self.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.IDENTITY,
                name=name,
                provider=PROVIDER,
                subtype=subtype,
                scope=scope,
                evidence=(ev,),
            )
        )
        return nid

    def grant(self, src: NodeId, full: str, actions: frozenset[Action], via: str, ev: Evidence) -> None:
        if actions and full in self.repos:
            self.inv.add_edge(Edge(src, self.repo_id(full), EdgeKind.GRANTS, actions=actions, via=via, evidence=(ev,)))

    def _raise(self, user: str, full: str, level: int) -> None:
        levels = self.user_level.setdefault(user, {})
        levels[full] = max(levels.get(full, 0), level)

    # -- organisations --------------------------------------------------------------------------

    def org(self, o: OrgRaw) -> None:
        org_repos = [f for f, (r, _) in self.repos.items() if r.namespace == o.name]
        team_members = dict(o.group_members)
        if o.members is not None or o.group_members:
            self.known_orgs.add(o.name)
        if o.members is not None:
            ev = Evidence(o.members.path)
            for m in o.members.data.results:
                uid = self.identity("user", m.username, m.username, "dockerhub:user", o.name, ev)
                if (m.role or "").lower() in ADMIN_ROLES:
                    for full in org_repos:
                        self.grant(uid, full, frozenset({Action.ADMIN}), f"org {o.name} owner", ev)
                        self._raise(m.username, full, _RANK[Action.ADMIN])
        team_perms: dict[str, list[tuple[str, str, Evidence]]] = {}
        for full, loaded in self.raw.repo_groups:
            for g in loaded.data.results:
                team_perms.setdefault(g.group_name, []).append((full, g.permission, Evidence(loaded.path)))
        teams = {g.name for g in o.groups.data.results} if o.groups else set()
        teams |= set(team_members)
        for team in sorted(teams):
            ev = Evidence(o.groups.path) if o.groups else Evidence(team_members[team].path)
            tid = self.identity("team", f"{o.name}/{team}", f"{o.name}/{team}", "dockerhub:team", o.name, ev)
            grants = [(f, p, e) for f, p, e in team_perms.get(team, []) if f.startswith(f"{o.name}/")]
            if team == OWNERS_TEAM:
                grants += [(f, "admin", ev) for f in org_repos]
            for full, perm, gev in grants:
                acts = TEAM_PERMISSIONS.get(perm.lower(), frozenset())
                self.grant(tid, full, acts, f"team permission {perm}", gev)
            if team in team_members:
                mev = Evidence(team_members[team].path)
                for m in team_members[team].data.results:
                    uid = self.identity("user", m.username, m.username, "dockerhub:user", o.name, mev)
                    self.inv.add_edge(Edge(uid, tid, EdgeKind.CAN_ASSUME, via="team member", evidence=(mev,)))
                    for full, perm, _ in grants:
                        self._raise(m.username, full, _level(TEAM_PERMISSIONS.get(perm.lower(), frozenset())))
        if o.tokens is not None:
            details = {d.data.id: d for d in o.token_details}
            for t in o.tokens.data.results:
                d = details.get(t.id)
                self.org_token(o.name, d.data if d else t, Evidence(o.tokens.path), Evidence(d.path) if d else None)

    def org_token(self, org: str, t: OrgToken, ev: Evidence, detail: Evidence | None) -> None:
        tid = node_id(PROVIDER, "org-token", t.id)
        evidence = (ev, detail) if detail else (ev,)
        unknown = sorted({s for r in t.resources or () for s in r.scopes if s not in OAT_SCOPES})
        last_used = parse_time(t.last_used_at)
        self.inv.add_node(
            Node(
                id=tid,
                kind=NodeKind.CREDENTIAL,
                name=f"Docker Hub organisation token {t.label or t.id} of {org}",
                provider=PROVIDER,
                subtype="dockerhub:org-token",
                scope=org,
                attrs={
                    "active": t.is_active,
                    "created_by": t.created_by,
                    "never_used": last_used is None,
                    "unknown_scopes": tuple(unknown),
                    "resources_known": t.resources is not None,
                },
                credential=CredentialInfo(
                    lifetime=Lifetime.STATIC,
                    created=parse_time(t.created_at),
                    expires=parse_time(t.expires_at),
                    last_used=last_used,
                ),
                evidence=evidence,
            )
        )
        for res in t.resources or () if t.is_active else ():  # a disabled token reaches nothing
            if res.type != "TYPE_REPO":
                continue
            acts = frozenset(a for s in res.scopes for a in OAT_SCOPES.get(s, frozenset()))
            for full, (repo, _) in self.repos.items():
                public = res.path == "*/*/public"
                if (public and not repo.is_private) or (not public and fnmatchcase(full, res.path)):
                    self.grant(tid, full, acts, f"token resource {res.path}", detail or ev)

    # -- personal tokens ------------------------------------------------------------------------

    def owner_levels(self, owner: str) -> tuple[dict[str, int], bool]:
        """The owner's level on each repository, and whether that is exact or only an upper bound."""
        levels = dict(self.user_level.get(owner, {}))
        exact = True
        for full, (repo, _) in self.repos.items():
            if repo.namespace == owner:
                levels[full] = _RANK[Action.ADMIN]
            elif repo.namespace not in self.known_orgs:
                exact = False  # no team data for this namespace: the scope is the only limit known
                levels.setdefault(full, _RANK[Action.ADMIN])
        return levels, exact

    def personal_tokens(self) -> None:
        if self.raw.tokens is None or self.raw.user is None:
            return
        owner = self.raw.user.data.username
        ev = Evidence(self.raw.tokens.path)
        uid = self.identity("user", owner, owner, "dockerhub:user", owner, Evidence(self.raw.user.path))
        levels, exact = self.owner_levels(owner)
        for full, level in levels.items():
            if self.repos[full][0].namespace == owner:
                self.grant(uid, full, _of_level(level), "own namespace", ev)
        for t in self.raw.tokens.data.results:
            self.personal_token(owner, t, ev, levels, exact)

    def personal_token(self, owner: str, t: PersonalToken, ev: Evidence, levels: dict[str, int], exact: bool) -> None:
        tid = node_id(PROVIDER, "token", t.uuid)
        last_used = parse_time(t.last_used)
        attrs: dict[str, AttrValue] = {
            "active": t.is_active,
            "owner": owner,
            "scopes": tuple(sorted(t.scopes)),
            "generated_by": t.generated_by,
            "never_used": last_used is None,
            "reach_upper_bound": not exact,
        }
        self.inv.add_node(
            Node(
                id=tid,
                kind=NodeKind.CREDENTIAL,
                name=f"Docker Hub token {t.token_label or t.uuid} of {owner}",
                provider=PROVIDER,
                subtype="dockerhub:token",
                scope=owner,
                attrs=attrs,
                credential=CredentialInfo(
                    lifetime=Lifetime.STATIC,
                    created=parse_time(t.created_at),
                    expires=parse_time(t.expires_at),
                    last_used=last_used,
                ),
                evidence=(ev,),
            )
        )
        scope_level = max((_level(PAT_SCOPES.get(s, frozenset())) for s in t.scopes), default=0)
        public_only = bool(t.scopes) and all(s in PUBLIC_ONLY_SCOPES for s in t.scopes)
        for full, level in sorted(levels.items()) if t.is_active else ():  # a disabled token reaches nothing
            if public_only and self.repos[full][0].is_private:
                continue
            capped = min(scope_level, level)
            if capped:
                self.grant(tid, full, _of_level(capped), f"token scope {','.join(sorted(t.scopes))}", ev)


def transform(raw: DockerHubRaw) -> Inventory:
    """Build the Docker Hub inventory: repositories, teams, members and access tokens."""
    b = _Builder(raw)
    b.add_repos()
    for o in raw.orgs:
        b.org(o)
    b.personal_tokens()
    return b.inv
