"""One workflow job → a CI identity and everything it reaches. Pure: no I/O.

A job can read the secrets its expressions name (resolved the way Actions resolves them:
environment, then repository, then organization), runs the code of every action, reusable
workflow and image it references, deploys to its environment, and — through the table in
:mod:`connectors.github.actions` — exposes registry credentials that the registry connectors
link to the packages they can publish.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from connectors.github.actions import (
    CACHE_ACTIONS,
    FIRST_PARTY_OWNERS,
    PUBLISH_STEPS,
    REGISTRIES,
    SETUP_CACHE_ACTIONS,
    STATIC_CLOUD_INPUTS,
    STATIC_CLOUD_SECRET,
    UNTRUSTED_FETCH,
    UNTRUSTED_REFS,
    PublishStep,
    action_name,
    registry_host,
)
from connectors.github.raw import WorkflowFile
from connectors.github.workflows import Job, Permissions, Step, secret_refs
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

PROVIDER = "github"
#: Triggers whose runs act on input from people outside the repository while holding its secrets.
UNTRUSTED_TRIGGERS: frozenset[str] = frozenset({"pull_request_target", "workflow_run"})
_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class VisibleSecret:
    """A secret node as a job can see it."""

    id: NodeId
    name: str
    where: str  # "acme/app", "acme/app environment prod", "organization acme"
    scope: str  # "acme/app" or, for an organization secret, "acme"
    native: str  # the node's native id, reused for the credential it holds
    created_at: str


class SecretScope:
    """The secrets visible to one repository's jobs, by upper-case name."""

    def __init__(self) -> None:
        self.env: dict[str, dict[str, VisibleSecret]] = {}
        self.repo: dict[str, VisibleSecret] = {}
        self.org: dict[str, VisibleSecret] = {}

    def resolve(self, name: str, environment: str | None) -> VisibleSecret | None:
        """What ``secrets.NAME`` evaluates to in a job running in ``environment``."""
        key = name.upper()
        if environment is not None and (s := self.env.get(environment.lower(), {}).get(key)):
            return s
        return self.repo.get(key) or self.org.get(key)

    def inherited(self) -> list[VisibleSecret]:
        """What ``secrets: inherit`` passes on: every repository and organization secret."""
        merged = {**self.org, **self.repo}
        return [merged[k] for k in sorted(merged)]


def _time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _has_expr(value: str) -> bool:
    return "${{" in value


class RepoContext(Protocol):
    """What a job needs from the repository it belongs to."""

    @property
    def inv(self) -> Inventory: ...
    @property
    def full(self) -> str: ...
    @property
    def default(self) -> str | None: ...
    @property
    def secrets(self) -> SecretScope: ...
    @property
    def default_branch(self) -> str | None: ...
    @property
    def oidc_claims(self) -> tuple[str, ...] | None: ...
    def env_node(self, name: str) -> NodeId: ...
    def hint(self, hint: LinkHint) -> None: ...
    def shared_node(self, node: Node) -> None: ...


class JobBuilder:
    """Builds one job's identity node and everything it reaches."""

    def __init__(self, r: RepoContext, wf: WorkflowFile, job: Job) -> None:
        self.r = r
        self.inv = r.inv
        self.wf = wf
        self.job = job
        self.id = node_id(PROVIDER, "job", f"{r.full}/{wf.path}#{job.id}")
        self.evidence = (Evidence(wf.file, job.line),)
        env = job.environment
        self.environment = env if env and not _has_expr(env) else None
        self.perms = self._permissions()

    def _permissions(self) -> Permissions | None:
        if self.job.permissions is not None:
            return self.job.permissions
        if self.wf.workflow.permissions is not None:
            return self.wf.workflow.permissions
        return Permissions.default(self.r.default) if self.r.default else None

    def writes(self, scope: str) -> bool | None:
        return None if self.perms is None else self.perms.level(scope) == "write"

    @property
    def untrusted_trigger(self) -> bool:
        """Whether the workflow runs on a trigger that acts on outsiders' input with the repo's secrets."""
        return bool(UNTRUSTED_TRIGGERS.intersection(self.wf.workflow.triggers))

    @property
    def checks_out_untrusted(self) -> bool:
        """An untrusted trigger and a step that checks out or fetches the pull request's head."""
        if not self.untrusted_trigger:
            return False
        for step in self.job.steps:
            name = action_name(step.uses) if step.uses else None
            if name == "actions/checkout" and UNTRUSTED_REFS.search(step.with_.get("ref", "")):
                return True
            if step.run and (UNTRUSTED_FETCH.search(step.run) or UNTRUSTED_REFS.search(step.run)):
                return True
        return False

    def cache_use(self) -> tuple[bool, bool]:
        """(restores a cache, saves a cache) from the job's cache and setup steps."""
        reads = writes = False
        for step in self.job.steps:
            if not step.uses:
                continue
            path = step.uses.split("@", 1)[0].lower()
            if path in CACHE_ACTIONS:
                r, w = CACHE_ACTIONS[path]
                reads, writes = reads or r, writes or w
            elif (default := SETUP_CACHE_ACTIONS.get(action_name(step.uses))) is not None:
                value = step.with_.get("cache", "").strip().lower()
                on = value not in ("", "false") if not default else value != "false"
                reads, writes = reads or on, writes or on
        return reads, writes

    def refs(self) -> tuple[str, ...]:
        """Ref patterns of the job's runs, with ``<default>`` resolved when the default branch is known."""
        branch = self.r.default_branch
        out = {f"refs/heads/{branch}" if r == "<default>" and branch else r for r in self.wf.workflow.refs}
        return tuple(sorted(out))

    def oidc_subjects(self, refs: tuple[str, ...]) -> tuple[str, ...]:
        """The ``sub`` claims the job's OIDC token can carry under GitHub's default template."""
        base = f"repo:{self.r.full}"
        if self.environment is not None:
            return (f"{base}:environment:{self.environment}",)
        subs = {f"{base}:pull_request" if r == "refs/pull/*/merge" else f"{base}:ref:{r}" for r in refs}
        return tuple(sorted(subs))

    def build(self) -> None:
        job, w = self.job, self.wf.workflow
        oidc = self.perms is not None and self.perms.level("id-token") == "write"
        publishes, trusted = self._publishing(oidc)
        reads, writes = self.cache_use()
        refs = self.refs()
        claims = self.r.oidc_claims
        self.inv.add_node(
            Node(
                id=self.id,
                kind=NodeKind.IDENTITY,
                name=f"{self.r.full} {self.wf.path.rsplit('/', 1)[-1]}#{job.id}",
                provider=PROVIDER,
                subtype="github:job",
                scope=self.r.full,
                attrs={
                    "repo": self.r.full,
                    "workflow_path": self.wf.path,
                    "workflow_file": self.wf.path.rsplit("/", 1)[-1],
                    "job": job.id,
                    "job_name": job.name,
                    "environment": job.environment,
                    "oidc": oidc,
                    "triggers": w.triggers,
                    "untrusted_trigger": self.untrusted_trigger,
                    "checks_out_untrusted": self.checks_out_untrusted,
                    "cache_reads": reads,
                    "cache_writes": writes,
                    "refs": refs,
                    "ref": refs[0] if len(refs) == 1 and "*" not in refs[0] else None,
                    "oidc_sub_claims": claims,
                    "oidc_subjects": self.oidc_subjects(refs) if oidc and claims is None else (),
                    "publishes": tuple(sorted(publishes)),
                    "pypi_trusted_publishing": trusted,
                    "contents_write": self.writes("contents"),
                    "actions_write": self.writes("actions"),
                    "calls": job.uses,
                    "secrets_inherit": job.secrets_inherit,
                },
                evidence=self.evidence,
            )
        )
        self._read_secrets()
        self._third_parties()
        self._static_cloud_keys()
        if self.checks_out_untrusted:
            self._untrusted_code()
        if self.environment is not None:
            env_id = self.r.env_node(self.environment)
            self._edge(env_id, EdgeKind.GRANTS, f"environment: {self.environment}", {Action.DEPLOY})

    def _edge(self, dst: NodeId, kind: EdgeKind, via: str, actions: Iterable[Action] = ()) -> None:
        self.inv.add_edge(
            Edge(src=self.id, dst=dst, kind=kind, actions=frozenset(actions), via=via, evidence=self.evidence)
        )

    # -- secrets --------------------------------------------------------------------------------

    def _read_secrets(self) -> None:
        for name in sorted(self.job.secret_refs | self.wf.workflow.secret_refs):
            s = self.r.secrets.resolve(name, self.environment)
            if s is not None:
                self._edge(s.id, EdgeKind.CAN_READ_SECRET, f"secrets.{s.name}")
        if self.job.secrets_inherit:
            for s in self.r.secrets.inherited():
                self._edge(s.id, EdgeKind.CAN_READ_SECRET, "secrets: inherit")

    def _static_cloud_keys(self) -> None:
        """Mark secrets holding a static cloud/registry key: by name, or by the input they are given to."""
        names = {n for n in self.job.secret_refs | self.wf.workflow.secret_refs if STATIC_CLOUD_SECRET.match(n)}
        for step in self.job.steps:
            inputs = STATIC_CLOUD_INPUTS.get(action_name(step.uses)) if step.uses else None
            for key in inputs or ():
                names |= set(secret_refs(step.with_.get(key, "")))
        for name in sorted(names):
            s = self.r.secrets.resolve(name, self.environment)
            if s is None:
                continue
            old = self.inv.node(s.id)
            attrs: dict[str, AttrValue] = {"static_cloud_credential": True, "oidc_available": True}
            self.inv.add_node(
                Node(id=s.id, kind=old.kind, name=old.name, provider=PROVIDER, subtype=old.subtype, attrs=attrs)
            )

    def _untrusted_code(self) -> None:
        """The pull request's code runs in this job: its author's code can read the job's secrets."""
        nid = node_id(PROVIDER, "untrusted-code", self.r.full)
        self.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.THIRD_PARTY,
                name=f"code of pull requests to {self.r.full}",
                provider=PROVIDER,
                subtype="github:pull-request-head",
                scope=self.r.full,
                attrs={"repo": self.r.full, "untrusted": True},
                evidence=self.evidence,
            )
        )
        self._edge(nid, EdgeKind.RUNS_CODE_OF, "checkout of the pull request head")

    # -- third parties --------------------------------------------------------------------------

    def _third_parties(self) -> None:
        job = self.job
        if job.uses is not None and (tp := self._uses_node(job.uses, reusable=True)):
            self._edge(tp, EdgeKind.RUNS_CODE_OF, job.uses)
        for step in job.steps:
            if step.uses is not None and (tp := self._uses_node(step.uses, reusable=False)):
                # A step handed a secret as input is its designated recipient; any other step is a
                # bystander that can still read the job's secrets (the LiteLLM pattern).
                given = sorted({*secret_refs(step.with_), *secret_refs(step.env)})
                conditions = tuple(("receives_secret", n) for n in given)
                self.inv.add_edge(
                    Edge(
                        src=self.id,
                        dst=tp,
                        kind=EdgeKind.RUNS_CODE_OF,
                        via=step.label,
                        conditions=conditions,
                        evidence=self.evidence,
                    )
                )
        if job.container and (tp := self._image_node(job.container)):
            self._edge(tp, EdgeKind.RUNS_CODE_OF, "container")
        for name, image in job.services:
            if tp := self._image_node(image):
                self._edge(tp, EdgeKind.RUNS_CODE_OF, f"services.{name}")

    def _uses_node(self, uses: str, reusable: bool) -> NodeId | None:
        uses = uses.strip()
        if uses.startswith("./") or _has_expr(uses):
            return None  # local code is the repository's own
        if uses.startswith("docker://"):
            return self._image_node(uses.removeprefix("docker://"))
        path, _, ref = uses.partition("@")
        owner = path.split("/", 1)[0]
        nid = node_id(PROVIDER, "action", uses)
        # Shared by every workflow that uses it: its evidence is merged once, at the end of the transform.
        self.r.shared_node(
            Node(
                id=nid,
                kind=NodeKind.THIRD_PARTY,
                name=uses,
                provider=PROVIDER,
                subtype="github:reusable-workflow" if reusable else "github:action",
                attrs={
                    "uses": uses,
                    "owner": owner,
                    "ref": ref or None,
                    "pinned": bool(_SHA.fullmatch(ref)),
                    "first_party_github": owner.lower() in FIRST_PARTY_OWNERS,
                },
                evidence=self.evidence,
            )
        )
        return nid

    def _image_node(self, image: str) -> NodeId | None:
        image = image.strip()
        if not image or _has_expr(image):
            return None
        nid = node_id(PROVIDER, "image", image)
        self.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.THIRD_PARTY,
                name=image,
                provider=PROVIDER,
                subtype="container-image",
                attrs={"image": image, "pinned": "@sha256:" in image},
                evidence=self.evidence,
            )
        )
        return nid

    # -- publishing -----------------------------------------------------------------------------

    def _publishing(self, oidc: bool) -> tuple[set[str], bool]:
        publishes: set[str] = set()
        trusted = False
        for step in self.job.steps:
            for rule in _matching(step):
                registry = _target_registry(rule, step)
                publishes.add(registry)
                if registry != rule.registry:
                    continue  # another registry (Test PyPI, GHCR...): its tokens are not this one's
                if rule.oidc_publishing and oidc and not any(i in step.with_ for i in rule.secret_inputs):
                    trusted = True
                for via, value in self._credential_sources(rule, step):
                    for name in sorted(set(secret_refs(value))):
                        if s := self.r.secrets.resolve(name, self.environment):
                            self._credential(rule, s, via)
        return publishes, trusted

    def _credential_sources(self, rule: PublishStep, step: Step) -> Iterator[tuple[str, str]]:
        for key in rule.secret_inputs:
            if key in step.with_:
                yield f"with.{key}", step.with_[key]
        env: dict[str, str] = {**self.wf.workflow.env, **self.job.env, **step.env}
        for key in rule.secret_env:
            if key in env:
                yield f"env.{key}", env[key]

    def _credential(self, rule: PublishStep, s: VisibleSecret, via: str) -> None:
        reg = REGISTRIES[rule.registry]
        cid = node_id(reg.provider, "token", f"github/{s.native}")
        self.inv.add_node(
            Node(
                id=cid,
                kind=NodeKind.CREDENTIAL,
                name=f"{reg.credential_label} in secret {s.name} of {s.where}",
                provider=reg.provider,
                subtype=reg.credential_subtype,
                scope=s.scope,
                attrs={"secret": s.id},
                credential=CredentialInfo(lifetime=Lifetime.STATIC, created=_time(s.created_at)),
                evidence=self.evidence,
            )
        )
        self.inv.add_edge(Edge(src=s.id, dst=cid, kind=EdgeKind.EXPOSES, via=via, evidence=self.evidence))
        self.r.hint(
            LinkHint(
                src=cid,
                dst=Selector(
                    provider=reg.provider,
                    kind=NodeKind.RESOURCE,
                    subtype=reg.target_subtype,
                    attrs=(("source_repo", self.r.full),),
                ),
                kind=EdgeKind.GRANTS,
                actions=frozenset({Action.PUBLISH}),
                via=f"{reg.credential_label} used by {self.wf.path}",
                evidence=(Evidence(self.wf.file),),
            )
        )


def _matching(step: Step) -> Iterator[PublishStep]:
    name = action_name(step.uses) if step.uses else None
    for rule in PUBLISH_STEPS:
        by_action = rule.uses is not None and rule.uses == name
        by_script = rule.run is not None and step.run is not None and rule.run.search(step.run) is not None
        if by_action or by_script:
            yield rule


def _target_registry(rule: PublishStep, step: Step) -> str:
    """Which registry the step publishes to: the rule's own unless an input points elsewhere."""
    for key in rule.registry_inputs:
        value = step.with_.get(key, "").strip()
        if not value:
            continue
        host = registry_host(value)
        if host in rule.default_hosts:
            return rule.registry
        return dict(rule.other_hosts).get(host, host)
    return rule.registry
