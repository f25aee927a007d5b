"""GitHub raw records → provider-neutral Inventory. Pure: no I/O.

Organizations and repositories give the secret and environment nodes and decide which secrets
a repository's jobs can see; each workflow job is then built by :mod:`connectors.github.jobs`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from connectors.ci.publish import Memo
from connectors.github import identities, usage
from connectors.github.composite import Expander, local_key, remote_key
from connectors.github.incidents import cache_edges, token_edges
from connectors.github.jobs import PROVIDER, CallContext, JobBuilder, SecretScope, VisibleSecret
from connectors.github.outsiders import Verdict, judge_workflow
from connectors.github.owners import RepoOwners, add_owners
from connectors.github.raw import Environment, GitHubRaw, Loaded, OrgRaw, OrgSecret, RepoRaw, Secret, WorkflowFile
from connectors.github.sbom import consumes
from connectors.github.workflows import secret_refs
from scanner.knowledge.ci_events import github_event
from scanner.model import (
    AttrValue,
    CoverageGap,
    Evidence,
    Inventory,
    LinkHint,
    Node,
    NodeId,
    NodeKind,
    merge_nodes,
    node_id,
)


def _same_facts(a: Node, b: Node) -> bool:
    """Everything :func:`merge_nodes` reads of a sighting, evidence aside, is the same."""
    return (
        a.kind is b.kind
        and a.name == b.name
        and a.subtype == b.subtype
        and a.scope == b.scope
        and a.tags == b.tags
        and a.credential == b.credential
        and a.attrs == b.attrs
    )


class _Builder:
    """Builds the whole inventory: organization secrets first, then each repository."""

    def __init__(self, raw: GitHubRaw) -> None:
        self.raw = raw
        self.inv = Inventory()
        self.orgs = {o.login.lower(): o for o in raw.orgs}
        self.org_secrets: dict[str, dict[str, VisibleSecret]] = {}
        self._hints: set[LinkHint] = set()
        self._shared: dict[NodeId, list[Node]] = {}
        self.publish_memo = Memo()  # jobs copied from one template are analysed once

    def build(self) -> Inventory:
        for org in self.raw.orgs:
            self.org_secrets[org.login.lower()] = dict(self._org(org))
            self._org_identities(org)
            self._org_gaps(org)
        for repo in self.raw.repos:
            _Repo(self, repo).build()
        usage.record_use(self.inv, {r.full_name: r for r in self.raw.repos})
        for file, problem in self.raw.unreadable:
            self.inv.add_gap(
                CoverageGap(
                    PROVIDER,
                    file.split("/")[2] if file.count("/") > 2 else "",
                    f"action {file}",
                    f"not interpreted: {problem}",
                )
            )
        self._merge_shared()
        add_owners(self.inv, {r.full_name.lower(): _owners(r) for r in self.raw.repos})
        return self.inv

    def shared_node(self, node: Node) -> None:
        """A node many jobs add (a third-party action): stored at its first sighting, so the node order
        is unchanged; later sightings are merged once by :meth:`_merge_shared`, not one by one (each
        merge copies the evidence so far: quadratic in the number of workflows using it)."""
        seen = self._shared.get(node.id)
        if seen is None:
            self._shared[node.id] = [node]
            self.inv.add_node(node)
        else:
            seen.append(node)

    def _merge_shared(self) -> None:
        # Exactly what adding the sightings one by one gives: merge_nodes keeps later non-empty facts
        # and the evidence of all, in first-seen order.
        for sightings in self._shared.values():
            if len(sightings) == 1:
                continue
            merged = sightings[0]
            last: Node | None = None
            for n in sightings[1:]:
                if last is not None and _same_facts(n, last):
                    continue  # merging the sighting just merged again changes nothing
                merged = merge_nodes(merged, replace(n, evidence=()))
                last = n
            evidence = tuple(dict.fromkeys(e for n in sightings for e in n.evidence))
            self.inv.add_node(replace(merged, evidence=evidence))

    def expect(self, scope: str, path: str, what: str, consequence: str, file: str | None = None) -> None:
        """A coverage gap for ``file`` (default ``github{path}.json``), which the collected files say should be in
        the bundle, unless manifest.json records ``GET {path}`` as answered 404 or failed (a gap of its own)."""
        if f"GET {path}" not in self.raw.answered and scope.split("/", 1)[0].lower() not in self.raw.failed_scopes:
            where = file or f"github{path}.json"
            self.inv.add_gap(CoverageGap(PROVIDER, scope, what, f"{where} not collected: {consequence}"))

    def _org_gaps(self, org: OrgRaw) -> None:
        base = f"/orgs/{org.login}"
        if org.repos is None:
            self.expect(org.login, f"{base}/repos", "the organization's repositories", "which are private or archived, "
                        "and which repositories its secrets reach, is unknown")  # fmt: skip
        if org.secrets is None:
            self.expect(org.login, f"{base}/actions/secrets", "the organization's Actions secrets",
                        "its secrets are not in the scan")  # fmt: skip

    def hint(self, hint: LinkHint) -> None:
        if hint not in self._hints:
            self._hints.add(hint)
            self.inv.add_hint(hint)

    def _org_identities(self, org: OrgRaw) -> None:
        repos = [r.full_name for r in org.repos.data if not r.archived] if org.repos else []
        if org.pat_grants is not None:
            identities.pat_grants(self.inv, org.login, org.pat_grants, repos)
        if org.installations is not None:
            loaded = Loaded(org.installations.file, org.installations.data.installations)
            identities.installations(self.inv, org.login, loaded, repos)

    @staticmethod
    def _shared_with(org: OrgRaw, s: OrgSecret) -> tuple[str, ...] | None:
        """The repositories an organization secret is visible to, when the bundle tells."""
        if s.visibility == "selected":
            sel = org.selected.get(s.name)
            return tuple(sorted(r.full_name for r in sel.data.repositories)) if sel else None
        if org.repos is None:
            return None
        ok = [r for r in org.repos.data if s.visibility == "all" or r.private]
        return tuple(sorted(r.full_name for r in ok))

    def _org(self, org: OrgRaw) -> Iterator[tuple[str, VisibleSecret]]:
        if org.secrets is None:
            return
        for s in org.secrets.data.secrets:
            native = f"{org.login}/{s.name}"
            nid = node_id(PROVIDER, "org-secret", native)
            self.inv.add_node(
                Node(
                    id=nid,
                    kind=NodeKind.SECRET,
                    name=s.name,
                    provider=PROVIDER,
                    subtype="github:org-secret",
                    scope=org.login,
                    attrs={
                        "created_at": s.created_at,
                        "updated_at": s.updated_at,
                        "visibility": s.visibility,
                        "shared_with": self._shared_with(org, s),
                    },
                    evidence=(Evidence(org.secrets.file),),
                )
            )
            if s.visibility == "selected" and s.name not in org.selected:
                self.expect(
                    org.login,
                    f"/orgs/{org.login}/actions/secrets/{s.name}/repositories",
                    f"repositories that can read organization secret {s.name}",
                    "the repositories it is shared with are unknown",
                )
            where = f"organization {org.login}"
            yield s.name.upper(), VisibleSecret(nid, s.name, where, org.login, native, s.created_at, s.updated_at or "")

    def org_visible(self, repo: RepoRaw) -> dict[str, VisibleSecret]:
        """Organization secrets this repository's workflows can read."""
        org = self.orgs.get(repo.owner.lower())
        if org is None or org.secrets is None:
            return {}
        known = self.org_secrets[org.login.lower()]
        visible: dict[str, VisibleSecret] = {}
        for s in org.secrets.data.secrets:
            if s.visibility == "all":
                ok = True
            elif s.visibility == "private":
                ok = repo.meta is not None and repo.meta.data.private
                if repo.meta is None:
                    self.inv.add_gap(
                        CoverageGap(
                            PROVIDER,
                            repo.full_name,
                            f"whether private-only organization secret {s.name} is visible",
                            f"{repo.full_name} is not in a collected repos.json",
                        )
                    )
            else:
                sel = org.selected.get(s.name)
                ok = sel is not None and any(
                    r.full_name.lower() == repo.full_name.lower() for r in sel.data.repositories
                )
            if ok:
                visible[s.name.upper()] = known[s.name.upper()]
        return visible


class _Repo:
    """Builds the nodes and edges of one repository."""

    def __init__(self, b: _Builder, repo: RepoRaw) -> None:
        self.b = b
        self.inv = b.inv
        self.repo = repo
        self.full = repo.full_name
        self.secrets = SecretScope()
        self.default = repo.permissions.data.default_workflow_permissions if repo.permissions else None
        self.jobs: list[JobBuilder] = []
        self.envs: dict[str, Environment] = (
            {e.name.lower(): e for e in repo.environments.data.environments} if repo.environments else {}
        )
        self.expander = Expander(repo.actions, b.raw.remote_actions)
        self.publish_memo = b.publish_memo
        self.missing_workflows: set[str] = set()
        self.missing_remote: dict[str, str] = {}  # bundle file -> its call
        self._inferred_gap = False
        self._calls: dict[str, CallContext] | None = None
        #: each workflow's verdicts once judged (a caller's are judged first for the workflows it calls)
        self._verdicts: dict[str, dict[str, Verdict]] = {}
        self._judging: set[str] = set()

    # -- nodes ----------------------------------------------------------------------------------

    def build(self) -> None:
        self._repo_node()
        if self.repo.sbom is not None:
            consumes(self.inv, node_id(PROVIDER, "repo", self.full), self.repo.sbom.file, self.repo.sbom.data)
        for env in self.envs.values():
            self.env_node(env.name)
        self._secrets()
        for wf in self.repo.workflows:
            self._workflow(wf)
            identities.plaintext(self.inv, self.full, wf)
        token_edges(self.inv, self.full, self.jobs)
        cache_edges(self.inv, self.jobs)
        if self.repo.keys is not None:
            identities.deploy_keys(self.inv, self.full, self.repo.keys)
        for file, problem in self.repo.unreadable:
            self.inv.add_gap(CoverageGap(PROVIDER, self.full, f"pipeline file {file}", f"not interpreted: {problem}"))
        for key in sorted(self.expander.missing):
            file = self.local_action_file(key)
            self.b.expect(
                self.full,
                file.removeprefix("github"),
                f"steps of local action ./{key} (run by this repository's jobs)",
                "the jobs that run it are not judged by RB11",
                file,
            )
        for path in sorted(self.missing_workflows):
            file = self.workflow_file(path)
            self.b.expect(
                self.full,
                file.removeprefix("github"),
                f"reusable workflow ./{path} (called by this repository's jobs)",
                "the jobs that call it are not judged by RB11",
                file,
            )
        for file, call in sorted(self.missing_remote.items()):
            self.b.expect(
                self.full,
                call,
                f"steps of action {file.removeprefix('github/action-refs/')} (run by this repository's jobs)",
                "the jobs that run it are not judged by RB11",
                file,
            )
        if self.repo.collected:
            self._gaps()
        # Each job's builder refers back to this repository: drop the cycle, so everything the
        # repository's reading made is freed now, not by a collector pass (none runs while a bundle is
        # read; a large estate's 9,000 repositories left ~900k objects for the first one).
        self.jobs.clear()

    @property
    def folder(self) -> str:
        """The folder the repository's files are under, ``github/repos/{folder}``."""
        return self.repo.folder or self.full

    def local_action_file(self, key: str) -> str:
        """The bundle path of the local action at ``key`` (a folder of the repository)."""
        return f"github/repos/{self.folder}/contents/{key}/action.yml".replace("contents//", "contents/")

    def workflow_file(self, path: str) -> str:
        """The bundle path of the repository's file ``path`` (``.github/workflows/x.yml``)."""
        return f"github/repos/{self.folder}/contents/{path}"

    def uncollected(self, uses: str, reusable: bool) -> str | None:
        """The bundle file that defines the code ``uses`` names, when a collection would hold it and the bundle
        does not: a local action or reusable workflow, or an action of the repository's own organization (its
        coverage gap is recorded once). None otherwise: third parties' code is judged by its pin, not read."""
        key = local_key(uses)
        if key is not None:
            if reusable:
                return None if self.has_workflow(key) else self.workflow_file(key)
            return None if key in self.repo.actions else self.local_action_file(key)
        rk = remote_key(uses)
        if (
            reusable
            or rk is None
            or rk[0].split("/", 1)[0] != self.repo.owner.lower()
            or rk in self.b.raw.remote_actions
        ):
            return None
        repo, path, ref = rk
        folder = f"github/action-refs/{repo}/{ref.replace('/', '%2F')}" + (f"/{path}" if path else "")
        call = f"/repos/{repo}/contents" + (f"/{path}" if path else "") + f"/action.yml?ref={ref}"
        self.missing_remote[f"{folder}/action.yml"] = call
        return f"{folder}/action.yml"

    def has_workflow(self, path: str) -> bool:
        """Whether the repository's workflow ``path`` was collected (else a caller's gap, once)."""
        found = any(wf.path == path for wf in self.repo.workflows)
        if not found:
            self.missing_workflows.add(path)
        return found

    def _gaps(self) -> None:
        """The files every collected repository has (docs/bundle.md), and each listed environment's secrets."""
        r, base = self.repo, f"/repos/{self.folder}"
        if r.secrets is None:
            self.b.expect(self.full, f"{base}/actions/secrets", "the repository's Actions secrets",
                          "its secrets are not in the scan: the level, age and rotation of those its workflows "
                          "read are unknown")  # fmt: skip
        if r.permissions is None:
            self.b.expect(self.full, f"{base}/actions/permissions/workflow", "the default GITHUB_TOKEN permissions",
                          "what the token of a job that sets no permissions can write is unknown")  # fmt: skip
        if r.environments is None:
            self.b.expect(self.full, f"{base}/environments", "the repository's environments",
                          "whether they require a reviewer is unknown (RB05 does not judge the jobs that use them)")  # fmt: skip
        runs = f"GET {base}/actions/runs"
        if r.runs is None and not any(c.startswith(runs) for c in self.b.raw.answered):
            self.b.expect(self.full, f"{base}/actions/runs", "the repository's workflow runs",
                          "when the credentials its workflows hold were last used is unknown (RB09), and RB02 "
                          "does not check releases built here against the runs")  # fmt: skip
        for env in r.environments.data.environments if r.environments else ():
            if env.name not in r.env_secrets and env.name.lower() not in {e.lower() for e in r.env_secrets}:
                self.b.expect(self.full, f"{base}/environments/{env.name}/secrets", f"secrets of environment {env.name}",
                              "its secrets are not in the scan")  # fmt: skip

    @property
    def private(self) -> bool | None:
        """Whether the repository is private (None: its metadata was not collected)."""
        return self.repo.meta.data.private if self.repo.meta else None

    def inferred_secret(self, name: str) -> VisibleSecret:
        """A secret a workflow names that no collected list shows (the lists are incomplete): a
        node of unknown level, with a gap saying which list is missing."""
        native = f"{self.full}/{name}"
        nid = node_id(PROVIDER, "secret", native)
        if nid not in self.inv:
            self.inv.add_node(
                Node(
                    id=nid,
                    kind=NodeKind.SECRET,
                    name=name,
                    provider=PROVIDER,
                    subtype="github:actions-secret",
                    scope=self.full,
                    attrs={"repo": self.full, "listed": False, "created_at": None},
                )
            )
        if not self._inferred_gap and self.repo.secrets is not None and self.repo.owner.lower() not in self.b.orgs:
            # (a missing repository or organization list is its own gap; an organization not in the bundle is not)
            self._inferred_gap = True
            self.inv.add_gap(
                CoverageGap(
                    PROVIDER,
                    self.full,
                    "level, age and rotation of the Actions secrets its workflows read",
                    f"github/orgs/{self.repo.owner}/actions/secrets.json not collected",
                )
            )
        return VisibleSecret(nid, name, f"{self.full} (level unknown: not in a collected list)", self.full, native, "")

    def variable_node(self, name: str) -> NodeId:
        """A configuration variable (``vars.NAME``): plain text, readable by every job."""
        nid = node_id(PROVIDER, "variable", f"{self.full}/{name}")
        self.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.SECRET,
                name=name,
                provider=PROVIDER,
                subtype="github:actions-variable",
                scope=self.full,
                attrs={"repo": self.full, "plaintext": True},
            )
        )
        return nid

    def upstream_outsider(self, names: tuple[str, ...]) -> bool | None:
        """Whether outsiders can start a workflow named in ``names`` (a workflow_run's upstream: its
        artifacts and branch names are then theirs); None when none of them is among the repository's
        workflows."""
        if not names:
            return None
        found = [
            wf
            for wf in self.repo.workflows
            if (wf.workflow.name or wf.path) in names or wf.path.rsplit("/", 1)[-1] in names
        ]
        if not found:
            return None
        return any(
            (ev := github_event(t)) is not None and ev.outsider is not False
            for wf in found
            for t in wf.workflow.triggers
        )

    def call_context(self, path: str) -> CallContext | None:
        """How this repository's own workflows call the reusable workflow at ``path``."""
        if self._calls is None:
            self._calls = self._call_contexts()
        return self._calls.get(path)

    def _call_contexts(self) -> dict[str, CallContext]:
        by_path = {wf.path: wf for wf in self.repo.workflows}
        ctx: dict[str, CallContext] = {}
        for _ in range(3):  # callers that are themselves called pass their callers' triggers on
            changed = False
            for wf in self.repo.workflows:
                caller = ctx.get(wf.path)
                triggers = set(wf.workflow.triggers) | set(caller.triggers if caller else ())
                triggers.discard("workflow_call")
                for job in wf.workflow.jobs:
                    callee = self._local_workflow(job.uses)
                    if callee is None or callee not in by_path:
                        continue
                    old = ctx.get(callee, CallContext())
                    inputs = dict(old.inputs)
                    for k, v in job.with_.items():
                        inputs[k] = f"{inputs[k]} {v}" if k in inputs and v not in inputs[k] else v
                    secrets = dict(old.secrets)
                    for k, v in job.secrets_map.items():
                        refs = sorted(secret_refs(v))
                        if refs:
                            secrets.setdefault(k, refs[0])
                    variants = old.variants if dict(job.with_) in old.variants else (*old.variants, dict(job.with_))
                    new = CallContext(
                        triggers=tuple(sorted(set(old.triggers) | triggers)),
                        inputs=inputs,
                        secrets=secrets,
                        inherit=old.inherit or job.secrets_inherit,
                        variants=variants,
                        callers=tuple(sorted({*old.callers, wf.path})),
                        new_commits=old.new_commits
                        or wf.workflow.runs_on_new_commits
                        or bool(caller and caller.new_commits),
                    )
                    if new != old:
                        ctx[callee] = new
                        changed = True
            if not changed:
                break
        return ctx

    def _local_workflow(self, uses: str | None) -> str | None:
        if not uses:
            return None
        key = local_key(uses)
        if key is not None:
            return key
        path, _, _ = uses.partition("@")
        prefix = f"{self.full}/".lower()
        if path.lower().startswith(prefix):
            return path[len(prefix) :]
        return None

    @property
    def default_branch(self) -> str | None:
        """The repository's default branch, when its metadata was collected."""
        return self.repo.meta.data.default_branch if self.repo.meta else None

    @property
    def oidc_claims(self) -> tuple[str, ...] | None:
        """The claim keys of a customised OIDC ``sub`` (repository over organization); None: default."""
        sub = self.repo.oidc_sub
        if sub is not None and not sub.data.use_default:
            return tuple(sub.data.include_claim_keys)
        org = self.b.orgs.get(self.repo.owner.lower())
        if (sub is None or not sub.data.use_default) and org is not None and org.oidc_sub is not None:
            return tuple(org.oidc_sub.data.include_claim_keys) or None
        return None

    def _repo_node(self) -> None:
        r = self.repo
        meta = r.meta.data if r.meta else None
        evidence = tuple(Evidence(x.file) for x in (r.meta, r.permissions, r.tags, r.runs) if x is not None)
        self.inv.add_node(
            Node(
                id=node_id(PROVIDER, "repo", self.full),
                kind=NodeKind.RESOURCE,
                name=self.full,
                provider=PROVIDER,
                subtype="github:repo",
                scope=r.owner,
                attrs={
                    "category": "source",
                    "private": meta.private if meta else None,
                    "archived": meta.archived if meta else None,
                    "default_branch": meta.default_branch if meta else None,
                    "default_permissions": self.default,
                    "can_approve_pull_request_reviews": (
                        r.permissions.data.can_approve_pull_request_reviews if r.permissions else None
                    ),
                    # GET /repos/{o}/{r}/tags: a release of a package built here should have one (None: not collected)
                    "tags": tuple(sorted({t.name for t in r.tags.data})) if r.tags else None,
                    # GET /repos/{o}/{r}/actions/runs: when workflows ran (a release uploaded outside every run
                    # was not published by CI); the window starts at runs_since
                    **_runs(r),
                },
                evidence=evidence,
            )
        )

    def hint(self, hint: LinkHint) -> None:
        """Record a cross-provider link once."""
        self.b.hint(hint)

    def shared_node(self, node: Node) -> None:
        """Add a node many jobs share (see :meth:`_Builder.shared_node`)."""
        self.b.shared_node(node)

    def env_node(self, name: str) -> NodeId:
        env = self.envs.get(name.lower())
        canonical = env.name if env else name
        nid = node_id(PROVIDER, "environment", f"{self.full}/{canonical}")
        attrs: dict[str, AttrValue]
        if env is not None:
            reviewers = sum(len(r.reviewers) for r in env.protection_rules if r.type == "required_reviewers")
            attrs = {
                "required_reviewers": reviewers,
                "wait_timer": max((r.wait_timer or 0 for r in env.protection_rules), default=0),
                "protected": reviewers > 0,
                "branch_policy": env.deployment_branch_policy is not None,
            }
        elif self.repo.environments is not None:
            # Referenced but not configured: the first run creates it with no protection at all.
            attrs = {"required_reviewers": 0, "wait_timer": 0, "protected": False, "branch_policy": False}
        else:
            attrs = {
                "required_reviewers": None,
                "wait_timer": None,
                "protected": None,
                "branch_policy": None,
                "unknown": ("reviewers",),
                "unknown_why": f"github/repos/{self.folder}/environments.json not collected",
            }
        self.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.RESOURCE,
                name=f"{self.full} environment {canonical}",
                provider=PROVIDER,
                subtype="github:environment",
                scope=self.full,
                attrs={"category": "environment", "repo": self.full, "environment": canonical, **attrs},
                evidence=(Evidence(self.repo.environments.file),) if env and self.repo.environments else (),
            )
        )
        return nid

    def _secrets(self) -> None:
        r = self.repo
        if r.secrets is not None:
            for s in r.secrets.data.secrets:
                native = f"{self.full}/{s.name}"
                nid = self._secret_node("secret", native, "github:actions-secret", r.secrets.file, s)
                self.secrets.repo[s.name.upper()] = VisibleSecret(
                    nid, s.name, self.full, self.full, native, s.created_at, s.updated_at or ""
                )
        for env_name, loaded in sorted(r.env_secrets.items()):
            canonical = self.envs[env_name.lower()].name if env_name.lower() in self.envs else env_name
            env_map = self.secrets.env.setdefault(canonical.lower(), {})
            for s in loaded.data.secrets:
                native = f"{self.full}/{canonical}/{s.name}"
                nid = self._secret_node("env-secret", native, "github:environment-secret", loaded.file, s, canonical)
                where = f"{self.full} environment {canonical}"
                env_map[s.name.upper()] = VisibleSecret(
                    nid, s.name, where, self.full, native, s.created_at, s.updated_at or ""
                )
        self.secrets.org = self.b.org_visible(r)
        owner_is_user = r.meta is not None and r.meta.data.owner.type == "User"
        org = self.b.orgs.get(r.owner.lower())
        org_listed = owner_is_user or (org is not None and org.secrets is not None)
        self.secrets.complete = r.secrets is not None and org_listed
        self.secrets.env_collected = {e.lower() for e in r.env_secrets}

    def _secret_node(
        self, kind: str, native: str, subtype: str, file: str, s: Secret, environment: str | None = None
    ) -> NodeId:
        nid = node_id(PROVIDER, kind, native)
        attrs: dict[str, AttrValue] = {"created_at": s.created_at, "updated_at": s.updated_at, "repo": self.full}
        if environment is not None:
            attrs["environment"] = environment
        self.inv.add_node(
            Node(
                id=nid,
                kind=NodeKind.SECRET,
                name=s.name,
                provider=PROVIDER,
                subtype=subtype,
                scope=self.full,
                attrs=attrs,
                evidence=(Evidence(file),),
            )
        )
        return nid

    # -- workflows ------------------------------------------------------------------------------

    def _workflow(self, wf: WorkflowFile) -> None:
        w = wf.workflow
        self.inv.add_node(
            Node(
                id=node_id(PROVIDER, "workflow", f"{self.full}/{wf.path}"),
                kind=NodeKind.RESOURCE,
                name=f"{self.full} {wf.path}",
                provider=PROVIDER,
                subtype="github:workflow",
                scope=self.full,
                attrs={
                    "category": "workflow",
                    "repo": self.full,
                    "workflow_path": wf.path,
                    "name": w.name,
                    "triggers": w.triggers,
                    "secret_scanned": True,  # scanned for committed credentials at load (RB12)
                },
                evidence=(Evidence(wf.file),),
            )
        )
        builders = [JobBuilder(self, wf, job) for job in w.jobs]
        verdicts = self._judge(wf, builders)
        for jb in builders:
            v = verdicts[jb.job.id]
            jb.controls, jb.gated = v.controls, v.gated
            jb.build()
            self.jobs.append(jb)

    def _judge(self, wf: WorkflowFile, builders: Sequence[JobBuilder] | None = None) -> dict[str, Verdict]:
        """The outsider verdicts of ``wf``'s jobs. A reusable workflow is judged with what its callers' jobs
        output (graphql-js: an `issue_comment` job's `pullRequestJSON`, read from the API, passed as an
        input and checked out): those callers are judged first."""
        if wf.path in self._verdicts:
            return self._verdicts[wf.path]
        self._judging.add(wf.path)
        outside: dict[str, frozenset[str]] = {}
        call = self.call_context(wf.path) if "workflow_call" in wf.workflow.triggers else None
        for path in call.callers if call is not None else ():
            caller = next((c for c in self.repo.workflows if c.path == path), None)
            if caller is not None and path not in self._judging:
                outside.update({jid: v.output_taint for jid, v in self._judge(caller).items()})
        if builders is None:
            builders = [JobBuilder(self, wf, job) for job in wf.workflow.jobs]
        verdicts = judge_workflow([jb.facts() for jb in builders], {jb.job.id: jb.events for jb in builders}, outside)
        self._judging.discard(wf.path)
        self._verdicts[wf.path] = verdicts
        return verdicts


def _runs(r: RepoRaw) -> dict[str, AttrValue]:
    if r.runs is None:
        return {"runs_since": None, "run_windows": None}
    runs = r.runs.data.workflow_runs
    since = r.runs_since or min((w.created_at for w in runs), default=None)
    windows = tuple(sorted({f"{w.run_started_at or w.created_at}/{w.updated_at}" for w in runs}))
    return {"runs_since": since, "run_windows": windows}


def _owners(r: RepoRaw) -> RepoOwners:
    missing = f"github/repos/{r.folder or r.full_name}/teams.json" if r.collected and r.teams is None else None
    return RepoOwners(
        r.owner, tuple(r.teams.data) if r.teams else None, r.teams.file if r.teams else None, r.codeowners, missing
    )


def transform(raw: GitHubRaw) -> Inventory:
    """Turn the loaded GitHub files into nodes, edges, link hints and coverage gaps."""
    return _Builder(raw).build()
