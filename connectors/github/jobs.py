"""One workflow job → a CI identity and everything it reaches. Pure: no I/O.

A job can read the secrets its expressions name (resolved the way Actions resolves them:
environment, then repository, then organization; a name no collected list shows is still a secret
when the lists were not collected), runs the code of every action, reusable workflow and image it
references (composite actions expanded in place), publishes what the publish catalogue
(:mod:`connectors.ci.publish`) recognises in its steps, deploys to its environment, and can be
controlled from outside the repository on some triggers (:mod:`connectors.github.outsiders`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from connectors.ci.publish import (
    Memo,
    Publish,
    Route,
    StepView,
    looks_like_image,
    publish_attrs,
    registry_id_for,
    split_image,
    truthy,
)
from connectors.ci.shell import STEP_OUTPUT
from connectors.github.actions import (
    CACHE_ACTIONS,
    FIRST_PARTY_OWNERS,
    SETUP_CACHE_ACTIONS,
    STATIC_CLOUD_INPUTS,
    STATIC_CLOUD_SECRET,
    action_name,
)
from connectors.github.composite import Expander, local_key, matrix_keys, with_inputs, with_matrix
from connectors.github.outsiders import Control, JobFacts, never_runs, outsider_events, starter_injections
from connectors.github.publishing import PublishGraph
from connectors.github.raw import WorkflowFile
from connectors.github.refs import GitHubRefs
from connectors.github.workflows import Job, Permissions, Step, secret_refs
from scanner.knowledge.publish import (
    ReusableWorkflow,
    publish_words,
    registry_from_secret_name,
    release_words,
    reusable_workflows,
    script_actions,
    vendored_actions,
)
from scanner.model import (
    Action,
    AttrValue,
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

PROVIDER = "github"
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
    updated_at: str = ""  # when its value was last set (GitHub's updated_at): the credential's last rotation


class SecretScope:
    """The secrets visible to one repository's jobs, by upper-case name."""

    def __init__(self) -> None:
        self.env: dict[str, dict[str, VisibleSecret]] = {}
        self.repo: dict[str, VisibleSecret] = {}
        self.org: dict[str, VisibleSecret] = {}
        #: True when every list that could hold a secret was collected: a name none of them shows is
        #: then empty at run time. False: an unlisted name is still a secret, of unknown level.
        self.complete = False
        self.env_collected: set[str] = set()  # environments whose secret lists were collected

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


@dataclass(frozen=True)
class CallContext:
    """How a reusable workflow of the repository is called: by whom, with what."""

    triggers: tuple[str, ...] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)  # callee input -> what all callers pass
    secrets: Mapping[str, str] = field(default_factory=dict)  # callee secret -> caller's secret name
    inherit: bool = False
    #: Each caller's ``with:`` on its own: what one call publishes is judged with that call's inputs
    #: (a dry-run caller does not make the real release a dry run).
    variants: tuple[Mapping[str, str], ...] = ()
    #: The workflows of the repository that call it (what their jobs' outputs carry reaches its inputs).
    callers: tuple[str, ...] = ()
    #: A push to a caller's pull request runs it again (a caller's :attr:`Workflow.runs_on_new_commits`).
    new_commits: bool = False


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
    @property
    def private(self) -> bool | None: ...
    @property
    def expander(self) -> Expander: ...
    @property
    def publish_memo(self) -> Memo: ...
    def env_node(self, name: str) -> NodeId: ...
    def hint(self, hint: LinkHint) -> None: ...
    def shared_node(self, node: Node) -> None: ...
    def inferred_secret(self, name: str) -> VisibleSecret: ...
    def variable_node(self, name: str) -> NodeId: ...
    def upstream_outsider(self, names: tuple[str, ...]) -> bool | None: ...
    def call_context(self, path: str) -> CallContext | None: ...
    def uncollected(self, uses: str, reusable: bool) -> str | None: ...


def _named_image(refs: GitHubRefs, value: str) -> tuple[str, str] | None:
    """(host, path) of the image an input names, or None when its name is known only at run time."""
    image = refs.expand(value, {})
    if not looks_like_image(image):
        return None
    host, path = split_image(image)
    return None if host == "*" else (host, path)


#: ``secrets[matrix.X]``: a matrix leg chooses the secret.
_SECRET_INDEX = re.compile(r"\bsecrets\s*\[\s*matrix\s*\.[\w.-]+\s*\]")
#: Step inputs and variables whose value can say where or with what a step publishes.
_PUBLISH_SETTING = re.compile(r"image|tag|registr|repo|url|token|secret|password|key|user|publish|push", re.IGNORECASE)


#: A secret of a reusable workflow call that hands it a GitHub token (`GH_TOKEN`, `github-token`, `repo_token`).
_GITHUB_TOKEN_KEY = re.compile(r"(?:github[_-]?|gh[_-]?|repo[_-])?token", re.IGNORECASE)
#: A reusable workflow named for pushing an image (`build-and-push-image.yml`, `docker-publish.yml`).
_IMAGE_PUSH_NAME = re.compile(
    r"(?:image|docker|container|oci)[^/]*(?:push|publish)|(?:push|publish)[^/]*(?:image|docker|container|oci)",
    re.IGNORECASE,
)
#: A job output that is one step's output: ``${{ steps.export.outputs.registry }}``.
_STEP_OUTPUT_EXPR = re.compile(r"\$\{\{\s*steps\.([A-Za-z_][\w-]*)\.outputs\.([\w-]+)\s*\}\}")


def _has_expr(value: str) -> bool:
    return "${{" in value


def _script_input(step: Step) -> str | None:
    """The script an action of ``script_actions`` (publish.yaml) is given to run, if it is one."""
    if step.uses is None or step.run:
        return None
    keys = script_actions().get(action_name(step.uses))
    if not keys:
        return None
    return "\n".join(step.with_[k] for k in keys if step.with_.get(k)) or None


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
        self.call = r.call_context(wf.path) if "workflow_call" in wf.workflow.triggers else None
        steps = r.expander.expand(job.steps)
        self.plain_steps = steps
        if self.call is not None and self.call.inputs:
            steps = tuple(with_inputs(s, self.call.inputs) for s in steps)
        self.steps = steps
        self.triggers = tuple(sorted(set(wf.workflow.triggers) | set(self.call.triggers if self.call else ())))
        self.events = outsider_events(self.triggers, r.upstream_outsider(wf.workflow.run_workflows))
        # set by the workflow-level judgement (connectors.github.outsiders.judge_workflow) before build()
        self.controls: list[Control] = []
        self.gated = False

    def facts(self) -> JobFacts:
        """The job as the outsider analysis of its workflow needs it."""
        j = self.job
        new_commits = self.wf.workflow.runs_on_new_commits or (self.call is not None and self.call.new_commits)
        env = {**self.wf.workflow.env, **j.env}
        return JobFacts(j.id, self.steps, j.if_, j.needs, j.outputs, env, new_commits)

    # -- facts other modules read -----------------------------------------------------------------

    @property
    def repo(self) -> str:
        """``owner/name`` of the repository."""
        return self.r.full

    @property
    def workflow_path(self) -> str:
        """The workflow's path in the repository."""
        return self.wf.path

    @property
    def file(self) -> str:
        """The workflow's bundle path."""
        return self.wf.file

    def _permissions(self) -> Permissions | None:
        if self.job.permissions is not None:
            return self.job.permissions
        if self.wf.workflow.permissions is not None:
            return self.wf.workflow.permissions
        return Permissions.default(self.r.default) if self.r.default else None

    def writes(self, scope: str) -> bool | None:
        """Whether the job's token can write ``scope`` (None: the repository default is unknown)."""
        return None if self.perms is None else self.perms.level(scope) == "write"

    @property
    def untrusted_trigger(self) -> bool:
        """Whether outsiders can start the job's privileged runs (pull_request_target, comments...)."""
        return bool(self.events) and not self.gated

    @property
    def outsider_controlled(self) -> bool:
        """An outsider can make the job run what they choose (checkout, injection, artifacts)."""
        return bool(self.controls)

    @property
    def checks_out_untrusted(self) -> bool:
        """An outsider's code runs in this job (the pull request's head, checked out and executed)."""
        return any(c.via == "pr-head-checkout" for c in self.controls)

    def cache_use(self) -> tuple[bool, bool]:
        """(restores a cache, saves a cache) from the job's cache and setup steps."""
        reads = writes = False
        for step in self.steps:
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

    # -- secrets as the publish graph sees them ---------------------------------------------------

    def secret(self, name: str) -> VisibleSecret | None:
        """What ``secrets.NAME`` is for this job: mapped by a caller, listed, or inferred."""
        if self.call is not None and name in self.call.secrets:
            name = self.call.secrets[name]
        if name.upper() == "GITHUB_TOKEN":
            return None
        scope = self.r.secrets
        found = scope.resolve(name, self.environment)
        env_unlisted = self.environment is not None and self.environment.lower() not in scope.env_collected
        if found is None and (not scope.complete or env_unlisted):
            found = self.r.inferred_secret(name)
        return found

    def variable(self, name: str) -> NodeId:
        """The node of configuration variable ``vars.NAME`` (plain text)."""
        return self.r.variable_node(name)

    def hint(self, hint: LinkHint) -> None:
        """Record a cross-provider link once."""
        self.r.hint(hint)

    # -- the node and its edges -------------------------------------------------------------------

    def build(self) -> None:
        job, w = self.job, self.wf.workflow
        oidc = self.perms is not None and self.perms.level("id-token") == "write"
        publishes = self._publishes(oidc)
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
                    "triggers": self.triggers,
                    "untrusted_trigger": self.untrusted_trigger,
                    "outsider_events": self.events,
                    "outsider_gated": self.gated,
                    "outsider_control": tuple(c.label for c in self.controls),
                    "checks_out_untrusted": self.checks_out_untrusted,
                    "cache_reads": reads,
                    "cache_writes": writes,
                    "refs": refs,
                    "ref": refs[0] if len(refs) == 1 and "*" not in refs[0] else None,
                    "oidc_sub_claims": claims,
                    "oidc_subjects": self.oidc_subjects(refs) if oidc and claims is None else (),
                    **publish_attrs(publishes),
                    "contents_write": self.writes("contents"),
                    "packages_write": self.writes("packages"),
                    "actions_write": self.writes("actions"),
                    "calls": job.uses,
                    "secrets_inherit": job.secrets_inherit,
                    "starter_injections": tuple(sorted({n for n, _, _ in starter_injections(self.steps, w.inputs)})),
                    **self._unknown_steps(),
                },
                evidence=self.evidence,
            )
        )
        self._read_secrets()
        self._third_parties()
        self._static_cloud_keys()
        graph = PublishGraph(self)
        for p in publishes:
            graph.add(p)
        self._outsiders()
        if self.environment is not None:
            env_id = self.r.env_node(self.environment)
            self._edge(env_id, EdgeKind.GRANTS, f"environment: {self.environment}", {Action.DEPLOY})

    def _edge(self, dst: NodeId, kind: EdgeKind, via: str, actions: Iterable[Action] = ()) -> None:
        self.inv.add_edge(
            Edge(src=self.id, dst=dst, kind=kind, actions=frozenset(actions), via=via, evidence=self.evidence)
        )

    def _publishes(self, oidc: bool) -> list[Publish]:
        w = self.wf.workflow
        if never_runs(self.job.if_):
            return []  # switched off (`if: ${{ false }}`): it publishes nothing until someone edits the workflow
        running = tuple(s for s in self.plain_steps if not never_runs(s.if_))
        variants = [running] if self.call is None or not self.call.variants else [
            tuple(with_inputs(s, v) for s in running) for v in self.call.variants
        ]  # fmt: skip
        variants = [m for v in variants for m in self._matrix_variants(v)]
        found: dict[tuple[object, ...], Publish] = {}
        needs = self._needs_outputs()
        for steps in variants:
            views = [
                StepView(
                    index=s.index,
                    label=s.label,
                    line=s.line,
                    id=s.id,
                    # a local composite action's steps follow it, expanded: they are what it runs; an action
                    # that runs a script given as an input (`nick-fields/retry`'s `command`) runs that script
                    uses=None
                    if script is not None or (s.uses and self._expanded_locally(s.uses))
                    else self._vendored(s.uses),
                    inputs=s.with_,
                    script=s.run if script is None else script,
                    env={**w.env, **self.job.env, **s.env, **needs},
                    conditional=bool(s.if_),
                )
                for s in steps
                for script in (_script_input(s),)
            ]
            scopes = {scope: self.writes(scope) for scope in ("contents", "packages")}
            for p in self.r.publish_memo.analyse(views, GitHubRefs(self.r.full), oidc=oidc, token_scopes=scopes):
                found.setdefault((p.registry, p.image, p.routes, p.confidence, p.step), p)
        return list(found.values()) + self._reusable_call(oidc)

    def _needs_outputs(self) -> dict[str, str]:
        """The outputs of the jobs this one needs, as their scripts spell them, keyed ``needs.<job>.outputs.<name>``
        for this job's expressions: Azure Fleet's `export-registry` job outputs ``${{ steps.export.outputs.registry }}``,
        which its step wrote with `echo "registry=$(echo "${{ env.REGISTRY }}/${{ github.repository }}" | tr …)" >>
        $GITHUB_OUTPUT`, and the publishing job logs in to ``${{ needs.export-registry.outputs.registry }}``. Each
        value is expanded in the environment of the step that wrote it; one no script spells is left out."""
        w = self.wf.workflow
        by_id = {j.id: j for j in w.jobs}
        refs = GitHubRefs(self.r.full)
        out: dict[str, str] = {}
        for need in self.job.needs:
            other = by_id.get(need)
            if other is None:
                continue
            for name, expr in other.outputs.items():
                m = _STEP_OUTPUT_EXPR.fullmatch(expr.strip())
                step = next((s for s in other.steps if m and s.id == m.group(1) and s.run), None)
                if m is None or step is None or step.run is None:
                    continue
                for line in step.run.splitlines():
                    written = STEP_OUTPUT.match(line.strip())
                    if written is not None and written.group(1) == m.group(2):
                        value = refs.expand(written.group(2), {**w.env, **other.env, **step.env})
                        if value.strip("*"):
                            out[f"needs.{need}.outputs.{name}"] = value
        return out

    def _expanded_locally(self, uses: str) -> bool:
        """A local composite action: its steps follow it, expanded."""
        found = self.r.expander.find(uses) if local_key(uses) else None
        return found is not None and found.using == "composite"

    def _vendored(self, uses: str | None) -> str | None:
        """``uses``, or for a local JavaScript or Docker action that is a copy of a catalogued action (its
        `name:`), that action's reference."""
        if uses is None or not local_key(uses):
            return uses
        found = self.r.expander.find(uses)
        if found is None or found.using == "composite":
            return uses
        original = vendored_actions().get(found.name.strip().lower())
        return f"{original}@vendored" if original else uses

    def _known_reusable(self, uses: str, oidc: bool) -> list[Publish] | None:
        """A call of a reusable workflow of ``reusable_workflows`` (publish.yaml): what it publishes, with
        the credential the call gives it; None for a workflow the table does not know."""
        forms = reusable_workflows().get(uses.split("@", 1)[0].strip().lower())
        if forms is None:
            return None
        found: list[Publish] = []
        for form in forms:
            found += self._known_reusable_row(form, uses, oidc)
        return found

    def _known_reusable_row(self, form: ReusableWorkflow, uses: str, oidc: bool) -> list[Publish]:
        inputs = self.job.with_
        if form.push_inputs and not any(truthy(inputs.get(k)) for k in form.push_inputs):
            return []
        if any((inputs.get(k) or "").strip().lower() in ("false", "no", "0", "off") for k in form.off_inputs):
            return []  # (as an action's `off_inputs`)
        refs = GitHubRefs(self.r.full)
        routes = [
            r for key in form.credential_secrets for r in refs.routes(self.job.secrets_map.get(key, ""), {}, False)
        ]
        if not routes and form.job_token_scope and self.writes(form.job_token_scope) is not False:
            routes = [Route("job_token", "", f"GITHUB_TOKEN ({form.job_token_scope}: write)")]
        if not routes and form.oidc and oidc:
            routes = [
                Route("cloud", form.cloud, "the job's OIDC token (workload identity)")
                if form.cloud
                else Route("oidc", "", "the job's OIDC token")
            ]
        targets: list[tuple[str, str | None]] = [(form.registry, None)] if form.registry else []
        for key in form.image_inputs:
            value = inputs.get(key, "").strip()
            if not value:
                continue
            image = _named_image(refs, value)
            if image is not None:
                targets.append((registry_id_for(image[0]), f"{image[0]}/{image[1]}"))
            else:  # named at run time: the registry its credential is named for, if any
                named = [registry_from_secret_name(r.name) for r in routes if r.kind == "secret"]
                targets.append((next((n for n in named if n), "other:*"), None))
        routes = routes or [Route("unknown", "", "no credential named in the call")]
        reason = f"calls {uses}"
        return [
            Publish(reg, image, tuple(routes), "certain", "reusable workflow", reason, -1, self.job.line)
            for reg, image in dict.fromkeys(targets)
        ]

    def _reusable_call(self, oidc: bool) -> list[Publish]:
        """A call of another repository's reusable workflow: what ``reusable_workflows`` says it publishes;
        else, when it is handed registry credentials and is named like a release, a probable publish (its
        jobs cannot be seen from here)."""
        uses = self.job.uses
        if uses is None or uses.startswith("./") or uses.startswith("$/"):
            return []
        own = uses.split("@", 1)[0]
        if own.lower().startswith(f"{self.r.full.lower()}/") and self.r.call_context(own[len(self.r.full) + 1 :]):
            # this repository's own workflow called by its full name (amplify-ui's `aws-amplify/amplify-ui/.github/
            # workflows/reusable-tagged-publish.yml@main`): its jobs are judged where they are, as for `./`
            return []
        known = self._known_reusable(uses, oidc)
        if known is not None:
            return known
        if not release_words().search(uses):
            return []
        found: dict[str, list[Route]] = {}
        for key, value in self.job.secrets_map.items():
            for name in secret_refs(value):
                reg = registry_from_secret_name(name) or registry_from_secret_name(key)
                if reg:
                    found.setdefault(reg, []).append(Route("secret", name, f"secrets.{key}"))
        if not found and re.search(r"release", uses, re.IGNORECASE):
            # named for releasing and handed a GitHub token (GOV.UK's `release.yml` with `GH_TOKEN`): the GitHub
            # release it makes, as an unknown release action's
            for key, value in self.job.secrets_map.items():
                if _GITHUB_TOKEN_KEY.fullmatch(key):
                    for name in secret_refs(value):
                        found.setdefault("github-releases", []).append(Route("secret", name, f"secrets.{key}"))
        if not found and _IMAGE_PUSH_NAME.search(uses) and not self.job.secrets_map and self.writes("packages"):
            # named for pushing an image, handed no credential and granted packages: write (GOV.UK's
            # `build-and-push-multiarch-image.yml`): the caller's GITHUB_TOKEN pushes to GHCR
            found["ghcr"] = [Route("job_token", "", "GITHUB_TOKEN (packages: write)")]
        why = {
            reg: f"calls {uses} with {', '.join(sorted({r.name or r.kind for r in routes}))}"
            for reg, routes in found.items()
        }
        if not found and self.job.secrets_inherit and publish_words().search(uses):
            # a workflow named for publishing gets every secret of the repository: where to, an image it
            # is given may say (one named to deploy is a deployment, not a publish)
            inherit = Route("unknown", "", "secrets: inherit (every secret the repository has)")
            refs = GitHubRefs(self.r.full)
            for key, value in self.job.with_.items():
                image = _named_image(refs, value) if "image" in key.lower() else None
                if image is not None:
                    found.setdefault(registry_id_for(image[0]), []).append(inherit)
            found = found or {"other:*": [inherit]}
            why = {reg: f"calls {uses} with secrets: inherit" for reg in found}
        return [
            Publish(reg, None, tuple(routes), "probable", "reusable workflow", why[reg], -1, self.job.line)
            for reg, routes in sorted(found.items())
        ]

    def _matrix_variants(self, steps: tuple[Step, ...]) -> list[tuple[Step, ...]]:
        """``steps`` once for each distinct combination of the ``strategy.matrix`` values they read
        (``npx ${{ matrix.cmd }} publish --pat ${{ secrets[matrix.pat] }}``: vsce with one secret, ovsx
        with another); ``steps`` alone when they read none or the matrix is not written out."""
        if not self.job.matrix:
            return [steps]
        # Only values that can change where or with what a step publishes are expanded: a matrix key in a
        # secret's index, in the first words of a command (the tool), or in an input or variable named for
        # an image, a registry or a credential. A build matrix (`python-version: ${{ matrix.python }}`) is
        # read once: expanding every key made reading the fidelity corpus ~45 % slower.
        used: set[str] = set()
        for s in steps:
            for text in (s.run or "", *s.with_.values(), *s.env.values()):
                for m in _SECRET_INDEX.finditer(text):
                    used |= matrix_keys("${{ " + m.group(0) + " }}")
            for line in (s.run or "").splitlines():
                used |= matrix_keys(" ".join(line.split()[:2]))
            for name, v in (*s.with_.items(), *s.env.items()):
                if _PUBLISH_SETTING.search(name):
                    used |= matrix_keys(v)
        if not used:
            return [steps]
        keys = sorted(used)
        distinct = {tuple(c.get(k) for k in keys): c for c in reversed(self.job.matrix)}  # first one kept
        return [tuple(with_matrix(s, c) for s in steps) for c in reversed(distinct.values())]

    def _read_secrets(self) -> None:
        names = set(self.job.secret_refs | self.wf.workflow.secret_refs)
        for s in self.steps:
            if s.via is not None:  # composite steps name secrets only through the caller's inputs
                names |= set(secret_refs(s.run)) | set(secret_refs(dict(s.with_))) | set(secret_refs(dict(s.env)))
        variants = self._matrix_variants(self.steps)
        if len(variants) > 1 or variants[0] is not self.steps:  # `secrets[matrix.pat]`: each value's secret
            for steps in variants:
                for s in steps:
                    names |= set(secret_refs(s.run)) | set(secret_refs(dict(s.with_))) | set(secret_refs(dict(s.env)))
        for name in sorted(names):
            visible = self.secret(name)
            if visible is not None:
                self._edge(visible.id, EdgeKind.CAN_READ_SECRET, f"secrets.{visible.name}")
        if self.job.secrets_inherit or (self.call is not None and self.call.inherit):
            for v in self.r.secrets.inherited():
                self._edge(v.id, EdgeKind.CAN_READ_SECRET, "secrets: inherit")

    def _static_cloud_keys(self) -> None:
        """Mark secrets holding a static cloud/registry key: by name, or by the input they are given to."""
        names = {n for n in self.job.secret_refs | self.wf.workflow.secret_refs if STATIC_CLOUD_SECRET.match(n)}
        for step in self.steps:
            inputs = STATIC_CLOUD_INPUTS.get(action_name(step.uses)) if step.uses else None
            for key in inputs or ():
                names |= set(secret_refs(step.with_.get(key, "")))
        for name in sorted(names):
            s = self.secret(name)
            if s is None:
                continue
            old = self.inv.node(s.id)
            attrs: dict[str, AttrValue] = {"static_cloud_credential": True, "oidc_available": True}
            self.inv.add_node(
                Node(id=s.id, kind=old.kind, name=old.name, provider=PROVIDER, subtype=old.subtype, attrs=attrs)
            )

    # -- outsiders --------------------------------------------------------------------------------

    def _outsiders(self) -> None:
        """Each way an outsider controls the job: an edge from "outsiders of this repository" into it."""
        if not self.controls:
            return
        nid = node_id(PROVIDER, "untrusted-code", self.r.full)
        audience = "anyone with read access" if self.r.private else "anyone"
        self.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.THIRD_PARTY,
                name=f"outsiders of {self.r.full} ({audience}: pull requests, issues, comments)",
                provider=PROVIDER,
                subtype="github:pull-request-head",
                scope=self.r.full,
                attrs={"repo": self.r.full, "untrusted": True, "pinned": None},
                evidence=self.evidence,
            )
        )
        for c in self.controls:
            self.inv.add_edge(
                Edge(
                    src=self.id,
                    dst=nid,
                    kind=EdgeKind.RUNS_CODE_OF,
                    via=_control_via(c),
                    conditions=(
                        ("trigger", c.event),
                        ("outsider", c.via),
                        ("detail", c.detail),
                        ("audience", audience),
                    ),
                    evidence=(Evidence(self.wf.file, c.line or self.job.line),),
                )
            )

    def _unknown_steps(self) -> dict[str, AttrValue]:
        """Code the job runs whose definition the bundle should hold but does not (a local action or
        reusable workflow, an action of the repository's own organization): what all its steps run is
        unknown, and RB11 lists the job as not assessed, naming the file."""
        refs = [(self.job.uses, True)] if self.job.uses is not None else []
        refs += [(s.uses, False) for s in self.steps if s.uses is not None]
        for uses, reusable in refs:
            file = self.r.uncollected(uses, reusable)
            if file is not None:
                return {"unknown": ("steps",), "unknown_why": f"{file} not collected"}
        return {}

    # -- third parties ----------------------------------------------------------------------------

    def _third_parties(self) -> None:
        job = self.job
        if job.uses is not None and (tp := self._uses_node(job.uses, reusable=True)):
            conditions = tuple(("receives_secret", n) for n in sorted(secret_refs(dict(job.secrets_map))))
            self.inv.add_edge(
                Edge(self.id, tp, EdgeKind.RUNS_CODE_OF, via=job.uses, conditions=conditions, evidence=self.evidence)
            )
        for step in self.steps:
            if step.uses is not None and (tp := self._uses_node(step.uses, reusable=False)):
                # A step handed a secret as input is its designated recipient; any other step is a
                # bystander that can still read the job's secrets (the LiteLLM pattern).
                given = sorted({*secret_refs(dict(step.with_)), *secret_refs(dict(step.env))})
                conditions = tuple(("receives_secret", n) for n in given)
                self.inv.add_edge(
                    Edge(
                        src=self.id,
                        dst=tp,
                        kind=EdgeKind.RUNS_CODE_OF,
                        via=step.label if step.via is None else f"{step.label} (in {step.via})",
                        conditions=conditions,
                        evidence=(Evidence(self.wf.file, step.line or self.job.line),),
                    )
                )
        if job.container and (tp := self._image_node(job.container)):
            self._edge(tp, EdgeKind.RUNS_CODE_OF, "container")
        for name, image in job.services:
            if tp := self._image_node(image):
                self._edge(tp, EdgeKind.RUNS_CODE_OF, f"services.{name}")

    def _uses_node(self, uses: str, reusable: bool) -> NodeId | None:
        uses = uses.strip()
        if local_key(uses) is not None or _has_expr(uses):
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


def _control_via(c: Control) -> str:
    return {
        "pr-head-checkout": f"{c.event}: checks out and runs the pull request's code ({c.detail})",
        "injection": f"{c.event}: ${{{{ {c.detail} }}}} pasted into a script",
        "artifact": f"{c.event}: runs the artifacts of the triggering run",
    }.get(c.via, c.label)
