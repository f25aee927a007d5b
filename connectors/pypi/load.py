"""Read the ``pypi/`` folder of a bundle into typed records; every read goes through BundleReader."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from connectors.pypi.declared import DECLARED, OwnerDeclared
from connectors.pypi.raw import (
    FileProvenance,
    PackageRoles,
    ProjectJson,
    Provenance,
    PypiProject,
    PypiRaw,
    SimpleProject,
)
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

ROOT = "pypi"
JSON_API = f"{ROOT}/pypi"
SIMPLE = f"{ROOT}/simple"
INTEGRITY = f"{ROOT}/integrity"
ROLES = f"{ROOT}/xmlrpc/package_roles"


def normalize(name: str) -> str:
    """A project name in PEP 503 normal form (``Foo_Bar.baz`` -> ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _folders(project: str) -> list[str]:
    # Saved files are named after the URL that was called: the name as written, or its normal form.
    return list(dict.fromkeys((project, normalize(project))))


def _first(bundle: BundleReader, candidates: list[str]) -> str | None:
    return next((c for c in candidates if bundle.exists(c)), None)


def _provenances(bundle: BundleReader, project: str) -> tuple[FileProvenance, ...]:
    found: list[FileProvenance] = []
    for folder in _folders(project):
        for rel in bundle.files(f"{INTEGRITY}/{folder}", "provenance.json"):
            parts = PurePosixPath(rel).parts
            # pypi/integrity/<project>/<version>/<filename>/provenance.json
            if len(parts) != 6 or parts[5] != "provenance.json":
                raise BundleError(rel, "expected pypi/integrity/<project>/<version>/<filename>/provenance.json")
            found.append(FileProvenance(rel, parts[3], parts[4], bundle.model(rel, Provenance)))
    return tuple(found)


def integrity_call(project: str, version: str, filename: str) -> str:
    """The manifest name of an Integrity API call (a 404 there means: the file has no provenance)."""
    return f"GET /integrity/{project}/{version}/{filename}/provenance"


def _integrity(calls: dict[str, str], folder: str) -> tuple[tuple[str, str, str], ...]:
    """(version, filename, status) of the project's Integrity API calls in the manifest."""
    out: set[tuple[str, str, str]] = set()
    names = set(_folders(folder))
    for call, status in calls.items():
        parts = call.removeprefix("GET ").strip("/").split("/")
        # integrity/<project>/<version>/<filename>/provenance
        if len(parts) == 5 and parts[0] == "integrity" and parts[4] == "provenance" and parts[1] in names:
            out.add((parts[2], parts[3], status))
    return tuple(sorted(out))


def _project(
    bundle: BundleReader,
    rel: str,
    folder: str,
    calls: dict[str, str] | None = None,
    failed: frozenset[str] = frozenset(),
) -> PypiProject:
    project: ProjectJson = bundle.model(rel, ProjectJson)
    if normalize(project.info.name) != normalize(folder):
        raise BundleError(rel, f"info.name {project.info.name!r} does not match the folder {folder!r}")
    simple_path = _first(bundle, [f"{SIMPLE}/{f}/index.json" for f in _folders(folder)])
    roles_path = _first(bundle, [f"{ROLES}/{f}.json" for f in _folders(folder)])
    calls = calls or {}
    integrity = _integrity(calls, folder)
    return PypiProject(
        json_path=rel,
        project=project,
        simple_path=simple_path,
        simple=bundle.model(simple_path, SimpleProject) if simple_path else None,
        provenances=_provenances(bundle, folder),
        roles_path=roles_path,
        roles=bundle.model(roles_path, PackageRoles) if roles_path else None,
        provenance_absent=tuple(sorted((v, f) for v, f, status in integrity if status == "not_found")),
        integrity_calls=integrity,
        simple_answered=calls.get(f"GET /simple/{normalize(folder)}/") in ("not_found", "failed"),
        scope_failed=any(normalize(s.removeprefix("project:")) == normalize(folder) for s in failed),
    )


def _names_under(bundle: BundleReader, prefix: str, depth: int) -> set[str]:
    """Normalised project names of the files under ``prefix`` (the path part at ``depth``)."""
    names = set()
    for rel in bundle.files(prefix):
        parts = PurePosixPath(rel).parts
        if len(parts) > depth:
            names.add(normalize(parts[depth].removesuffix(".json")))
    return names


def load(bundle: BundleReader) -> PypiRaw:
    """Every project under ``pypi/pypi/<project>/json.json`` with its optional simple index,
    provenance objects and package roles."""
    projects: list[PypiProject] = []
    calls = {c.call: c.status for c in bundle.manifest.calls if c.provider == ROOT}
    failed = failed_scopes(bundle, ROOT)
    for rel in bundle.files(JSON_API, "json.json"):
        parts = PurePosixPath(rel).parts
        # pypi/pypi/<project>/json.json; the per-release answer (<project>/<version>/json.json) is not used.
        if len(parts) == 4 and parts[3] == "json.json":
            projects.append(_project(bundle, rel, parts[2], calls, failed))
    seen = {normalize(p.project.info.name) for p in projects}
    others = _names_under(bundle, SIMPLE, 2) | _names_under(bundle, INTEGRITY, 2) | _names_under(bundle, ROLES, 3)
    declared = bundle.model(DECLARED, OwnerDeclared) if bundle.exists(DECLARED) else None
    return PypiRaw(
        projects=tuple(projects),
        orphans=tuple(sorted(others - seen)),
        declared=declared,
        declared_path=DECLARED if declared is not None else None,
    )
