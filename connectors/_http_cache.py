"""The HTTP cache of the REST connectors: a provider's answer is kept with its validators (``ETag``,
``Last-Modified``) so that the next scan asks ``If-None-Match`` / ``If-Modified-Since`` and, on
``304 Not Modified``, reuses the kept body. GitHub does not count such a 304 against the primary
rate limit, so an unchanged estate is re-collected for almost nothing (docs/collection.md).

What is never kept (:func:`cacheable`): answers to anything but a GET, answers other than 200,
answers without a validator or marked ``Cache-Control: no-store``, the endpoints of
:data:`NEVER_CACHED` (answers that carry secret values), and any body in which
:mod:`scanner.redact` — or the connector's own detector, such as GitHub's for committed workflow
files — finds credential material. Keys are a SHA-256 of the method, the URL and the request
headers that shape the answer, never of a credential header: a token that rotates every hour (a
GitHub App's) keeps its cache, and the provider judges each conditional request under the token that
sends it (its ETags vary by ``Authorization``), so an entry is never served to a token that may not
see it.

The cache is an optimisation and never a reason to fail: an entry that cannot be read or parsed is
logged, removed and fetched again; an entry that cannot be written is skipped.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from scanner.redact import find

log = logging.getLogger("regwarden.http")

#: Version of an entry's file; another version is ignored (and replaced) rather than misread.
ENTRY_VERSION = 1
#: Response headers kept with an entry: what the connectors read from a reused answer (paging).
KEPT_HEADERS = frozenset(
    {"content-type", "etag", "last-modified", "link", "x-next-page", "x-page", "x-per-page", "x-total", "x-total-pages"}
)
#: Request headers that never take part in a key (credentials, and what does not shape the answer).
_UNKEYED = frozenset({"authorization", "private-token", "job-token", "x-jfrog-art-api", "x-api-key", "cookie"})
#: A body larger than this is not kept (a cache is for the many small answers of a scan).
MAX_ENTRY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class NeverCached:
    """Answers of ``provider`` whose URL path matches ``path`` (fnmatch) are never kept: ``why``."""

    provider: str
    path: str
    why: str


#: Endpoints whose answers carry secret values (or may): never written to the cache, whatever their
#: validators. Connectors strip or fingerprint such values before the bundle; the raw answer must not
#: outlive the call.
NEVER_CACHED: tuple[NeverCached, ...] = (
    NeverCached("gitlab", "*/variables", "CI/CD variables come with their values (GitLab REST API: Variables)"),
    NeverCached("gitlab", "*/variables/*", "one CI/CD variable, with its value"),
    NeverCached("npm", "/-/npm/v1/tokens", "the account's tokens (their keys, partly shown)"),
    NeverCached("jfrog", "/access/api/v1/tokens*", "access tokens of the platform"),
    NeverCached("dockerhub", "/v2/access-tokens*", "personal access tokens"),
    NeverCached("dockerhub", "/v2/orgs/*/access-tokens*", "organization access tokens (the list and each token)"),
    NeverCached("dockerhub", "/v2/users/login*", "a login answer holds a JWT"),
    NeverCached("dockerhub", "/v2/auth/token*", "a token exchange answer holds a JWT"),
    NeverCached("terraform", "*", "Terraform state keeps secret values in plain text"),
    NeverCached("azure", "*", "Microsoft Graph and ARM answers were not reviewed for secret-bearing fields"),
)


def never_cached(provider: str, path: str) -> NeverCached | None:
    """The row of :data:`NEVER_CACHED` that rules out caching ``path`` of ``provider``, if any."""
    for row in NEVER_CACHED:
        if row.provider == provider and fnmatch.fnmatchcase(path, row.path):
            return row
    return None


def cacheable(provider: str, resp: httpx.Response, carries_secret: Callable[[str], bool] | None = None) -> bool:
    """Whether an answer may be kept (see the module docstring for the rules); ``carries_secret`` is
    the connector's own detector for its bodies (GitHub's for committed files), beside :mod:`scanner.redact`."""
    if resp.request.method != "GET" or resp.status_code != 200:
        return False
    if not (resp.headers.get("etag") or resp.headers.get("last-modified")):
        return False
    if "no-store" in resp.headers.get("cache-control", "").lower():
        return False
    if never_cached(provider, resp.request.url.path) is not None:
        return False
    if len(resp.content) > MAX_ENTRY_BYTES:
        return False
    try:
        text = resp.content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if find(text):
        return False
    return carries_secret is None or not carries_secret(text)


def absence_key(url: str, version: str) -> str:
    """The key of the marker that ``GET url`` answered 404 at ``version`` of what holds it."""
    return hashlib.sha256(json.dumps(["ABSENT", url, version], separators=(",", ":")).encode()).hexdigest()


def cache_key(method: str, url: str, headers: Mapping[str, str]) -> str:
    """SHA-256 of the request's method, full URL and answer-shaping headers (never a credential)."""
    shaping = sorted((k.lower(), v) for k, v in headers.items() if k.lower() not in _UNKEYED)
    material = json.dumps([method, url, shaping], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """A kept answer: its validators, the headers the connectors read, and the body."""

    headers: dict[str, str]
    body: bytes

    def conditions(self) -> dict[str, str]:
        """The conditional request headers this entry allows."""
        out = {}
        if "etag" in self.headers:
            out["If-None-Match"] = self.headers["etag"]
        if "last-modified" in self.headers:
            out["If-Modified-Since"] = self.headers["last-modified"]
        return out

    def response(self, not_modified: httpx.Response) -> httpx.Response:
        """The kept answer as a 200 to the request a 304 answered (with the 304's fresher headers,
        the rate-limit ones among them, over the kept ones)."""
        headers = {**self.headers, **{k.lower(): v for k, v in not_modified.headers.items()}}
        headers.pop("content-length", None)
        headers.pop("content-encoding", None)
        resp = httpx.Response(200, headers=headers, content=self.body, request=not_modified.request)
        resp.extensions["regwarden_cached"] = True
        return resp


class HttpCache:
    """The entries of one provider, one JSON file each under ``folder`` (``<key[:2]>/<key>.json``)."""

    def __init__(self, folder: Path, provider: str) -> None:
        self.folder = folder
        self.provider = provider
        self._warned = False

    def _file(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def _warn(self, what: str, err: object) -> None:
        # Once per provider and run: a broken cache folder must not flood the output.
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        log.log(level, "%s: HTTP cache %s (%s); fetching again", self.provider, what, err)

    def get(self, key: str) -> Entry | None:
        """The entry under ``key``, or None (absent, unreadable or corrupt: then removed, and warned)."""
        path = self._file(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            self._warn(f"entry {path.name} cannot be read", e.strerror)
            return None
        try:
            data: Any = json.loads(raw)
            if data["v"] != ENTRY_VERSION:
                raise ValueError(f"version {data['v']!r}")
            headers = {str(k): str(v) for k, v in data["headers"].items()}
            entry = Entry(headers=headers, body=base64.b64decode(data["body"], validate=True))
            if not entry.conditions():
                raise ValueError("no validator")
            return entry
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            self._warn(f"entry {path.name} is corrupt", type(e).__name__)
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def absent(self, key: str) -> bool:
        """Whether a marker of :meth:`mark_absent` is kept under ``key`` (a corrupt one is removed)."""
        path = self._file(key)
        try:
            data: Any = json.loads(path.read_bytes())
        except FileNotFoundError:
            return False
        except OSError as e:
            self._warn(f"entry {path.name} cannot be read", e.strerror)
            return False
        except ValueError as e:
            data = e
        if isinstance(data, dict) and data.get("v") == ENTRY_VERSION and data.get("absent") is True:
            return True
        self._warn(f"entry {path.name} is corrupt", "not an absence marker")
        with contextlib.suppress(OSError):
            path.unlink()
        return False

    def mark_absent(self, key: str) -> None:
        """Keep the fact that what ``key`` names was absent (a 404 has no validator to revalidate)."""
        self._write(key, {"v": ENTRY_VERSION, "absent": True})

    def put(self, key: str, resp: httpx.Response) -> None:
        """Keep an answer (the caller checked :func:`cacheable`); written whole or not at all."""
        headers = {k.lower(): v for k, v in resp.headers.items() if k.lower() in KEPT_HEADERS}
        self._write(
            key, {"v": ENTRY_VERSION, "headers": headers, "body": base64.b64encode(resp.content).decode("ascii")}
        )

    def _write(self, key: str, doc: dict[str, Any]) -> None:
        """Write one entry's file whole or not at all (a temporary file, then a rename)."""
        path = self._file(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".entry-", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(doc, f, separators=(",", ":"))
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as e:
            self._warn(f"entry {path.name} cannot be written", e.strerror)
