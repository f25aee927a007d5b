"""A CI job's publishes (from :mod:`connectors.ci.publish`) → graph: registry targets and the credential
on the path, for any CI system (its :class:`Flavour` names the provider and its words). Pure: no I/O.

A stored secret gets a registry credential node (secret → exposes → credential → grants PUBLISH →
target); the job's own token, its OIDC token and cloud roles grant PUBLISH from the job itself. A
target is the image repository when the step names it (with the id the registry's connector uses),
else "the packages this repository publishes there", linked to the registry connector's packages of
that source repository when they were collected. Probable publishes and unknown routes say so on the
edge (``conditions``), so reports can tell them from certain ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from connectors._types import iso_time
from connectors.ci.publish import Publish, Route
from scanner.knowledge.registries import Registry, registries
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
    Selector,
    node_id,
)

_PUBLISH = frozenset({Action.PUBLISH})


@dataclass(frozen=True)
class Flavour:
    """What differs between CI systems in the graph: the provider of the nodes a job's publishes add,
    how a route is told in words, and what a stored secret and a plain variable are called."""

    provider: str
    route_via: Mapping[str, str] = field(default_factory=dict)
    secret_word: str = "secret"  # noqa: S105 - a word for reports, not a value
    variable_word: str = "variable"
    variable_where: str = "configuration variable, plain text"


class SecretRef(Protocol):
    """A secret as a job sees it (``connectors.github.jobs.VisibleSecret``, a GitLab CI/CD variable)."""

    @property
    def id(self) -> NodeId: ...
    @property
    def name(self) -> str: ...
    @property
    def where(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def native(self) -> str: ...
    @property
    def created_at(self) -> str: ...
    @property
    def updated_at(self) -> str: ...


class JobSide(Protocol):
    """What the graph needs from the job builder."""

    @property
    def id(self) -> NodeId: ...
    @property
    def inv(self) -> Inventory: ...
    @property
    def repo(self) -> str: ...
    @property
    def workflow_path(self) -> str: ...
    @property
    def file(self) -> str: ...
    def secret(self, name: str) -> SecretRef | None: ...
    def variable(self, name: str) -> NodeId: ...
    def hint(self, hint: LinkHint) -> None: ...


def _label(registry: str) -> str:
    r = registries().get(registry)
    return r.label if r is not None else f"the registry at {registry.removeprefix('other:')}"


#: A CI system's own idea of a publish's target (a GitLab project's registry), consulted first.
TargetHook = Callable[[Publish, Registry | None], Node | None]


class PublishGraph:
    """Adds one job's publishes to the inventory."""

    def __init__(self, job: JobSide, flavour: Flavour, target: TargetHook | None = None) -> None:
        self.job = job
        self.flavour = flavour
        self.provider = flavour.provider
        self.target_hook = target

    def add(self, p: Publish) -> None:
        """The target of ``p`` and the PUBLISH edge from each credential route to it."""
        reg = registries().get(p.registry)
        ev = (Evidence(self.job.file, p.line),)
        conditions: list[tuple[str, str]] = [("confidence", p.confidence)]
        if p.confidence != "certain":
            conditions.append(("reason", p.reason))
        for route in p.routes:
            self._route(p, reg, route, tuple([*conditions, ("route", route.kind)]), ev)

    # -- targets ----------------------------------------------------------------------------------

    def _target_node(self, p: Publish, reg: Registry | None) -> Node | None:
        """The node a publish lands on when the workflow names it precisely enough."""
        if self.target_hook is not None and (own := self.target_hook(p, reg)) is not None:
            return own
        repo = self.job.repo
        label = _label(p.registry)
        production = reg.production if reg is not None else True
        base: dict[str, AttrValue] = {
            "category": "package",
            "registry": p.registry,
            "production": production,
            "source_repo": repo,
        }
        if p.image is not None:
            host, _, path = p.image.partition("/")
            nid = reg.target_node_id(host, path) if reg is not None else None
            provider = (reg.provider if reg is not None and nid else "") or self.provider
            subtype = reg.target_subtype if reg is not None and nid else f"{p.registry.split(':')[0]}:image"
            return Node(
                id=NodeId(nid) if nid else node_id(self.provider, "image-repository", p.image),
                kind=NodeKind.RESOURCE,
                name=p.image,
                provider=provider,
                subtype=subtype,
                attrs={**base, "image": p.image, "named_in_ci": True},
                evidence=(Evidence(self.job.file, p.line),),
            )
        if reg is not None and reg.target_id and "{repo}" in reg.target_id:
            return Node(
                id=NodeId(reg.target_id.format(repo=repo)),
                kind=NodeKind.RESOURCE,
                name=f"{label} of {repo}",
                provider=reg.provider or self.provider,
                subtype=reg.target_subtype or f"{reg.id}:release",
                attrs={**base, "category": "release" if reg.kind == "release" else "package"},
                evidence=(Evidence(self.job.file, p.line),),
            )
        return None

    def _fallback(self, p: Publish, reg: Registry | None) -> Node:
        """ "What this repository publishes to the registry", when the package is not named."""
        repo = self.job.repo
        provider = (reg.provider if reg is not None else "") or self.provider
        return Node(
            id=node_id(provider, "published-from", f"{p.registry}/{self.provider}/{repo}"),
            kind=NodeKind.RESOURCE,
            name=f"{_label(p.registry)} packages published from {repo}",
            provider=provider,
            subtype=(reg.target_subtype if reg is not None and reg.target_subtype else f"{p.registry}:package"),
            attrs={
                "category": "package",
                "registry": p.registry,
                "production": reg.production if reg is not None else True,
                "source_repo": repo,
                "named_in_ci": False,
                "collected": False,  # the registry's own record of these packages is not in the bundle
            },
            evidence=(Evidence(self.job.file, p.line),),
        )

    def _grant(
        self,
        src: NodeId,
        p: Publish,
        reg: Registry | None,
        via: str,
        conditions: tuple[tuple[str, str], ...],
        ev: tuple[Evidence, ...],
    ) -> None:
        target = self._target_node(p, reg)
        if target is not None:
            self.job.inv.add_node(target)
            self.job.inv.add_edge(
                Edge(src, target.id, EdgeKind.GRANTS, _PUBLISH, via=via, conditions=conditions, evidence=ev)
            )
            if reg is not None and reg.target_attr and p.image is not None:
                self._hint_attr(src, p, reg, via, conditions, ev)
            return
        fallback = self._fallback(p, reg)
        if reg is not None and reg.provider and reg.target_subtype:
            # The registry connector's packages of this source repository, when collected.
            self.job.hint(
                LinkHint(
                    src=src,
                    dst=Selector(
                        provider=reg.provider,
                        kind=NodeKind.RESOURCE,
                        subtype=reg.target_subtype,
                        attrs=(("source_repo", self.job.repo),),
                    ),
                    kind=EdgeKind.GRANTS,
                    actions=_PUBLISH,
                    via=via,
                    conditions=conditions,
                    evidence=ev,
                    fallback=fallback,
                )
            )
            return
        self.job.inv.add_node(fallback)
        self.job.inv.add_edge(
            Edge(src, fallback.id, EdgeKind.GRANTS, _PUBLISH, via=via, conditions=conditions, evidence=ev)
        )

    def _hint_attr(
        self,
        src: NodeId,
        p: Publish,
        reg: Registry,
        via: str,
        conditions: tuple[tuple[str, str], ...],
        ev: tuple[Evidence, ...],
    ) -> None:
        host = (p.image or "").split("/", 1)[0]
        self.job.hint(
            LinkHint(
                src=src,
                dst=Selector(
                    provider=reg.provider,
                    kind=NodeKind.RESOURCE,
                    subtype=reg.target_subtype,
                    attrs=((reg.target_attr, host),),
                ),
                kind=EdgeKind.GRANTS,
                actions=_PUBLISH,
                via=via,
                conditions=conditions,
                evidence=ev,
            )
        )

    # -- routes -----------------------------------------------------------------------------------

    def _route(
        self,
        p: Publish,
        reg: Registry | None,
        route: Route,
        conditions: tuple[tuple[str, str], ...],
        ev: tuple[Evidence, ...],
    ) -> None:
        how = f"{p.form} in {self.job.workflow_path}"
        if route.kind in ("secret", "variable"):
            src_secret = self.job.secret(route.name) if route.kind == "secret" else None
            secret_id = src_secret.id if src_secret is not None else self.job.variable(route.name)
            if route.kind == "secret" and src_secret is None:
                return  # the name resolves to nothing: the expression is empty at run time
            cid = self._credential(p, reg, route, secret_id, src_secret)
            self.job.inv.add_edge(Edge(secret_id, cid, EdgeKind.EXPOSES, via=route.detail or p.form, evidence=ev))
            if p.confidence == "held":
                via = f"{_label(p.registry)} credential held by a job of {self.job.workflow_path} ({p.reason})"
            else:
                via = f"{_label(p.registry)} credential used by {how}"
            self._grant(cid, p, reg, via, conditions, ev)
            return
        detail = route.detail or self.flavour.route_via.get(route.kind, route.kind)
        self._grant(self.job.id, p, reg, f"{how} with {detail}", conditions, ev)

    def _credential(
        self, p: Publish, reg: Registry | None, route: Route, secret_id: NodeId, s: SecretRef | None
    ) -> NodeId:
        provider = (reg.provider if reg is not None else "") or p.registry.split(":")[0]
        native = s.native if s is not None else f"{self.job.repo}/vars/{route.name}"
        cid = node_id(provider, "token", f"{self.provider}/{native}")
        label = reg.credential_label if reg is not None else f"credential for {_label(p.registry)}"
        where = s.where if s is not None else f"{self.job.repo} ({self.flavour.variable_where})"
        word = self.flavour.secret_word if s is not None else self.flavour.variable_word
        self.job.inv.add_node(
            Node(
                id=cid,
                kind=NodeKind.CREDENTIAL,
                name=f"{label} in {word} {route.name} of {where}",
                provider=provider,
                subtype=reg.credential_subtype if reg is not None else "registry:credential",
                scope=s.scope if s is not None else self.job.repo,
                attrs={
                    "secret": secret_id,
                    "registry": p.registry,
                    # Its expiry is in the registry's own token list, unless the registry offers none.
                    **(
                        {}
                        if reg is not None and reg.credential_expiry == "never"
                        else {"unknown": ("expires",), "unknown_why": f"the value is in {route.kind} {route.name}"}
                    ),
                },
                credential=CredentialInfo(
                    lifetime=Lifetime.STATIC,
                    created=iso_time(s.created_at) if s else None,
                    # When the value was last set (GitHub's updated_at), i.e. the token last replaced.
                    last_rotated=iso_time(s.updated_at) if s and s.updated_at else None,
                ),
                evidence=(Evidence(self.job.file, p.line),),
            )
        )
        return cid
