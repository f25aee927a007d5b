"""Live collection from the GitHub REST API (github.com or GitHub Enterprise Server) into the bundle
files :mod:`connectors.github.load` reads. Pages, retries, records each call; nothing else.

One scope per organization. A call refused on one repository (403) or answered 404 (no Actions,
no environments) is recorded in the manifest and the rest is collected. Workflow files pass
through :func:`connectors.github.plaintext.redact` first: a committed credential is never written.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

from connectors._http import NotFoundError, RestClient, link_next
from connectors.github.composite import local_key, remote_key
from connectors.github.graphql import Folder, workflow_folders
from connectors.github.load import ACTION_REFS, OIDC_SUB, ROOT, SBOM, WORKFLOWS_DIR
from connectors.github.owners import CODEOWNERS_PATHS
from connectors.github.plaintext import carries_credential, redact
from connectors.github.raw import SECRET_NAME
from connectors.github.settings import Settings as Settings  # re-exported: callers name fetch.Settings
from scanner.bundle import BundleWriter
from scanner.bundle_writer import fits_in_path
from scanner.errors import ConfigError, ConnectorError

log = logging.getLogger("regwarden")

PROVIDER = "github"
#: The manifest detail of a call answered by the GraphQL bulk query rather than its REST path.
VIA_GRAPHQL = "answered by the GraphQL bulk query"
API_VERSION = "2022-11-28"
#: ``uses:`` values of a workflow or an action.yml (steps and reusable-workflow calls).
_USES = re.compile(r"""^\s*(?:-\s*)?uses:\s*['"]?([^'"\s#]+)""", re.MULTILINE)
#: How deep composite actions are followed (GitHub allows 10 levels).
_MAX_ACTION_DEPTH = 10


def client(settings: Settings, accept: str = "application/vnd.github+json", **kw: Any) -> RestClient:
    """A REST client; the token is read from the environment here and never stored elsewhere."""
    token = os.environ.get(settings.token_env)
    if not token:
        raise ConfigError(f"sources.github: environment variable {settings.token_env} is not set")
    return RestClient(
        provider=PROVIDER,
        base_url=settings.base_url,
        headers={"Authorization": f"Bearer {token}", "Accept": accept, "X-GitHub-Api-Version": API_VERSION},
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        **kw,
    )


def raw_client(settings: Settings, **kw: Any) -> RestClient:
    """The client for files as committed; a file holding credential material is never cached."""
    return client(settings, accept="application/vnd.github.raw", carries_secret=carries_credential, **kw)


def scopes(settings: Settings) -> list[str]:
    """One scope per organization."""
    return list(settings.orgs)


def _total(page: dict[str, Any], path: str, counted: int) -> int:
    """A page's ``total_count`` (absent: the items counted so far); anything but an integer is an answer of
    the wrong shape."""
    total = page.get("total_count", counted)
    if isinstance(total, bool) or not isinstance(total, int):
        raise ConnectorError(f"github GET {path}: 'total_count' is not an integer")
    return total


def _is_repo(r: Any) -> bool:
    """A repository of the organization's list as the collection reads it: its name and its owner's login."""
    if not isinstance(r, dict) or not isinstance(r.get("name"), str):
        return False
    owner = r.get("owner")
    return isinstance(owner, dict) and isinstance(owner.get("login"), str)


def _secret_name(name: str) -> bool:
    """GitHub's rule for secret names (the name goes into a URL and a bundle path unquoted)."""
    return re.fullmatch(SECRET_NAME, name) is not None


def version(repo: dict[str, Any]) -> str:
    """What stands for a repository's files in the HTTP cache's absence markers: its last push (any
    branch) and default branch, from the organization's repository list; "" (no marker) without them."""
    pushed, branch = repo.get("pushed_at"), repo.get("default_branch")
    return f"{pushed}|{branch}" if isinstance(pushed, str) and pushed and isinstance(branch, str) else ""


class Fetcher:
    """Collects one organization with a JSON client and a raw-content client."""

    def __init__(self, rc: RestClient, raw: RestClient, settings: Settings, scope: str, writer: BundleWriter) -> None:
        self.rc, self.raw, self.settings, self.scope, self.w = rc, raw, settings, scope, writer
        self._actions_seen: set[str] = set()  # action folders already fetched (or tried) in this scope
        self._bulk: dict[tuple[str, str], Folder] = {}  # workflow folders read by the GraphQL bulk path
        self._versions: dict[tuple[str, str], str] = {}  # each repository's last push (see version())

    # -- paging helpers -------------------------------------------------------------------------

    def _list(self, path: str) -> list[Any]:
        items: list[Any] = []
        for page in self.rc.pages(path, {"per_page": 100}, next_url=link_next):
            if not isinstance(page, list):
                raise ConnectorError(f"github GET {path}: expected a list page")
            items += page
        return items

    def _wrapped(self, path: str, key: str, named: Callable[[str], bool] | None = None) -> dict[str, Any]:
        """Every item of a list wrapped in an object with a ``total_count``; with ``named``, each item must be
        an object whose ``name`` passes it (the name goes into a URL or a bundle path)."""
        items: list[Any] = []
        total = 0
        for page in self.rc.pages(path, {"per_page": 100}, next_url=link_next):
            if not isinstance(page, dict) or not isinstance(page.get(key), list):
                raise ConnectorError(f"github GET {path}: expected an object with a {key!r} list")
            items += page[key]
            total = _total(page, path, len(items))
        if named is not None:
            for item in items:
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(name, str) or not named(name):
                    raise ConnectorError(f"github GET {path}: an entry of {key!r} without a usable 'name'")
        return {"total_count": max(total, len(items)), key: items}

    def _repos(self, path: str) -> list[Any]:
        """The organization's repositories; an entry without a name or an owner's login fails the call."""
        repos = self._list(path)
        if not all(_is_repo(r) for r in repos):
            raise ConnectorError(f"github GET {path}: an entry without a 'name' or an 'owner.login'")
        return repos

    def _save(self, path: str, get: Callable[[], Any], bundle: str | None = None) -> Any | None:
        """Fetch and store ``GET path``; 404 is recorded ``not_found``, a refused or broken call
        ``failed`` (a coverage gap), and the rest of the organization is still collected."""
        call = f"GET {path}"
        try:
            data = get()
        except NotFoundError:
            self.w.record(PROVIDER, self.scope, call, "not_found")
            return None
        except ConnectorError as e:
            self.w.record(PROVIDER, self.scope, call, "failed", str(e))
            return None
        self.w.put_json(f"{ROOT}{bundle or path}.json", data)
        self.w.record(PROVIDER, self.scope, call)
        return data

    # -- organization ---------------------------------------------------------------------------

    def org(self, org: str) -> None:
        """Everything of one organization; the organization itself must be readable."""
        path = f"/orgs/{org}"
        self.w.put_json(f"{ROOT}{path}.json", self.rc.get_json(path))
        self.w.record(PROVIDER, self.scope, f"GET {path}")
        repos = self._save(f"{path}/repos", lambda: self._repos(f"{path}/repos")) or []
        secrets = self._save(
            f"{path}/actions/secrets",
            lambda: self._wrapped(f"{path}/actions/secrets", "secrets", _secret_name),
        )
        for s in (secrets or {}).get("secrets", []):
            if s.get("visibility") == "selected":
                sp = f"{path}/actions/secrets/{s['name']}/repositories"
                self._save(sp, partial(self._wrapped, sp, "repositories"))
        self._save(f"{path}/personal-access-tokens", lambda: self._list(f"{path}/personal-access-tokens"))
        self._save(f"{path}/installations", lambda: self._wrapped(f"{path}/installations", "installations"))
        sub = f"{path}/{OIDC_SUB.removesuffix('.json')}"
        self._save(sub, lambda: self.rc.get_json(sub))
        wanted = [(r["owner"]["login"], r["name"]) for r in repos if self.wanted(r)]
        self._versions = {(r["owner"]["login"], r["name"]): version(r) for r in repos if self.wanted(r)}
        if self.settings.files_via == "graphql" and wanted:
            try:
                self._bulk = workflow_folders(self.rc, self.settings.base_url, wanted)
            except ConnectorError as e:  # not a gap: every repository is then read over REST
                log.warning("github %s: GraphQL bulk query failed, reading workflows over REST: %s", org, e)
        for owner, name in wanted:
            self.repo(owner, name)

    def wanted(self, repo: dict[str, Any]) -> bool:
        """Whether a repository of the organization's list is collected."""
        if repo.get("archived") and not self.settings.include_archived:
            return False
        pats = self.settings.repos
        return not pats or any(fnmatch.fnmatchcase(repo["name"].lower(), p.lower()) for p in pats)

    # -- repository -----------------------------------------------------------------------------

    def repo(self, owner: str, name: str) -> None:
        """The files of one repository."""
        base = f"/repos/{owner}/{name}"
        self._save(f"{base}/actions/secrets", lambda: self._wrapped(f"{base}/actions/secrets", "secrets"))
        self._save(
            f"{base}/actions/permissions/workflow", lambda: self.rc.get_json(f"{base}/actions/permissions/workflow")
        )
        envs = self._save(  # an environment's name may hold "/": nested folders in the bundle
            f"{base}/environments",
            lambda: self._wrapped(f"{base}/environments", "environments", partial(fits_in_path, nested=True)),
        )
        for env in (envs or {}).get("environments", []):
            # The URL is percent-encoded; the bundle folder is the environment's plain name.
            ep = f"{base}/environments/{quote(env['name'], safe='')}/secrets"
            self._save(ep, partial(self._wrapped, ep, "secrets"), f"{base}/environments/{env['name']}/secrets")
        self._save(f"{base}/keys", lambda: self._list(f"{base}/keys"))
        sub = f"{base}/{OIDC_SUB.removesuffix('.json')}"
        self._save(sub, lambda: self.rc.get_json(sub))
        # What the repository pulls (consumes edges); 404 when the dependency graph is off: an answer.
        sbom = f"{base}/{SBOM.removesuffix('.json')}"
        self._save(sbom, lambda: self.rc.get_json(sbom))
        # Tags a published release should match (a release with no tag was not built from this code).
        self._save(f"{base}/tags", lambda: self._list(f"{base}/tags"))
        # Who owns what the repository holds (docs/owners.md): its teams and its CODEOWNERS file.
        self._save(f"{base}/teams", lambda: self._list(f"{base}/teams"))
        self.codeowners(base)
        self.runs(base)
        self.workflows(base)

    def codeowners(self, base: str) -> None:
        """The CODEOWNERS file, from the first place GitHub looks that has one (404 everywhere: none)."""
        owner, _, name = base.removeprefix("/repos/").partition("/")
        folder = self._bulk.get((owner, name))
        if folder is not None and folder.codeowners is not None:
            for path in CODEOWNERS_PATHS:  # recorded as the REST path would have asked
                call, text = f"{base}/contents/{path}", folder.codeowners[path]
                if text is None:
                    self.w.record(PROVIDER, self.scope, f"GET {call}", "not_found", VIA_GRAPHQL)
                    continue
                self.w.put_text(f"{ROOT}{call}", text)
                self.w.record(PROVIDER, self.scope, f"GET {call}", "ok", VIA_GRAPHQL)
                return
            return
        # Most repositories have no CODEOWNERS: three 404s each, which GitHub counts and which carry no
        # validator to revalidate. Absent at the same last push, a file is absent still (no call).
        at = self._versions.get((owner, name), "")
        for path in CODEOWNERS_PATHS:
            call = f"{base}/contents/{path}"
            if self.raw.known_absent(call, at):
                self.w.record(PROVIDER, self.scope, f"GET {call}", "not_found")
                continue
            try:
                text = self.raw.get(call).text
            except NotFoundError:
                self.raw.remember_absent(call, at)
                self.w.record(PROVIDER, self.scope, f"GET {call}", "not_found")
                continue
            except ConnectorError as e:
                self.w.record(PROVIDER, self.scope, f"GET {call}", "failed", str(e))
                return
            self.w.put_text(f"{ROOT}{call}", text)
            self.w.record(PROVIDER, self.scope, f"GET {call}")
            return

    def runs(self, base: str) -> None:
        """Workflow runs created in the last ``runs_days`` days; the window is in the manifest's call name."""
        since = (datetime.now(UTC) - timedelta(days=self.settings.runs_days)).date().isoformat()
        path = f"{base}/actions/runs"

        def get() -> dict[str, Any]:
            items: list[Any] = []
            total = 0
            params: dict[str, str | int] = {"per_page": 100, "created": f">={since}"}
            for page in self.rc.pages(path, params, next_url=link_next):
                if not isinstance(page, dict) or not isinstance(page.get("workflow_runs"), list):
                    raise ConnectorError(f"github GET {path}: expected an object with a 'workflow_runs' list")
                items += page["workflow_runs"]
                total = _total(page, path, len(items))
            return {"total_count": max(total, len(items)), "workflow_runs": items}

        self._save(f"{path}?created=>={since}", get, path)

    def workflows(self, base: str) -> None:
        """The workflow files of the default branch, as committed (credentials redacted)."""
        listing = f"{base}/contents/{WORKFLOWS_DIR}"
        call = f"GET {listing}"
        owner, _, name = base.removeprefix("/repos/").partition("/")
        folder = self._bulk.get((owner, name))
        if folder is not None:
            if folder.files is None:
                self.w.record(PROVIDER, self.scope, call, "not_found", VIA_GRAPHQL)
                return
            self.w.record(PROVIDER, self.scope, call, "ok", VIA_GRAPHQL)
            for name_ in sorted({*folder.files, *folder.rest}):
                self._workflow_file(base, listing, name_, folder.files.get(name_))
            return
        try:
            entries = self.rc.get_json(listing)
        except NotFoundError:
            self.w.record(PROVIDER, self.scope, call, "not_found")  # no workflows: an answer
            return
        except ConnectorError as e:
            self.w.record(PROVIDER, self.scope, call, "failed", str(e))
            return
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.w.record(PROVIDER, self.scope, call, "failed", "not a directory listing")
            return
        self.w.record(PROVIDER, self.scope, call)
        for entry in entries:
            fname = entry.get("name")
            if entry.get("type") == "file" and isinstance(fname, str):
                self._workflow_file(base, listing, fname)

    def _workflow_file(self, base: str, listing: str, fname: str, text: str | None = None) -> None:
        """Store one workflow file (``text`` given: read by the bulk query; else fetched over REST)."""
        if not fname.endswith((".yml", ".yaml")) or "/" in fname or fname in (".", ".."):
            return
        path = f"{listing}/{quote(fname)}"
        detail = VIA_GRAPHQL if text is not None else ""
        if text is None:
            try:
                text = self.raw.get(path).text
            except NotFoundError:
                self.w.record(PROVIDER, self.scope, f"GET {path}", "not_found")
                return
            except ConnectorError as e:
                self.w.record(PROVIDER, self.scope, f"GET {path}", "failed", str(e))
                return
        self.w.put_text(f"{ROOT}{base}/contents/{WORKFLOWS_DIR}/{fname}", redact(text))
        self.w.record(PROVIDER, self.scope, f"GET {path}", "ok", detail)
        self.actions(base, text, 0)

    def actions(self, base: str, text: str, depth: int) -> None:
        """The ``action.yml`` of every composite action a workflow (or action) runs: the repository's own
        (``./path``, ``$/path``, at the default branch like its workflows) and the organization's (at the
        ref the step names). Their steps run in the job: without them the job's publishing and its
        outsiders' ways in are invisible."""
        if depth >= _MAX_ACTION_DEPTH:
            return
        owner, _, _ = base.removeprefix("/repos/").partition("/")
        for uses in dict.fromkeys(_USES.findall(text)):
            if uses.endswith((".yml", ".yaml")) and "/.github/workflows/" in f"/{uses}":
                continue  # a reusable workflow: local ones are collected with the workflows
            key = local_key(uses)
            if key is not None:
                self._action(f"{base}/contents/{key}" if key else f"{base}/contents", None, base, depth)
                continue
            rk = remote_key(uses)
            if rk is None or rk[0].split("/", 1)[0] != owner.lower():
                continue  # third parties' actions are judged by their pin, not read
            repo, path, ref = rk
            folder = f"{ACTION_REFS}/{repo}/{ref.replace('/', '%2F')}" + (f"/{path}" if path else "")
            contents = f"/repos/{repo}/contents" + (f"/{path}" if path else "")
            self._action(contents, (ref, folder), f"/repos/{repo}", depth)

    def _action(self, contents: str, at: tuple[str, str] | None, base: str, depth: int) -> None:
        """Fetch ``action.yml`` (else ``action.yaml``) under ``contents``; ``at`` = (ref, bundle folder)."""
        seen = f"{contents}@{at[0] if at else ''}"
        if seen in self._actions_seen:
            return
        self._actions_seen.add(seen)
        for name in ("action.yml", "action.yaml"):
            path = f"{contents}/{name}"
            bundle = f"{at[1]}/{name}" if at else f"{ROOT}{path}"
            call = f"GET {path}" + (f"?ref={at[0]}" if at else "")
            try:
                text = self.raw.get(path, {"ref": at[0]} if at else None).text
            except NotFoundError:
                self.w.record(PROVIDER, self.scope, call, "not_found")
                continue
            except ConnectorError as e:
                self.w.record(PROVIDER, self.scope, call, "failed", str(e))
                return
            self.w.put_text(bundle, redact(text))
            self.w.record(PROVIDER, self.scope, call)
            self.actions(base, text, depth + 1)
            return


def fetch_org(rc: RestClient, raw: RestClient, settings: Settings, org: str, writer: BundleWriter) -> None:
    """Collect one organization with existing clients (tests pass clients whose ``sleep`` records)."""
    Fetcher(rc, raw, settings, org, writer).org(org)


def collect(settings: Settings, scope: str, writer: BundleWriter, sleep: Callable[[float], None] = time.sleep) -> None:
    """Collect one organization into the bundle."""
    rc = client(settings, sleep=sleep, session=writer.session)
    raw = raw_client(settings, sleep=sleep, session=writer.session)
    try:
        fetch_org(rc, raw, settings, scope, writer)
    finally:
        rc.close()
        raw.close()
