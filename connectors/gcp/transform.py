"""GCP records -> Inventory. Pure: no I/O.

Service accounts are IDENTITIES; their user-managed keys and the Workload Identity providers that
may impersonate them are CREDENTIALS (``authenticates_as``). Artifact Registry repositories are
``registry`` RESOURCES. An IAM binding anywhere above or on a repository (organization, folder,
project, repository) becomes a ``grants`` edge whose actions come from the role's collected
permissions (connectors/gcp/actions.py); a binding on or above a service account whose role gives
control of it becomes ``can_assume``. Cloud Build triggers are ``pipeline`` resources that a push
(to the source repository, or to Artifact Registry through the ``gcr`` topic) ``triggers``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from connectors._types import iso_time
from connectors.gcp import absence, actions, wif
from connectors.gcp.raw import (
    AuditConfig,
    Binding,
    BuildTrigger,
    GcpRaw,
    Loaded,
    Policy,
    ProjectRaw,
    RepositoryRaw,
    ServiceAccountKey,
    ServiceAccountRaw,
    WorkloadIdentityPoolProvider,
)
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
    LinkHint,
    Node,
    NodeId,
    NodeKind,
    Selector,
    node_id,
)

PROVIDER = "gcp"
AR_SERVICES = frozenset({"allServices", "artifactregistry.googleapis.com"})
#: CI connectors whose jobs a pinned provider trusts: platform -> (connector, job subtype).
CI_JOBS = {"github": ("github", "github:job"), "gitlab": ("gitlab", "gitlab:job")}
_PROD = re.compile(r"(^|[^a-z])prod(uction)?([^a-z]|$)", re.I)
_NO_EXPIRY_YEAR = 9999


@dataclass(frozen=True)
class _Applied:
    """A binding with where it is set (``projects/p``, ``folders/f``, a repository) and its file."""

    binding: Binding
    where: str
    file: str


@dataclass
class _Provider:
    """A Workload Identity provider and the bindings that let it act, gathered before its node is added."""

    provider: WorkloadIdentityPoolProvider
    file: str
    project: str
    platform: str | None
    trust: wif.Trust | None
    unpinned_bindings: int = 0
    pinned_bindings: int = 0


@dataclass
class _State:
    raw: GcpRaw
    inv: Inventory = field(default_factory=Inventory)
    numbers: dict[str, str] = field(default_factory=dict)  # project number -> project id
    providers: dict[str, list[_Provider]] = field(default_factory=lambda: defaultdict(list))  # pool -> providers
    missing_roles: set[str] = field(default_factory=set)


def transform(raw: GcpRaw) -> Inventory:
    """Build the GCP inventory: service accounts, keys, federation, repositories, grants and triggers."""
    st = _State(raw)
    for p in raw.projects:
        if p.meta is not None and p.meta.data.projectId:
            st.numbers[p.meta.data.name.removeprefix("projects/")] = p.meta.data.projectId
    for p in raw.projects:
        _collect_providers(st, p)
    for p in raw.projects:
        _project(st, p)
    for providers in st.providers.values():
        for prov in providers:
            _provider_node(st, prov)
    for role in sorted(st.missing_roles):
        st.inv.add_gap(
            CoverageGap(
                PROVIDER, role, f"gcp/{role}.json", "role definition not collected: its bindings are not assessed"
            )
        )
    absence.gaps(raw, st.inv)
    return st.inv


# --- the resource hierarchy and effective policies -------------------------------------------------


def _ancestors(st: _State, p: ProjectRaw) -> list[str]:
    chain: list[str] = []
    parent = p.meta.data.parent if p.meta else None
    while parent and parent not in chain:
        chain.append(parent)
        meta = st.raw.containers.get(parent)
        parent = meta.data.parent if meta else None
    return chain


def _inherited(st: _State, p: ProjectRaw) -> list[_Applied]:
    """Bindings on the project and every collected ancestor (IAM policies are inherited downwards)."""
    out = [_Applied(b, f"projects/{p.project_id}", p.policy.file) for b in p.policy.data.bindings] if p.policy else []
    for anc in _ancestors(st, p):
        pol = st.raw.policies.get(anc)
        if pol is not None:
            out += [_Applied(b, anc, pol.file) for b in pol.data.bindings]
    return out


def _audit_configs(st: _State, p: ProjectRaw) -> list[AuditConfig] | None:
    # From getIamPolicy answers only: an asset search result carries bindings, not auditConfigs.
    if p.audit is None:
        return None
    configs = list(p.audit.data.auditConfigs)
    for anc in _ancestors(st, p):
        pol = st.raw.audits.get(anc)
        if pol is not None:
            configs += pol.data.auditConfigs
    return configs


def _own(policy: Loaded[Policy] | None, where: str) -> list[_Applied]:
    return [_Applied(b, where, policy.file) for b in policy.data.bindings] if policy else []


def _classes(st: _State, role: str) -> frozenset[actions.PermClass] | None:
    loaded = st.raw.roles.get(role)
    if loaded is None:
        st.missing_roles.add(role)
        return None
    return actions.classes(loaded.data.includedPermissions)


# --- members ----------------------------------------------------------------------------------------


def _sa_node(st: _State, email: str, evidence: tuple[Evidence, ...] = ()) -> NodeId:
    nid = node_id(PROVIDER, "service-account", email.lower())
    project = email.split("@", 1)[1].split(".", 1)[0] if "@" in email else ""
    st.inv.add_node(
        Node(
            id=nid,
            kind=NodeKind.IDENTITY,
            name=email,
            provider=PROVIDER,
            subtype="gcp:service-account",
            scope=project,
            attrs={"email": email},
            evidence=evidence,
        )
    )
    return nid


def _pool_key(st: _State, pool: str) -> str:
    # Members and pool names carry the project number; normalise either spelling to the number.
    m = re.match(r"projects/([^/]+)/(.*)$", pool)
    if not m:
        return pool
    ids = {v: k for k, v in st.numbers.items()}
    return f"projects/{ids.get(m.group(1), m.group(1))}/{m.group(2)}"


@dataclass(frozen=True)
class _Principal:
    """A resolved member: the node that acts, and for a federated member the provider and pinned repo."""

    node: NodeId
    provider: _Provider | None = None
    repository: str | None = None


def _principals(st: _State, member: str, ev: Evidence) -> list[_Principal]:
    kind, _, value = member.partition(":")
    if member.startswith(("principal://", "principalSet://")):
        pool, _ = wif.member_repository(member, "", {})
        out = []
        for prov in st.providers.get(_pool_key(st, pool), []):
            _, repo = wif.member_repository(member, prov.platform or "", prov.provider.attributeMapping)
            out.append(_Principal(_provider_id(prov), prov, repo))
        return out
    if kind == "serviceAccount":
        return [_Principal(_sa_node(st, value, (ev,)))]
    if kind in ("user", "group", "domain"):
        nid = node_id(PROVIDER, kind, value.lower())
        st.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.PERSON if kind == "user" else NodeKind.IDENTITY,
                name=value,
                provider=PROVIDER,
                subtype=f"gcp:{kind}",
                attrs={"email": value} if kind != "domain" else {"domain": value},
                evidence=(ev,),
            )
        )
        return [_Principal(nid)]
    return []  # deleted:…, allUsers/allAuthenticatedUsers (exposures), convenience values


def _conditions(b: Binding) -> tuple[tuple[str, str], ...]:
    return (("condition", b.condition.expression),) if b.condition and b.condition.expression else ()


# --- Workload Identity Federation -------------------------------------------------------------------


def _provider_id(prov: _Provider) -> NodeId:
    return node_id(PROVIDER, "wif-provider", prov.provider.name)


def _collect_providers(st: _State, p: ProjectRaw) -> None:
    if p.pools is None:
        return
    for pool in p.pools.data:
        if pool.providers is None:
            continue
        for prov in pool.providers.data:
            issuer = prov.oidc.issuerUri if prov.oidc else None
            plat = wif.platform(issuer, prov.attributeMapping)
            trust = wif.analyse_condition(prov.attributeCondition, plat, prov.attributeMapping) if plat else None
            entry = _Provider(prov, pool.providers.file, p.project_id, plat, trust)
            st.providers[_pool_key(st, pool.pool.name)].append(entry)


def _repos_of(prov: _Provider, member_repo: str | None) -> tuple[str, ...]:
    if member_repo:
        return (member_repo,)
    return prov.trust.repositories if prov.trust else ()


def _count(prov: _Provider, repos: tuple[str, ...]) -> None:
    if repos:
        prov.pinned_bindings += 1
    else:
        prov.unpinned_bindings += 1


def _federated_assume(st: _State, pr: _Principal, sa: NodeId, a: _Applied) -> None:
    prov = pr.provider
    assert prov is not None
    repos = _repos_of(prov, pr.repository)
    _count(prov, repos)
    issuer = prov.provider.oidc.issuerUri if prov.provider.oidc else ""
    conds = (("provider", prov.provider.name), *(("repository", r) for r in repos), *_conditions(a.binding))
    ev = (Evidence(a.file), Evidence(prov.file))
    via = f"{a.binding.role} on {a.where}"
    st.inv.add_edge(Edge(pr.node, sa, EdgeKind.AUTHENTICATES_AS, via=via, conditions=conds, evidence=ev))
    if prov.platform in CI_JOBS:
        connector, subtype = CI_JOBS[prov.platform]
        for repo in repos:
            st.inv.add_hint(
                LinkHint(
                    src=Selector(connector, NodeKind.IDENTITY, (("repo", repo), ("oidc", True)), subtype=subtype),
                    dst=sa,
                    kind=EdgeKind.CAN_ASSUME,
                    via=f"workload identity {prov.provider.name}",
                    conditions=(("issuer", issuer), ("repository", repo)),
                    evidence=ev,
                )
            )


def _provider_node(st: _State, prov: _Provider) -> None:
    p = prov.provider
    attrs: dict[str, AttrValue] = {
        "attribute_condition": p.attributeCondition,
        "platform": prov.platform,
        "project": prov.project,
        "active": not p.disabled and p.state in (None, "ACTIVE"),
    }
    subtype = "gcp:oidc-trust" if p.oidc else ("gcp:aws-trust" if p.aws else "gcp:federation")
    if p.oidc:
        attrs["issuer"] = p.oidc.issuerUri
        attrs["audience"] = ",".join(p.oidc.allowedAudiences) or None
        attrs["subject"] = p.attributeMapping.get("google.subject")
    if p.aws:
        attrs["aws_account"] = p.aws.accountId
    if prov.trust is not None:
        attrs["repositories"] = prov.trust.repositories
        # The binding's principalSet can pin what the condition does not; broad only if some binding is not.
        broad = prov.trust.broad_reason is not None and (prov.unpinned_bindings > 0 or prov.pinned_bindings == 0)
        attrs["subject_too_broad"] = broad
        attrs["broad_reason"] = prov.trust.broad_reason if broad else None
    st.inv.add_node(
        Node(
            id=_provider_id(prov),
            kind=NodeKind.CREDENTIAL,
            name=p.name.split("/workloadIdentityPools/", 1)[-1],
            provider=PROVIDER,
            subtype=subtype,
            scope=prov.project,
            attrs=attrs,
            credential=CredentialInfo(lifetime=Lifetime.SHORT_LIVED),
            evidence=(Evidence(prov.file),),
        )
    )


# --- service accounts and keys ------------------------------------------------------------------------


def _key(st: _State, sa: NodeId, key: ServiceAccountKey, file: str) -> None:
    if key.keyType == "SYSTEM_MANAGED":
        return  # Google rotates these and never hands them out
    expires = iso_time(key.validBeforeTime)
    if expires is not None and expires.year >= _NO_EXPIRY_YEAR:
        expires = None
    nid = node_id(PROVIDER, "sa-key", key.name)
    st.inv.add_node(
        Node(
            id=nid,
            kind=NodeKind.CREDENTIAL,
            name=f"{key.name.split('/serviceAccounts/', 1)[-1].replace('/keys/', ' key ')}",
            provider=PROVIDER,
            subtype="gcp:sa-key",
            scope=key.name.split("/")[1],
            attrs={"active": not key.disabled, "key_origin": key.keyOrigin},
            credential=CredentialInfo(lifetime=Lifetime.STATIC, created=iso_time(key.validAfterTime), expires=expires),
            evidence=(Evidence(file),),
        )
    )
    st.inv.add_edge(Edge(nid, sa, EdgeKind.AUTHENTICATES_AS, via="service account key", evidence=(Evidence(file),)))


def _service_account(st: _State, p: ProjectRaw, s: ServiceAccountRaw, inherited: list[_Applied]) -> None:
    a = s.account
    nid = _sa_node(st, a.email, (Evidence(s.file),))
    st.inv.add_node(
        Node(
            id=nid,
            kind=NodeKind.IDENTITY,
            name=a.email,
            provider=PROVIDER,
            subtype="gcp:service-account",
            scope=a.projectId,
            attrs={"email": a.email, "disabled": a.disabled, "unique_id": a.uniqueId, "display_name": a.displayName},
        )
    )
    if s.keys is not None:
        for key in s.keys.data:
            _key(st, nid, key, s.keys.file)
    for applied in [*_own(s.policy, f"serviceAccounts/{a.email}"), *inherited]:
        found = _classes(st, applied.binding.role)
        if found is None or not actions.can_assume(found):
            continue
        ev = Evidence(applied.file)
        for member in applied.binding.members:
            for pr in _principals(st, member, ev):
                if pr.node == nid:
                    continue
                if pr.provider is not None:
                    _federated_assume(st, pr, nid, applied)
                else:
                    via = f"{applied.binding.role} on {applied.where}"
                    conds = _conditions(applied.binding)
                    st.inv.add_edge(Edge(pr.node, nid, EdgeKind.CAN_ASSUME, via=via, conditions=conds, evidence=(ev,)))


# --- repositories ----------------------------------------------------------------------------------


def _audit(configs: list[AuditConfig] | None) -> tuple[bool | None, str | None]:
    if configs is None:
        return None, None
    for c in configs:
        if c.service in AR_SERVICES and any(lc.logType == "DATA_WRITE" for lc in c.auditLogConfigs):
            return True, None
    return False, "Data Access audit logs (DATA_WRITE) are off for artifactregistry.googleapis.com"


def _repository(st: _State, p: ProjectRaw, r: RepositoryRaw, inherited: list[_Applied]) -> NodeId:
    repo = r.repo
    nid = node_id(PROVIDER, "ar-repository", repo.name)
    exposures: set[str] = set()
    short = repo.name.rsplit("/", 1)[-1]
    own = absence.own_policy_file(st.raw, p, r.policy, f"{r.file.removesuffix('.json')}/{short}/getIamPolicy.json")
    unknown = [*([own] if own else []), *absence.policy_files(st.raw, p)]
    for applied in [*_own(r.policy, repo.name), *inherited]:
        b = applied.binding
        if b.role in actions.BASIC_WRITE_ROLES and b.members:
            exposures.add("basic-role-write")
        found = _classes(st, b.role)
        if found is None:
            unknown.append(f"gcp/{b.role}.json")  # what the binding lets its members do is unknown
            continue
        acts = actions.registry_actions(found)
        if not acts:
            continue
        ev = Evidence(applied.file)
        write = bool(acts - {Action.READ})
        for member in b.members:
            if member == "allUsers":
                exposures.add("anonymous-push" if write else "anonymous-pull")
            elif member == "allAuthenticatedUsers":
                exposures.add("public-principal")
            for pr in _principals(st, member, ev):
                if pr.provider is not None:
                    _count(pr.provider, _repos_of(pr.provider, pr.repository))
                st.inv.add_edge(
                    Edge(
                        pr.node,
                        nid,
                        EdgeKind.GRANTS,
                        actions=acts,
                        via=f"{b.role} on {applied.where}",
                        conditions=_conditions(b),
                        evidence=(ev,),
                    )
                )
    remote = repo.mode == "REMOTE_REPOSITORY"
    logging_on, detail = _audit(_audit_configs(st, p))
    said: dict[str, AttrValue] = {}
    if logging_on is not True and (audit_missing := absence.audit_files(st.raw, p)):
        # a policy not collected may be the one that turns the logs on: unknown, never "off"
        logging_on, detail = None, None
        said["unknown_why.audit_logging"] = f"{audit_missing[0]} not collected"
    if exposures or not unknown:
        said["exposures"] = tuple(sorted(exposures))  # examined (a finding stands whatever else is unknown)
    else:
        said["unknown_why.exposures"] = f"{unknown[0]} not collected"
    said["unknown"] = tuple(k for k in ("audit_logging", "exposures") if f"unknown_why.{k}" in said) or None
    st.inv.add_node(
        Node(
            id=nid,
            kind=NodeKind.RESOURCE,
            name=repo.name.split("/locations/", 1)[-1].replace("/repositories/", "/"),
            provider=PROVIDER,
            subtype="gcp:ar-repository",
            scope=p.project_id,
            attrs={
                "category": "registry",
                "format": repo.format,
                "mode": repo.mode,
                "mirror": remote,
                "upstream_verification": False if remote else None,
                "cleanup_policies": len(repo.cleanupPolicies),
                "immutable_tags": bool(repo.dockerConfig.get("immutableTags")) if repo.dockerConfig else None,
                "audit_logging": logging_on,
                "audit_detail": detail,
                **said,
            },
            tags=tuple(sorted(repo.labels.items())),
            evidence=(Evidence(r.file), *((Evidence(r.policy.file),) if r.policy else ())),
        )
    )
    return nid


def _every_repository(st: _State, p: ProjectRaw, inherited: list[_Applied]) -> None:
    """ "Every Artifact Registry repository of the project, collected or not": what a binding on the project (or
    an ancestor) grants on its registries, even when no repository was listed — the project's next one too."""
    nid = node_id(PROVIDER, "ar-project", p.project_id)
    granted = False
    for applied in inherited:
        b = applied.binding
        found = _classes(st, b.role)
        acts = actions.registry_actions(found) if found is not None else frozenset()
        if not acts:
            continue
        ev = Evidence(applied.file)
        for member in b.members:
            for pr in _principals(st, member, ev):
                granted = True
                st.inv.add_edge(
                    Edge(pr.node, nid, EdgeKind.GRANTS, actions=acts, via=f"{b.role} on {applied.where}",
                         conditions=_conditions(b), evidence=(ev,))
                )  # fmt: skip
    if granted or p.repositories:
        st.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.RESOURCE,
                name=f"every Artifact Registry repository of project {p.project_id} (collected or not)",
                provider=PROVIDER,
                subtype="gcp:ar-project",
                scope=p.project_id,
                attrs={"category": "registry", "project": p.project_id, "account_wide": True},
                tags=tuple(sorted(p.meta.data.labels.items())) if p.meta else (),  # the project's labels
                evidence=tuple(dict.fromkeys(Evidence(a.file) for a in inherited)),
            )
        )


# --- Cloud Build triggers ----------------------------------------------------------------------------


def _trigger(st: _State, p: ProjectRaw, t: BuildTrigger, file: str, repos: list[tuple[NodeId, str | None]]) -> None:
    nid = node_id(PROVIDER, "build-trigger", f"projects/{p.project_id}/triggers/{t.id}")
    name = t.name or t.id
    approval = t.approvalConfig.approvalRequired if t.approvalConfig else False
    production = any(_PROD.search(x) for x in (name, *t.tags))
    st.inv.add_node(
        Node(
            id=nid,
            kind=NodeKind.RESOURCE,
            name=f"{p.project_id}/{name}",
            provider=PROVIDER,
            subtype="gcp:build-trigger",
            scope=p.project_id,
            attrs={
                "category": "pipeline",
                "production": True if production else None,
                "disabled": t.disabled,
                "service_account": t.serviceAccount.rsplit("/", 1)[-1] if t.serviceAccount else None,
                "build_file": t.filename,
                "approval_required": approval,
            },
            evidence=(Evidence(file),),
        )
    )
    if t.disabled:
        return
    ev = (Evidence(file),)
    if t.github and t.github.owner and t.github.name:
        source = node_id("github", "repo", f"{t.github.owner}/{t.github.name}")
        st.inv.add_hint(
            LinkHint(source, nid, EdgeKind.TRIGGERS, via=f"Cloud Build trigger {name}", approval_required=approval)
        )
    topic = t.pubsubConfig.topic if t.pubsubConfig else None
    if topic and topic.rsplit("/", 1)[-1] == "gcr":
        # Artifact Registry publishes every Docker push and tag in the project to the ``gcr`` topic.
        for repo, fmt in repos:
            if fmt in (None, "DOCKER"):
                st.inv.add_edge(
                    Edge(
                        repo, nid, EdgeKind.TRIGGERS, via=f"{topic} -> {name}", approval_required=approval, evidence=ev
                    )
                )


# --- a project ---------------------------------------------------------------------------------------


def _project(st: _State, p: ProjectRaw) -> None:
    inherited = _inherited(st, p)
    _every_repository(st, p, inherited)
    if p.service_accounts is not None:
        for s in p.service_accounts.data:
            _service_account(st, p, s, inherited)
    repos: list[tuple[NodeId, str | None]] = []
    for listed in p.repositories:
        for r in listed.data:
            repos.append((_repository(st, p, r, inherited), r.repo.format))
    if p.triggers is not None:
        for t in p.triggers.data:
            _trigger(st, p, t, p.triggers.file, repos)
