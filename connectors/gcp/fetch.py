"""Live collection: lists what each scope holds and stores the REST responses in the bundle.

Scopes are ``projects/{id}``, ``folders/{id}`` and ``organizations/{id}``, and with the asset
inventory (``iam_source``) one ``{organizations|folders|projects}/{id}:searchAllIamPolicies`` per
configured root, whose pages replace ``getIamPolicy`` on the service accounts and repositories (and
on projects without repositories) below it. A project whose first call (``projects.get``) is refused
fails as a whole (a coverage gap), as does a search that fails; a later call of a project that fails
is recorded in the manifest and the rest of the project is still collected. Fetch pages, retries and
writes; it interprets nothing except build-trigger substitutions, whose values are replaced by
keyed fingerprints before they reach the bundle.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped,unused-ignore]
from google.protobuf.message import Message  # type: ignore[import-untyped,unused-ignore]

from connectors._http import NotFoundError
from connectors.gcp import assets
from connectors.gcp.clients import Clients
from connectors.gcp.settings import Settings
from scanner.bundle import BundleWriter
from scanner.collect_session import CollectSession
from scanner.errors import AuthError, ConnectorError
from scanner.fingerprint import fingerprint

PROVIDER = "gcp"
ROOT = "gcp"
MAX_PAGES = 10_000
_POLICY_V3 = {"requested_policy_version": 3}

# Roles are shared by every scope of one collection: fetch each once per bundle.
_roles_lock = threading.Lock()
_roles_seen: weakref.WeakKeyDictionary[BundleWriter, set[str]] = weakref.WeakKeyDictionary()


def _pb(msg: Any) -> dict[str, Any]:
    """A GAPIC response as its REST JSON (camelCase, enum names), as gcloud prints it."""
    raw: Message = msg if isinstance(msg, Message) else type(msg).pb(msg)
    out: dict[str, Any] = MessageToDict(raw)
    return out


# --- scope discovery --------------------------------------------------------------------------------


def scopes(
    settings: Settings, sleep: Callable[[float], None] | None = None, *, tally: CollectSession | None = None
) -> list[str]:
    """The projects (and, with ``ancestors``, their folders and organization) to collect, after the
    asset inventory searches when ``iam_source`` uses them (the longest tasks start first). The walk's
    requests are counted in ``tally`` (the run's) and wait through its sleeper, as a scope's do."""
    wait = sleep or (tally.sleep if tally is not None else time.sleep)
    c = Clients.create(settings, wait, tally.count if tally is not None else None)
    found: dict[str, None] = {}
    roots = [f"organizations/{settings.organization}"] if settings.organization else []
    roots += [f"folders/{f}" for f in settings.folders]
    walks: dict[str, set[str]] = {}
    for root in roots:
        walked = list(_walk(c, root))
        walks[root] = set(walked)
        for s in walked:
            found[s] = None
    for p in settings.projects:
        found[f"projects/{p}"] = None
        if settings.ancestors:
            for s in _ancestors(c, p):
                found[s] = None
    if not found:
        raise ConnectorError("gcp: no scope configured (set projects, organization or folders)")
    if not settings.asset_inventory:
        return list(found)
    return [assets.search_scope(t) for t in _search_targets(settings, walks)] + list(found)


def _search_targets(settings: Settings, walks: dict[str, set[str]]) -> list[str]:
    """Each configured root that is not under another one, then each configured project under none."""
    covered = set().union(*walks.values())
    targets = [r for r in walks if not any(r in w for other, w in walks.items() if other != r)]
    return targets + [f"projects/{p}" for p in settings.projects if f"projects/{p}" not in covered]


def _walk(c: Clients, root: str) -> Iterator[str]:
    """``root``, every folder under it and every active project in them."""
    stack = [root]
    while stack:
        parent = stack.pop()
        yield parent
        for f in _gapic_pages(c, partial(_list_folders, c, parent), f"list folders of {parent}"):
            stack.extend(folder.name for folder in f.folders)
        for page in _gapic_pages(c, partial(_list_projects, c, parent), f"list projects of {parent}"):
            for proj in page.projects:
                if proj.state.name == "ACTIVE":
                    yield f"projects/{proj.project_id}"


def _list_folders(c: Clients, parent: str, token: str) -> Any:
    return c.folders().list_folders(request={"parent": parent, "page_token": token}, retry=None)


def _list_projects(c: Clients, parent: str, token: str) -> Any:
    return c.projects().list_projects(request={"parent": parent, "page_token": token}, retry=None)


def _get(c: Clients, name: str) -> Any:
    """``get`` on a project, folder or organization (Resource Manager v3)."""
    kind = name.split("/", 1)[0]
    if kind == "projects":
        return c.projects().get_project(name=name, retry=None)
    if kind == "folders":
        return c.folders().get_folder(name=name, retry=None)
    return c.organizations().get_organization(name=name, retry=None)


def _get_iam_policy(c: Clients, name: str) -> Any:
    """``getIamPolicy`` (policy version 3, so conditional bindings come back whole) on any resource."""
    kind = name.split("/", 1)[0]
    client: Any = {"projects": c.projects, "folders": c.folders, "organizations": c.organizations}[kind]()
    if "/repositories/" in name:
        client = c.artifact_registry()
    return client.get_iam_policy(request={"resource": name, "options": _POLICY_V3}, retry=None)


def _policy(c: Clients, name: str) -> dict[str, Any]:
    return _pb(c.caller.call(partial(_get_iam_policy, c, name), f"gcp getIamPolicy {name}"))


def _ancestors(c: Clients, project: str) -> list[str]:
    """Folders and organization above a project; a project we may not read keeps its own scope only."""
    try:
        parent = c.caller.call(partial(_get, c, f"projects/{project}"), f"gcp get projects/{project}").parent
        chain = []
        while parent.startswith("folders/"):
            chain.append(parent)
            parent = c.caller.call(partial(_get, c, parent), f"gcp get {parent}").parent
        if parent.startswith("organizations/"):
            chain.append(parent)
    except (AuthError, NotFoundError):
        return []  # the project's own collection records the refusal
    return chain


def _gapic_pages(c: Clients, call: Callable[[str], Any], what: str) -> Iterator[Any]:
    """Each page of a GAPIC list call, fetched one at a time through the retry policy."""
    token, seen = "", set()
    for _ in range(MAX_PAGES):
        pager = c.caller.call(partial(call, token), f"gcp {what}")
        page = next(iter(pager.pages)) if hasattr(pager, "pages") else pager
        yield page
        token = page.next_page_token
        if not token:
            return
        if token in seen:
            raise ConnectorError(f"gcp {what}: pagination loop (page token repeated)")
        seen.add(token)
    raise ConnectorError(f"gcp {what}: more than {MAX_PAGES} pages")


def _rest_pages(
    c: Clients,
    collection: Any,
    request: Any,
    key: str,
    what: str,
    next_page: Callable[[Any, dict[str, Any]], Any] | None = None,
    check: Callable[[dict[str, Any]], object] | None = None,
) -> dict[str, Any]:
    """Every page of a discovery list call merged into one page-shaped document. ``next_page`` (default
    ``collection.list_next``) makes the next request; ``check`` refuses a page not in the API's shape."""
    items: list[Any] = []
    seen: set[str] = set()
    first: dict[str, Any] = {}
    while request is not None:
        resp = _execute(c, request, what)
        if check is not None:
            check(resp)
        first = first or resp
        items += resp.get(key, [])
        token = resp.get("nextPageToken")
        if token:
            if token in seen:
                raise ConnectorError(f"gcp {what}: pagination loop (page token repeated)")
            seen.add(token)
            if len(seen) >= MAX_PAGES:
                raise ConnectorError(f"gcp {what}: more than {MAX_PAGES} pages")
        request = (next_page or collection.list_next)(request, resp)
    out = {k: v for k, v in first.items() if k not in (key, "nextPageToken")}
    out[key] = items
    return out


# --- one scope ---------------------------------------------------------------------------------------


class _Scope:
    """Collection of one scope: each call recorded, a failed call a gap, the rest still collected."""

    def __init__(self, c: Clients, scope: str, writer: BundleWriter) -> None:
        self.c, self.scope, self.w = c, scope, writer
        self.roles: set[str] = set()

    def optional(self, call: str, fn: Callable[[], Any]) -> Any | None:
        """Run a call; on failure record it (404 as ``not_found``) and return None."""
        try:
            out = fn()
        except NotFoundError as e:
            self.w.record(PROVIDER, self.scope, call, "not_found", str(e))
            return None
        except ConnectorError as e:
            self.w.record(PROVIDER, self.scope, call, "failed", str(e))
            return None
        self.w.record(PROVIDER, self.scope, call)
        return out

    def rest(self, call: str, request: Any) -> Any | None:
        """One discovery request (no paging) through the retry policy."""
        return self.optional(call, partial(_execute, self.c, request, call))

    def policy(self, rel: str, call: str, fn: Callable[[], Any]) -> None:
        """Fetch and store an IAM policy, and remember the roles it references."""
        data = self.optional(call, fn)
        if data is not None:
            self.w.put_json(rel, data)
            self.roles |= {b["role"] for b in data.get("bindings", [])}

    def fetch_roles(self) -> None:
        """``roles.get`` for every role the scope's policies reference, once per bundle."""
        with _roles_lock:
            seen = _roles_seen.setdefault(self.w, set())
            todo = sorted(self.roles - seen)
            seen |= set(todo)
        iam = self.c.iam()
        for role in todo:
            kind = role.split("/", 1)[0]
            if kind == "roles":
                coll = iam.roles()
            elif kind in ("projects", "organizations"):
                coll = getattr(iam, kind)().roles()
            else:
                continue
            data = self.rest(f"roles.get {role}", coll.get(name=role))
            if data is not None:
                self.w.put_json(f"{ROOT}/{role}.json", data)


def _container(c: Clients, scope: str, writer: BundleWriter) -> None:
    s = _Scope(c, scope, writer)
    meta = c.caller.call(partial(_get, c, scope), f"gcp get {scope}")
    writer.put_json(f"{ROOT}/{scope}.json", _pb(meta))
    writer.record(PROVIDER, scope, f"get {scope}")
    s.policy(f"{ROOT}/{scope}/getIamPolicy.json", "getIamPolicy", partial(_policy, c, scope))
    s.fetch_roles()


def _redact_trigger(t: dict[str, Any]) -> dict[str, Any]:
    # Substitution values and step env values can hold plaintext secrets: keep a keyed fingerprint only.
    out = dict(t)
    if isinstance(out.get("substitutions"), dict):
        out["substitutions"] = {k: fingerprint(str(v)) for k, v in out["substitutions"].items()}
    build = out.get("build")
    if isinstance(build, dict):
        build = dict(build)
        if isinstance(build.get("substitutions"), dict):
            build["substitutions"] = {k: fingerprint(str(v)) for k, v in build["substitutions"].items()}
        steps = []
        for step in build.get("steps", []):
            step = dict(step)
            if isinstance(step.get("env"), list):
                step["env"] = [_redact_env(e) for e in step["env"]]
            steps.append(step)
        if steps:
            build["steps"] = steps
        out["build"] = build
    return out


def _redact_env(entry: str) -> str:
    name, sep, value = entry.partition("=")
    return f"{name}={fingerprint(value)}" if sep else name


def _project(c: Clients, scope: str, settings: Settings, writer: BundleWriter) -> None:
    project = scope.removeprefix("projects/")
    base = f"{ROOT}/projects/{project}"
    s = _Scope(c, scope, writer)
    # The first call decides whether the project is assessable at all (raises: a scope gap).
    meta = c.caller.call(partial(_get, c, scope), f"gcp get {scope}")
    writer.put_json(f"{base}.json", _pb(meta))
    writer.record(PROVIDER, scope, f"get {scope}")
    # With the asset inventory, the search scope holds the bindings of the project, its service
    # accounts and its repositories. It does not hold the project's auditConfigs, which decide
    # whether repository writes are logged: those are read where there is a repository to judge.
    bulk = settings.asset_inventory
    if not bulk:
        s.policy(f"{base}/getIamPolicy.json", "getIamPolicy", partial(_policy, c, scope))
    _service_accounts(s, project, base, own_policies=not bulk)
    repositories = _repositories(s, project, base, settings, own_policies=not bulk)
    if bulk and repositories:
        s.policy(f"{base}/getIamPolicy.json", "getIamPolicy", partial(_policy, c, scope))
    _pools(s, project, base)
    api = c.cloudbuild().projects().triggers()
    what = f"list triggers {scope}"
    data = s.optional("triggers.list", partial(_rest_pages, c, api, api.list(projectId=project), "triggers", what))
    if data is not None:
        data["triggers"] = [_redact_trigger(t) for t in data["triggers"]]
        writer.put_json(f"{base}/triggers.json", data)
    s.fetch_roles()


def _service_accounts(s: _Scope, project: str, base: str, own_policies: bool) -> None:
    c = s.c
    sas = c.iam().projects().serviceAccounts()
    request = sas.list(name=f"projects/{project}", pageSize=100)
    data = s.optional("serviceAccounts.list", partial(_rest_pages, c, sas, request, "accounts", f"list SAs {project}"))
    if data is None:
        return
    s.w.put_json(f"{base}/serviceAccounts.json", data)
    for sa in data["accounts"]:
        email = sa["email"]
        name = f"projects/{project}/serviceAccounts/{email}"
        folder = f"{base}/serviceAccounts/{email}"
        keys = s.rest(f"keys.list {email}", sas.keys().list(name=name))
        if keys is not None:
            # List answers never carry private key material; drop it defensively should one ever.
            keys["keys"] = [{k: v for k, v in key.items() if k != "privateKeyData"} for key in keys.get("keys", [])]
            s.w.put_json(f"{folder}/keys.json", keys)
        if own_policies:
            policy = sas.getIamPolicy(resource=name, options_requestedPolicyVersion=3)
            s.policy(f"{folder}/getIamPolicy.json", f"getIamPolicy {email}", partial(_execute, c, policy, name))


def _execute(c: Clients, request: Any, what: str) -> dict[str, Any]:
    """One discovery request through the retry policy; an answer that is not a JSON object fails the call."""
    resp = c.caller.call(partial(request.execute, num_retries=0), f"gcp {what}")
    if not isinstance(resp, dict):
        raise ConnectorError(f"gcp {what}: malformed response (not a JSON object)")
    return resp


def _list_locations(c: Clients, project: str) -> list[dict[str, Any]]:
    ar = c.artifact_registry()

    def page(token: str) -> Any:
        return ar.list_locations(request={"name": f"projects/{project}", "page_token": token}, retry=None)

    return [_pb(p) for p in _gapic_pages(c, page, f"list locations projects/{project}")]


def _list_repositories(c: Clients, parent: str) -> list[dict[str, Any]]:
    ar = c.artifact_registry()

    def page(token: str) -> Any:
        return ar.list_repositories(request={"parent": parent, "page_token": token}, retry=None)

    return [_pb(p) for p in _gapic_pages(c, page, f"list repositories {parent}")]


def _repositories(s: _Scope, project: str, base: str, settings: Settings, own_policies: bool) -> int:
    """List the project's repositories (with their policies when ``own_policies``); return how many."""
    count = 0
    locations = list(settings.locations)
    if not locations:
        pages = s.optional("locations.list", partial(_list_locations, s.c, project))
        if pages is None:
            return count
        items = [loc for p in pages for loc in p.get("locations", [])]
        s.w.put_json(f"{base}/locations.json", {"locations": items})
        locations = [loc["locationId"] for loc in items]
    for loc in locations:
        parent = f"projects/{project}/locations/{loc}"
        pages = s.optional(f"repositories.list {loc}", partial(_list_repositories, s.c, parent))
        if pages is None:
            continue
        repos = [r for page in pages for r in page.get("repositories", [])]
        s.w.put_json(f"{ROOT}/{parent}/repositories.json", {"repositories": repos})
        count += len(repos)
        for repo in repos if own_policies else ():
            name = repo["name"]
            s.policy(f"{ROOT}/{name}/getIamPolicy.json", f"getIamPolicy {name}", partial(_policy, s.c, name))
    return count


def _pools(s: _Scope, project: str, base: str) -> None:
    c = s.c
    pools_api = c.iam().projects().locations().workloadIdentityPools()
    parent = f"projects/{project}/locations/global"
    request = pools_api.list(parent=parent)
    key = "workloadIdentityPools"
    data = s.optional(f"{key}.list", partial(_rest_pages, c, pools_api, request, key, f"list pools {parent}"))
    if data is None:
        return
    rel = f"{base}/locations/global/workloadIdentityPools"
    s.w.put_json(f"{rel}.json", data)
    providers = pools_api.providers()
    for pool in data[key]:
        name = pool["name"]
        short = name.rsplit("/", 1)[-1]
        request = providers.list(parent=name)
        got = s.optional(
            f"providers.list {short}",
            partial(_rest_pages, c, providers, request, "workloadIdentityPoolProviders", f"list providers {name}"),
        )
        if got is not None:
            s.w.put_json(f"{rel}/{short}/providers.json", got)


def _search(c: Clients, scope: str, writer: BundleWriter) -> None:
    """``searchAllIamPolicies`` over one organization, folder or project, every page in one file, then
    the roles its bindings name. Any failure fails the scope: its policies were not assessed."""
    target = scope.removesuffix(assets.SCOPE_SUFFIX)
    what = f"{assets.METHOD} {target}"
    api = c.cloudasset().v1()

    def page(token: str | None) -> Any:
        args = {"pageToken": token} if token else {}
        return api.searchAllIamPolicies(
            scope=target, assetTypes=list(assets.ASSET_TYPES), pageSize=assets.PAGE_SIZE, **args
        )

    def next_page(_request: Any, resp: dict[str, Any]) -> Any:
        # Not searchAllIamPolicies_next: the discovery client refuses to re-page a URL that repeats a
        # query parameter (assetTypes), so each page is a new request with the token.
        return page(resp["nextPageToken"]) if resp.get("nextPageToken") else None

    check = partial(assets.check_page, what=f"gcp {what}")
    try:
        data = _rest_pages(c, api, page(None), "results", what, next_page=next_page, check=check)
    except AuthError as e:
        hint = f'needs cloudasset.assets.searchAllIamPolicies on {target}, or set iam_source = "get-iam-policy"'
        raise AuthError(f"{e}; {hint}") from e
    writer.put_json(f"{ROOT}/{target}/{assets.FILE}", data)
    writer.record(PROVIDER, scope, assets.METHOD)
    s = _Scope(c, scope, writer)
    s.roles |= {b["role"] for r in data["results"] for b in r.get("policy", {}).get("bindings", [])}
    s.fetch_roles()


def collect(settings: Settings, scope: str, writer: BundleWriter, sleep: Callable[[float], None] | None = None) -> None:
    """Collect one scope into the bundle: waits through ``sleep`` (default: the run's sleeper), every
    request counted in the run's tally."""
    c = Clients.create(settings, sleep or writer.session.sleep, writer.session.count)
    if scope.endswith(assets.SCOPE_SUFFIX):
        _search(c, scope, writer)
    elif scope.startswith("projects/"):
        _project(c, scope, settings, writer)
    elif scope.startswith(("folders/", "organizations/")):
        _container(c, scope, writer)
    else:
        raise ConnectorError(f"gcp: unknown scope {scope!r}")
