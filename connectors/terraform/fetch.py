"""Read Terraform state files from where backends keep them: a local path, S3 (boto3), GCS and
Azure Blob Storage (their REST APIs, with a bearer token from the platform's default credentials).

A location may hold ``*`` to read several states at once: every workspace
(``s3://b/env:/*/app.tfstate``, ``azurerm://acct/tfstate/app.tfstateenv:*``) or every stack
(``gs://b/stacks/*/default.tfstate``). Each document is redacted before it is returned; the raw
bytes are never written anywhere.

The readers yield ``(key, document)`` for each state, or ``(key, ConnectorError)`` for one that could
not be read: one state's failure is that state's gap, and the others at the location are still read.
A listing that fails fails the whole location.
"""

from __future__ import annotations

import glob
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from connectors._http import MAX_PAGES, NotFoundError, RestClient
from scanner.errors import AuthError, ConfigError, ConnectorError

#: Biggest state file read (states of large estates reach tens of MB).
MAX_STATE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Location:
    """A parsed state location: backend, container (bucket/account+container) and key pattern."""

    backend: str  # local, s3, gcs, azurerm
    container: str
    key: str

    @property
    def prefix(self) -> str:
        """The part of the key before the first wildcard (what to list)."""
        return self.key.split("*", 1)[0]

    def bundle_path(self, key: str) -> str:
        """Where the redacted state goes in the bundle: named after the backend's own path."""
        parts = [p for p in key.split("/") if p not in ("", ".", "..")]
        base = [self.backend, *[p for p in self.container.split("/") if p]] if self.container else [self.backend]
        return "terraform/" + "/".join(base + parts)


def parse_location(text: str) -> Location:
    """``path``, ``s3://bucket/key``, ``gs://bucket/object`` or ``azurerm://account/container/blob``."""
    if "://" not in text:
        return Location("local", "", text)
    u = urlsplit(text)
    key = u.path.lstrip("/")
    if u.scheme == "s3":
        return Location("s3", u.netloc, key)
    if u.scheme in ("gs", "gcs"):
        return Location("gcs", u.netloc, key)
    if u.scheme == "azurerm":
        container, _, blob = key.partition("/")
        if not container or not blob:
            raise ConfigError(f"state location {text!r}: expected azurerm://ACCOUNT/CONTAINER/BLOB")
        return Location("azurerm", f"{u.netloc}/{container}", blob)
    raise ConfigError(f"state location {text!r}: unknown scheme (use a path, s3://, gs:// or azurerm://)")


def _decode(data: bytes, what: str) -> Any:
    if len(data) > MAX_STATE_BYTES:
        raise ConnectorError(f"{what}: state file larger than {MAX_STATE_BYTES} bytes")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConnectorError(f"{what}: not JSON ({type(e).__name__})") from e


# -- local --------------------------------------------------------------------------------------


def read_local(loc: Location) -> Iterator[tuple[str, Any]]:
    """Local files (a glob pattern reads several)."""
    paths = sorted(glob.glob(loc.key)) if any(c in loc.key for c in "*?[") else [loc.key]
    if not paths:
        raise ConnectorError(f"terraform: no state file matches {loc.key}")
    for p in paths:
        key = os.path.abspath(p).lstrip("/")
        try:
            yield key, _decode(Path(p).read_bytes(), p)
        except OSError as e:
            yield key, ConnectorError(f"terraform: read {p}: {e.strerror}")
        except ConnectorError as e:
            yield key, e


# -- S3 -----------------------------------------------------------------------------------------


def read_s3(loc: Location, client: Any, count: Callable[..., None] | None = None) -> Iterator[tuple[str, Any]]:
    """Objects of an S3 backend bucket (``ListObjectsV2`` when the key has a wildcard). ``count`` (the
    run's tally, as ``count(fetched=…, retried=…, failed=…)``) gets every answer, listing pages one by
    one, error answers included, and every call given up."""
    from botocore.exceptions import BotoCoreError, ClientError

    def tally(answer: Any = None, *, failed: bool = False, answered: bool = True) -> None:
        if count is None:
            return
        meta = answer.get("ResponseMetadata") if isinstance(answer, dict) else None
        retried = meta.get("RetryAttempts", 0) if isinstance(meta, dict) else 0
        count(fetched=int(answered), retried=retried if isinstance(retried, int) else 0, failed=int(failed))

    def counted(e: Exception) -> Exception:
        if isinstance(e, ClientError):
            tally(e.response, failed=True)
        else:  # no answer (or none botocore could read)
            tally(failed=True, answered=False)
        return e

    def failure(e: Exception, key: str) -> ConnectorError:
        if isinstance(e, ClientError):
            code = e.response.get("Error", {}).get("Code", "")
            what = f"terraform: s3://{loc.container}/{key}: {e.operation_name} {code}"
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "ExpiredToken"):
                return AuthError(what)
            return ConnectorError(what)
        return ConnectorError(f"terraform: s3://{loc.container}/{key}: {type(e).__name__}")

    if "*" in loc.key:
        keys: set[str] = set()
        try:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=loc.container, Prefix=loc.prefix):
                tally(page)
                keys.update(o["Key"] for o in page.get("Contents", []) if fnmatchcase(o["Key"], loc.key))
        except (ClientError, BotoCoreError) as e:
            raise failure(counted(e), loc.key) from e
    else:
        keys = {loc.key}
    for key in sorted(keys):
        try:
            answer = client.get_object(Bucket=loc.container, Key=key)
            tally(answer)
            body = answer["Body"].read(MAX_STATE_BYTES + 1)
        except (ClientError, BotoCoreError) as e:
            yield key, failure(counted(e), key)
            continue
        try:
            yield key, _decode(body, f"s3://{loc.container}/{key}")
        except ConnectorError as e:
            yield key, e


# -- GCS ----------------------------------------------------------------------------------------


def read_gcs(loc: Location, client: RestClient) -> Iterator[tuple[str, Any]]:
    """Objects of a GCS backend bucket through the JSON API (``objects.list`` / ``alt=media``)."""
    bucket = quote(loc.container, safe="")
    if "*" in loc.key:
        names: set[str] = set()
        for body in client.pages(f"storage/v1/b/{bucket}/o", {"prefix": loc.prefix}, next_url=_gcs_next):
            items = body.get("items", []) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise ConnectorError(f"terraform: gs://{loc.container}: objects.list: not a list page")
            listed = (o.get("name") for o in items if isinstance(o, dict))
            names.update(n for n in listed if isinstance(n, str) and fnmatchcase(n, loc.key))
    else:
        names = {loc.key}
    for name in sorted(names):
        try:
            resp = client.get(f"storage/v1/b/{bucket}/o/{quote(name, safe='')}", {"alt": "media"})
            yield name, _decode(resp.content, f"gs://{loc.container}/{name}")
        except ConnectorError as e:
            yield name, e


def _gcs_next(resp: httpx.Response, body: Any) -> str | None:
    token = body.get("nextPageToken") if isinstance(body, dict) else None
    return str(resp.url.copy_set_param("pageToken", token)) if token else None


# -- Azure Blob ---------------------------------------------------------------------------------


def read_azurerm(loc: Location, client: RestClient) -> Iterator[tuple[str, Any]]:
    """Blobs of an azurerm backend container (List Blobs when the blob name has a wildcard)."""
    container = quote(loc.container.split("/", 1)[1], safe="")
    what = f"terraform: azurerm://{loc.container}: List Blobs"
    if "*" in loc.key:
        names: set[str] = set()
        marker = ""
        seen: set[str] = set()
        while True:
            if len(seen) >= MAX_PAGES:
                raise ConnectorError(f"{what}: more than {MAX_PAGES} pages; stopped (not assessed past it)")
            params: dict[str, str | int] = {"restype": "container", "comp": "list", "prefix": loc.prefix}
            if marker:
                params["marker"] = marker
            resp = client.get(container, params)
            try:
                # The listing comes from the configured storage account; expat (>= 2.4.1, bundled
                # with CPython 3.11) bounds entity expansion and resolves no external entities.
                root = ET.fromstring(resp.content)  # noqa: S314
            except ET.ParseError as e:
                raise ConnectorError(f"{what}: malformed XML") from e
            names.update(n.text for n in root.iter("Name") if n.text and fnmatchcase(n.text, loc.key))
            seen.add(marker)
            marker = (root.findtext("NextMarker") or "").strip()
            if not marker:
                break
            if marker in seen:  # the service named a page it already gave: it would never end
                raise ConnectorError(f"{what}: pagination loop (NextMarker repeated)")
    else:
        names = {loc.key}
    for name in sorted(names):
        try:
            resp = client.get(f"{container}/{quote(name, safe='/:')}")
            yield name, _decode(resp.content, f"azurerm://{loc.container}/{name}")
        except ConnectorError as e:
            yield name, e


__all__ = [
    "AuthError",
    "Location",
    "NotFoundError",
    "parse_location",
    "read_azurerm",
    "read_gcs",
    "read_local",
    "read_s3",
]
