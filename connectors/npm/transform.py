"""npm records -> Inventory. Pure: no I/O.

Packages are RESOURCES (category ``package``). Maintainers, organisation members and the account that
owns the tokens are IDENTITIES with their own grants. A classic publish or automation token
``authenticates_as`` its owner, so its path runs token → user → every package the user can publish, inside
the organisation or not: the self-propagation path of the 2025 npm worm (one stolen token republishes all
of a maintainer's packages). A read-only or granular token GRANTS straight on what it selects, never more
than its owner may do, and is ``owned_by`` its owner. A token whose owner is unknown (no
``npm/-/whoami.json``) is kept, with its owner unknown, and a coverage gap says what could not be judged.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from connectors._types import iso_time
from connectors.npm.actions import (
    CLASSIC_TOKENS,
    GRANULAR_PERMISSIONS,
    MAINTAINER_ACTIONS,
    ORG_ROLE_ACTIONS,
    PACKAGE_ACCESS,
    PROVENANCE_PREFIXES,
)
from connectors.npm.load import TOKENS, WHOAMI, attestations_call, attestations_path, packument_path
from connectors.npm.raw import NpmPackage, NpmRaw, NpmToken
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

PROVIDER = "npm"
SCOPE = "registry.npmjs.org"
_RANK = {Action.READ: 1, Action.PUBLISH: 2, Action.ADMIN: 3}
_GITHUB_SHORTHAND = re.compile(r"^(?:github:)?([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)$")


def github_repo(repository: object) -> str | None:
    """``owner/repo`` of a packument ``repository`` on GitHub (object or string form), else None."""
    url = repository if isinstance(repository, str) else getattr(repository, "url", None)
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    if m := _GITHUB_SHORTHAND.match(url):
        return f"{m.group(1)}/{m.group(2).removesuffix('.git')}"
    url = re.sub(r"^git\+", "", url)
    url = re.sub(r"^git@github\.com:", "https://github.com/", url)
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in ("github.com", "www.github.com"):
        return None
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) < 2:
        return None
    return f"{segs[0]}/{segs[1].removesuffix('.git')}"


def _cap(actions: frozenset[Action], limit: frozenset[Action]) -> frozenset[Action]:
    """The weaker of two grants (a token never does more than its owner, nor more than its kind)."""
    if not actions or not limit:
        return frozenset()
    level = min(max(_RANK[a] for a in actions), max(_RANK[a] for a in limit))
    return frozenset(a for a, r in _RANK.items() if r == level)


def _merge(acc: dict[str, frozenset[Action]], name: str, actions: frozenset[Action]) -> None:
    old = acc.get(name, frozenset())
    if not old or (actions and max(_RANK[a] for a in actions) > max(_RANK[a] for a in old)):
        acc[name] = actions


def token_kind(t: NpmToken) -> str:
    """``granular``, or a classic token's kind: ``read-only``, ``publish`` or ``automation``."""
    if t.granular:
        return "granular"
    if t.readonly:
        return "read-only"
    return "automation" if t.automation else "publish"


def _selected(t: NpmToken, kind: str) -> tuple[str, ...]:
    return tuple(sorted(s.name for s in t.scopes or () if s.type == kind))


class _Builder:
    def __init__(self, raw: NpmRaw) -> None:
        self.raw = raw
        self.inv = Inventory()
        self.packages: dict[str, NodeId] = {}
        self.evidence: dict[str, list[Evidence]] = {}
        self.by_name = {p.packument.data.name: p for p in raw.packages}
        self.org_of: dict[str, str] = {}

    # -- packages -------------------------------------------------------------------------------

    def package(self, name: str, evidence: Evidence) -> NodeId:
        self.evidence.setdefault(name, []).append(evidence)
        return self.packages.setdefault(name, node_id(PROVIDER, "package", name))

    def add_packages(self) -> None:
        for name, pid in sorted(self.packages.items()):
            p = self.by_name.get(name)
            attrs: dict[str, AttrValue] = {"category": "package"}
            if name in self.org_of:
                attrs["organization"] = self.org_of[name]
            if p is not None:
                attrs.update(_package_attrs(p))
            else:
                attrs.update(self._uncollected(name))
            self.inv.add_node(
                Node(
                    id=pid,
                    kind=NodeKind.RESOURCE,
                    name=name,
                    provider=PROVIDER,
                    subtype="npm:package",
                    scope=SCOPE,
                    attrs=attrs,
                    evidence=tuple(dict.fromkeys(self.evidence[name])),
                )
            )

    def _uncollected(self, name: str) -> dict[str, AttrValue]:
        """A package a collected list names but whose packument is not in the bundle: its provenance is
        unknown, and why (the registry's 404, or a file not collected)."""
        call = f"GET /{name}"
        if call in self.raw.not_found:
            why = f"the registry answered 404 for {call}"
            return {"latest_attested": None, "unknown": ("provenance",), "unread": ("provenance",), "unknown_why": why}
        return {
            "latest_attested": None,
            "unknown": ("provenance",),
            "unknown_why": f"{packument_path(name)} not collected",
        }

    def gaps(self) -> None:
        """A coverage gap for each file the collected ones say should be there but is not (and no failed
        call of manifest.json already reports)."""
        raw = self.raw
        tokens = raw.tokens.data.objects if raw.tokens else ()
        if raw.whoami is None and raw.user_packages:
            self._gap(
                WHOAMI,
                "the account whose packages user/<name>/package.json lists is unknown: its grants on them are not judged",
            )
        elif raw.whoami is None and tokens:
            self._gap(
                WHOAMI,
                f"{len(tokens)} token(s) listed but their owner is unknown: what they reach through "
                "the owner's packages is not judged",
            )
        if raw.whoami is not None and "account" not in raw.failed_scopes:
            who = raw.whoami.data.username
            if raw.tokens is None and "GET /-/npm/v1/tokens" not in raw.failed:
                self._gap(TOKENS, f"the tokens of {who} are not in the scan")
            if who not in dict(raw.user_packages) and f"GET /-/user/{who}/package" not in raw.failed:
                self._gap(f"npm/-/user/{who}/package.json", f"what {who} can do on its packages is not in the scan")
        packages, users = dict(raw.org_packages), dict(raw.org_users)
        for org in sorted(set(packages) ^ set(users)):
            if f"org:{org}" in raw.failed_scopes:
                continue
            leaf = "package" if org not in packages else "user"
            if f"GET /-/org/{org}/{leaf}" not in raw.failed:
                self._gap(
                    f"npm/-/org/{org}/{leaf}.json",
                    f"organisation {org}'s {'packages' if leaf == 'package' else 'members'} are not in the scan",
                )
        for p in raw.packages:
            doc = p.packument.data
            latest = doc.dist_tags.get("latest")
            version = doc.versions.get(latest) if latest else None
            named = version is not None and version.dist.attestations is not None
            absent = p.attestations is None and not p.attestations_missing
            if named and latest and absent and attestations_call(doc.name, latest) not in raw.failed:
                self._gap(
                    attestations_path(doc.name, latest),
                    "the packument names attestations of the latest version, not collected: whether it has "
                    "provenance is read from the packument's dist.attestations",
                )

    def _gap(self, rel: str, consequence: str) -> None:
        self.inv.add_gap(CoverageGap(PROVIDER, SCOPE, rel, f"not collected: {consequence}"))

    # -- identities -----------------------------------------------------------------------------

    def user(self, name: str, evidence: Evidence) -> NodeId:
        uid = node_id(PROVIDER, "user", name)
        self.inv.add_node(
            Node(
                id=uid,
                kind=NodeKind.IDENTITY,
                name=name,
                provider=PROVIDER,
                subtype="npm:user",
                scope=SCOPE,
                evidence=(evidence,),
            )
        )
        return uid

    def grant(self, src: NodeId, name: str, actions: frozenset[Action], via: str, ev: Evidence) -> None:
        if actions:
            self.inv.add_edge(
                Edge(src, self.package(name, ev), EdgeKind.GRANTS, actions=actions, via=via, evidence=(ev,))
            )

    def owner_access(self, owner: str) -> dict[str, frozenset[Action]]:
        """What the account can do on each package it can reach (user list, maintainership, org role)."""
        acc: dict[str, frozenset[Action]] = {}
        uid = self.user(owner, Evidence(self.raw.whoami.path)) if self.raw.whoami else None
        for user, loaded in self.raw.user_packages:
            if user != owner:
                continue
            for name, level in sorted(loaded.data.items()):
                _merge(acc, name, PACKAGE_ACCESS[level])
                if uid:
                    self.grant(uid, name, PACKAGE_ACCESS[level], f"package access {level}", Evidence(loaded.path))
        for p in self.raw.packages:
            if any(m.name == owner for m in p.packument.data.maintainers):
                _merge(acc, p.packument.data.name, MAINTAINER_ACTIONS)
        org_pkgs = dict(self.raw.org_packages)
        for org, roles in self.raw.org_users:
            role = roles.data.get(owner)
            if role is None or org not in org_pkgs:
                continue
            for name in org_pkgs[org].data:
                _merge(acc, name, ORG_ROLE_ACTIONS[role])
        return acc

    def maintainers(self) -> None:
        for p in self.raw.packages:
            ev = Evidence(p.packument.path)
            for m in p.packument.data.maintainers:
                uid = self.user(m.name, ev)
                self.grant(uid, p.packument.data.name, MAINTAINER_ACTIONS, "maintainer", ev)
                # the maintainers own the package (scanner/knowledge/owners.yaml: package_maintainer)
                pid = node_id(PROVIDER, "package", p.packument.data.name)  # added by grant() just above
                self.inv.add_edge(Edge(pid, uid, EdgeKind.OWNED_BY, via="package maintainer", evidence=(ev,)))

    def orgs(self) -> None:
        for org, loaded in self.raw.org_packages:
            for name in loaded.data:
                self.org_of[name] = org
                self.package(name, Evidence(loaded.path))
        org_pkgs = dict(self.raw.org_packages)
        for org, roles in self.raw.org_users:
            ev = Evidence(roles.path)
            for user, role in sorted(roles.data.items()):
                uid = self.user(user, ev)
                for name in org_pkgs[org].data if org in org_pkgs else {}:
                    self.grant(uid, name, ORG_ROLE_ACTIONS[role], f"org {org} role {role}", ev)

    # -- tokens ---------------------------------------------------------------------------------

    def tokens(self) -> None:
        if self.raw.tokens is None:
            return
        ev = Evidence(self.raw.tokens.path)
        owner = self.raw.whoami.data.username if self.raw.whoami else None
        access = self.owner_access(owner) if owner else {}
        uid = self.user(owner, Evidence(self.raw.whoami.path)) if owner and self.raw.whoami else None
        for t in self.raw.tokens.data.objects:
            self.token(t, owner, uid, access, ev)

    def token(
        self, t: NpmToken, owner: str | None, uid: NodeId | None, access: dict[str, frozenset[Action]], ev: Evidence
    ) -> None:
        kind = token_kind(t)
        tid = node_id(PROVIDER, "token", t.key)
        active = t.revoked is None
        perms = tuple(sorted(f"{p.name}:{p.action}" for p in t.permissions or ()))
        unknown = tuple(p for p in perms if tuple(p.split(":", 1)) not in GRANULAR_PERMISSIONS)
        unknown += tuple(sorted(f"scope:{s.type}" for s in t.scopes or () if s.type not in ("package", "scope", "org")))
        read_only = kind == "read-only" or (kind == "granular" and not any(a.endswith(":write") for a in perms))
        self.inv.add_node(
            Node(
                id=tid,
                kind=NodeKind.CREDENTIAL,
                name=f"npm {kind} token {t.name or t.key[:6]} of {owner or 'an unknown owner'}",
                provider=PROVIDER,
                subtype="npm:token",
                scope=SCOPE,
                attrs={
                    "token_type": kind,
                    "owner": owner,
                    "owner_known": owner is not None,
                    "cidr": tuple(t.cidr or t.cidr_whitelist or ()),
                    "bypass_2fa": t.bypass_2fa if t.granular else bool(t.automation),
                    "read_only": read_only,
                    "permissions": perms,
                    "packages": _selected(t, "package"),
                    "scopes": _selected(t, "scope"),
                    "orgs": _selected(t, "org"),
                    "unknown_permissions": unknown,
                    "active": active,
                    # A granular token's "accessed" is null until its first use; classic tokens carry no use.
                    **({"never_used": True} if t.granular and t.accessed is None else {}),
                    **(
                        {}
                        if t.granular
                        else {"unread": ("last_used",), "unknown_why": "npm lists no use of classic tokens"}
                    ),
                },
                credential=CredentialInfo(
                    lifetime=Lifetime.STATIC,
                    created=iso_time(t.created),
                    expires=iso_time(t.expiry),
                    last_used=iso_time(t.accessed),
                ),
                evidence=(ev,),
            )
        )
        if uid is not None:
            self.inv.add_edge(Edge(tid, uid, EdgeKind.OWNED_BY, via="token owner", evidence=(ev,)))
        if not active:
            return  # a revoked token reaches nothing
        if kind != "granular":
            limit = CLASSIC_TOKENS[kind]
            if limit is None:
                if uid is not None:
                    self.inv.add_edge(Edge(tid, uid, EdgeKind.AUTHENTICATES_AS, via=f"{kind} token", evidence=(ev,)))
                return
            for name, acts in sorted(access.items()):
                self.grant(tid, name, _cap(limit, acts), f"{kind} token of {owner}", ev)
            return
        for name, acts in sorted(self._granular_reach(t, owner, access).items()):
            self.grant(tid, name, acts, f"granular token {t.name or t.key[:6]}", ev)

    def _granular_reach(
        self, t: NpmToken, owner: str | None, access: dict[str, frozenset[Action]]
    ) -> dict[str, frozenset[Action]]:
        """What a granular token reaches: its package permission on the packages and scopes it selects (all
        of the owner's when it selects none), its organisation permission on the selected organisations'
        packages; capped by the owner's own access. Without an owner only what it names is known."""
        out: dict[str, frozenset[Action]] = {}
        names, prefixes = set(_selected(t, "package")), tuple(f"{s}/" for s in _selected(t, "scope"))
        orgs = set(_selected(t, "org"))
        known = set(access) | set(self.packages)
        roles = {org: r.data.get(owner or "\0") for org, r in self.raw.org_users}
        for p in t.permissions or ():
            acts = GRANULAR_PERMISSIONS.get((p.name, p.action), frozenset())
            if not acts:
                continue
            if p.name == "package":
                if names or prefixes:
                    chosen = {n for n in known if n in names or n.startswith(prefixes)} | names
                else:
                    chosen = set(access)  # "all packages": everything the owner can reach
                for n in chosen:
                    got = _cap(acts, access[n]) if owner is not None and n in access else acts
                    if owner is not None and n not in access:
                        continue  # the owner cannot touch it, so neither can the token
                    _merge(out, n, got)
            elif p.name == "org" and owner is not None:
                for n in known:
                    org = self.org_of.get(n)
                    role = roles.get(org) if org in orgs and org is not None else None
                    if role is not None:
                        _merge(out, n, _cap(acts, ORG_ROLE_ACTIONS[role]))
        return {n: a for n, a in out.items() if a}


def _latest_attested(p: NpmPackage, latest: str) -> bool | None:
    if p.attestations is not None:
        return any(a.predicate_type.startswith(PROVENANCE_PREFIXES) for a in p.attestations.data.attestations)
    if p.attestations_missing:
        return False
    version = p.packument.data.versions.get(latest)
    if version is None:
        return None
    att = version.dist.attestations
    return (
        att is not None and att.provenance is not None and att.provenance.predicate_type.startswith(PROVENANCE_PREFIXES)
    )


def _package_attrs(p: NpmPackage) -> dict[str, AttrValue]:
    doc = p.packument.data
    latest = doc.dist_tags.get("latest")
    attested = {
        v
        for v, ver in doc.versions.items()
        if ver.dist.attestations is not None and ver.dist.attestations.provenance is not None
    }
    publisher = doc.versions[latest].npm_user if latest and latest in doc.versions else None
    return {
        "source_repo": github_repo(doc.repository),
        "latest_version": latest,
        "latest_attested": _latest_attested(p, latest) if latest else None,
        "attested_versions": len(attested),
        "latest_publisher": publisher.name if publisher else None,
        "maintainers": tuple(sorted(m.name for m in doc.maintainers)),
        "dist_tags": tuple(sorted(f"{k}={v}" for k, v in doc.dist_tags.items())),
        # npm does not publish who may publish with OIDC (trusted publishing) through its API.
        "trusted_publisher": None,
        # checked against the source repository's tags and workflow runs (RB02): the newest ten, newest first
        "release_times": tuple(
            f"{v}@{t}"
            for v, t in sorted(
                ((v, t) for v, t in doc.time.items() if v in doc.versions), key=lambda kv: (kv[1], kv[0]), reverse=True
            )[:10]
        )
        or None,
    }


def transform(raw: NpmRaw) -> Inventory:
    """Build the npm inventory: packages, maintainers, organisation roles and the account's tokens."""
    b = _Builder(raw)
    for p in raw.packages:
        b.package(p.packument.data.name, Evidence(p.packument.path))
        if p.attestations is not None:
            b.evidence[p.packument.data.name].append(Evidence(p.attestations.path))
    for _user, loaded in raw.user_packages:
        for name in loaded.data:
            b.package(name, Evidence(loaded.path))
    b.orgs()
    b.maintainers()
    b.tokens()
    if raw.whoami and not raw.tokens:
        b.owner_access(raw.whoami.data.username)
    b.add_packages()
    b.gaps()
    return b.inv
