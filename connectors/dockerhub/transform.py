"""Docker Hub records -> Inventory. Pure: no I/O.

Repositories are RESOURCES (subtype ``dockerhub:repository``, category ``package``). Access tokens are
CREDENTIALS that GRANT straight on the repositories they reach: a personal token reaches what its owner
can reach, capped by its scope, and is ``owned_by`` its owner; an organisation token reaches the
repositories its resources name. Organisation owners and editors, and the ``owners`` team, administer
every repository of the organisation; other members get their access through teams, whose repository
permissions Hub documents no read for, so a member's token is judged by its scope alone
(``reach_upper_bound``). A personal token whose owner is unknown (no ``dockerhub/regwarden-settings.json``)
is kept, with a coverage gap.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from connectors._types import iso_time
from connectors.dockerhub.actions import (
    ADMIN_ROLES,
    OAT_SCOPES,
    OWNERS_TEAM,
    PAT_SCOPES,
    PUBLIC_ONLY_SCOPES,
)
from connectors.dockerhub.load import SETTINGS
from connectors.dockerhub.raw import DockerHubRaw, OrgRaw, OrgToken, PersonalToken, Repository
from scanner.model import (
    Action,
    AttrValue,
    CoverageGap,
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
        # user -> organisations whose every repository the user administers (owner/editor, owners team)
        self.admin_of: dict[str, set[str]] = {}

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

    # -- organisations --------------------------------------------------------------------------

    def org(self, o: OrgRaw) -> None:
        org_repos = [f for f, (r, _) in self.repos.items() if r.namespace == o.name]
        team_members = dict(o.group_members)
        if o.members is not None:
            ev = Evidence(o.members.path)
            for m in o.members.data.results:
                uid = self.identity("user", m.username, m.username, "dockerhub:user", o.name, ev)
                if (m.role or "").lower() in ADMIN_ROLES:
                    self.admin_of.setdefault(m.username, set()).add(o.name)
                    for full in org_repos:
                        self.grant(uid, full, frozenset({Action.ADMIN}), f"org {o.name} {m.role}", ev)
        teams = {g.name for g in o.groups.data.results} if o.groups else set()
        teams |= set(team_members)
        for team in sorted(teams):
            ev = Evidence(o.groups.path) if o.groups else Evidence(team_members[team].path)
            tid = self.identity("team", f"{o.name}/{team}", f"{o.name}/{team}", "dockerhub:team", o.name, ev)
            if team == OWNERS_TEAM:
                for full in org_repos:
                    self.grant(tid, full, frozenset({Action.ADMIN}), "owners team", ev)
            if team in team_members:
                mev = Evidence(team_members[team].path)
                for m in team_members[team].data.results:
                    uid = self.identity("user", m.username, m.username, "dockerhub:user", o.name, mev)
                    self.inv.add_edge(Edge(uid, tid, EdgeKind.CAN_ASSUME, via="team member", evidence=(mev,)))
                    if team == OWNERS_TEAM:
                        self.admin_of.setdefault(m.username, set()).add(o.name)
        if o.tokens is not None:
            details = {d.data.id: d for d in o.token_details}
            for t in o.tokens.data.results:
                d = details.get(t.id)
                self.org_token(o.name, d.data if d else t, Evidence(o.tokens.path), Evidence(d.path) if d else None)

    def org_token(self, org: str, t: OrgToken, ev: Evidence, detail: Evidence | None) -> None:
        tid = node_id(PROVIDER, "org-token", t.id)
        evidence = (ev, detail) if detail else (ev,)
        unknown = sorted({s for r in t.resources or () for s in r.scopes if s not in OAT_SCOPES})
        last_used = iso_time(t.last_used_at)
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
                    created=iso_time(t.created_at),
                    expires=iso_time(t.expires_at),
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
        levels: dict[str, int] = {}
        exact = True
        admin_of = self.admin_of.get(owner, set())
        for full, (repo, _) in self.repos.items():
            levels[full] = _RANK[Action.ADMIN]
            if repo.namespace != owner and repo.namespace not in admin_of:
                exact = False  # a member's team permissions are not readable: the scope is the only limit known
        return levels, exact

    def expect(self, path: str, consequence: str) -> None:
        """A coverage gap for ``dockerhub<path>.json``, which the collected files say should be in the bundle,
        unless manifest.json records its call as answered 404 or failed (a gap of its own)."""
        if f"GET {path}" not in self.raw.answered:
            self.inv.add_gap(CoverageGap(PROVIDER, SCOPE, f"dockerhub{path}.json", f"not collected: {consequence}"))

    def gaps(self) -> None:
        """The files the account and each organisation should have, that are not in the bundle."""
        namespaces = {r.namespace for loaded in self.raw.repositories for r in loaded.data.results}
        namespaces |= {loaded.path.split("/")[3] for loaded in self.raw.repositories}
        if self.raw.account is not None and f"account:{self.raw.account.data.username}" not in self.raw.failed_scopes:
            user = self.raw.account.data.username
            if self.raw.tokens is None:
                self.expect("/v2/access-tokens", f"the personal access tokens of {user} are not in the scan")
            if user not in namespaces:
                self.expect(f"/v2/namespaces/{user}/repositories", f"the repositories of {user} are not in the scan")
        for o in self.raw.orgs:
            if f"org:{o.name}" in self.raw.failed_scopes:
                continue
            base = f"/v2/orgs/{o.name}"
            if o.name not in namespaces:
                self.expect(
                    f"/v2/namespaces/{o.name}/repositories", f"the repositories of {o.name} are not in the scan"
                )
            if o.tokens is None:
                self.expect(f"{base}/access-tokens", f"the access tokens of organisation {o.name} are not in the scan")
            else:
                detailed = {d.data.id for d in o.token_details}
                for t in o.tokens.data.results:
                    if t.id not in detailed and t.resources is None:
                        self.expect(
                            f"{base}/access-tokens/{t.id}",
                            f"the repositories organisation token {t.label or t.id} reaches are unknown",
                        )
            if o.members is None:
                self.expect(
                    f"{base}/members", f"the members of organisation {o.name} and their roles are not in the scan"
                )
            if o.groups is None:
                self.expect(f"{base}/groups", f"the teams of organisation {o.name} are not in the scan")
            else:
                listed = {name for name, _ in o.group_members}
                for g in o.groups.data.results:
                    if g.name not in listed:
                        self.expect(
                            f"{base}/groups/{g.name}/members", f"the members of team {o.name}/{g.name} are unknown"
                        )

    def personal_tokens(self) -> None:
        if self.raw.tokens is None:
            return
        ev = Evidence(self.raw.tokens.path)
        if self.raw.account is None:
            if self.raw.tokens.data.results:
                self.inv.add_gap(
                    CoverageGap(
                        PROVIDER,
                        SCOPE,
                        SETTINGS,
                        f"not collected: {len(self.raw.tokens.data.results)} personal access token(s) listed but "
                        "their owner is unknown: what they reach is not judged",
                    )
                )
            for t in self.raw.tokens.data.results:
                self.personal_token(None, None, t, ev, {}, exact=False)
            return
        owner = self.raw.account.data.username
        uid = self.identity("user", owner, owner, "dockerhub:user", owner, Evidence(self.raw.account.path))
        levels, exact = self.owner_levels(owner)
        for full, level in levels.items():
            if self.repos[full][0].namespace == owner:
                self.grant(uid, full, _of_level(level), "own namespace", self.repos[full][1])
        for t in self.raw.tokens.data.results:
            self.personal_token(owner, uid, t, ev, levels, exact)

    def personal_token(
        self,
        owner: str | None,
        uid: NodeId | None,
        t: PersonalToken,
        ev: Evidence,
        levels: dict[str, int],
        exact: bool,
    ) -> None:
        tid = node_id(PROVIDER, "token", t.uuid)
        last_used = iso_time(t.last_used)
        attrs: dict[str, AttrValue] = {
            "active": t.is_active,
            "owner": owner,
            "owner_known": owner is not None,
            "scopes": tuple(sorted(t.scopes)),
            "generated_by": t.generated_by,
            "never_used": last_used is None,
            "reach_upper_bound": not exact,
        }
        self.inv.add_node(
            Node(
                id=tid,
                kind=NodeKind.CREDENTIAL,
                name=f"Docker Hub token {t.token_label or t.uuid} of {owner or 'an unknown owner'}",
                provider=PROVIDER,
                subtype="dockerhub:token",
                scope=owner or SCOPE,
                attrs=attrs,
                credential=CredentialInfo(
                    lifetime=Lifetime.STATIC,
                    created=iso_time(t.created_at),
                    expires=iso_time(t.expires_at),
                    last_used=last_used,
                ),
                evidence=(ev,),
            )
        )
        if uid is not None:
            self.inv.add_edge(Edge(tid, uid, EdgeKind.OWNED_BY, via="token owner", evidence=(ev,)))
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
    b.gaps()
    return b.inv
