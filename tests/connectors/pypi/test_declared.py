"""Trusted Publishers and API tokens declared by the owner (PyPI has no API that lists them)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.pypi import SPEC
from connectors.pypi.fetch import Settings, collect, owner_declared, scopes
from scanner.analyse import analyse
from scanner.bundle import BundleReader, BundleWriter
from scanner.errors import BundleError, ConfigError
from scanner.model import Action, EdgeKind, NodeId

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "pypi" / "bundle"
NOW = datetime(2026, 11, 20, tzinfo=UTC)

DECLARED: dict[str, list[dict[str, Any]]] = {
    "trusted_publishers": [
        {
            "project": "Legacy_Tool",
            "publisher": {
                "kind": "GitHub",
                "repository": "acme/legacy",
                "workflow": "release.yml",
                "environment": "pypi",
            },
        }
    ],
    "api_tokens": [
        {"user": "acme-admin", "name": "old-upload", "scope": "user", "created": "2023-01-05T00:00:00Z"},
        {
            "user": "ci-bot",
            "name": "legacy-ci",
            "scope": "project",
            "project": "legacy-tool",
            "created": "2025-02-01T00:00:00Z",
        },
        {"user": "ci-bot", "name": "gone", "scope": "project", "project": "not-collected"},
    ],
}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(FIXTURE, dst)
    (dst / "pypi" / "owner-declared.json").write_text(json.dumps(DECLARED))
    return dst


def test_declared_publisher_and_tokens_become_nodes_and_findings(bundle: Path) -> None:
    inv = SPEC.inventory(BundleReader(bundle))
    legacy = NodeId("pypi:project:legacy-tool")
    pub = NodeId("pypi:publisher:legacy-tool:GitHub:acme/legacy/release.yml@pypi")
    assert inv.node(legacy).attrs["trusted_publisher"] == "GitHub:acme/legacy/release.yml@pypi"
    assert inv.node(pub).attrs["declared"] is True
    grants = {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.GRANTS and Action.PUBLISH in e.actions}
    assert (pub, legacy) in grants
    assert (NodeId("pypi:api-token:ci-bot/legacy-ci"), legacy) in grants
    # the user-scoped token reaches every project its user has a role on
    user_token = NodeId("pypi:api-token:acme-admin/old-upload")
    user_projects = {e.dst for e in inv.edges() if e.src == NodeId("pypi:user:acme-admin")}
    assert user_projects
    assert {d for s, d in grants if s == user_token} == user_projects
    assert [g.scope for g in inv.gaps] == ["not-collected"]
    # the hint links the CI job that matches the declared publisher
    assert any(h.dst == pub and h.kind is EdgeKind.CAN_ASSUME for h in inv.hints)

    result = analyse(inv, source="t", as_of=NOW)
    by_rule = {(f.rule, f.subject) for f in result.findings}
    # Trusted Publisher configured, latest release unattested, and a standing token beside it
    assert ("RB02", legacy) in by_rule
    assert ("RB01", NodeId("pypi:api-token:ci-bot/legacy-ci")) in by_rule
    assert ("RB01", user_token) in by_rule


def test_malformed_declaration_file_names_the_file(bundle: Path) -> None:
    (bundle / "pypi" / "owner-declared.json").write_text('{"api_tokens": [{"user": "x"}]}')
    with pytest.raises(BundleError, match=r"^pypi/owner-declared\.json: api_tokens\.0\.name"):
        SPEC.inventory(BundleReader(bundle))


def test_collection_writes_config_and_export_declarations(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"api_tokens": DECLARED["api_tokens"][:1]}))
    settings = Settings(projects=["x"], trusted_publishers=DECLARED["trusted_publishers"], owner_export=str(export))
    assert scopes(settings) == ["project:x", "owner-declared"]
    writer = BundleWriter(tmp_path / "b")
    collect(settings, "owner-declared", writer)
    writer.commit("2026-11-20T00:00:00Z")
    written = json.loads((tmp_path / "b" / "pypi" / "owner-declared.json").read_text())
    assert [t["name"] for t in written["api_tokens"]] == ["old-upload"]
    assert written["trusted_publishers"][0]["publisher"]["repository"] == "acme/legacy"
    assert scopes(Settings(projects=["x"])) == ["project:x"]


def test_bad_export_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "export.json"
    bad.write_text('{"api_tokens": [{"name": "n"}]}')
    with pytest.raises(ConfigError, match=r"owner_export: .*export\.json: api_tokens\.0\.user: Field required"):
        owner_declared(Settings(projects=["x"], owner_export=str(bad)))
    with pytest.raises(ConfigError, match="owner_export"):
        owner_declared(Settings(projects=["x"], owner_export=str(tmp_path / "missing.json")))
