"""Live collection from PyPI: each configured project's JSON API answer, its PEP 691 simple index and the
PEP 740 provenance of the files of its newest releases — exactly the files ``connectors.pypi.load`` reads.

PyPI has no API that lists a project's tokens or Trusted Publishers; the publishers are read from the
provenance objects. Package roles come from the JSON API's ``ownership`` key (the XML-RPC
``package_roles`` call is not used).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import ValidationError

from connectors._http import NotFoundError, RestClient
from connectors.pypi.declared import DECLARED, OwnerDeclared
from connectors.pypi.load import INTEGRITY, JSON_API, SIMPLE, normalize
from connectors.pypi.settings import Settings as Settings  # re-exported: callers name fetch.Settings
from scanner.bundle import BundleWriter
from scanner.collect_session import CollectSession
from scanner.errors import ConfigError, ConnectorError

PROVIDER = "pypi"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def clients(
    settings: Settings, transport: httpx.BaseTransport | None = None, session: CollectSession | None = None
) -> tuple[RestClient, RestClient]:
    """A client for the JSON and Integrity APIs, and one that asks the simple index for JSON."""

    def make(accept: str) -> RestClient:
        return RestClient(
            provider=PROVIDER,
            base_url=settings.index_url,
            headers={"Accept": accept},
            max_retries=settings.max_retries,
            max_wait=settings.max_wait,
            transport=transport,
            session=session,
        )

    return make("application/json"), make(SIMPLE_JSON)


def scopes(settings: Settings) -> list[str]:
    """One scope per project, plus one for what the owner declared (if anything)."""
    declared = settings.trusted_publishers or settings.api_tokens or settings.owner_export
    return [f"project:{p}" for p in settings.projects] + (["owner-declared"] if declared else [])


def owner_declared(settings: Settings) -> OwnerDeclared:
    """The configured declarations merged with the owner's export file."""
    exported = OwnerDeclared()
    if settings.owner_export:
        path = Path(settings.owner_export)
        try:
            exported = OwnerDeclared.model_validate_json(path.read_bytes())
        except OSError as e:
            raise ConfigError(f"sources.pypi.owner_export: {path}: {e.strerror}") from e
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise ConfigError(f"sources.pypi.owner_export: {path}: {where}: {first['msg']}") from e
    return OwnerDeclared(
        trusted_publishers=[*settings.trusted_publishers, *exported.trusted_publishers],
        api_tokens=[*settings.api_tokens, *exported.api_tokens],
    )


def _newest_versions(doc: dict[str, Any], n: int) -> set[str]:
    """The versions of the newest ``n`` releases (by first upload) and the latest; a release or file of
    the wrong kind (``{"1.0": null}``) reads as a release without files."""
    first: dict[str, str] = {}
    releases = doc.get("releases")
    for version, files in (releases if isinstance(releases, dict) else {}).items():
        times = [_upload_time(f) for f in files if isinstance(f, dict)] if isinstance(files, list) else []
        if times:
            first[version] = min(times)
    newest = sorted(first, key=lambda v: (first[v], v), reverse=True)[:n]
    latest = doc["info"].get("version")
    return set(newest) | ({latest} if isinstance(latest, str) else set())


def _upload_time(f: dict[str, Any]) -> str:
    t = f.get("upload_time_iso_8601")
    return t if isinstance(t, str) else ""


def _provenance_parts(url: str) -> tuple[str, str, str] | None:
    """``(path, version, filename)`` of a provenance URL, ``/integrity/<project>/<version>/<filename>/provenance``;
    None for any other URL."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    parts = [p for p in path.split("/") if p]
    if len(parts) != 5 or parts[0] != "integrity" or parts[4] != "provenance" or {".", ".."} & set(parts):
        return None
    return path, parts[2], parts[3]


def fetch_project(rc: RestClient, simple: RestClient, scope: str, project: str, n: int, writer: BundleWriter) -> None:
    """The JSON API answer, the simple index and the provenance of the newest ``n`` releases' files."""
    call = f"GET /pypi/{project}/json"
    try:
        doc = rc.get_json(f"/pypi/{quote(project, safe='')}/json")
    except NotFoundError:
        writer.record(PROVIDER, scope, call, "not_found")
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("info"), dict):
        raise ConnectorError(f"pypi {call}: no info object in the answer")
    writer.put_json(f"{JSON_API}/{project}/json.json", doc)
    writer.record(PROVIDER, scope, call)
    norm = normalize(project)
    call = f"GET /simple/{norm}/"
    try:
        index = simple.get_json(f"/simple/{norm}/")
        if not isinstance(index, dict) or not isinstance(index.get("files"), list):
            raise ConnectorError(f"pypi {call}: no files list in the answer")
    except NotFoundError:
        writer.record(PROVIDER, scope, call, "not_found")
        return
    except ConnectorError as e:  # the simple index is one call of the project: a gap, the JSON API answer stays
        writer.record(PROVIDER, scope, call, "failed", str(e))
        return
    writer.put_json(f"{SIMPLE}/{norm}/index.json", index)
    writer.record(PROVIDER, scope, call)
    wanted = _newest_versions(doc, n)
    for f in index["files"]:
        url = f.get("provenance") if isinstance(f, dict) else None
        if not isinstance(url, str):
            continue
        found = _provenance_parts(url)
        if found is None:
            # Not a file's provenance as PEP 740 places it: that one file is a gap, the others go on.
            name = f.get("filename")
            what = f"provenance of {name}" if isinstance(name, str) else "provenance of a file"
            writer.record(PROVIDER, scope, what, "failed", f"pypi {call}: unexpected provenance URL; not fetched")
            continue
        path, version, filename = found
        if version not in wanted:
            continue
        call_p = f"GET {path}"
        try:
            writer.put_json(f"{INTEGRITY}/{norm}/{version}/{filename}/provenance.json", rc.get_json(path))
            writer.record(PROVIDER, scope, call_p)
        except NotFoundError:
            writer.record(PROVIDER, scope, call_p, "not_found")
        except ConnectorError as e:
            writer.record(PROVIDER, scope, call_p, "failed", str(e))


def collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    """Collect one project into the bundle (or write what the owner declared)."""
    if scope == "owner-declared":
        writer.put_json(DECLARED, owner_declared(settings).model_dump(mode="json"))
        writer.record(PROVIDER, scope, "owner declarations (config / export file)")
        return
    if not scope.startswith("project:"):
        raise ConfigError(f"sources.pypi: unknown scope {scope!r}")
    rc, simple = clients(settings, session=writer.session)
    try:
        fetch_project(rc, simple, scope, scope.removeprefix("project:"), settings.provenance_versions, writer)
    finally:
        rc.close()
        simple.close()
