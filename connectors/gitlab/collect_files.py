"""Collect a project's pipeline files the way GitLab reads them: its CI file, then everything it includes.

The includes are followed by the same :class:`~connectors.gitlab.includes.Assembler` the analysis uses,
over a :class:`~connectors.gitlab.includes.FileSource` that fetches each file on first use, so the bundle
holds exactly the files the analysis will look for: ``local:`` files at the pipeline's ref
(``repository/files/…``), ``project:`` files and components at their ref (``-/raw/{ref}/…``, a ``/`` in
the ref written ``%2F``; ``~latest`` and partial versions of a component resolved through the project's
releases), and GitLab's templates (``templates/gitlab_ci_ymls/…``). Every file passes through
:func:`connectors.github.plaintext.redact` before it is written. A remote URL is not fetched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

import yaml

from connectors._http import RestClient
from connectors.github.plaintext import redact
from connectors.gitlab.ciyaml import load_documents
from connectors.gitlab.includes import Assembler, CiSource
from connectors.gitlab.load import FILES, RAW, ROOT, TEMPLATES
from connectors.gitlab.refs import ProjectFacts
from scanner.errors import ConnectorError

_PARTIAL_VERSION = re.compile(r"\d+(?:\.\d+)?")


class Collector(Protocol):
    """What the files need from the group's collector (:class:`connectors.gitlab.fetch.Fetcher`)."""

    @property
    def rc(self) -> RestClient: ...

    def save(self, call: str, bundle: str, get: Callable[[], Any]) -> Any | None:
        """Fetch, write to the bundle and record the call (None: not found or failed, as recorded)."""
        ...

    def list_all(self, api: str, **params: str) -> list[Any]:
        """Every item of a paged list (raises ConnectorError)."""
        ...

    def record_failure(self, call: str, detail: str) -> None:
        """Record a call that failed without a bundle file of its own."""
        ...


def _source(bundle: str, path: str, text: str) -> CiSource:
    try:
        return CiSource(bundle, path, tuple(load_documents(text)))
    except (yaml.YAMLError, ValueError, RecursionError) as e:
        return CiSource(bundle, path, problem=" ".join(str(e).split())[:200])


def _content(api: str, answer: Any) -> str:
    """A template answer's ``content``; an answer without it is a failed call."""
    content = answer.get("content") if isinstance(answer, dict) else None
    if not isinstance(content, str):
        raise ConnectorError(f"gitlab GET {api}: expected an object with a 'content' string")
    return content


class LiveFiles:
    """A FileSource that fetches each pipeline file once, writes it to the bundle and returns it parsed."""

    def __init__(self, c: Collector, project: str, default_branch: str | None) -> None:
        self.c = c
        self.project = project
        self.default_branch = default_branch
        self._files: dict[tuple[str, str | None, str], CiSource | None] = {}
        self._trees: dict[tuple[str, str | None], list[str]] = {}
        self._refs: dict[tuple[str, str], str] = {}

    def _ref(self, project: str, ref: str | None) -> str:
        if ref is None:
            return (self.default_branch if project == self.project else None) or "HEAD"
        if ref != "~latest" and not _PARTIAL_VERSION.fullmatch(ref):
            return ref
        key = (project, ref)
        if key not in self._refs:
            self._refs[key] = self._release(project, ref) or ref
        return self._refs[key]

    def _release(self, project: str, version: str) -> str | None:
        """The newest release tag that ``~latest`` or a partial version (``1``, ``1.2``) names."""
        api = f"/projects/{quote(project, safe='')}/releases"
        try:
            releases = self.c.list_all(api)
        except ConnectorError as e:
            self.c.record_failure(api, str(e))  # the version stays as written: its files are then not found
            return None
        for r in releases:
            tag = str(r.get("tag_name", "")) if isinstance(r, dict) else ""
            if version == "~latest" or tag.lstrip("v") == version or tag.lstrip("v").startswith(version + "."):
                return tag
        return None

    def file(self, project: str, ref: str | None, path: str) -> CiSource | None:
        """The file, fetched on first use (None: not found or the call failed, as the manifest records)."""
        key = (project, ref, path)
        if key in self._files:
            return self._files[key]
        actual = self._ref(project, ref)
        api = f"/projects/{quote(project, safe='')}/repository/files/{quote(path, safe='')}/raw"
        where = f"{FILES}/{path}" if ref is None else f"{RAW}/{quote(ref, safe='~')}/{path}"
        bundle = f"{ROOT}/projects/{project}/{where}"
        text = self.c.save(f"{api}?ref={actual}", bundle, lambda: redact(self.c.rc.get(api, {"ref": actual}).text))
        found = _source(bundle, path, text) if isinstance(text, str) else None
        self._files[key] = found
        return found

    def paths(self, project: str, ref: str | None) -> list[str]:
        """Every file of the project at ``ref`` (the repository tree), for wildcard ``local:`` includes."""
        key = (project, ref)
        if key not in self._trees:
            api = f"/projects/{quote(project, safe='')}/repository/tree"
            try:
                items = self.c.list_all(api, recursive="true", ref=self._ref(project, ref))
            except ConnectorError as e:
                self.c.record_failure(api, str(e))  # a wildcard include then matches nothing: a gap at analysis
                items = []
            self._trees[key] = [str(i["path"]) for i in items if isinstance(i, dict) and i.get("type") == "blob"]
        return self._trees[key]

    def template(self, name: str) -> CiSource | None:
        """A GitLab template (``GET /templates/gitlab_ci_ymls/:key``, its ``content``)."""
        key = ("template:", None, name)
        if key in self._files:
            return self._files[key]
        api = f"/templates/gitlab_ci_ymls/{quote(name.removesuffix('.gitlab-ci.yml'), safe='')}"
        bundle = f"{TEMPLATES}/{name}"
        text = self.c.save(api, bundle, lambda: redact(_content(api, self.c.rc.get_json(api))))
        found = _source(bundle, name, text) if isinstance(text, str) else None
        self._files[key] = found
        return found


def collect_pipeline(c: Collector, facts: ProjectFacts, ci_path: str) -> None:
    """Fetch ``ci_path`` of the project and every file its includes reach."""
    files = LiveFiles(c, facts.path, facts.default_branch)
    root = files.file(facts.path, None, ci_path)
    if root is not None:
        Assembler(files, facts, facts.path, facts.server).assemble(root)
