"""``include:`` as GitLab follows it: each included file (with its own includes, its component inputs
interpolated) deep-merged in order under the including file. Pure: files come from a :class:`FileSource`.

A ``local:`` include is a file of the project that holds the including file, at the same ref (the
pipeline's ref for the project's own files; the included ref inside a ``project:`` include or a
component). ``project:`` names another project's files at ``ref:`` (its default branch without one),
``component:`` a CI/CD component (``host/group/project/name@version`` → ``templates/name.yml`` or
``templates/name/template.yml`` of that project at that version), ``template:`` one of GitLab's own
templates, ``remote:`` a URL. A file regwarden has not collected is reported as missing; the rest of
the pipeline is still assembled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from connectors.github.plaintext import Hit
from connectors.gitlab.ciyaml import CiFileError, line_of, split_documents
from connectors.gitlab.merge import deep_merge, input_values, interpolate

IncludeKind = Literal["local", "project", "component", "template", "remote"]
#: GitLab's limits: 150 included files per pipeline, nested at most 100 deep.
MAX_INCLUDES = 150
MAX_DEPTH = 100
_SHA = re.compile(r"[0-9a-f]{40}")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


@dataclass(frozen=True)
class CiSource:
    """One collected pipeline file: its bundle path, its path where it lives, and its YAML documents
    (``problem`` says why it could not be read)."""

    file: str
    path: str
    documents: tuple[Any, ...] = ()
    problem: str | None = None
    hits: tuple[Hit, ...] = ()  # credentials committed in it (fingerprints only)


class FileSource(Protocol):
    """Where included files are read from (the bundle, loaded)."""

    def file(self, project: str, ref: str | None, path: str) -> CiSource | None:
        """A file of ``project`` at ``ref`` (None: the pipeline's ref), or None when not collected."""
        ...

    def paths(self, project: str, ref: str | None) -> list[str]:
        """Every collected file path of ``project`` at ``ref`` (for wildcard ``local:`` includes)."""
        ...

    def template(self, name: str) -> CiSource | None:
        """One of GitLab's CI templates by name (``Jobs/Build.gitlab-ci.yml``), or None."""
        ...


@dataclass(frozen=True)
class IncludeUse:
    """An include of the pipeline whose code is not the project's own (a third party of its jobs)."""

    kind: IncludeKind
    ref: str  # "group/tpl:/release.yml@main", "gitlab.com/comp/x@1.0", "template:Jobs/Build.gitlab-ci.yml", a URL
    pinned: bool
    file: str  # the repository path of the file that includes it
    line: int | None


@dataclass
class Assembled:
    """A pipeline's configuration with every include merged, and what went into it."""

    config: dict[str, Any] = field(default_factory=dict)
    #: top-level key → (file path, line) of each file that wrote it, in merge order
    origins: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)
    includes: list[IncludeUse] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (bundle file, why it is not interpreted)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (what, why it is not known)
    files: list[str] = field(default_factory=list)  # bundle files read


@dataclass(frozen=True)
class _Where:
    project: str
    ref: str | None
    path: str  # repository path of the file (or "template:NAME", a URL)
    inputs: Mapping[str, Any] = field(default_factory=dict)


class Context(Protocol):
    """The predefined variables an include location may use (``$CI_PROJECT_PATH``...)."""

    def predefined(self, name: str) -> str | None:
        """The value of a predefined variable, or None when it is not one regwarden can know."""
        ...


def _items(raw: object) -> list[Any]:
    if raw is None:
        return []
    return raw if isinstance(raw, list) else [raw]


def _glob(pattern: str) -> re.Pattern[str]:
    # GitLab: `*` within a folder, `**` across folders (`configs/**.yml` includes subfolders).
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


class Assembler:
    """Follows the includes of one project's pipeline file."""

    def __init__(self, source: FileSource, context: Context, project: str, server: str) -> None:
        self.source = source
        self.context = context
        self.project = project
        self.server = server
        self.out = Assembled()
        self._count = 0

    def assemble(self, root: CiSource) -> Assembled:
        """The pipeline of ``root`` (the project's CI file) with everything it includes."""
        where = _Where(self.project, None, root.path)
        self.out.config = self._file(root, where, (), None) or {}
        return self.out

    # -- one file -----------------------------------------------------------------------------------

    def _file(self, src: CiSource, where: _Where, chain: tuple[str, ...], given: Mapping[str, Any] | None) -> Any:
        self.out.files.append(src.file)
        if src.problem is not None:
            self.out.problems.append((src.file, src.problem))
            return None
        try:
            doc = split_documents(list(src.documents))
        except CiFileError as e:
            self.out.problems.append((src.file, str(e)))
            return None
        config: dict[str, Any] = doc.config
        if doc.spec is not None or given:
            config = interpolate(config, input_values(doc.spec, given))
        merged: dict[str, Any] = {}
        for item in _items(config.get("include")):
            included = self._include(item, where, (*chain, src.file), src)
            if included is not None:
                merged = deep_merge(merged, included)
        own = {k: v for k, v in config.items() if k != "include"}
        for key in own:
            self.out.origins.setdefault(str(key), []).append((where.path, line_of(key)))
        return deep_merge(merged, own)

    def _expand(self, text: str, src: CiSource) -> str | None:
        """An include location with its predefined variables replaced; None when one is not known."""
        unknown: list[str] = []

        def sub(m: re.Match[str]) -> str:
            value = self.context.predefined(m.group(1))
            if value is None:
                unknown.append(m.group(1))
                return m.group(0)
            return value

        out = _VAR.sub(sub, text)
        if unknown:
            self.out.missing.append(
                (f"include {text} in {src.path}", f"names ${unknown[0]}, not known before run time")
            )
            return None
        return out

    def _include(self, item: object, where: _Where, chain: tuple[str, ...], src: CiSource) -> Any:
        line = line_of(item) if isinstance(item, str) else None
        if isinstance(item, str):
            item = {"remote": item} if item.startswith(("http://", "https://")) else {"local": item}
        if not isinstance(item, Mapping):
            self.out.problems.append((src.file, f"include: {item!r} is not a path or a mapping"))
            return None
        line = line or next((line_of(k) for k in item), None)
        if len(chain) > MAX_DEPTH:
            self.out.problems.append((src.file, f"include: nested more than {MAX_DEPTH} levels"))
            return None
        given = item.get("inputs") if isinstance(item.get("inputs"), Mapping) else None
        if "local" in item:
            return self._local(str(item["local"]), where, chain, src, given)
        if "project" in item:
            return self._project(item, where, chain, src, given, line)
        if "component" in item:
            return self._component(str(item["component"]), where, chain, src, given, line)
        if "template" in item:
            name = str(item["template"])
            self.out.includes.append(IncludeUse("template", f"template:{name}", False, where.path, line))
            found = self.source.template(name)
            if found is None:
                self.out.missing.append((f"template {name}", "not collected"))
                return None
            return self._follow(found, _Where(self.project, None, f"template:{name}"), chain, given)
        if "remote" in item:
            url = str(item["remote"])
            self.out.includes.append(IncludeUse("remote", url, False, where.path, line))
            self.out.missing.append((f"remote include {url}", "not collected (regwarden reads only GitLab's API)"))
            return None
        self.out.problems.append((src.file, f"include: unknown kind {sorted(map(str, item))}"))
        return None

    def _follow(self, found: CiSource, where: _Where, chain: tuple[str, ...], given: Mapping[str, Any] | None) -> Any:
        if found.file in chain:
            self.out.problems.append((found.file, "include: includes itself"))
            return None
        self._count += 1
        if self._count > MAX_INCLUDES:
            self.out.problems.append((found.file, f"include: more than {MAX_INCLUDES} files"))
            return None
        return self._file(found, where, chain, given)

    def _local(
        self, path: str, where: _Where, chain: tuple[str, ...], src: CiSource, given: Mapping[str, Any] | None
    ) -> Any:
        expanded = self._expand(path, src)
        if expanded is None:
            return None
        rel = expanded.lstrip("/")
        if "*" in rel:
            rx = _glob(rel)
            names = sorted(p for p in self.source.paths(where.project, where.ref) if rx.fullmatch(p))
        else:
            names = [rel]
        merged: dict[str, Any] = {}
        for name in names:
            found = self.source.file(where.project, where.ref, name)
            if found is None:
                at = f"@{where.ref}" if where.ref else ""
                self.out.missing.append((f"local include {name} of {where.project}{at}", "not collected"))
                continue
            got = self._follow(found, _Where(where.project, where.ref, name), chain, given)
            if isinstance(got, Mapping):
                merged = deep_merge(merged, got)
        return merged

    def _project(
        self,
        item: Mapping[str, Any],
        where: _Where,
        chain: tuple[str, ...],
        src: CiSource,
        given: Mapping[str, Any] | None,
        line: int | None,
    ) -> Any:
        project = self._expand(str(item["project"]), src)
        ref_raw = item.get("ref")
        ref = self._expand(str(ref_raw), src) if ref_raw is not None else None
        if project is None or (ref_raw is not None and ref is None):
            return None
        merged: dict[str, Any] = {}
        for f in _items(item.get("file")):
            path = self._expand(str(f), src)
            if path is None:
                continue
            path = path.lstrip("/")
            pinned = bool(ref and _SHA.fullmatch(ref))
            self.out.includes.append(
                IncludeUse("project", f"{project}:/{path}@{ref or 'HEAD'}", pinned, where.path, line)
            )
            found = self.source.file(project, ref, path)
            if found is None:
                self.out.missing.append((f"project include {project}:/{path}@{ref or 'HEAD'}", "not collected"))
                continue
            got = self._follow(found, _Where(project, ref, path), chain, given)
            if isinstance(got, Mapping):
                merged = deep_merge(merged, got)
        return merged

    def _component(
        self,
        address: str,
        where: _Where,
        chain: tuple[str, ...],
        src: CiSource,
        given: Mapping[str, Any] | None,
        line: int | None,
    ) -> Any:
        expanded = self._expand(address, src)
        if expanded is None:
            return None
        at, _, version = expanded.partition("@")
        self.out.includes.append(IncludeUse("component", expanded, bool(_SHA.fullmatch(version)), where.path, line))
        host, _, rest = at.partition("/")
        project, _, name = rest.rpartition("/")
        if host.lower() != self.server.lower():
            self.out.missing.append(
                (f"component {expanded}", f"on {host}, not on the collected instance {self.server}")
            )
            return None
        if not project or not name or not version:
            self.out.problems.append((src.file, f"include: component {expanded!r} is not host/project/name@version"))
            return None
        for path in (f"templates/{name}.yml", f"templates/{name}/template.yml"):
            found = self.source.file(project, version, path)
            if found is not None:
                return self._follow(found, _Where(project, version, path), chain, given)
        self.out.missing.append((f"component {expanded}", "not collected"))
        return None
