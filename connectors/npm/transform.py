"""npm records -> Inventory. Pure: no I/O.

Packages are RESOURCES (category ``package``). The account's tokens are CREDENTIALS that GRANT straight
on the packages they can reach: a classic publish token reaches every package its owner can write, which
is the self-propagation path of the 2025 npm worm (one stolen token republishes all of them). Maintainers
and organisation owners are IDENTITIES with their own grants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from connectors.npm.actions import (
    MAINTAINER_ACTIONS,
    ORG_ROLE_ACTIONS,
    PACKAGE_ACCESS,
    PROVENANCE_PREFIXES,
    TOKEN_ACTIONS,
)
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


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 time from the registry (``Z`` suffix), as an aware datetime."""
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


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
    """``read-only``, ``publish``, ``automation`` or ``granular:<permission>``."""
    if t.packages_and_scopes_permission is not None:
        return f"granular:{t.packages_and_scopes_permission}"
    if t.readonly:
        return "read-only"
    return "automation" if t.automation else "publish"


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
                self.grant(self.user(m.name, ev), p.packument.data.name, MAINTAINER_ACTIONS, "maintainer", ev)

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
        if owner is None:
            self.inv.add_gap(
                CoverageGap(PROVIDER, SCOPE, "npm/-/whoami.json", "tokens listed but their owner is unknown")
            )
            return
        access = self.owner_access(owner)
        for t in self.raw.tokens.data.objects:
            kind = token_kind(t)
            tid = node_id(PROVIDER, "token", t.key)
            label = t.name or f"{t.key[:6]}"
            self.inv.add_node(
                Node(
                    id=tid,
                    kind=NodeKind.CREDENTIAL,
                    name=f"npm {kind} token {label} of {owner}",
                    provider=PROVIDER,
                    subtype="npm:token",
                    scope=SCOPE,
                    attrs={
                        "token_type": kind,
                        "owner": owner,
                        "cidr": tuple(t.cidr_whitelist or ()),
                        "bypass_2fa": t.bypass_2fa if t.bypass_2fa is not None else t.automation,
                        "active": True,
                    },
                    credential=CredentialInfo(
                        lifetime=Lifetime.STATIC, created=parse_time(t.created), expires=parse_time(t.expires)
                    ),
                    evidence=(ev,),
                )
            )
            for name, actions in sorted(self._token_reach(t, access).items()):
                self.grant(tid, name, actions, f"{kind} token of {owner}", ev)

    def _token_reach(self, t: NpmToken, access: dict[str, frozenset[Action]]) -> dict[str, frozenset[Action]]:
        kind_actions = TOKEN_ACTIONS[token_kind(t)]
        selected: Iterable[str] = access
        if t.packages or t.scopes or t.orgs:
            wanted = set(t.packages or ())
            prefixes = tuple(f"{s.rstrip('/')}/" for s in t.scopes or ())
            orgs = set(t.orgs or ())
            selected = [n for n in access if n in wanted or n.startswith(prefixes) or self.org_of.get(n, "\0") in orgs]
        out: dict[str, frozenset[Action]] = {}
        for name in selected:
            capped = _cap(kind_actions, access[name])
            if capped:
                out[name] = capped
        return out


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
    return b.inv
