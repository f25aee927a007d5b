"""Reading an evidence bundle: a folder of provider-native files plus ``manifest.json``.

Every read goes through :class:`BundleReader`, so that every malformed file becomes a
:class:`~scanner.errors.BundleError` naming the file and the problem in one line. A bundle is
untrusted input: a symbolic link that leaves the bundle folder is not followed (it is listed in
:attr:`BundleReader.refused`, and the scan reports it as not assessed), a link loop ends, a file name
that is not UTF-8 is refused, and each file is read within documented limits (:data:`MAX_FILE_BYTES`,
:data:`MAX_YAML_BYTES`, :data:`MAX_JSON_OBJECTS`) or refused with a message that says which.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar, cast

import yaml
from pydantic import TypeAdapter, ValidationError

from scanner.errors import BundleError
from scanner.manifest import MANIFEST, MANIFEST_VERSION, SCOPE_CALL, Manifest, ManifestCall
from scanner.textsafe import for_terminal
from scanner.yaml12 import ANCHOR, MAX_YAML_ALIASES, MAX_YAML_EXPANDED, expanded_size, load_yaml

__all__ = [
    "MANIFEST",
    "MANIFEST_VERSION",
    "MAX_FILE_BYTES",
    "MAX_JSON_OBJECTS",
    "MAX_YAML_ALIASES",
    "MAX_YAML_BYTES",
    "MAX_YAML_EXPANDED",
    "BundleReader",
    "BundleWriter",
    "Manifest",
    "ManifestCall",
    "check_target",
    "failed_scopes",
    "is_bundle",
]

if TYPE_CHECKING:
    from scanner.bundle_writer import BundleWriter, check_target, is_bundle

_WRITER_NAMES = frozenset({"BundleWriter", "check_target", "is_bundle"})


def __getattr__(name: str) -> Any:
    # The writer (and the redaction patterns it compiles) is imported by collection only: reading a
    # bundle never needs it, and a small analysis is mostly start-up (PEP 562).
    if name in _WRITER_NAMES:
        from scanner import bundle_writer

        return getattr(bundle_writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


T = TypeVar("T")

#: A single bundle file larger than this is refused from its size alone, before it is read.
MAX_FILE_BYTES = 256 * 1024 * 1024
_TOO_BIG = f"more than the {MAX_FILE_BYTES // (1024 * 1024)} MiB a bundle file may be"
#: A YAML file (a workflow, a CI configuration) larger than this is refused before it is parsed: a YAML
#: document costs ~50 times its size in memory once parsed, and GitLab itself refuses CI files over
#: 1 MiB by default (GitHub documents no limit; real workflows are kilobytes).
MAX_YAML_BYTES = 8 * 1024 * 1024
#: A JSON file holding more objects than this is refused once parsed, before it is validated: each
#: object costs ~1-2 KiB through validation and transformation. The biggest answer a provider gives
#: is an AWS account's authorization details, bounded by IAM's quotas (5,000 users, 5,000 roles, 500
#: groups, 5,000 policies): the benchmark's 20,000-principal account (27 MB) holds ~185,000 objects.
MAX_JSON_OBJECTS = 1_000_000


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


@dataclass
class BundleReader:
    """Read-only access to a bundle folder; paths are relative POSIX paths such as ``github/orgs/acme.json``."""

    root: Path
    _manifest: Manifest | None = field(default=None, init=False, repr=False)
    # Every file's relative path, sorted, and as a set: listed once, with one walk of the folder (a
    # bundle is read, never changed, while a reader is open).
    _listing: list[str] | None = field(default=None, init=False, repr=False)
    _present: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _folders: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _refused: list[tuple[str, str]] = field(default_factory=list, init=False, repr=False)
    #: Called once, with the top-level folders, as soon as the walk has found this many files: a big
    #: bundle's reader can start work that needs to know it is big while the walk goes on.
    on_many_files: tuple[int, Callable[[list[str]], None]] | None = field(default=None, repr=False, kw_only=True)

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
            found, tops, refused = _walk(str(self.root), self.on_many_files)
            found.sort()
            self._listing = found
            self._present = frozenset(found)
            self._folders = frozenset(tops)
            self._refused = refused
        return self._listing

    @property
    def refused(self) -> list[tuple[str, str]]:
        """Entries not read, with why: symbolic links that leave the bundle, link loops, folders that
        cannot be listed."""
        self._files()
        return list(self._refused)

    def exists(self, rel: str) -> bool:
        """True when the file is in the bundle."""
        self._files()
        return self._norm(rel) in self._present

    def providers(self) -> list[str]:
        """Top-level provider folders present (not hidden, not refused links), sorted."""
        self._files()
        if not self._folders and self._listing:  # a reader built from another reader's listing
            return sorted({f.split("/", 1)[0] for f in self._listing if "/" in f and not f.startswith(".")})
        return sorted(self._folders)

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
        """A file's bytes, bounded in size; only files the walk listed (never through a link that
        leaves the bundle)."""
        norm = self._norm(rel)
        self._files()
        if norm not in self._present:
            why = next((w for r, w in self._refused if norm == r or norm.startswith(r + "/")), "file not found")
            raise BundleError(rel, why)
        path = os.path.join(self.root, norm)  # plain strings: tens of thousands of files
        try:
            # os-level calls, not a buffered file object: half the cost on a bundle's small files
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError as e:
            raise BundleError(rel, "file not found") from e
        except OSError as e:
            raise BundleError(rel, f"cannot read: {e.strerror}") from e
        try:
            size = os.fstat(fd).st_size
            if size > MAX_FILE_BYTES:
                raise BundleError(rel, f"file is {size:,} bytes, {_TOO_BIG}")
            parts = [os.read(fd, size + 1)]  # one read for a regular file; more if it grew or is short
            total = len(parts[0])
            while parts[-1]:
                if total > MAX_FILE_BYTES:
                    raise BundleError(rel, f"file grew past {MAX_FILE_BYTES:,} bytes while read, {_TOO_BIG}")
                parts.append(os.read(fd, 1 << 20))
                total += len(parts[-1])
            return b"".join(parts)
        except OSError as e:
            raise BundleError(rel, f"cannot read: {e.strerror}") from e
        finally:
            os.close(fd)

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
        counter = _ObjectCounter()
        try:
            return _text_only(rel, text, json.loads(text, object_pairs_hook=counter))
        except _TooManyObjects as e:
            raise BundleError(
                rel,
                f"JSON holds more than {MAX_JSON_OBJECTS:,} objects, the most a bundle file may hold (docs/security.md)",
            ) from e
        except json.JSONDecodeError as e:
            raise BundleError(rel, f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
        except _DuplicateKeyError as e:
            raise BundleError(rel, f"duplicate key {e.args[0]!r} in a JSON object") from e
        except RecursionError as e:
            raise BundleError(rel, "JSON nested too deeply") from e
        except ValueError as e:  # e.g. an integer beyond Python's digit limit
            raise BundleError(rel, f"invalid JSON: {_first_line(e)}") from e

    def yaml(self, rel: str, text: str | None = None, load: Callable[[str], Any] | None = None) -> Any:
        """A YAML file, parsed as YAML 1.2 (:mod:`scanner.yaml12`) with bounded size and aliases (``text``: the
        file's text, when the caller has read it already; ``load``: a provider's own YAML dialect, e.g.
        GitLab's ``!reference`` tags and multi-document files, with its errors reported the same way)."""
        if text is None:
            text = self.text(rel)
        if len(text) > MAX_YAML_BYTES:
            raise BundleError(
                rel, f"YAML file is {len(text):,} characters, more than the {_mib(MAX_YAML_BYTES)} a YAML file may be"
            )
        try:
            data = (load or load_yaml)(text)
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
        if expanded_size(data) > MAX_YAML_EXPANDED:
            if ANCHOR.search(text):
                raise BundleError(rel, f"YAML expands to more than {MAX_YAML_EXPANDED:,} values through aliases")
            raise BundleError(rel, f"YAML holds more than {MAX_YAML_EXPANDED:,} values, the most a YAML file may hold")
        return _text_only(rel, text, data)

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


def failed_scopes(bundle: BundleReader, provider: str) -> frozenset[str]:
    """The scopes of ``provider`` whose collection failed as a whole (manifest.json's ``collect scope`` calls):
    what a connector expects in such a scope is missing for a reason already reported."""
    return frozenset(
        c.scope
        for c in bundle.manifest.calls
        if c.provider == provider and c.status == "failed" and c.call == SCOPE_CALL
    )


class _DuplicateKeyError(ValueError):
    pass


class _TooManyObjects(ValueError):
    pass


class _ObjectCounter:
    """``object_pairs_hook``: refuses duplicate keys (they hide data) and counts objects."""

    def __init__(self) -> None:
        self.objects = 0

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        self.objects += 1
        if self.objects > MAX_JSON_OBJECTS:
            raise _TooManyObjects
        out = dict(pairs)  # built in C; a key given twice leaves fewer entries than pairs
        if len(out) != len(pairs):
            seen: set[str] = set()
            for k, _ in pairs:  # the first key given again, as a key-by-key build would stop at
                if k in seen:
                    raise _DuplicateKeyError(k)
                seen.add(k)
        return out


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"


def _text_only(rel: str, text: str, data: Any) -> Any:
    r"""``data`` parsed from ``text``, refused if a string in it holds a lone UTF-16 surrogate.

    A file decoded as UTF-8 holds none, but JSON's ``\ud800`` and YAML's ``\ud800``/``\U0000d800``
    escapes decode to one when it has no pair: a code point that is not a character, which no report
    format can carry (UTF-8 cannot encode it) — a name holding one crashed the reports. Escapes of
    the U+D000-U+DFFF block are rare (a pair is how an emoji is written in ASCII-only JSON), so only a
    text holding one is walked. (A lone backslash is looked for first: a one-character search runs
    at memory speed, a longer one ~15 times slower, which on an 18 MB file is 15 ms against 1.)"""
    if "\\" not in text or not ("\\ud" in text or "\\uD" in text or "\\U0000d" in text or "\\U0000D" in text):
        return data
    stack: list[Any] = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError as e:
                    bad = ord(v[e.start])
                    raise BundleError(rel, f"holds a lone UTF-16 surrogate (U+{bad:04X}), which is not text") from e
        elif isinstance(v, dict):
            stack.extend(v)
            stack.extend(v.values())
        elif isinstance(v, list | tuple):
            stack.extend(v)
    return data


def _walk(
    root: str, many: tuple[int, Callable[[list[str]], None]] | None = None
) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Every file under ``root`` (relative paths), the top-level folders, and what was not followed.
    ``many``: (n, f) calls f with the top-level folders once n files are found, checked after each
    folder (the root is listed first, so every top-level folder is known by then).

    Links are followed only while they stay inside the bundle (a bundle may be assembled from links
    to its own parts), each real folder once per chain, so a loop ends; a link out of the bundle is
    never followed — it could point at ``/`` or at a file the scan must not read."""
    real_root = os.path.realpath(root)
    found: list[str] = []
    tops: list[str] = []
    refused: list[tuple[str, str]] = []
    st = os.stat(root)
    # each folder with the real folders of its chain, itself included (a folder's own key is the
    # stat its parent's listing already made)
    stack = [(root, "", frozenset({(st.st_dev, st.st_ino)}))]
    while stack:
        folder, prefix, here = stack.pop()
        try:
            listing = os.scandir(folder)
        except OSError as err:
            if not prefix:  # the bundle itself: nothing can be read
                raise BundleError(for_terminal(root, 200), f"the bundle folder cannot be read: {err.strerror}") from err
            # one folder the scan may not list (its permissions): what is under it is not assessed
            refused.append((prefix.rstrip("/"), f"a folder that cannot be read ({err.strerror}); not read"))
            continue
        with listing as entries:
            for e in entries:
                rel = prefix + e.name
                try:
                    rel.encode("utf-8")
                except UnicodeEncodeError as err:
                    shown = for_terminal(os.fsencode(rel).decode("utf-8", "backslashreplace"), 200)
                    raise BundleError(shown, "file name is not UTF-8") from err
                if e.is_symlink():
                    target = os.path.realpath(e.path)
                    if target != real_root and not target.startswith(real_root + os.sep):
                        refused.append((rel, "a symbolic link that leaves the bundle; not followed"))
                        continue
                if e.is_dir():
                    real = e.stat()
                    key = (real.st_dev, real.st_ino)
                    if key in here:
                        refused.append((rel, "a link loop; not followed"))
                        continue
                    if not prefix and not e.name.startswith("."):
                        tops.append(e.name)
                    stack.append((e.path, rel + "/", here | {key}))
                elif e.is_file():
                    found.append(rel)
        if many is not None and len(found) >= many[0]:  # after a whole folder: the root's is first
            many[1](list(tops))
            many = None
    return found, tops, refused
