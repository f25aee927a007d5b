"""GitLab raw records → provider-neutral Inventory. Pure: no I/O.

Each pipeline job is a CI identity (``gitlab:job``, with ``repo`` = the project path, ``environment``
and ``oidc`` so that cloud trusts link to it). A job can read every project and group variable
whose environment scope matches its environment (protected variables only on protected refs:
``conditions`` say so). Deploy and access tokens are static credentials granting on the project
and its registry.
"""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime

from connectors.github.actions import STATIC_CLOUD_SECRET
from connectors.gitlab import absence
from connectors.gitlab.ci import includes, jobs
from connectors.gitlab.raw import AccessToken, DeployToken, GitLabRaw, ProjectRaw, ScopeRaw, Variable
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

PROVIDER = "gitlab"
#: token scope → (target: "project" or "registry", actions)
SCOPE_ACTIONS: dict[str, tuple[tuple[str, frozenset[Action]], ...]] = {
    "read_repository": (("project", frozenset({Action.READ})),),
    "write_repository": (("project", frozenset({Action.READ, Action.PUBLISH})),),
    "read_registry": (("registry", frozenset({Action.READ})),),
    "write_registry": (("registry", frozenset({Action.READ, Action.PUBLISH})),),
    "read_package_registry": (("registry", frozenset({Action.READ})),),
    "write_package_registry": (("registry", frozenset({Action.READ, Action.PUBLISH})),),
    "read_api": (("project", frozenset({Action.READ})), ("registry", frozenset({Action.READ}))),
    "api": (
        ("project", frozenset({Action.READ, Action.PUBLISH})),
        ("registry", frozenset({Action.READ, Action.PUBLISH})),
    ),
}
MAINTAINER = 40


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)  # expires_at is a date: end of that day in UTC


def _scope_matches(scope: str, env: str | None) -> bool:
    if scope == "*":
        return True
    if env is None:
        return False
    return fnmatch.fnmatchcase(env, scope)


class _Builder:
    def __init__(self, raw: GitLabRaw) -> None:
        self.raw = raw
        self.inv = Inventory()
        self.group_vars: dict[str, list[tuple[NodeId, Variable]]] = {}

    def build(self) -> Inventory:
        for g in self.raw.groups:
            self.group_vars[g.path] = self._variables(g, "group-variable")
            self._tokens(g, [p.path for p in self.raw.projects if p.path.startswith(g.path + "/")])
        for p in self.raw.projects:
            self._project(p)
        return self.inv

    def _resource(self, kind: str, path: str, category: str, **attrs: AttrValue) -> NodeId:
        nid = node_id(PROVIDER, kind, path)
        name = path if kind == "project" else f"{path} {kind}"
        self.inv.add_node(
            Node(
                nid,
                NodeKind.RESOURCE,
                name,
                PROVIDER,
                f"gitlab:{kind}",
                scope=path,
                attrs={"category": category, **attrs},
            )
        )
        return nid

    def _variables(self, s: ScopeRaw, kind: str) -> list[tuple[NodeId, Variable]]:
        out: list[tuple[NodeId, Variable]] = []
        ev = (Evidence(f"{s.base}/variables.json"),)
        for v in s.variables or []:
            sid = node_id(PROVIDER, kind, f"{s.path}/{v.key}/{v.environment_scope}")
            attrs: dict[str, AttrValue] = {
                "masked": v.masked,
                "protected": v.protected,
                "environment_scope": v.environment_scope,
                "variable_type": v.variable_type,
                "repo": s.path if kind == "variable" else None,
            }
            if STATIC_CLOUD_SECRET.match(v.key):
                attrs |= {"static_cloud_credential": True, "oidc_available": True}
            self.inv.add_node(
                Node(sid, NodeKind.SECRET, v.key, PROVIDER, f"gitlab:{kind}", scope=s.path, attrs=attrs, evidence=ev)
            )
            if v.value_fingerprint:
                cid = node_id(PROVIDER, "variable-value", f"{s.path}/{v.key}/{v.environment_scope}")
                self.inv.add_node(
                    Node(
                        cid,
                        NodeKind.CREDENTIAL,
                        f"value of {v.key} in {s.path}",
                        PROVIDER,
                        "gitlab:variable-value",
                        scope=s.path,
                        credential=CredentialInfo(Lifetime.UNKNOWN, fingerprint=v.value_fingerprint),
                        evidence=ev,
                    )
                )
                self.inv.add_edge(Edge(sid, cid, EdgeKind.EXPOSES, via=v.key, evidence=ev))
            out.append((sid, v))
        return out

    def _tokens(self, s: ScopeRaw, projects: list[str]) -> None:
        for t in s.deploy_tokens or []:
            self._token(s, "deploy-token", t, projects)
        for a in s.access_tokens or []:
            self._token(s, "access-token", a, projects)

    def _token(self, s: ScopeRaw, kind: str, t: DeployToken | AccessToken, projects: list[str]) -> None:
        file = f"{s.base}/{kind.replace('-', '_')}s.json"
        ev = (Evidence(file),)
        cid = node_id(PROVIDER, kind, f"{s.path}/{t.id}")
        attrs: dict[str, AttrValue] = {"scopes": tuple(sorted(t.scopes)), "revoked": t.revoked}
        created = last_used = None
        if isinstance(t, AccessToken):
            attrs |= {"access_level": t.access_level, "active": t.active, "never_used": t.last_used_at is None}
            created, last_used = _time(t.created_at), _time(t.last_used_at)
        else:
            # GitLab's deploy tokens API reports no use (no last_used_at): no collection would tell.
            attrs |= {
                "expired": t.expired,
                "unread": ("last_used",),
                "unknown_why": "GitLab lists no use of deploy tokens",
            }
        self.inv.add_node(
            Node(
                cid,
                NodeKind.CREDENTIAL,
                f"{kind.replace('-', ' ')} {t.name!r} of {s.path}",
                PROVIDER,
                f"gitlab:{kind}",
                scope=s.path,
                attrs=attrs,
                credential=CredentialInfo(
                    Lifetime.STATIC, created=created, expires=_time(t.expires_at), last_used=last_used
                ),
                evidence=ev,
            )
        )
        if t.revoked or (isinstance(t, AccessToken) and not t.active):
            return
        admin = isinstance(t, AccessToken) and t.access_level >= MAINTAINER and "api" in t.scopes
        for path in projects:
            for scope in t.scopes:
                for target, acts in SCOPE_ACTIONS.get(scope, ()):
                    dst = (
                        self._resource("project", path, "source")
                        if target == "project"
                        else self._resource("registry", path, "registry")
                    )
                    self.inv.add_edge(
                        Edge(
                            cid,
                            dst,
                            EdgeKind.GRANTS,
                            acts | ({Action.ADMIN} if admin else set()),
                            via=scope,
                            evidence=ev,
                        )
                    )

    def _project(self, p: ProjectRaw) -> None:
        meta = p.meta
        self._resource("project", p.path, "source", default_branch=meta.default_branch if meta else None)
        self._tokens(p, [p.path])
        own = self._variables(p, "variable")
        inherited = [v for g, vs in self.group_vars.items() if p.path.startswith(g + "/") for v in vs]
        envs: dict[str, NodeId] = {}
        for pe in p.protected_environments or []:
            approvals = pe.required_approval_count + sum(r.required_approvals for r in pe.approval_rules)
            envs[pe.name] = self._resource(
                "environment",
                f"{p.path}/{pe.name}",
                "environment",
                repo=p.path,
                environment=pe.name,
                protected=approvals > 0,
                required_reviewers=approvals,
            )
        if p.ci is None:
            return
        ci_ev = Evidence(p.ci.file)
        # The CI file was scanned for credential material (RB12 assessed even when nothing is found).
        self.inv.add_node(
            Node(node_id(PROVIDER, "project", p.path), NodeKind.RESOURCE, p.path, PROVIDER, "gitlab:project",
                 scope=p.path, attrs={"secret_scanned": True})
        )  # fmt: skip
        tps: list[tuple[NodeId, str]] = []
        for inc in includes(p.ci.data):
            tid = node_id(PROVIDER, "include", inc.ref)
            self.inv.add_node(
                Node(
                    tid,
                    NodeKind.THIRD_PARTY,
                    inc.ref,
                    PROVIDER,
                    "gitlab:include",
                    attrs={"ref": inc.ref, "pinned": inc.pinned},
                    evidence=(ci_ev,),
                )
            )
            tps.append((tid, "include"))
        for h in p.ci.hits:
            ev = (Evidence(p.ci.file, h.line),)
            sid = node_id(PROVIDER, "plaintext", f"{p.path}/.gitlab-ci.yml:{h.line}:{h.detector}")
            cid = node_id(PROVIDER, "committed-credential", h.fingerprint)
            self.inv.add_node(
                Node(
                    sid,
                    NodeKind.SECRET,
                    f"{p.path} .gitlab-ci.yml line {h.line}",
                    PROVIDER,
                    "gitlab:ci-file",
                    scope=p.path,
                    attrs={"plaintext": True, "detector": h.detector, "repo": p.path},
                    evidence=ev,
                )
            )
            self.inv.add_node(
                Node(
                    cid,
                    NodeKind.CREDENTIAL,
                    f"{h.detector} committed in {p.path}",
                    PROVIDER,
                    "gitlab:committed-credential",
                    scope=p.path,
                    credential=CredentialInfo(Lifetime.STATIC, fingerprint=h.fingerprint),
                    evidence=ev,
                )
            )
            self.inv.add_edge(Edge(sid, cid, EdgeKind.EXPOSES, via=h.detector, evidence=ev))
        for job in jobs(p.ci.data):
            jid = node_id(PROVIDER, "job", f"{p.path}/.gitlab-ci.yml#{job.name}")
            self.inv.add_node(
                Node(
                    jid,
                    NodeKind.IDENTITY,
                    f"{p.path} .gitlab-ci.yml#{job.name}",
                    PROVIDER,
                    "gitlab:job",
                    scope=p.path,
                    attrs={
                        "repo": p.path,
                        "job": job.name,
                        "environment": job.environment,
                        "oidc": bool(job.id_tokens),
                        "id_token_audiences": tuple(a for _, a in job.id_tokens if a),
                        "image": job.image,
                    },
                    evidence=(ci_ev,),
                )
            )
            for sid, v in [*own, *inherited]:
                if _scope_matches(v.environment_scope, job.environment):
                    cond = (("protected_ref_only", "true"),) if v.protected else ()
                    via = f"${v.key}" if v.key in job.variables else "CI/CD variable (every job)"
                    self.inv.add_edge(
                        Edge(jid, sid, EdgeKind.CAN_READ_SECRET, via=via, conditions=cond, evidence=(ci_ev,))
                    )
            for tid, via in tps:
                self.inv.add_edge(Edge(jid, tid, EdgeKind.RUNS_CODE_OF, via=via, evidence=(ci_ev,)))
            for image in [i for i in (job.image, *job.services) if i]:
                iid = node_id(PROVIDER, "image", image)
                self.inv.add_node(
                    Node(
                        iid,
                        NodeKind.THIRD_PARTY,
                        image,
                        PROVIDER,
                        "container-image",
                        attrs={"image": image, "pinned": "@sha256:" in image},
                    )
                )
                self.inv.add_edge(Edge(jid, iid, EdgeKind.RUNS_CODE_OF, via="image", evidence=(ci_ev,)))
            if job.environment is not None:
                env_id = envs.get(job.environment) or self._resource(
                    "environment",
                    f"{p.path}/{job.environment}",
                    "environment",
                    repo=p.path,
                    environment=job.environment,
                    protected=False if p.protected_environments is not None else None,
                )
                self.inv.add_edge(
                    Edge(
                        jid, env_id, EdgeKind.GRANTS, frozenset({Action.DEPLOY}), via=f"environment: {job.environment}"
                    )
                )


def transform(raw: GitLabRaw) -> Inventory:
    """Turn the loaded GitLab files into nodes and edges; each absent file is a gap (connectors.gitlab.absence)."""
    inv = _Builder(raw).build()
    absence.mark(raw, inv)
    return inv
