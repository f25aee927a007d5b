"""One GitLab project's pipeline → jobs, their third parties, child and downstream pipelines and the artifacts
passed between them. Pure: no I/O.

The pipeline is assembled as GitLab would (:mod:`connectors.gitlab.pipeline`); a file that cannot be read
or interpreted, an include that was not collected, a ``!reference`` or ``extends:`` that names nothing, are
coverage gaps of the project (the rest is analysed). ``trigger:`` jobs start their child pipelines (built
from the project's own files) and other projects' pipelines: ``can_assume`` edges to those jobs. A job
whose artifacts a publishing job uses (``needs:``, ``dependencies:``, or every earlier stage) controls what
it publishes: ``can_assume`` from the producer to the publisher.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from connectors.ci.graph import TargetHook
from connectors.ci.publish import Publish, script_values, split_image
from connectors.gitlab.includes import CiSource
from connectors.gitlab.jobs import PROVIDER, JobBuilder
from connectors.gitlab.pipeline import JobDef, Pipeline, resolve
from connectors.gitlab.raw import GitLabRaw, ProjectRaw, Variable
from connectors.gitlab.refs import ProjectFacts
from connectors.gitlab.rules import RunContext, Tri, run_contexts
from connectors.gitlab.variables import CiVariable, VariableScope
from scanner.knowledge.registries import Registry
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
    node_id,
)

#: GitLab nests child pipelines at most two levels below the parent.
MAX_CHILD_DEPTH = 2


class Files:
    """The bundle's pipeline files as a :class:`~connectors.gitlab.includes.FileSource`."""

    def __init__(self, raw: GitLabRaw) -> None:
        self.raw = raw
        self.projects = {p.path: p for p in raw.projects}

    def file(self, project: str, ref: str | None, path: str) -> CiSource | None:
        """A file of ``project`` at ``ref`` (None: the pipeline's ref, i.e. the default branch)."""
        p = self.projects.get(project)
        if ref is not None and (found := self.raw.ref_files.get((project, ref, path))) is not None:
            return found
        if p is not None and (ref is None or (p.meta is not None and p.meta.default_branch == ref)):
            return p.files.get(path)
        return None

    def paths(self, project: str, ref: str | None) -> list[str]:
        """Every collected file of ``project`` at ``ref``."""
        if ref is None:
            p = self.projects.get(project)
            return sorted(p.files) if p is not None else []
        return sorted(path for (proj, r, path) in self.raw.ref_files if proj == project and r == ref)

    def template(self, name: str) -> CiSource | None:
        """A GitLab template by the name an include gives it."""
        return self.raw.templates.get(name) or self.raw.templates.get(f"{name}.gitlab-ci.yml")


@dataclass
class _Built:
    """A pipeline's built jobs by name."""

    path: str
    pipeline: Pipeline
    jobs: dict[str, JobBuilder] = field(default_factory=dict)


class ProjectPipeline:
    """Builds a project's pipeline (and its child pipelines) into the inventory."""

    def __init__(
        self,
        inv: Inventory,
        raw: GitLabRaw,
        files: Files,
        p: ProjectRaw,
        variables: VariableScope,
        env_node: Callable[[str], NodeId],
        hint: Callable[[LinkHint], None],
        estate: Sequence[str],
    ) -> None:
        self.inv = inv
        self.raw = raw
        self.source = files
        self.project = p
        self.path = p.path
        self.variables = variables
        self._env_node = env_node
        self._hint = hint
        self.estate = sorted(estate, key=len, reverse=True)
        meta = p.meta
        server = _host(meta.web_url) if meta is not None and meta.web_url else "gitlab.com"
        prefix = meta.container_registry_image_prefix if meta is not None else None
        registry = (
            _host(prefix) if prefix else ("registry.gitlab.com" if server == "gitlab.com" else f"registry.{server}")
        )
        self.facts = ProjectFacts(
            path=p.path,
            server=server,
            registry=registry,
            project_id=str(meta.id) if meta is not None else "*",
            default_branch=meta.default_branch if meta is not None else None,
        )
        self.hosts: dict[str, str] = (
            {} if server == "gitlab.com" else {server: "gitlab-packages", registry: "gitlab-registry"}
        )
        self.contexts = run_contexts(
            self.facts.default_branch,
            [b.name for b in p.protected_branches] if p.protected_branches is not None else None,
            [t.name for t in p.protected_tags] if p.protected_tags is not None else None,
        )
        self._files: dict[str, str] = {}
        self._inferred_gap = False
        self.built: list[_Built] = []

    # -- ProjectSide ------------------------------------------------------------------------------

    @property
    def target(self) -> TargetHook:
        """The project's own registries as the target of a publish to them."""
        return self._target

    def bundle_file(self, path: str) -> str:
        """The bundle path of one of the pipeline's files."""
        return self._files.get(path, f"gitlab/projects/{self.path}/repository/files/{path}")

    def hint(self, hint: LinkHint) -> None:
        """Record a cross-provider link."""
        self._hint(hint)

    def env_node(self, name: str) -> NodeId:
        """The project's environment ``name``."""
        return self._env_node(name)

    def inferred_variable(self, name: str) -> CiVariable:
        """A CI/CD variable the pipeline names when the variable lists were not collected."""
        nid = node_id(PROVIDER, "variable", f"{self.path}/{name}/*")
        if nid not in self.inv:
            self.inv.add_node(
                Node(nid, NodeKind.SECRET, name, PROVIDER, "gitlab:variable", scope=self.path,
                     attrs={"repo": self.path, "listed": False})
            )  # fmt: skip
        if not self._inferred_gap:
            self._inferred_gap = True
            self.inv.add_gap(
                CoverageGap(PROVIDER, self.path, "CI/CD variables its jobs read (level, scope, protection)",
                            "not in a collected variables.json (project, groups above it, or the instance's)")
            )  # fmt: skip
        return CiVariable(nid, name, "project", self.path, Variable(key=name), f"gitlab/projects/{self.path}")

    def pipeline_variable(self, name: str) -> NodeId:
        """A variable written in the pipeline's YAML (plain text in the repository)."""
        nid = node_id(PROVIDER, "pipeline-variable", f"{self.path}/{name}")
        self.inv.add_node(
            Node(nid, NodeKind.SECRET, name, PROVIDER, "gitlab:pipeline-variable", scope=self.path,
                 attrs={"repo": self.path, "plaintext_config": True})
        )  # fmt: skip
        return nid

    def _target(self, p: Publish, reg: Registry | None) -> Node | None:
        if p.registry == "gitlab-registry" and p.image is not None:
            _, path = split_image(p.image)
            owner = next((e for e in self.estate if path == e.lower() or path.startswith(e.lower() + "/")), None)
            owner = owner or (self.path if path.startswith(self.path.lower()) else path)
        elif p.registry == "gitlab-packages":
            owner = self.path  # uploads name the project by $CI_PROJECT_ID: this one
        else:
            return None
        attrs: dict[str, AttrValue] = {"category": "registry", "registry": p.registry, "source_repo": self.path,
                                       "production": True}  # fmt: skip
        if p.image is not None:
            attrs["image"] = p.image
        return Node(node_id(PROVIDER, "registry", owner), NodeKind.RESOURCE, f"{owner} registry", PROVIDER,
                    "gitlab:registry", scope=owner, attrs=attrs)  # fmt: skip

    # -- building ---------------------------------------------------------------------------------

    def build(self) -> None:
        """The project's pipeline, its includes and gaps, then its child pipelines and artifact paths."""
        root = self.project.ci
        if root is None:
            return
        self._pipeline(root, root.path, self.contexts)
        for b in list(self.built):
            self._children(b, 1)
        for b in self.built:
            self._artifacts(b)

    def _pipeline(self, root: CiSource, path: str, contexts: list[tuple[RunContext, Tri]]) -> _Built:
        pipeline = resolve(root, self.source, self.facts, self.path, self.facts.server)
        for f in pipeline.files:
            found = _pipeline_file_path(f)
            if found is not None:
                self._files.setdefault(found, f)
        self._files.setdefault(root.path, root.file)
        for file, problem in pipeline.problems:
            self.inv.add_gap(CoverageGap(PROVIDER, self.path, f"pipeline file {file}", f"not interpreted: {problem}"))
        for what, why in pipeline.missing:
            self.inv.add_gap(CoverageGap(PROVIDER, self.path, what, why))
        self._plaintext(pipeline)
        built = _Built(path, pipeline)
        saved, self.contexts = self.contexts, contexts
        try:
            files = script_values(s.text for job in pipeline.jobs for s in job.scripts)
            for job in pipeline.jobs:
                jb = JobBuilder(self, job, path, pipeline.workflow_rules, bool(pipeline.missing), files)
                jb.build()
                built.jobs[job.name] = jb
        finally:
            self.contexts = saved
        self._includes(built)
        self.built.append(built)
        return built

    def _includes(self, built: _Built) -> None:
        for inc in built.pipeline.includes:
            tid = node_id(PROVIDER, "include", inc.ref)
            self.inv.add_node(
                Node(tid, NodeKind.THIRD_PARTY, inc.ref, PROVIDER, "gitlab:include",
                     attrs={"ref": inc.ref, "pinned": inc.pinned, "include": inc.kind},
                     evidence=(Evidence(self.bundle_file(inc.file), inc.line),))
            )  # fmt: skip
            via = f"include: {inc.kind} {inc.ref}"
            for jb in built.jobs.values():
                self.inv.add_edge(Edge(jb.id, tid, EdgeKind.RUNS_CODE_OF, via=via, evidence=jb.evidence))

    def _plaintext(self, pipeline: Pipeline) -> None:
        by_file = {s.file: s for s in self._sources()}
        for f in dict.fromkeys(pipeline.files):
            src = by_file.get(f)
            for h in src.hits if src is not None else ():
                ev = (Evidence(f, h.line),)
                short = f.rsplit("/repository/files/", 1)[-1]
                sid = node_id(PROVIDER, "plaintext", f"{self.path}/{short}:{h.line}:{h.detector}")
                cid = node_id(PROVIDER, "committed-credential", h.fingerprint)
                self.inv.add_node(
                    Node(sid, NodeKind.SECRET, f"{self.path} {short} line {h.line}", PROVIDER, "gitlab:ci-file",
                         scope=self.path, attrs={"plaintext": True, "detector": h.detector, "repo": self.path},
                         evidence=ev)
                )  # fmt: skip
                self.inv.add_node(
                    Node(cid, NodeKind.CREDENTIAL, f"{h.detector} committed in {self.path}", PROVIDER,
                         "gitlab:committed-credential", scope=self.path,
                         credential=CredentialInfo(Lifetime.STATIC, fingerprint=h.fingerprint), evidence=ev)
                )  # fmt: skip
                self.inv.add_edge(Edge(sid, cid, EdgeKind.EXPOSES, via=h.detector, evidence=ev))

    def _sources(self) -> list[CiSource]:
        return [*self.project.files.values(), *self.raw.ref_files.values(), *self.raw.templates.values()]

    # -- child and downstream pipelines -----------------------------------------------------------

    def _children(self, parent: _Built, depth: int) -> None:
        for name, jb in parent.jobs.items():
            trig = jb.job.trigger
            if trig is None or trig.kind != "child":
                continue
            if trig.artifact_job is not None:
                self._dynamic(parent, jb, trig.artifact_job)
                continue
            if depth > MAX_CHILD_DEPTH or not trig.files:
                continue
            first = self.source.file(self.path, None, trig.files[0])
            if first is None:
                self.inv.add_gap(CoverageGap(PROVIDER, self.path, f"child pipeline {trig.files[0]} of job {name}",
                                             "not collected"))  # fmt: skip
                continue
            child_path = trig.files[0]
            done = next((b for b in self.built if b.path == child_path), None)
            if done is None:
                contexts = [(_as_child(c), prot) for c, prot in self.contexts]
                done = self._pipeline(first, child_path, contexts)
                self._children(done, depth + 1)
            for child in done.jobs.values():
                self.inv.add_edge(
                    Edge(jb.id, child.id, EdgeKind.CAN_ASSUME, via=f"trigger: child pipeline {child_path}",
                         conditions=(("trigger", "child"),), evidence=jb.evidence)
                )  # fmt: skip

    def _dynamic(self, parent: _Built, jb: JobBuilder, generator: str) -> None:
        """A child pipeline whose configuration is another job's artifact: that job decides what it runs."""
        pid = node_id(PROVIDER, "pipeline", f"{self.path}/dynamic:{jb.job.name}")
        self.inv.add_node(
            Node(pid, NodeKind.RESOURCE, f"{self.path} child pipeline generated by {generator}", PROVIDER,
                 "gitlab:pipeline", scope=self.path, attrs={"category": "pipeline", "repo": self.path})
        )  # fmt: skip
        self.inv.add_edge(Edge(jb.id, pid, EdgeKind.GRANTS, frozenset({Action.DEPLOY}), via="trigger: child pipeline",
                               evidence=jb.evidence))  # fmt: skip
        gen = parent.jobs.get(generator)
        if gen is not None:
            self.inv.add_edge(
                Edge(gen.id, pid, EdgeKind.GRANTS, frozenset({Action.DEPLOY}),
                     via=f"writes the configuration of the child pipeline {jb.job.name} starts", evidence=gen.evidence)
            )  # fmt: skip
        self.inv.add_gap(CoverageGap(PROVIDER, self.path, f"jobs of the child pipeline started by {jb.job.name}",
                                     f"generated at run time by job {generator}"))  # fmt: skip

    def downstream(self, others: Mapping[str, ProjectPipeline]) -> None:
        """``trigger: project:`` → the downstream project's jobs, when that project is in the bundle."""
        for b in self.built:
            for jb in b.jobs.values():
                trig = jb.job.trigger
                if trig is None or trig.kind != "multi-project" or trig.project is None:
                    continue
                other = others.get(trig.project)
                if other is None or not other.built:
                    continue
                for child in other.built[0].jobs.values():
                    self.inv.add_edge(
                        Edge(jb.id, child.id, EdgeKind.CAN_ASSUME, via=f"trigger: project {trig.project}",
                             conditions=(("trigger", "multi-project"),), evidence=jb.evidence)
                    )  # fmt: skip

    # -- artifacts --------------------------------------------------------------------------------

    def _artifacts(self, b: _Built) -> None:
        order = {s: i for i, s in enumerate(b.pipeline.stages)}
        for jb in b.jobs.values():
            if not any(p.confidence != "held" for p in jb.publishes):
                continue
            job = jb.job
            if job.needs is not None:
                sources = [(n.job, "needs") for n in job.needs if n.artifacts and n.project is None]
            elif job.dependencies is not None:
                sources = [(d, "dependencies") for d in job.dependencies]
            else:
                mine = order.get(job.stage, len(order))
                sources = [(o.job.name, "an earlier stage") for o in b.jobs.values()
                           if order.get(o.job.stage, len(order)) < mine]  # fmt: skip
            for name, how in sources:
                src = b.jobs.get(name)
                if src is None or src is jb or not src.job.has_artifacts:
                    continue
                self.inv.add_edge(
                    Edge(src.id, jb.id, EdgeKind.CAN_ASSUME, via=f"its artifacts are what {job.name} uses ({how})",
                         conditions=(("artifacts", name),), evidence=jb.evidence)
                )  # fmt: skip


def _as_child(c: RunContext) -> RunContext:
    return replace(c, source="parent_pipeline")


def _host(url: str) -> str:
    return re.sub(r"^[a-z]+://", "", url.strip().lower()).split("/", 1)[0]


def _pipeline_file_path(bundle_rel: str) -> str | None:
    marker = "/repository/files/"
    return bundle_rel.split(marker, 1)[1] if marker in bundle_rel else None


__all__ = ["Files", "JobDef", "ProjectPipeline"]
