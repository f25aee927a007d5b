"""GitLab raw records → provider-neutral Inventory. Pure: no I/O.

Groups, the instance and projects give the CI/CD variable, token and environment nodes; each project's
pipeline is then built by :mod:`connectors.gitlab.project` (jobs: :mod:`connectors.gitlab.jobs`), a CI
identity per job (``gitlab:job``, with ``repo`` = the project path, ``environment`` and ``oidc`` so that
cloud trusts and PyPI Trusted Publishers link to it). Deploy and access tokens are static credentials
granting on the project and its registry; another project's CI_JOB_TOKEN reaches a project's registries
when its job token allowlist admits it.
"""

from __future__ import annotations

from connectors._types import iso_time
from connectors.github.actions import STATIC_CLOUD_SECRET
from connectors.gitlab import absence
from connectors.gitlab.owners import add_owners
from connectors.gitlab.project import Files, ProjectPipeline
from connectors.gitlab.raw import AccessToken, DeployToken, GitLabRaw, ProjectRaw, ScopeRaw, Variable
from connectors.gitlab.variables import CiVariable, VariableScope
from scanner.model import (
    Action,
    AttrValue,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    LinkHint,
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


class _Builder:
    def __init__(self, raw: GitLabRaw) -> None:
        self.raw = raw
        self.inv = Inventory()
        self.files = Files(raw)
        self.group_vars: dict[str, list[CiVariable]] = {}
        self.group_collected: dict[str, bool] = {}
        self.instance_vars: list[CiVariable] = []
        self.pipelines: dict[str, ProjectPipeline] = {}
        self._hints: set[LinkHint] = set()

    def build(self) -> Inventory:
        for g in self.raw.groups:
            self.group_vars[g.path] = self._ci_variables(g.base, self._variables(g, "group-variable"), "group", g.path)
            self.group_collected[g.path] = g.variables is not None
            self._tokens(g, [p.path for p in self.raw.projects if p.path.startswith(g.path + "/")])
        if self.raw.instance_variables is not None:
            inst = ScopeRaw(path="instance", base="gitlab/admin/ci", variables=self.raw.instance_variables)
            self.instance_vars = self._ci_variables(inst.base, self._variables(inst, "instance-variable"), "instance",
                                                    "instance")  # fmt: skip
        for p in self.raw.projects:
            self._project(p)
        for pipeline in self.pipelines.values():
            pipeline.downstream(self.pipelines)
        self._job_token_access()
        add_owners(self.inv, self.raw)
        # A pipeline refers back to this builder (its hint and environment callbacks) and its job
        # builders to the pipeline: drop the cycles, so what the reading made is freed now, not by a
        # collector pass (none runs while a bundle is read).
        for pipeline in self.pipelines.values():
            pipeline.built.clear()
        self.pipelines.clear()
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
            created, last_used = iso_time(t.created_at), iso_time(t.last_used_at)
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
                    Lifetime.STATIC, created=created, expires=iso_time(t.expires_at), last_used=last_used
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
        own = self._ci_variables(p.base, self._variables(p, "variable"), "project", p.path)
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

        def env_node(name: str) -> NodeId:
            return envs.get(name) or self._resource(
                "environment",
                f"{p.path}/{name}",
                "environment",
                repo=p.path,
                environment=name,
                protected=False if p.protected_environments is not None else None,
            )

        if p.ci is None:
            return
        # The CI files were scanned for credential material (RB12 assessed even when nothing is found).
        self.inv.add_node(
            Node(node_id(PROVIDER, "project", p.path), NodeKind.RESOURCE, p.path, PROVIDER, "gitlab:project",
                 scope=p.path, attrs={"secret_scanned": True})
        )  # fmt: skip
        ancestors = sorted((g for g in self.group_vars if p.path.startswith(g + "/")), key=len, reverse=True)
        levels = [own, *(self.group_vars[g] for g in ancestors), self.instance_vars]
        complete = p.variables is not None and all(self.group_collected.get(g, False) for g in _parents(p.path))
        scope = VariableScope(levels, complete, instance=self.raw.instance_variables is not None)
        pipeline = ProjectPipeline(
            self.inv, self.raw, self.files, p, scope, env_node, self.hint,
            [q.path for q in self.raw.projects],
        )  # fmt: skip
        pipeline.build()
        self.pipelines[p.path] = pipeline

    def hint(self, hint: LinkHint) -> None:
        """Record a cross-provider link once."""
        if hint not in self._hints:
            self._hints.add(hint)
            self.inv.add_hint(hint)

    def _ci_variables(
        self, base: str, found: list[tuple[NodeId, Variable]], level: str, owner: str
    ) -> list[CiVariable]:
        return [CiVariable(nid, v.key, level, owner, v, f"{base}/variables.json") for nid, v in found]

    def _job_token_access(self) -> None:
        """Other projects whose CI_JOB_TOKEN a project's allowlist admits reach its registries."""
        paths = [p.path for p in self.raw.projects]
        for target in self.raw.projects:
            access = target.job_token
            for source in paths:
                if source == target.path or access.allows(source) is not True or source not in self.pipelines:
                    continue
                tid = node_id(PROVIDER, "job-token", source)
                self.inv.add_node(
                    Node(tid, NodeKind.CREDENTIAL, f"CI_JOB_TOKEN of {source}'s jobs", PROVIDER, "gitlab:job-token",
                         scope=source, attrs={"repo": source},
                         credential=CredentialInfo(Lifetime.SHORT_LIVED))
                )  # fmt: skip
                for built in self.pipelines[source].built:
                    for jb in built.jobs.values():
                        self.inv.add_edge(Edge(jb.id, tid, EdgeKind.CAN_READ_SECRET, via="CI_JOB_TOKEN",
                                               evidence=jb.evidence))  # fmt: skip
                open_scope = access.scope is not None and not access.scope.inbound_enabled
                via = (f"{target.path} lets every project's job token in (job token scope off)" if open_scope
                       else f"{target.path}'s job token allowlist admits {source}")  # fmt: skip
                ev = (Evidence(f"{target.base}/job_token_scope{'' if open_scope else '/allowlist'}.json"),)
                self.inv.add_edge(
                    Edge(tid, self._resource("registry", target.path, "registry"), EdgeKind.GRANTS,
                         frozenset({Action.READ, Action.PUBLISH}), via=via, evidence=ev)
                )  # fmt: skip


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def transform(raw: GitLabRaw) -> Inventory:
    """Turn the loaded GitLab files into nodes and edges; each absent file is a gap (connectors.gitlab.absence)."""
    inv = _Builder(raw).build()
    absence.mark(raw, inv)
    return inv
