"""Writing an evidence bundle: a staging folder moved into place when complete, every byte redacted."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from scanner.collect_session import CollectSession
from scanner.errors import BundleError, ConfigError
from scanner.manifest import MANIFEST, Manifest, ManifestCall
from scanner.redact import redact_json, redact_text
from scanner.textsafe import for_terminal


def is_bundle(folder: Path) -> bool:
    """True for a folder regwarden wrote: its ``manifest.json`` names regwarden as the tool."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("tool") == "regwarden"


def check_target(target: Path) -> None:
    """Refuse a bundle folder that collection must never replace: a file, the current folder or one
    holding it, or a folder with anything in it that is not a regwarden bundle."""
    where = for_terminal(str(target), 200)
    cwd = Path.cwd()
    if target == cwd or target in cwd.parents:
        raise ConfigError(
            f"--bundle {where}: is the current folder (or holds it); a bundle folder is replaced as a whole "
            "when collection ends: give a folder of its own, e.g. --bundle regwarden-bundle"
        )
    if target.exists() and not target.is_dir():
        raise ConfigError(f"--bundle {where}: exists and is not a folder")
    if target.is_dir() and not is_bundle(target) and any(target.iterdir()):
        raise ConfigError(
            f"--bundle {where}: is not empty and is not a regwarden bundle (no manifest.json written by "
            "regwarden); refusing to replace what it holds: give a new or empty folder"
        )


class BundleWriter:
    """Writes a bundle into a staging folder and moves it into place only when :meth:`commit` is
    called, so an interrupted collection never leaves a half-written bundle. Thread-safe.

    Everything stored passes through :mod:`scanner.redact` first — every JSON document, every text
    file, every manifest detail — so a credential a provider returned or a workflow committed is
    kept only as its keyed fingerprint, whichever connector wrote it."""

    def __init__(self, target: Path, session: CollectSession | None = None) -> None:
        # "." and relative paths become absolute: the bundle folder is replaced as a whole on commit.
        self.target = Path(os.path.abspath(target))
        check_target(self.target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.target.name}-", dir=self.target.parent))
        self._lock = threading.Lock()
        self._calls: list[ManifestCall] = []
        self._scopes: list[str] = []
        self._task = threading.local()
        self._owner: dict[str, tuple[str, str]] = {}
        #: What the connectors writing here share: HTTP cache, pacing, the request tally.
        self.session = session or CollectSession()

    @contextlib.contextmanager
    def working_on(self, provider: str, scope: str) -> Iterator[None]:
        """Files written on this thread meanwhile belong to (provider, scope): a file refused at
        commit is recorded as that scope's gap."""
        self._task.owner = (provider, scope)
        try:
            yield
        finally:
            self._task.owner = None

    def owner(self, rel: str) -> tuple[str, str] | None:
        """The (provider, scope) that wrote a file, when known."""
        with self._lock:
            return self._owner.get(rel)

    def _path(self, rel: str) -> Path:
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            raise BundleError(rel, "path escapes the bundle")
        out = self.staging.joinpath(*p.parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        owner = getattr(self._task, "owner", None)
        if owner is not None:
            with self._lock:
                self._owner[p.as_posix()] = owner
        return out

    def put_json(self, rel: str, data: Any) -> None:
        """Store a provider response as it came (one page-shaped document holding every item),
        credential values redacted."""
        text = json.dumps(redact_json(data), indent=2, ensure_ascii=False) + "\n"
        self._path(rel).write_bytes(_utf8(text))

    def put_text(self, rel: str, text: str) -> None:
        """Store a file as committed (for example a workflow YAML), credential values redacted."""
        self._path(rel).write_bytes(_utf8(redact_text(text)))

    def put_file(self, rel: str, data: bytes) -> None:
        """Store a file given as bytes (a part-bundle's file): JSON as a document, anything else as text."""
        text = data.decode("utf-8")
        if rel.endswith(".json"):
            self.put_json(rel, json.loads(text))
        else:
            self.put_text(rel, text)

    def record(self, provider: str, scope: str, call: str, status: str = "ok", detail: str = "") -> None:
        """Record one API call in the manifest (failed calls become coverage gaps)."""
        detail = redact_text(detail)
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
            scopes = sorted(self._scopes)
        return Manifest(collected_at=collected_at, scopes=scopes, calls=calls, requests=self.session.counts())

    def discard(self, rel: str) -> bool:
        """Remove a staged file (refused at commit); False when there was none."""
        p = self.staging.joinpath(*PurePosixPath(rel).parts)
        if not p.is_file():
            return False
        p.unlink()
        return True

    def discard_folder(self, provider: str) -> None:
        """Remove a provider's whole staged folder."""
        shutil.rmtree(self.staging / provider, ignore_errors=True)

    def commit(self, collected_at: str, *, keep_previous: bool = False) -> Path:
        """Write the manifest and move the bundle into place, replacing an older bundle there only now
        that the new one is complete. With ``keep_previous`` (nothing was collected) an older bundle
        stays and this one goes beside it, as ``<target>.failed``; the returned path says where."""
        m = self.manifest(collected_at)
        (self.staging / MANIFEST).write_text(m.model_dump_json(indent=2) + "\n", encoding="utf-8")
        check_target(self.target)  # it may have been filled while collecting
        target = self.target
        if keep_previous and is_bundle(self.target):
            target = self.target.with_name(f"{self.target.name}.failed")
            if target.exists() and not is_bundle(target):
                raise ConfigError(f"{target}: exists and is not a regwarden bundle; not replaced")
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(self.staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return target

    def abort(self) -> None:
        """Discard everything written so far."""
        shutil.rmtree(self.staging, ignore_errors=True)


def fits_in_path(name: str, *, nested: bool = False) -> bool:
    """Whether a name from a provider's answer can name a bundle file or folder as it is: not empty, no
    ``.`` or ``..`` part, and no ``/`` unless ``nested`` (then every part is checked). A connector asks
    before it uses the name, so that a hostile one is that call's gap rather than a path refused by
    :meth:`BundleWriter.put_json` (a :class:`BundleError`, which would end the scope)."""
    parts = name.split("/") if nested else [name]
    return all(p not in ("", ".", "..") and "/" not in p for p in parts)


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8. A lone UTF-16 surrogate (an answer's ``"\\ud800"`` escape without its pair, which
    JSON decodes to a code point that is not a character) cannot be encoded: it is written as U+FFFD,
    so the answer is kept, readable, rather than costing its scope (the reader refuses the escape)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")
