"""Read the ``github/`` folder of a bundle into a validated :class:`GitHubRaw`.

Every file goes through :class:`~scanner.bundle.BundleReader`, so a malformed one is a
``BundleError`` naming it. A file that is absent was not collected and stays ``None``.
"""

from __future__ import annotations

from typing import Any, TypeVar

import yaml

from connectors.github.composite import Composite, parse_action
from connectors.github.owners import CODEOWNERS_PATHS, CodeOwners, Team, parse_codeowners
from connectors.github.plaintext import Hit, scan
from connectors.github.raw import (
    DeployKey,
    EnvironmentList,
    GitHubRaw,
    InstallationList,
    Loaded,
    OidcSubOrg,
    OidcSubRepo,
    Organization,
    OrgRaw,
    OrgSecretList,
    PatGrant,
    RepoRaw,
    Repository,
    RunList,
    SecretList,
    SelectedRepositories,
    Tag,
    WorkflowFile,
    WorkflowPermissions,
)
from connectors.github.sbom import DependencySbom
from connectors.github.workflows import Workflow, node_positions, parse_workflow
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError
from scanner.yaml12 import load_yaml_node

T = TypeVar("T")

ROOT = "github"
WORKFLOWS_DIR = ".github/workflows"
#: Actions of other repositories at the ref a workflow names: ``github/action-refs/{owner}/{repo}/{ref}/
#: {path}/action.yml`` (a ``/`` in the ref written as ``%2F``).
ACTION_REFS = f"{ROOT}/action-refs"
_ACTION_FILES = ("/action.yml", "/action.yaml")
_WORKFLOW_SUFFIXES = (".yml", ".yaml")
OIDC_SUB = "actions/oidc/customization/sub.json"
SBOM = "dependency-graph/sbom.json"


def _optional(bundle: BundleReader, rel: str, typ: type[T]) -> Loaded[T] | None:
    if not bundle.exists(rel):
        return None
    return Loaded(rel, bundle.model(rel, typ))


def _org_names(bundle: BundleReader) -> list[str]:
    names: set[str] = set()
    for rel in bundle.files(f"{ROOT}/orgs"):
        parts = rel.split("/")  # listed paths are normal POSIX paths
        if len(parts) == 3 and parts[2].endswith(".json"):
            names.add(parts[2].removesuffix(".json"))
        elif len(parts) > 3:
            names.add(parts[2])
    return sorted(names)


def load_org(bundle: BundleReader, login: str) -> OrgRaw:
    """Load one organization's files."""
    base = f"{ROOT}/orgs/{login}"
    secrets: Loaded[OrgSecretList] | None = _optional(bundle, f"{base}/actions/secrets.json", OrgSecretList)
    selected: dict[str, Loaded[SelectedRepositories]] = {}
    for secret in secrets.data.secrets if secrets else ():
        sel: Loaded[SelectedRepositories] | None = _optional(
            bundle, f"{base}/actions/secrets/{secret.name}/repositories.json", SelectedRepositories
        )
        if sel is not None:
            selected[secret.name] = sel
    return OrgRaw(
        login=login,
        org=_optional(bundle, f"{base}.json", Organization),
        repos=_optional(bundle, f"{base}/repos.json", list[Repository]),
        secrets=secrets,
        selected=selected,
        pat_grants=_optional(bundle, f"{base}/personal-access-tokens.json", list[PatGrant]),
        installations=_optional(bundle, f"{base}/installations.json", InstallationList),
        oidc_sub=_optional(bundle, f"{base}/{OIDC_SUB}", OidcSubOrg),
    )


#: A parsed workflow and its credential hits, by file text: organisations copy the same workflow
#: into many repositories, and a text is parsed and scanned once per load (the result holds nothing
#: of the file's path; errors name the first file with that text, where the load stops).
_Parsed = dict[str, tuple[Workflow, tuple[Hit, ...]]]


def _workflow(bundle: BundleReader, rel: str, path: str, parsed: _Parsed | None = None) -> WorkflowFile:
    text = bundle.text(rel)
    found = parsed.get(text) if parsed is not None else None
    if found is None:
        # One parse gives the document and the lines of its jobs and steps (bundle.yaml keeps its
        # bounds and errors; the loader hands the composed node over).
        composed: list[yaml.Node | None] = []

        def load(t: str) -> Any:
            data, node = load_yaml_node(t)
            composed.append(node)
            return data

        data = bundle.yaml(rel, text, load=load)
        jobs_at, steps_at = node_positions(composed[0] if composed else None)
        found = (parse_workflow(rel, data, jobs_at, steps_at), scan(text))
        if parsed is not None:
            parsed[text] = found
    return WorkflowFile(file=rel, path=path, workflow=found[0], hits=found[1])


def _action(bundle: BundleReader, rel: str) -> Composite:
    return parse_action(rel, bundle.yaml(rel))


def _local_actions(bundle: BundleReader, base: str) -> tuple[dict[str, Composite], list[tuple[str, str]]]:
    """``action.yml`` files under a repository's contents, by folder (``""`` for the root)."""
    contents = f"{base}/contents/"
    found: dict[str, Composite] = {}
    bad: list[tuple[str, str]] = []
    for rel in bundle.files(f"{base}/contents"):
        if not rel.endswith(_ACTION_FILES) and rel not in (contents + "action.yml", contents + "action.yaml"):
            continue
        folder = rel[len(contents) :].rsplit("/", 1)[0] if "/" in rel[len(contents) :] else ""
        try:
            found[folder] = _action(bundle, rel)
        except BundleError as e:
            bad.append((rel, e.problem))
    return found, bad


def load_remote_actions(bundle: BundleReader) -> tuple[dict[tuple[str, str, str], Composite], list[tuple[str, str]]]:
    """Actions of other repositories collected at the ref the workflows name."""
    found: dict[tuple[str, str, str], Composite] = {}
    bad: list[tuple[str, str]] = []
    for rel in bundle.files(ACTION_REFS):
        if not rel.endswith(_ACTION_FILES):
            continue
        parts = rel.split("/")  # github/action-refs/owner/repo/ref/path.../action.yml
        if len(parts) < 6:
            continue
        key = (f"{parts[2]}/{parts[3]}".lower(), "/".join(parts[5:-1]), parts[4].replace("%2F", "/"))
        try:
            found[key] = _action(bundle, rel)
        except BundleError as e:
            bad.append((rel, e.problem))
    return found, bad


def load_repo(
    bundle: BundleReader,
    folder: str,
    meta: Loaded[Repository] | None,
    parsed: _Parsed | None = None,
    collected: bool = True,
) -> RepoRaw:
    """Load the files under ``github/repos/{folder}``; ``meta`` is the repository's entry in its
    organization's ``repos.json``, if any, and gives the canonical spelling of its name."""
    base = f"{ROOT}/repos/{folder}"
    owner, name = folder.split("/", 1)
    if meta is None:
        meta = _optional(bundle, f"{base}.json", Repository)  # GET /repos/{owner}/{repo}
    if meta is not None:
        owner, name = meta.data.owner.login, meta.data.name
    environments: Loaded[EnvironmentList] | None = _optional(bundle, f"{base}/environments.json", EnvironmentList)
    env_names = {e.name for e in environments.data.environments} if environments else set()
    # Environment secrets collected for an environment the list does not show are still facts.
    for rel in bundle.files(f"{base}/environments", "/secrets.json"):
        parts = rel.split("/")  # listed paths are normal POSIX paths
        if len(parts) == 7:
            env_names.add(parts[5])
    env_secrets: dict[str, Loaded[SecretList]] = {}
    for env in sorted(env_names):
        loaded: Loaded[SecretList] | None = _optional(bundle, f"{base}/environments/{env}/secrets.json", SecretList)
        if loaded is not None:
            env_secrets[env] = loaded
    wf_dir = f"{base}/contents/{WORKFLOWS_DIR}"
    workflows: list[WorkflowFile] = []
    unreadable: list[tuple[str, str]] = []
    for rel in bundle.files(wf_dir):
        # GitHub runs only the files directly in .github/workflows.
        # (listed paths are normal POSIX paths: string operations suffice)
        if rel.rsplit("/", 1)[0] != wf_dir or not rel.endswith(_WORKFLOW_SUFFIXES):
            continue
        try:
            workflows.append(_workflow(bundle, rel, f"{WORKFLOWS_DIR}/{rel.rsplit('/', 1)[-1]}", parsed))
        except BundleError as e:
            # Pipeline content regwarden cannot interpret is a gap for this repository, not bad input.
            unreadable.append((rel, e.problem))
    actions, bad_actions = _local_actions(bundle, base)
    codeowners = _codeowners(bundle, base, unreadable)
    return RepoRaw(
        owner=owner,
        name=name,
        meta=meta,
        secrets=_optional(bundle, f"{base}/actions/secrets.json", SecretList),
        permissions=_optional(bundle, f"{base}/actions/permissions/workflow.json", WorkflowPermissions),
        environments=environments,
        env_secrets=env_secrets,
        workflows=tuple(workflows),
        keys=_optional(bundle, f"{base}/keys.json", list[DeployKey]),
        oidc_sub=_optional(bundle, f"{base}/{OIDC_SUB}", OidcSubRepo),
        actions=actions,
        unreadable=tuple(unreadable + bad_actions),
        sbom=_optional(bundle, f"{base}/{SBOM}", DependencySbom),
        tags=_optional(bundle, f"{base}/tags.json", list[Tag]),
        runs=_optional(bundle, f"{base}/actions/runs.json", RunList),
        runs_since=_runs_since(bundle, f"/repos/{folder}/actions/runs"),
        teams=_optional(bundle, f"{base}/teams.json", list[Team]),
        codeowners=codeowners,
        folder=folder,
        collected=collected,
    )


def _codeowners(bundle: BundleReader, base: str, unreadable: list[tuple[str, str]]) -> CodeOwners | None:
    """The repository's CODEOWNERS, from the first place GitHub looks that was collected."""
    for path in CODEOWNERS_PATHS:
        rel = f"{base}/contents/{path}"
        if bundle.exists(rel):
            try:
                return parse_codeowners(rel, path, bundle.text(rel))
            except BundleError as e:  # not text: the repository's owners are not read, a gap
                unreadable.append((rel, e.problem))
                return None
    return None


def _runs_since(bundle: BundleReader, path: str) -> str | None:
    """The window of the collected runs, as the collector recorded it in the manifest (None: unknown)."""
    prefix = f"GET {path}?created=>="
    days = [c.call.removeprefix(prefix) for c in bundle.manifest.calls if c.call.startswith(prefix)]
    return min(days) if days else None


def load(bundle: BundleReader) -> GitHubRaw:
    """Load and validate every GitHub file of the bundle."""
    orgs = tuple(load_org(bundle, login) for login in _org_names(bundle))
    metas: dict[str, Loaded[Repository]] = {}
    for org in orgs:
        if org.repos is not None:
            for repo in org.repos.data:
                metas.setdefault(repo.full_name.lower(), Loaded(org.repos.file, repo))
    # A repository is known from files collected under repos/ or from an org's repos.json;
    # GitHub names are case-insensitive, the folder's spelling is what the files are under.
    folders: dict[str, str] = {}
    for rel in bundle.files(f"{ROOT}/repos"):
        parts = rel.split("/")  # listed paths are normal POSIX paths
        if len(parts) > 4:
            folders.setdefault(f"{parts[2]}/{parts[3]}".lower(), f"{parts[2]}/{parts[3]}")
    collected = set(folders)
    for key, meta in metas.items():
        folders.setdefault(key, meta.data.full_name)
    parsed: _Parsed = {}
    repos = tuple(
        load_repo(bundle, folder, metas.get(key), parsed, key in collected) for key, folder in sorted(folders.items())
    )
    remote, bad = load_remote_actions(bundle)
    answered = frozenset(
        c.call for c in bundle.manifest.calls if c.provider == ROOT and c.status in ("not_found", "failed")
    )
    return GitHubRaw(
        orgs=orgs,
        repos=repos,
        remote_actions=remote,
        unreadable=tuple(bad),
        answered=answered,
        failed_scopes=frozenset(s.lower() for s in failed_scopes(bundle, ROOT)),
    )
