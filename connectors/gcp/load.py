"""Read the ``gcp/`` folder of a bundle into a validated :class:`GcpRaw`.

Every file goes through :class:`~scanner.bundle.BundleReader`, so a malformed one is a ``BundleError``
naming it. An absent file was not collected and stays ``None``. The layout (see docs/bundle.md) names
each file after the REST path that returned it::

    gcp/projects/{p}.json                                   projects.get (v3)
    gcp/projects/{p}/getIamPolicy.json                      projects.getIamPolicy
    gcp/projects/{p}/serviceAccounts.json                   serviceAccounts.list
    gcp/projects/{p}/serviceAccounts/{email}/keys.json      serviceAccounts.keys.list
    gcp/projects/{p}/serviceAccounts/{email}/getIamPolicy.json
    gcp/projects/{p}/locations/{loc}/repositories.json      Artifact Registry repositories.list
    gcp/projects/{p}/locations/{loc}/repositories/{r}/getIamPolicy.json
    gcp/projects/{p}/locations/global/workloadIdentityPools.json
    gcp/projects/{p}/locations/global/workloadIdentityPools/{pool}/providers.json
    gcp/projects/{p}/triggers.json                          Cloud Build triggers.list
    gcp/{folders|organizations}/{id}.json and .../getIamPolicy.json
    gcp/roles/{r}.json, gcp/{projects|organizations}/{id}/roles/{r}.json   roles.get
    gcp/{organizations|folders|projects}/{id}/searchAllIamPolicies.json     Cloud Asset Inventory

A policy comes from the resource's own ``getIamPolicy`` file when there is one, else from the
``searchAllIamPolicies`` result for that resource (connectors/gcp/assets.py); a resource that
neither names has no binding of its own. Audit configuration is read from ``getIamPolicy`` only.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, TypeVar

from connectors.gcp.assets import SCOPE_SUFFIX, SearchIndex, load_index, search_files
from connectors.gcp.raw import (
    BuildTrigger,
    Container,
    GcpRaw,
    Loaded,
    Policy,
    PoolRaw,
    ProjectRaw,
    Repository,
    RepositoryRaw,
    Role,
    ServiceAccount,
    ServiceAccountKey,
    ServiceAccountRaw,
    WorkloadIdentityPool,
    WorkloadIdentityPoolProvider,
)
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

T = TypeVar("T")

ROOT = "gcp"
GLOBAL = "global"


def _optional(bundle: BundleReader, rel: str, typ: type[T]) -> Loaded[T] | None:
    if not bundle.exists(rel):
        return None
    return Loaded(rel, bundle.model(rel, typ))


def _list(bundle: BundleReader, rel: str, key: str, typ: type[T]) -> Loaded[tuple[T, ...]] | None:
    """A list file: the REST page shape ``{key: [...]}`` (an empty page omits the key) or gcloud's bare array."""
    if not bundle.exists(rel):
        return None
    data: Any = bundle.json(rel)
    if isinstance(data, dict):
        if data.get("nextPageToken"):
            raise BundleError(rel, "nextPageToken is set: the file holds one page, not every item")
        data = data.get(key, [])
    if not isinstance(data, list):
        raise BundleError(rel, f"expected a JSON array or an object with {key!r}")
    items: tuple[T, ...] = bundle.validate(rel, data, tuple[typ, ...])  # type: ignore[valid-type]
    return Loaded(rel, items)


def _segment(rel: str, value: str, what: str) -> None:
    # A name from a list file becomes a path segment: refuse one that would steer elsewhere.
    if not value or "/" in value or value in (".", ".."):
        raise BundleError(rel, f"{what} {value!r} cannot name a bundle folder")


def _service_accounts(
    bundle: BundleReader, base: str, index: SearchIndex
) -> Loaded[tuple[ServiceAccountRaw, ...]] | None:
    listed = _list(bundle, f"{base}/serviceAccounts.json", "accounts", ServiceAccount)
    if listed is None:
        return None
    out = []
    for sa in listed.data:
        _segment(listed.file, sa.email, "service account email")
        folder = f"{base}/serviceAccounts/{sa.email}"
        out.append(
            ServiceAccountRaw(
                account=sa,
                file=listed.file,
                keys=_list(bundle, f"{folder}/keys.json", "keys", ServiceAccountKey),
                policy=_optional(bundle, f"{folder}/getIamPolicy.json", Policy)
                or index.service_account(sa.email, sa.uniqueId),
            )
        )
    return Loaded(listed.file, tuple(out))


def _repositories(
    bundle: BundleReader, base: str, index: SearchIndex, number: str | None
) -> tuple[Loaded[tuple[RepositoryRaw, ...]], ...]:
    project = base.rsplit("/", 1)[-1]
    found = []
    for rel in bundle.files(f"{base}/locations", "repositories.json"):
        parts = PurePosixPath(rel).parts
        if len(parts) != 6 or parts[5] != "repositories.json":  # gcp/projects/p/locations/l/repositories.json
            continue
        listed = _list(bundle, rel, "repositories", Repository)
        assert listed is not None
        folder = rel.removesuffix(".json")
        repos = []
        for repo in listed.data:
            short = repo.name.rsplit("/", 1)[-1]
            _segment(rel, short, "repository")
            policy = _optional(bundle, f"{folder}/{short}/getIamPolicy.json", Policy)
            repos.append(RepositoryRaw(repo, rel, policy or index.repository(repo.name, project, number)))
        found.append(Loaded(rel, tuple(repos)))
    return tuple(found)


def _pools(bundle: BundleReader, base: str) -> Loaded[tuple[PoolRaw, ...]] | None:
    rel = f"{base}/locations/{GLOBAL}/workloadIdentityPools.json"
    listed = _list(bundle, rel, "workloadIdentityPools", WorkloadIdentityPool)
    if listed is None:
        return None
    out = []
    for pool in listed.data:
        short = pool.name.rsplit("/", 1)[-1]
        _segment(rel, short, "pool")
        providers = _list(
            bundle,
            f"{rel.removesuffix('.json')}/{short}/providers.json",
            "workloadIdentityPoolProviders",
            WorkloadIdentityPoolProvider,
        )
        out.append(PoolRaw(pool, rel, providers))
    return Loaded(rel, tuple(out))


def load_project(bundle: BundleReader, project: str, index: SearchIndex | None = None) -> ProjectRaw:
    """Everything collected under ``gcp/projects/{project}``, policies missing there taken from ``index``."""
    base = f"{ROOT}/projects/{project}"
    index = index if index is not None else SearchIndex()
    meta = _optional(bundle, f"{base}.json", Container)
    number = meta.data.name.removeprefix("projects/") if meta is not None else None
    own = _optional(bundle, f"{base}/getIamPolicy.json", Policy)
    return ProjectRaw(
        project_id=project,
        meta=meta,
        policy=own or index.project(project, number),
        audit=own,
        service_accounts=_service_accounts(bundle, base, index),
        repositories=_repositories(bundle, base, index, number),
        pools=_pools(bundle, base),
        triggers=_list(bundle, f"{base}/triggers.json", "triggers", BuildTrigger),
    )


def _names(bundle: BundleReader, kind: str) -> list[str]:
    names: set[str] = set()
    for rel in bundle.files(f"{ROOT}/{kind}"):
        parts = PurePosixPath(rel).parts
        if len(parts) == 3 and parts[2].endswith(".json"):
            names.add(parts[2].removesuffix(".json"))
        elif len(parts) > 3:
            names.add(parts[2])
    return sorted(names)


def _roles(bundle: BundleReader) -> dict[str, Loaded[Role]]:
    roles: dict[str, Loaded[Role]] = {}
    candidates = [*bundle.files(f"{ROOT}/roles", ".json")]
    for kind in ("projects", "organizations"):
        candidates += [
            r
            for r in bundle.files(f"{ROOT}/{kind}", ".json")
            if len(PurePosixPath(r).parts) == 5 and PurePosixPath(r).parts[3] == "roles"
        ]
    for rel in candidates:
        loaded = _optional(bundle, rel, Role)
        assert loaded is not None
        expected = rel.removeprefix(f"{ROOT}/").removesuffix(".json")
        if loaded.data.name != expected:
            raise BundleError(rel, f"role name {loaded.data.name!r} does not match its path {expected!r}")
        roles[expected] = loaded
    return roles


def load(bundle: BundleReader) -> GcpRaw:
    """Load and validate every GCP file of the bundle."""
    index = load_index(bundle)
    projects = tuple(load_project(bundle, p, index) for p in _names(bundle, "projects"))
    containers: dict[str, Loaded[Container]] = {}
    policies: dict[str, Loaded[Policy]] = {}
    audits: dict[str, Loaded[Policy]] = {}
    for kind in ("folders", "organizations"):
        policies |= index.policies(kind)
        for name in _names(bundle, kind):
            meta = _optional(bundle, f"{ROOT}/{kind}/{name}.json", Container)
            if meta is not None:
                containers[f"{kind}/{name}"] = meta
            policy = _optional(bundle, f"{ROOT}/{kind}/{name}/getIamPolicy.json", Policy)
            if policy is not None:
                policies[f"{kind}/{name}"] = audits[f"{kind}/{name}"] = policy
    scopes = [s.removeprefix(f"{ROOT}:") for s in bundle.manifest.scopes if s.startswith(f"{ROOT}:")]
    return GcpRaw(
        projects=projects,
        containers=containers,
        policies=policies,
        audits=audits,
        roles=_roles(bundle),
        searched=frozenset(rel.removeprefix(f"{ROOT}/").rsplit("/", 1)[0] for rel in search_files(bundle)),
        searches_expected=frozenset(s.removesuffix(SCOPE_SUFFIX) for s in scopes if s.endswith(SCOPE_SUFFIX)),
        answered=frozenset(
            c.call for c in bundle.manifest.calls if c.provider == ROOT and c.status in ("not_found", "failed")
        ),
        failed_scopes=failed_scopes(bundle, ROOT),
    )
