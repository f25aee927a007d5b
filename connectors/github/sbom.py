"""The dependency graph's SBOM: which packages a repository pulls, as ``consumes`` edges.

``GET /repos/{owner}/{repo}/dependency-graph/sbom`` answers GitHub's ``dependency-graph-spdx-sbom`` schema
(github/rest-api-description): ``{"sbom": {SPDX 2.3 document}}`` whose ``packages[]`` carry ``name``,
``versionInfo`` (a version, or the range a manifest without a lock file asks for) and ``externalRefs[]`` with a
``purl`` (``referenceCategory: PACKAGE-MANAGER``, ``referenceType: purl``). Each package whose purl names a
registry regwarden inventories becomes a ``consumes`` edge from the repository to that package, so whoever
can publish the package reaches the repository that would install the next release (the edge resolves
only when the package's own connector collected it). The purl type → registry table is data.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field

from scanner.model import EdgeKind, Evidence, Inventory, LinkHint, NodeId, node_id

_CONFIG = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class ExternalRef(BaseModel):
    """``externalRefs[]`` of an SPDX package."""

    model_config = _CONFIG

    reference_category: str = Field(alias="referenceCategory")
    reference_type: str = Field(alias="referenceType")
    reference_locator: str = Field(alias="referenceLocator")


class SpdxPackage(BaseModel):
    """``packages[]``: one dependency (or the repository itself)."""

    model_config = _CONFIG

    spdx_id: str | None = Field(default=None, alias="SPDXID")
    name: str | None = None
    version_info: str | None = Field(default=None, alias="versionInfo")
    external_refs: tuple[ExternalRef, ...] = Field(default=(), alias="externalRefs")


class SpdxDocument(BaseModel):
    """The SPDX document under ``sbom``."""

    model_config = _CONFIG

    spdx_version: str = Field(alias="spdxVersion")
    name: str
    packages: tuple[SpdxPackage, ...] = ()


class DependencySbom(BaseModel):
    """``GET /repos/{owner}/{repo}/dependency-graph/sbom``."""

    model_config = _CONFIG

    sbom: SpdxDocument


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


#: purl type → (provider, node kind, how the purl's namespace/name make the node's native id). Only registries
#: whose packages a connector inventories; a dependency on anything else has no node to point at.
PURL_TARGETS: dict[str, tuple[str, str]] = {
    "pypi": ("pypi", "project"),
    "npm": ("npm", "package"),
    "docker": ("dockerhub", "repository"),
}


def parse_purl(purl: str) -> tuple[str, str, str, str | None] | None:
    """``pkg:type/namespace/name@version`` → (type, namespace, name, version); None when it is not a purl."""
    if not purl.startswith("pkg:"):
        return None
    rest = purl[4:].split("#", 1)[0].split("?", 1)[0]
    path, _, version = rest.partition("@")
    parts = [unquote(p) for p in path.split("/") if p]
    if len(parts) < 2:
        return None
    typ, name = parts[0].lower(), parts[-1]
    namespace = "/".join(parts[1:-1])
    return typ, namespace, name, unquote(version) or None


def purl_target(purl: str) -> NodeId | None:
    """The node a purl's package has in regwarden's graph, or None for a registry no connector covers."""
    parsed = parse_purl(purl)
    if parsed is None or parsed[0] not in PURL_TARGETS:
        return None
    typ, namespace, name, _ = parsed
    provider, kind = PURL_TARGETS[typ]
    if typ == "pypi":
        native = _pep503(name)
    elif typ == "npm":
        native = f"{namespace}/{name}" if namespace else name
    else:  # docker: Docker Hub's official images live in the "library" namespace
        native = f"{namespace or 'library'}/{name}"
    return node_id(provider, kind, native)


def consumes(inv: Inventory, repo_node: NodeId, path: str, doc: DependencySbom) -> int:
    """Add a ``consumes`` link from the repository to every package of its SBOM a connector can name;
    return how many dependencies were linked. The version (or range) asked for is kept on the edge."""
    ev = (Evidence(path),)
    seen: set[NodeId] = set()
    for pkg in doc.sbom.packages:
        for ref in pkg.external_refs:
            if ref.reference_type != "purl":
                continue
            target = purl_target(ref.reference_locator)
            if target is None or target in seen:
                continue
            seen.add(target)
            version = pkg.version_info or (parse_purl(ref.reference_locator) or ("", "", "", None))[3] or ""
            # A hint, not an edge: the package is a node only if its registry's connector collected it.
            inv.add_hint(
                LinkHint(
                    src=repo_node,
                    dst=target,
                    kind=EdgeKind.CONSUMES,
                    via="dependency graph SBOM",
                    conditions=(("version", version),) if version else (),
                    evidence=ev,
                )
            )
    return len(seen)
