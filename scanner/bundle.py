"""Reading an evidence bundle: a folder of provider-native files plus ``manifest.json``.

Every read goes through :class:`BundleReader`, so that every malformed file becomes a
:class:`~scanner.errors.BundleError` naming the file and the problem in one line.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from scanner.errors import BundleError
from scanner.textsafe import for_terminal

T = TypeVar("T")

#: A single bundle file larger than this is refused rather than read into memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: YAML aliases per document, and the size of the document once aliases are expanded, beyond which
#: the file is refused ("billion laughs" bombs are small on disk and explode when walked).
MAX_YAML_ALIASES = 1000
MAX_YAML_EXPANDED = 1_000_000
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (``on:`` stays a string, as GitHub Actions reads it)
    and a bound on alias expansion."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_YAML_ALIASES} YAML aliases")
        return super().compose_node(parent, index)


_Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


#: libyaml's parser (same resolvers and constructors, parsing in C) when PyYAML was built with it.
_CLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _Yaml12CLoader(yaml.CSafeLoader):
        """The C-parsing twin of :class:`_Yaml12Loader`, used only on text without anchors (so
        there is no alias to count); any error is re-raised by the Python loader for the same message."""

    _Yaml12CLoader.yaml_implicit_resolvers = _Yaml12Loader.yaml_implicit_resolvers
    _CLoader = _Yaml12CLoader

#: An anchor (``&name``) at the start of a node: text without one cannot hold a working alias.
_ANCHOR = __import__("re").compile(r"(?:^|[\s\[{,])&[^\s&]", __import__("re").MULTILINE)


def _load_yaml(text: str) -> Any:
    """Parse with libyaml when the text has no anchor, else (or on any error) with the Python loader."""
    if _CLoader is not None and not _ANCHOR.search(text):
        try:
            return yaml.load(text, Loader=_CLoader)  # noqa: S506 - a CSafeLoader subclass
        except Exception:  # noqa: BLE001, S110 - the Python loader below reports the same problem in its words
            pass
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


@functools.lru_cache(maxsize=256)
def _adapter(typ: Any) -> TypeAdapter[Any]:
    """One validator per type: building a TypeAdapter generates its schema, which costs far more than
    validating one file."""
    return TypeAdapter(typ)


def _first_line(err: object, limit: int = 200) -> str:
    """A message on one line, cut short, with control characters replaced (it may quote bundle data)."""
    return for_terminal(" ".join(str(err).split()), limit)


def _validation_problem(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return _first_line(f"{loc}: {first['msg']}{more}", 300)


class ManifestCall(BaseModel):
    """One API call recorded in the manifest: which scope, what, and how it ended."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str
    scope: str
    call: str
    status: str  # "ok", "failed", "not_found"
    detail: str = ""


class Manifest(BaseModel):
    """``manifest.json``: written by regwarden when it collects; optional in hand-made bundles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = MANIFEST_VERSION
    tool: str = "regwarden"
    collected_at: str | None = None
    scopes: list[str] = []
    calls: list[ManifestCall] = []

    def failed(self) -> list[ManifestCall]:
        """Calls that failed: each is a coverage gap."""
        return [c for c in self.calls if c.status == "failed"]

    def not_found(self, provider: str) -> set[str]:
        """Calls of a provider that answered 404 (an answer, not a failure)."""
        return {c.call for c in self.calls if c.provider == provider and c.status == "not_found"}


@dataclass
class BundleReader:
    """Read-only access to a bundle folder; paths are relative POSIX paths such as ``github/orgs/acme.json``."""

    root: Path
    _manifest: Manifest | None = field(default=None, init=False, repr=False)
    # Every file's relative path, sorted, and as a set: listed once, with one walk of the folder (a
    # bundle is read, never changed, while a reader is open).
    _listing: list[str] | None = field(default=None, init=False, repr=False)
    _present: frozenset[str] = field(default=frozenset(), init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.root.is_dir():
            raise BundleError(str(self.root), "not a folder (a bundle is a folder of provider files)")

    @classmethod
    def listed(cls, root: Path, files: list[str]) -> BundleReader:
        """A reader of ``root`` that takes ``files`` (normal relative paths, from another reader's
        listing) as the bundle's files instead of walking the folder."""
        reader = cls(root)
        reader._listing = sorted(files)
        reader._present = frozenset(files)
        return reader

    @staticmethod
    def _norm(rel: str) -> str:
        """``rel`` as a normal relative POSIX path; refuses paths that escape the bundle."""
        if rel.startswith("/") or rel.startswith("./") or "//" in rel or "/./" in rel or rel.endswith(("/", "/.")):
            p = PurePosixPath(rel)
            if p.is_absolute():
                raise BundleError(rel, "path escapes the bundle")
            rel = p.as_posix()
        if rel == ".." or rel.startswith("../") or rel.endswith("/..") or "/../" in rel:
            raise BundleError(rel, "path escapes the bundle")
        return rel

    def path(self, rel: str) -> Path:
        """The absolute path of a bundle file, refusing paths that escape the bundle."""
        return self.root / self._norm(rel)

    def _files(self) -> list[str]:
        if self._listing is None:
            found: list[str] = []
            # Linked folders are followed (a bundle may be assembled from links to collected parts),
            # each real folder once per chain, so a link loop ends.
            stack = [(str(self.root), "", frozenset[tuple[int, int]]())]
            while stack:
                folder, prefix, above = stack.pop()
                st = os.stat(folder)
                here = above | {(st.st_dev, st.st_ino)}
                with os.scandir(folder) as entries:
                    for e in entries:
                        if e.is_dir():
                            real = e.stat()
                            if (real.st_dev, real.st_ino) not in here:
                                stack.append((e.path, prefix + e.name + "/", here))
                        elif e.is_file():
                            found.append(prefix + e.name)
            found.sort()
            self._listing = found
            self._present = frozenset(found)
        return self._listing

    def exists(self, rel: str) -> bool:
        """True when the file is in the bundle."""
        self._files()
        return self._norm(rel) in self._present

    def providers(self) -> list[str]:
        """Top-level provider folders present, sorted."""
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def files(self, prefix: str, suffix: str = "") -> Iterator[str]:
        """Relative paths of the files under ``prefix`` ending with ``suffix``, sorted."""
        listing = self._files()
        base = self._norm(prefix).rstrip("/")
        start = "" if base in ("", ".") else base + "/"
        i = bisect.bisect_left(listing, start)
        found = []
        while i < len(listing) and listing[i].startswith(start):
            if listing[i].endswith(suffix):
                found.append(listing[i])
            i += 1
        return iter(found)

    def read_bytes(self, rel: str) -> bytes:
        """A file's bytes, bounded in size."""
        path = os.path.join(self.root, self._norm(rel))  # plain strings: tens of thousands of files
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size > MAX_FILE_BYTES:
                    raise BundleError(rel, f"file is {size} bytes, more than the {MAX_FILE_BYTES} allowed")
                return f.read()
        except FileNotFoundError as e:
            raise BundleError(rel, "file not found") from e
        except OSError as e:
            raise BundleError(rel, f"cannot read: {e.strerror}") from e

    def text(self, rel: str) -> str:
        """A file decoded as UTF-8."""
        data = self.read_bytes(rel)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BundleError(rel, f"not UTF-8 text (byte {e.start})") from e

    def json(self, rel: str) -> Any:
        """A JSON file, parsed; duplicate keys are refused because they hide data."""
        text = self.text(rel)
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as e:
            raise BundleError(rel, f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
        except _DuplicateKeyError as e:
            raise BundleError(rel, f"duplicate key {e.args[0]!r} in a JSON object") from e
        except RecursionError as e:
            raise BundleError(rel, "JSON nested too deeply") from e
        except ValueError as e:  # e.g. an integer beyond Python's digit limit
            raise BundleError(rel, f"invalid JSON: {_first_line(e)}") from e

    def yaml(self, rel: str, text: str | None = None, load: Callable[[str], Any] | None = None) -> Any:
        """A YAML file, parsed with YAML 1.2 booleans and bounded aliases (``text``: the file's text,
        when the caller has read it already; ``load``: a provider's own YAML dialect, e.g. GitLab's
        ``!reference`` tags and multi-document files, with its errors reported the same way)."""
        if text is None:
            text = self.text(rel)
        try:
            data = (load or _load_yaml)(text)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark
            where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
            raise BundleError(rel, f"invalid YAML{where}: {_first_line(e.problem or e)}") from e
        except yaml.YAMLError as e:
            raise BundleError(rel, f"invalid YAML: {_first_line(e)}") from e
        except RecursionError as e:
            raise BundleError(rel, "YAML nested too deeply") from e
        except ValueError as e:  # a scalar the safe constructors cannot build (huge integer, bad date)
            raise BundleError(rel, f"invalid YAML: {_first_line(e)}") from e
        if _expanded_size(data) > MAX_YAML_EXPANDED:
            raise BundleError(rel, f"YAML expands to more than {MAX_YAML_EXPANDED} values through aliases")
        return data

    def model(self, rel: str, typ: type[T]) -> T:
        """A JSON file validated into ``typ`` (a pydantic model or any type pydantic understands)."""
        return self.validate(rel, self.json(rel), typ)

    @staticmethod
    def validate(rel: str, data: Any, typ: type[T]) -> T:
        """Validate already-parsed data into ``typ``, naming the file in the error."""
        try:
            result: T = _adapter(cast(Any, typ)).validate_python(data)
        except ValidationError as e:
            raise BundleError(rel, _validation_problem(e)) from e
        return result

    @property
    def manifest(self) -> Manifest:
        """The bundle's manifest, or an empty one for a hand-made bundle that has none."""
        if self._manifest is None:
            self._manifest = self.model(MANIFEST, Manifest) if self.exists(MANIFEST) else Manifest()
        return self._manifest


def _expanded_size(data: Any) -> int:
    """Number of values in ``data`` with shared (aliased) containers counted at every use;
    memoised per container, so it costs the document's size on disk, not its expanded size."""
    memo: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        item, done = stack.pop()
        if not isinstance(item, dict | list) or id(item) in memo:
            continue
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        if done:
            memo[id(item)] = min(
                MAX_YAML_EXPANDED + 1,
                1 + sum(memo.get(id(c), 1) if isinstance(c, dict | list) else 1 for c in children),
            )
            continue
        stack.append((item, True))
        stack.extend((c, False) for c in children if isinstance(c, dict | list) and id(c) not in memo)
    return memo.get(id(data), 1)


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKeyError(k)
        out[k] = v
    return out


class BundleWriter:
    """Writes a bundle into a staging folder and moves it into place only when :meth:`commit` is
    called, so an interrupted collection never leaves a half-written bundle. Thread-safe."""

    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        self._lock = threading.Lock()
        self._calls: list[ManifestCall] = []
        self._scopes: list[str] = []

    def _path(self, rel: str) -> Path:
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            raise BundleError(rel, "path escapes the bundle")
        out = self.staging.joinpath(*p.parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        return out

    def put_json(self, rel: str, data: Any) -> None:
        """Store a provider response as it came (one page-shaped document holding every item)."""
        self._path(rel).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def put_text(self, rel: str, text: str) -> None:
        """Store a file as committed (for example a workflow YAML)."""
        self._path(rel).write_text(text, encoding="utf-8")

    def record(self, provider: str, scope: str, call: str, status: str = "ok", detail: str = "") -> None:
        """Record one API call in the manifest (failed calls become coverage gaps)."""
        with self._lock:
            self._calls.append(ManifestCall(provider=provider, scope=scope, call=call, status=status, detail=detail))

    def add_scope(self, scope: str) -> None:
        """Record a scope (``provider:name``) that collection covered or attempted."""
        with self._lock:
            if scope not in self._scopes:
                self._scopes.append(scope)

    def manifest(self, collected_at: str) -> Manifest:
        """The manifest as it stands: scopes and calls sorted for a stable file."""
        with self._lock:
            calls = sorted(self._calls, key=lambda c: (c.provider, c.scope, c.call, c.status))
            return Manifest(collected_at=collected_at, scopes=sorted(self._scopes), calls=calls)

    def commit(self, collected_at: str) -> Path:
        """Write the manifest and move the bundle into place, replacing an older bundle there."""
        m = self.manifest(collected_at)
        (self.staging / MANIFEST).write_text(m.model_dump_json(indent=2) + "\n", encoding="utf-8")
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(self.target, old)
        os.replace(self.staging, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        """Discard everything written so far."""
        shutil.rmtree(self.staging, ignore_errors=True)
