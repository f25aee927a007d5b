"""GCP labels and Azure tags name owners (the ``tag`` source): the fixture bundles with a label or tag naming an
owner on one resource (fail-/first) and none, or one naming no owner, on its twin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from connectors.azure import SPEC as AZURE
from connectors.gcp import SPEC as GCP
from scanner.bundle import BundleReader
from scanner.model import NodeId
from scanner.owners import resolve

FIXTURES = Path(__file__).parents[1] / "fixtures"
GCP_PROJECT = "gcp/projects/acme-prod.json"
GCP_REPOS = "gcp/projects/acme-prod/locations/us-central1/repositories.json"
SUB = "azure/subscriptions/00000000-0000-0000-0000-0000000000a1"
ACR = f"{SUB}/providers/Microsoft.ContainerRegistry/registries.json"
MI = f"{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities.json"


def _edit(root: Path, rel: str, change: Any) -> None:
    path = root / rel
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _owners(index: Any, nid: str) -> set[tuple[str, str, str]]:
    return {(o.name, o.source, o.via) for o in index.of(NodeId(nid))}


def test_gcp_labels_of_a_repository_and_of_the_project(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "gcp" / "bundle", tmp_path / "b")

    def label(data: dict[str, Any]) -> None:
        data["repositories"][0]["labels"] = {"team": "release-eng", "env": "prod"}
        data["repositories"][1]["labels"] = {"env": "prod"}

    _edit(root, GCP_REPOS, label)
    _edit(root, GCP_PROJECT, lambda d: d.update(labels={"owner": "platform"}))
    index = resolve(GCP.inventory(BundleReader(root)))
    repo = "gcp:ar-repository:projects/acme-prod/locations/us-central1/repositories/"
    assert _owners(index, repo + "app-images") == {("release-eng", "tag", "tag team")}
    assert _owners(index, repo + "pypi-remote") == set()
    assert _owners(index, "gcp:ar-project:acme-prod") == {("platform", "tag", "tag owner")}
    # service accounts carry no labels in GCP's IAM API: no owner of their own
    assert _owners(index, "gcp:service-account:fail-legacy@acme-prod.iam.gserviceaccount.com") == set()


def test_gcp_without_labels_names_no_owner() -> None:
    assert resolve(GCP.inventory(BundleReader(FIXTURES / "gcp" / "bundle"))).by_node == {}


def test_azure_tags_of_a_registry_and_a_managed_identity(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "azure" / "bundle", tmp_path / "b")

    def tag(data: dict[str, Any]) -> None:
        data["value"][0]["tags"] = {"Owner": "web-platform"}
        data["value"][1]["tags"] = None  # ARM writes null for a resource without tags

    _edit(root, ACR, tag)
    _edit(root, MI, lambda d: d["value"][0].update(tags={"team": "ci"}))
    inv = AZURE.inventory(BundleReader(root))
    index = resolve(inv)
    registries = {n.name: n.id for n in inv.nodes() if n.subtype == "azure:container-registry"}
    assert _owners(index, registries["failacr"]) == {("web-platform", "tag", "tag Owner")}
    assert _owners(index, registries["passacr"]) == set()
    mi = next(n.id for n in inv.nodes() if n.subtype == "azure:managed-identity")
    assert _owners(index, mi) == {("ci", "tag", "tag team")}
