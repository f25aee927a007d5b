"""One GitLab job → a CI identity and everything it reaches. Pure: no I/O.

A job receives the CI/CD variables GitLab gives it (:mod:`connectors.gitlab.variables`: scope, protection,
precedence), runs the code of its image, services and the pipeline's non-local includes, publishes what the
shared publish catalogue (:mod:`connectors.ci.publish`) recognises in its scripts and its ``release:``
keyword, holds every registry credential its environment has, and deploys to its environment. When it runs
(:mod:`connectors.gitlab.rules`) decides which protected variables it sees, the refs its OIDC tokens name,
and whether merge requests from forks run it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol

from connectors.ci.graph import Flavour, PublishGraph, TargetHook
from connectors.ci.publish import Publish, Route, StepView, analyse, publish_attrs
from connectors.gitlab.implicit import rule_credential, script_publishes, template_publishes
from connectors.gitlab.pipeline import JobDef
from connectors.gitlab.refs import JOB_TOKEN_VARS, GitLabRefs, ProjectFacts
from connectors.gitlab.rules import RunContext, Tri, job_runs, never_added
from connectors.gitlab.variables import CiVariable, VariableScope, Visible
from scanner.knowledge.publish import catalogue, registry_from_secret_name
from scanner.model import (
    Action,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    LinkHint,
    Node,
    NodeId,
    NodeKind,
    node_id,
)

PROVIDER = "gitlab"
GITLAB = Flavour(
    provider=PROVIDER,
    route_via={
        "job_token": "the job's CI_JOB_TOKEN",
        "oidc": "the job's id_tokens (OIDC)",
        "cloud": "a cloud role assumed by OIDC",
        "unknown": "a credential the pipeline does not name",
    },
    secret_word="CI/CD variable",  # noqa: S106 - a word for reports
    variable_word="pipeline variable",
    variable_where="YAML variables, plain text",
)
#: Environment actions that do not deploy (``prepare``, ``verify``, ``access``, ``stop``).
_NO_DEPLOY = frozenset({"prepare", "verify", "access", "stop"})
_SHA_DIGEST = "@sha256:"


@dataclass(frozen=True)
class Run:
    """One kind of pipeline, whether its ref is protected (None: not known), and whether the job runs in it."""

    ctx: RunContext
    protected: Tri
    runs: Tri


class ProjectSide(Protocol):
    """What a job needs from the project it belongs to."""

    @property
    def inv(self) -> Inventory: ...
    @property
    def path(self) -> str: ...
    @property
    def facts(self) -> ProjectFacts: ...
    @property
    def variables(self) -> VariableScope: ...
    @property
    def contexts(self) -> Sequence[tuple[RunContext, Tri]]: ...
    @property
    def hosts(self) -> Mapping[str, str]: ...
    @property
    def target(self) -> TargetHook: ...
    def bundle_file(self, path: str) -> str: ...
    def hint(self, hint: LinkHint) -> None: ...
    def inferred_variable(self, name: str) -> CiVariable: ...
    def pipeline_variable(self, name: str) -> NodeId: ...
    def env_node(self, name: str) -> NodeId: ...


def implicit_credential_env() -> frozenset[str]:
    """Environment variables publish tools read without being told (TWINE_PASSWORD, NPM_TOKEN...)."""
    names = {n.upper() for c in catalogue().commands for n in c.credential_env}
    names |= {n.upper() for a in catalogue().logins for n in a.credential_env}
    return frozenset(names)


def _implicit(name: str, implicit: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    return name.upper() in implicit or name.upper().startswith(prefixes)


class JobBuilder:
    """Builds one job's identity node and everything it reaches."""

    def __init__(
        self,
        p: ProjectSide,
        job: JobDef,
        pipeline_path: str,
        workflow_rules: object,
        includes_missing: bool = False,
        files: Mapping[str, str] | None = None,
    ) -> None:
        self.p = p
        self.includes_missing = includes_missing
        #: values the pipeline's jobs write to files (an image name in image-tag.txt, passed as an artifact)
        self.files = files or {}
        self.inv = p.inv
        self.job = job
        self.pipeline_path = pipeline_path
        self.id = node_id(PROVIDER, "job", f"{p.path}/{pipeline_path}#{job.name}")
        self.evidence = (Evidence(p.bundle_file(job.file), job.line),)
        self.runs = [Run(ctx, prot, job_runs(job.body, workflow_rules, ctx)) for ctx, prot in p.contexts]
        self.protected = self._protected()
        self.visible: dict[str, list[Visible]] = p.variables.visible(job.environment, self.protected)
        self.publishes: list[Publish] = []

    # -- facts other modules read -----------------------------------------------------------------

    @property
    def repo(self) -> str:
        """The project path."""
        return self.p.path

    @property
    def workflow_path(self) -> str:
        """The file that defines the job (its repository path)."""
        return self.job.file

    @property
    def file(self) -> str:
        """The bundle path of that file."""
        return self.p.bundle_file(self.job.file)

    def _protected(self) -> Tri:
        """Whether the job can run on a protected branch or tag (None: cannot be told)."""
        if any(r.runs is True and r.protected is True for r in self.runs):
            return True
        if any(r.runs is not False and r.protected is not False for r in self.runs):
            return None
        return False

    def fork_merge_requests(self) -> Tri:
        """Whether merge requests from forks run the job."""
        found = [r.runs for r in self.runs if r.ctx.fork]
        return True if True in found else (None if None in found else False)

    def secret(self, name: str) -> CiVariable | None:
        """The CI/CD variable ``$NAME`` is for this job (inferred when the lists were not collected)."""
        seen = self.visible.get(name)
        if seen:
            return seen[0].var
        if not self.p.variables.all_listed:
            return self.p.inferred_variable(name)
        return None

    def variable(self, name: str) -> NodeId:
        """A pipeline (YAML) variable: plain text in the repository."""
        return self.p.pipeline_variable(name)

    def hint(self, hint: LinkHint) -> None:
        """Record a cross-provider link once."""
        self.p.hint(hint)

    # -- publishing -------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(self.job.variables)
        implicit = implicit_credential_env()
        prefixes = tuple(p.upper() for c in catalogue().commands for p in c.env_prefixes)
        for name in self.visible:
            if _implicit(name, implicit, prefixes) or registry_from_secret_name(name):
                # a CI/CD variable a tool reads from the environment, or one named for a registry
                env[name] = f"${name}"
        for name in self.job.secrets:
            env[name] = f"${name}"
        return env

    def _steps(self, env: Mapping[str, str]) -> list[StepView]:
        views = [
            StepView(
                index=i,
                label="",  # the job's name speaks for all its commands, not for one
                line=s.line - 1 if s.line is not None else self.job.line,
                id=None,
                uses=None,
                inputs={},
                script=s.text,
                env=env,
            )
            for i, s in enumerate(self.job.scripts)
        ]
        if self.job.release is not None:
            # GitLab runs the `release:` keyword as `release-cli create …` with the job token
            tag = str(self.job.release.get("tag_name", ""))
            views.append(StepView(len(views), "", None, None, None, {}, f"release-cli create --tag-name {tag}", env))
        return views

    def _analyse(self) -> list[Publish]:
        env = self._env()
        scope = self.p.variables
        cicd = set(self.visible) if scope.complete else None
        tokens = [n for n, _ in self.job.id_tokens]
        refs = GitLabRefs(self.p.facts, cicd, tokens, self.job.secrets, unlisted=not scope.all_listed)
        steps = self._steps(env)
        found = analyse(steps, refs, oidc=bool(self.job.id_tokens), hosts=self.p.hosts, files=self.files)
        if (required := rule_credential(self.job)) is not None:
            # a publish whose credential the job does not name, in a job that runs only when one credential-named
            # variable is set (tuxpkg's `flit publish` under `if: … $FLIT_PASSWORD != null`): that variable
            family = registry_from_secret_name(required.name)  # (one named for another registry is not this one's)
            found = [
                replace(p, routes=(required,))
                if p.confidence != "held"
                and all(r.kind == "unknown" for r in p.routes)
                and family in (None, p.registry)
                else p
                for p in found
            ]
        if not any(p.confidence != "held" for p in found):
            expand = partial(refs.expand, env=env)
            found += script_publishes(self.job, not self.p.variables.complete, expand, self.p.hosts)
        if not any(p.confidence != "held" for p in found) and self.job.unknown_bases and self.includes_missing:
            found += template_publishes(self.job, self.job.unknown_bases)
        elif (
            not any(p.confidence != "held" for p in found)
            and self.includes_missing
            and "script" not in self.job.body
            and self.job.trigger is None
        ):
            # a job with no `script:` of its own beside an include regwarden could not read: the include defines it
            # and this file only changes it (pesummary's `docker_push` overriding its before_script), so its name is
            # read as a template's would be
            found += template_publishes(self.job, (self.job.name,))
        # the job token signs in to GitLab's own registries only: a host it pushes to is the instance's registry
        found = [
            replace(p, registry="gitlab-registry")
            if p.registry.startswith("other:")
            and p.image is not None
            and any(r.kind == "job_token" and r.name in JOB_TOKEN_VARS for r in p.routes)
            else p
            for p in found
        ]
        release = self.job.release_line
        if self.job.release is not None:
            last = len(steps) - 1
            found = [replace(p, line=release) if p.step == last else p for p in found]
        return found + self._held(found)

    def _held(self, found: list[Publish]) -> list[Publish]:
        """Registry credentials in the job's environment that no publish of it uses: every CI/CD variable
        named for a registry reaches every job it is visible to, mentioned or not."""
        used = {r.name for p in found for r in p.routes if r.kind == "secret"}
        out: list[Publish] = []
        for name, seen in sorted(self.visible.items()):
            reg = registry_from_secret_name(name)
            if reg is None or name in used or not seen:
                continue
            route = Route("secret", name, "in the job's environment")
            why = f"receives CI/CD variable {name} (no publish seen in this job)"
            out.append(Publish(reg, None, (route,), "held", "CI/CD variable", why, -1, self.job.line))
        return out

    # -- the node and its edges -------------------------------------------------------------------

    def build(self) -> None:
        """Add the job node, what it reads, runs, publishes and deploys."""
        job = self.job
        # a job its rules keep out of every pipeline runs nothing
        publishes = [] if never_added(job.body) else self._analyse()
        self.publishes = publishes
        running = [r for r in self.runs if r.runs is not False]
        refs = self._refs(running)
        fork = self.fork_merge_requests()
        self.inv.add_node(
            Node(
                id=self.id,
                kind=NodeKind.IDENTITY,
                name=f"{self.p.path} {self.pipeline_path}#{job.name}",
                provider=PROVIDER,
                subtype="gitlab:job",
                scope=self.p.path,
                attrs={
                    "repo": self.p.path,
                    "workflow_path": job.file,
                    "workflow_file": self.pipeline_path,
                    "job": job.name,
                    "job_name": job.name,
                    "stage": job.stage,
                    "environment": job.environment,
                    "image": job.image,
                    "oidc": bool(job.id_tokens),
                    "id_token_audiences": tuple(sorted({a for _, auds in job.id_tokens for a in auds})),
                    "triggers": tuple(sorted({r.ctx.source for r in running})),
                    "refs": refs,
                    "ref": refs[0] if len(refs) == 1 and "*" not in refs[0] else None,
                    "oidc_subjects": self._subjects(refs) if job.id_tokens else (),
                    "protected_refs": self.protected,
                    # a fork's merge request runs in the fork's project, with none of this project's variables;
                    # only a maintainer's "run pipeline" in this project gives it them
                    "outsider_events": ("merge_request_event (fork)",) if fork is not False else (),
                    "outsider_gated": fork is not False,
                    "untrusted_trigger": False,
                    "outsider_control": (),
                    **publish_attrs(publishes),
                    "trigger": job.trigger.kind if job.trigger else None,
                },
                evidence=self.evidence,
            )
        )
        self._read_variables()
        self._third_parties()
        graph = PublishGraph(self, GITLAB, self.p.target)
        for p in publishes:
            graph.add(p)
        if job.environment is not None and job.environment_action not in _NO_DEPLOY and "$" not in job.environment:
            env_id = self.p.env_node(job.environment)
            self.inv.add_edge(
                Edge(self.id, env_id, EdgeKind.GRANTS, frozenset({Action.DEPLOY}),
                     via=f"environment: {job.environment}", evidence=self.evidence)
            )  # fmt: skip

    def _refs(self, running: list[Run]) -> tuple[str, ...]:
        out: set[str] = set()
        for r in running:
            c = r.ctx
            if c.source == "merge_request_event":
                out.add("refs/merge-requests/*")
            elif c.tag is not None:
                out.add(f"refs/tags/{c.tag if c.named else '*'}")
            elif c.branch is not None:
                out.add(f"refs/heads/{c.branch if c.named else '*'}")
        return tuple(sorted(out))

    def _subjects(self, refs: tuple[str, ...]) -> tuple[str, ...]:
        """The ``sub`` claims of the job's ID tokens (``project_path:P:ref_type:branch:ref:main``)."""
        out: set[str] = set()
        for ref in refs:
            if ref.startswith("refs/heads/"):
                out.add(f"project_path:{self.p.path}:ref_type:branch:ref:{ref.removeprefix('refs/heads/')}")
            elif ref.startswith("refs/tags/"):
                out.add(f"project_path:{self.p.path}:ref_type:tag:ref:{ref.removeprefix('refs/tags/')}")
        return tuple(sorted(out))

    def _read_variables(self) -> None:
        mentioned = {n for s in self.job.scripts for n in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", s.text)}
        mentioned |= {n for v in self.job.variables.values() for n in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", v)}
        for name, seen in sorted(self.visible.items()):
            for v in seen:
                cond = (("protected_ref_only", "true"),) if v.conditional else ()
                via = f"${name}" if name in mentioned else "CI/CD variable (in every job's environment)"
                self.inv.add_edge(
                    Edge(self.id, v.var.id, EdgeKind.CAN_READ_SECRET, via=via, conditions=cond, evidence=self.evidence)
                )

    def _third_parties(self) -> None:
        """The job's image and services (the pipeline's includes are added by the project)."""
        for role, image in [("image", self.job.image), *(("services", s) for s in self.job.services)]:
            if not image:
                continue
            expanded = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: self.p.facts.predefined(m.group(1))
                              or self.job.variables.get(m.group(1), m.group(0)), image)  # fmt: skip
            if "$" in expanded:
                continue  # chosen at run time
            iid = node_id(PROVIDER, "image", expanded)
            self.inv.add_node(
                Node(
                    iid,
                    NodeKind.THIRD_PARTY,
                    expanded,
                    PROVIDER,
                    "container-image",
                    attrs={"image": expanded, "pinned": _SHA_DIGEST in expanded},
                )
            )
            self.inv.add_edge(Edge(self.id, iid, EdgeKind.RUNS_CODE_OF, via=role, evidence=self.evidence))
