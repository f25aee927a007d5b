"""JFrog Artifactory records -> Inventory. Pure: no I/O.

Repositories are RESOURCES of category ``registry``: a remote repository is a mirror of a public registry
(``mirror`` = True; ``upstream_verification`` False unless the operator declared that what is pulled
through it is verified — Artifactory's remote-repository configuration has no setting that verifies
upstream signatures or attestations; Curation and Xray indexing are recorded but are policy and
vulnerability checks, not provenance). A virtual repository ``consumes`` each member, so writing a member
(or poisoning a remote's upstream) reaches the virtual. Permission targets are ``grants`` from users and
groups (see :mod:`connectors.jfrog.actions`); access tokens act as their subject, their groups, or an
administrator, according to their scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

from connectors.jfrog.actions import (
    ADMIN_SCOPE,
    ANY_REPOS,
    BUILD_ACTIONS,
    GROUP_SCOPE_PREFIXES,
    RELEASE_BUNDLE_ACTIONS,
    REPO_ACTIONS,
    SHORT_LIVED_SECONDS,
)
from connectors.jfrog.load import SETTINGS
from connectors.jfrog.raw import AccessToken, CollectorSettings, JfrogRaw, PermissionTarget, RepoConfig, Section
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

PROVIDER = "jfrog"
SCOPE = "artifactory"


def _epoch(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def subject_user(subject: str) -> str | None:
    """The user a token subject names (``jfrt@<id>/users/<name>``, or a bare name), else None."""
    if "/users/" in subject:
        return subject.rsplit("/users/", 1)[1] or None
    return subject if "/" not in subject else None


def token_groups(scope: str) -> tuple[str, ...] | None:
    """The groups a token's scope applies, or None when it applies no group scope."""
    for part in scope.split():
        for prefix in GROUP_SCOPE_PREFIXES:
            if part.startswith(prefix):
                return tuple(g for g in part.removeprefix(prefix).split(",") if g)
    return None


class _Builder:
    def __init__(self, raw: JfrogRaw) -> None:
        self.raw = raw
        self.inv = Inventory()
        self.settings = raw.settings.data if raw.settings else CollectorSettings()
        self.configs: dict[str, tuple[RepoConfig, Evidence]] = {
            c.data.key: (c.data, Evidence(c.path)) for c in raw.configs
        }
        self.classes: dict[str, str] = {k: c.rclass.lower() for k, (c, _) in self.configs.items()}
        self.list_evidence = Evidence(raw.repositories.path) if raw.repositories else None
        for r in raw.repositories.data if raw.repositories else ():
            self.classes.setdefault(r.key, r.type.lower())
        self.build_nodes: dict[str, NodeId] = {}

    def repo_id(self, key: str) -> NodeId:
        return node_id(PROVIDER, "repository", key)

    def repos(self) -> None:
        summaries = {r.key: r for r in self.raw.repositories.data} if self.raw.repositories else {}
        production = set(self.settings.production_repos)
        verified = set(self.settings.verified_repos)
        for key, rclass in sorted(self.classes.items()):
            cfg, ev = self.configs.get(key, (None, None))
            evidence = tuple(e for e in (self.list_evidence if key in summaries else None, ev) if e)
            upstream = cfg.url if cfg else summaries[key].url if key in summaries else None
            attrs: dict[str, AttrValue] = {
                "category": "registry",
                "rclass": rclass,
                "package_type": (cfg.package_type if cfg else summaries[key].package_type) or None,
                "production": True if key in production else None,
            }
            if rclass == "remote":
                attrs |= {
                    "mirror": True,
                    "upstream": upstream,
                    # verified_repos is the operator's word ([sources.jfrog]), saved with the bundle
                    "upstream_verification": key in verified if self.raw.settings else None,
                    **({} if self.raw.settings else {"unknown_why": f"{SETTINGS} not collected"}),
                    "curated": cfg.curated if cfg else None,
                    "xray_index": cfg.xray_index if cfg else None,
                }
            if rclass == "virtual" and cfg:
                attrs["members"] = cfg.repositories
                attrs["default_deployment_repo"] = cfg.default_deployment_repo
            self.inv.add_node(
                Node(
                    id=self.repo_id(key),
                    kind=NodeKind.RESOURCE,
                    name=key,
                    provider=PROVIDER,
                    subtype=f"jfrog:{rclass}-repository",
                    scope=SCOPE,
                    attrs=attrs,
                    evidence=evidence,
                )
            )
        for key, (cfg, ev) in sorted(self.configs.items()):
            if cfg.rclass.lower() != "virtual":
                continue
            for member in cfg.repositories:
                if member in self.classes:
                    self.inv.add_edge(
                        Edge(
                            self.repo_id(key),
                            self.repo_id(member),
                            EdgeKind.CONSUMES,
                            via="virtual member",
                            evidence=(ev,),
                        )
                    )
                else:
                    self.inv.add_gap(CoverageGap(PROVIDER, SCOPE, ev.file, f"virtual member {member!r} not collected"))

    # -- principals -----------------------------------------------------------------------------

    def principal(self, kind: str, name: str, ev: Evidence) -> NodeId:
        nid = node_id(PROVIDER, kind, name)
        self.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.IDENTITY,
                name=name,
                provider=PROVIDER,
                subtype=f"jfrog:{kind}",
                scope=SCOPE,
                evidence=(ev,),
            )
        )
        return nid

    def groups(self) -> None:
        for g in self.raw.groups:
            ev = Evidence(g.path)
            gid = self.principal("group", g.data.name, ev)
            for user in g.data.user_names:
                self.inv.add_edge(
                    Edge(self.principal("user", user, ev), gid, EdgeKind.CAN_ASSUME, via="group member", evidence=(ev,))
                )

    def _targets(self, section: Section) -> list[str]:
        keys: set[str] = set()
        for entry in section.repositories:
            if entry in ANY_REPOS:
                keys |= {k for k, c in self.classes.items() if c in ANY_REPOS[entry]}
            elif entry in self.classes:
                keys.add(entry)
        return sorted(keys)

    def _build_node(self, kind: str, repo: str, ev: Evidence) -> NodeId:
        nid = node_id(PROVIDER, kind, repo)
        if nid not in self.build_nodes.values():
            self.inv.add_node(
                Node(
                    id=nid,
                    kind=NodeKind.RESOURCE,
                    name=f"{kind} {repo}",
                    provider=PROVIDER,
                    subtype=f"jfrog:{kind}",
                    scope=SCOPE,
                    attrs={"category": "registry"},
                    evidence=(ev,),
                )
            )
            self.build_nodes[f"{kind}:{repo}"] = nid
        return nid

    def _section(
        self,
        target: PermissionTarget,
        section: Section,
        table: Mapping[str, frozenset[Action]],
        dsts: list[NodeId],
        ev: Evidence,
    ) -> None:
        scoped = [p for p in section.include_patterns if p not in ("**", "")]
        conditions = tuple(("include", p) for p in scoped) + tuple(
            ("exclude", p) for p in section.exclude_patterns if p
        )
        for kind, principals in (("user", section.actions.users), ("group", section.actions.groups)):
            for name, names in sorted(principals.items()):
                acts = frozenset(a for n in names for a in table.get(n, frozenset()))
                if not acts:
                    continue
                src = self.principal(kind, name, ev)
                for dst in dsts:
                    self.inv.add_edge(
                        Edge(
                            src,
                            dst,
                            EdgeKind.GRANTS,
                            actions=acts,
                            via=f"permission target {target.name}",
                            conditions=conditions,
                            evidence=(ev,),
                        )
                    )

    def permissions(self) -> None:
        for loaded in self.raw.permissions:
            t, ev = loaded.data, Evidence(loaded.path)
            if t.repo:
                self._section(t, t.repo, REPO_ACTIONS, [self.repo_id(k) for k in self._targets(t.repo)], ev)
            if t.build:
                dsts = [
                    self._build_node("build-info", r, ev) for r in t.build.repositories or ("artifactory-build-info",)
                ]
                self._section(t, t.build, BUILD_ACTIONS, dsts, ev)
            if t.release_bundle:
                dsts = [
                    self._build_node("release-bundles", r, ev)
                    for r in t.release_bundle.repositories or ("release-bundles",)
                ]
                self._section(t, t.release_bundle, RELEASE_BUNDLE_ACTIONS, dsts, ev)

    # -- tokens ---------------------------------------------------------------------------------

    def tokens(self) -> None:
        if self.raw.tokens is None:
            return
        ev = Evidence(self.raw.tokens.path)
        for t in self.raw.tokens.data.tokens:
            self.token(t, ev)

    def token(self, t: AccessToken, ev: Evidence) -> None:
        tid = node_id(PROVIDER, "token", t.token_id)
        scope = t.scope or "applied-permissions/user"
        user = subject_user(t.subject)
        validity = (t.expiry - t.issued_at) if t.expiry and t.issued_at else None
        short = validity is not None and validity <= SHORT_LIVED_SECONDS and not t.refreshable
        self.inv.add_node(
            Node(
                id=tid,
                kind=NodeKind.CREDENTIAL,
                name=f"JFrog token {t.description or t.token_id} of {t.subject}",
                provider=PROVIDER,
                subtype="jfrog:access-token",
                scope=SCOPE,
                attrs={"subject": t.subject, "token_scope": scope, "refreshable": t.refreshable, "active": True},
                credential=CredentialInfo(
                    lifetime=Lifetime.SHORT_LIVED if short else Lifetime.STATIC,
                    created=_epoch(t.issued_at),
                    expires=_epoch(t.expiry),
                ),
                evidence=(ev,),
            )
        )
        if user is not None:  # the user a token is issued to owns it (docs/owners.md, token_owner)
            self.inv.add_edge(Edge(tid, self.principal("user", user, ev), EdgeKind.OWNED_BY, via="token owner",
                                   evidence=(ev,)))  # fmt: skip
        if ADMIN_SCOPE in scope.split():
            for key in sorted(self.classes):
                self.inv.add_edge(
                    Edge(
                        tid,
                        self.repo_id(key),
                        EdgeKind.GRANTS,
                        actions=frozenset({Action.ADMIN}),
                        via="admin token",
                        evidence=(ev,),
                    )
                )
            return
        groups = token_groups(scope)
        if groups is not None and "*" not in groups:
            for g in groups:
                self.inv.add_edge(
                    Edge(tid, self.principal("group", g, ev), EdgeKind.AUTHENTICATES_AS, via=scope, evidence=(ev,))
                )
        elif user is not None:
            self.inv.add_edge(
                Edge(tid, self.principal("user", user, ev), EdgeKind.AUTHENTICATES_AS, via=scope, evidence=(ev,))
            )


def _gaps(b: _Builder) -> None:
    """A coverage gap for each file the collected ones say should be in the bundle but is not, unless
    manifest.json records its call as answered 404 or failed (a gap of its own)."""
    raw = b.raw
    if raw.failed_scopes:
        return  # the platform's collection failed: its gap says it all

    def expect(call_path: str, file_path: str, consequence: str) -> None:
        if f"GET {call_path}" not in raw.answered:
            b.inv.add_gap(CoverageGap(PROVIDER, SCOPE, f"jfrog{file_path}.json", f"not collected: {consequence}"))

    repos = "/artifactory/api/repositories"
    if raw.repositories is None:
        expect(repos, repos, "the repositories without a configuration file are not in the scan")
    configured = {c.data.key for c in raw.configs}
    for r in raw.repositories.data if raw.repositories else ():
        if r.key not in configured:
            expect(f"{repos}/{quote(r.key, safe='')}", f"{repos}/{r.key}", f"the configuration of {r.key} is unknown")
    if raw.tokens is None:
        expect("/access/api/v1/tokens", "/access/api/v1/tokens", "the access tokens are not in the scan")
    for listing, details, path, what in (
        (raw.permission_list, raw.permissions, "/artifactory/api/v2/security/permissions", "permission target"),
        (raw.group_list, raw.groups, "/artifactory/api/security/groups", "group"),
    ):
        if listing is None:
            expect(path, path, f"whether every {what} was collected is unknown")
            continue
        have = {d.data.name for d in details}
        for ref in listing.data:
            if ref.name not in have:
                expect(
                    f"{path}/{quote(ref.name, safe='')}", f"{path}/{ref.name}", f"{what} {ref.name} is not in the scan"
                )
    if raw.settings is None:
        b.inv.add_gap(
            CoverageGap(
                PROVIDER,
                SCOPE,
                SETTINGS,
                "not collected: which repositories are production and which remote repositories verify what they "
                "pull ([sources.jfrog]) are unknown",
            )
        )


def transform(raw: JfrogRaw) -> Inventory:
    """Build the JFrog inventory: repositories and their virtual membership, principals, grants, tokens."""
    b = _Builder(raw)
    b.repos()
    b.groups()
    b.permissions()
    b.tokens()
    _gaps(b)
    return b.inv
