"""Live collection from the GitLab REST API v4 (gitlab.com or self-managed) into the files
:mod:`connectors.gitlab.load` reads. Pages (``Link`` or ``x-next-page``), retries, records each call.

GitLab returns CI/CD variable values: each ``value`` is replaced by its keyed fingerprint before the
answer is written, so no value reaches the bundle. ``.gitlab-ci.yml`` passes through
:func:`connectors.github.plaintext.redact`, and an answer in which that finds credential material is
never kept in the HTTP cache.
"""

from __future__ import annotations

import fnmatch
import os
import re
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx

from connectors._http import NotFoundError, RestClient, link_next
from connectors.github.plaintext import carries_credential
from connectors.gitlab.collect_files import collect_pipeline
from connectors.gitlab.load import CI_PATH, INSTANCE_VARIABLES, ROOT
from connectors.gitlab.refs import ProjectFacts
from connectors.gitlab.settings import Settings as Settings  # re-exported: callers name fetch.Settings
from scanner.bundle import BundleWriter
from scanner.bundle_writer import fits_in_path
from scanner.collect_session import CollectSession
from scanner.errors import ConfigError, ConnectorError
from scanner.fingerprint import fingerprint

PROVIDER = "gitlab"


def client(
    settings: Settings,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    session: CollectSession | None = None,
) -> RestClient:
    """A REST client for ``{base_url}/api/v4``; the token is read from the environment here."""
    token = os.environ.get(settings.token_env)
    if not token:
        raise ConfigError(f"sources.gitlab: environment variable {settings.token_env} is not set")
    return RestClient(
        provider=PROVIDER,
        base_url=settings.base_url.rstrip("/") + "/api/v4",
        headers={"PRIVATE-TOKEN": token, "Accept": "application/json"},
        max_retries=settings.max_retries,
        max_wait=settings.max_wait,
        sleep=sleep,
        clock=clock,
        session=session,
        carries_secret=carries_credential,
    )


def scopes(settings: Settings) -> list[str]:
    """One scope per top-level group (its subgroups and projects included)."""
    return list(settings.groups)


def next_page(resp: httpx.Response, body: Any) -> str | None:
    """GitLab's ``Link`` header, else ``x-next-page`` (keyset and offset paging)."""
    nxt = link_next(resp, body)
    if nxt:
        return nxt
    page = resp.headers.get("x-next-page", "").strip()
    if not page:
        return None
    return str(resp.request.url.copy_merge_params({"page": page}))


#: Fields of a listed project the collection reads, besides its path: each a string when present.
_PROJECT_TEXT = ("web_url", "container_registry_image_prefix", "ci_config_path", "default_branch")


def _path(value: Any) -> bool:
    """A namespace path that can name bundle folders as it is."""
    return isinstance(value, str) and fits_in_path(value, nested=True)


def _project_entry(p: Any) -> bool:
    """A project of a group's list as the collection reads it."""
    return (
        isinstance(p, dict)
        and _path(p.get("path_with_namespace"))
        and all(isinstance(p.get(k), str | None) for k in _PROJECT_TEXT)
    )


def _group_entry(g: Any) -> bool:
    """A descendant group as the collection reads it: its full path."""
    return isinstance(g, dict) and _path(g.get("full_path"))


def _without_values(items: list[Any]) -> list[Any]:
    out = []
    for v in items:
        if isinstance(v, dict):
            value = v.get("value")
            v = {k: x for k, x in v.items() if k != "value"}
            if isinstance(value, str) and value:
                v["value_fingerprint"] = fingerprint(value)
        out.append(v)
    return out


class Fetcher:
    """Collects one top-level group."""

    def __init__(self, rc: RestClient, settings: Settings, scope: str, writer: BundleWriter) -> None:
        self.rc, self.settings, self.scope, self.w = rc, settings, scope, writer

    def _list(self, api: str, **params: str) -> list[Any]:
        items: list[Any] = []
        for page in self.rc.pages(api, {"per_page": 100, **params}, next_url=next_page):
            if not isinstance(page, list):
                raise ConnectorError(f"gitlab GET {api}: expected a list page")
            items += page
        return items

    def _entries(self, api: str, ok: Callable[[Any], bool], what: str, **params: str) -> list[Any]:
        """A paged list whose every item passes ``ok``; one that does not fails the call."""
        items = self._list(api, **params)
        if not all(ok(i) for i in items):
            raise ConnectorError(f"gitlab GET {api}: an entry that is not {what}")
        return items

    def list_all(self, api: str, **params: str) -> list[Any]:
        """Every item of a paged list."""
        return self._list(api, **params)

    def record_failure(self, call: str, detail: str) -> None:
        """A call that failed without a file of its own."""
        self.w.record(PROVIDER, self.scope, f"GET {call}", "failed", detail)

    def save(self, call: str, bundle: str, get: Callable[[], Any]) -> Any | None:
        """Fetch, write to the bundle, record the call."""
        return self._save(call, bundle, get)

    def _save(self, call: str, bundle: str, get: Callable[[], Any]) -> Any | None:
        try:
            data = get()
        except NotFoundError:
            self.w.record(PROVIDER, self.scope, f"GET {call}", "not_found")
            return None
        except ConnectorError as e:
            self.w.record(PROVIDER, self.scope, f"GET {call}", "failed", str(e))
            return None
        if isinstance(data, str):
            self.w.put_text(bundle, data)
        else:
            self.w.put_json(bundle, data)
        self.w.record(PROVIDER, self.scope, f"GET {call}")
        return data

    def _scope_files(self, kind: str, path: str) -> None:
        api = f"/{kind}/{quote(path, safe='')}"
        base = f"{ROOT}/{kind}/{path}"
        self._save(
            f"{api}/variables", f"{base}/variables.json", lambda: _without_values(self._list(f"{api}/variables"))
        )
        # members: who owns the group's or project's nodes (Maintainer or more; docs/owners.md)
        for name in ("deploy_tokens", "access_tokens", "members"):
            self._save(f"{api}/{name}", f"{base}/{name}.json", partial(self._list, f"{api}/{name}"))

    def group(self, group: str) -> None:
        """The group, its subgroups' variables and tokens, and every project under it."""
        api = f"/groups/{quote(group, safe='')}"
        self.w.put_json(f"{ROOT}/groups/{group}.json", self.rc.get_json(api))
        self.w.record(PROVIDER, self.scope, f"GET {api}")
        projects = self._save(
            f"{api}/projects",
            f"{ROOT}/groups/{group}/projects.json",
            lambda: self._entries(
                f"{api}/projects", _project_entry, "a project with a path_with_namespace", include_subgroups="true"
            ),
        )
        self._scope_files("groups", group)
        for sub in (
            self._save(
                f"{api}/descendant_groups",
                f"{ROOT}/groups/{group}/descendant_groups.json",
                partial(self._entries, f"{api}/descendant_groups", _group_entry, "a group with a full_path"),
            )
            or []
        ):
            self._scope_files("groups", sub["full_path"])
        for p in projects or []:
            if self.wanted(p):
                self.project(p)
        if self.settings.instance_variables:
            self._save(
                "/admin/ci/variables",
                INSTANCE_VARIABLES,
                lambda: _without_values(self._list("/admin/ci/variables")),
            )

    def wanted(self, p: dict[str, Any]) -> bool:
        """Whether a project of the group's list is collected."""
        if p.get("archived") and not self.settings.include_archived:
            return False
        pats = self.settings.projects
        return not pats or any(fnmatch.fnmatchcase(p["path_with_namespace"], x) for x in pats)

    def project(self, p: dict[str, Any]) -> None:
        """A project's variables, tokens, protected environments, branches and tags, job token scope, and
        its pipeline: the CI file and every file it includes."""
        path = p["path_with_namespace"]
        api = f"/projects/{quote(path, safe='')}"
        base = f"{ROOT}/projects/{path}"
        self._scope_files("projects", path)
        for name in ("protected_environments", "protected_branches", "protected_tags"):
            self._save(f"{api}/{name}", f"{base}/{name}.json", partial(self._list, f"{api}/{name}"))
        self._save(
            f"{api}/job_token_scope",
            f"{base}/job_token_scope.json",
            partial(self.rc.get_json, f"{api}/job_token_scope"),
        )
        for name in ("allowlist", "groups_allowlist"):
            call = f"{api}/job_token_scope/{name}"
            self._save(call, f"{base}/job_token_scope/{name}.json", partial(self._list, call))
        facts = ProjectFacts(
            path=path,
            server=host_of(p.get("web_url") or self.settings.base_url),
            registry=host_of(p.get("container_registry_image_prefix") or "") or "registry.gitlab.com",
            project_id=str(p.get("id", "*")),
            default_branch=p.get("default_branch") or None,
        )
        collect_pipeline(self, facts, (p.get("ci_config_path") or CI_PATH).lstrip("/"))


def host_of(url: str) -> str:
    """The host of a URL (``https://gitlab.example.com/x`` → ``gitlab.example.com``)."""
    return re.sub(r"^[a-z]+://", "", url.strip().lower()).split("/", 1)[0]


def fetch_group(rc: RestClient, settings: Settings, group: str, writer: BundleWriter) -> None:
    """Collect one top-level group with an existing client."""
    Fetcher(rc, settings, group, writer).group(group)


def collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    """Collect one group into the bundle."""
    rc = client(settings, session=writer.session)
    try:
        fetch_group(rc, settings, scope, writer)
    finally:
        rc.close()
