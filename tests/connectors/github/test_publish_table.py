"""Rows of the publish-step table (connectors/github/actions.py) beyond the ones the bundle covers."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.github import SPEC
from scanner.bundle import BundleReader
from scanner.model import Inventory, NodeId, NodeKind

REPO = "github/repos/o/r"
WORKFLOW = """
on: push
permissions: {id-token: write}
jobs:
  ghcr:
    steps:
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, password: "${{ secrets.REG_TOKEN }}"}
  twine:
    env: {TWINE_PASSWORD: "${{ secrets.REG_TOKEN }}"}
    steps:
      - run: python -m twine upload dist/*
  uv:
    steps:
      - run: uv publish
        env: {UV_PUBLISH_TOKEN: "${{ secrets.REG_TOKEN }}"}
  testpypi-oidc:
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with: {repository-url: "https://test.pypi.org/legacy/"}
  npm-action:
    steps:
      - uses: JS-DevTools/npm-publish@v3
        with: {token: "${{ secrets.REG_TOKEN }}"}
  build-only:
    steps:
      - run: npm publish --dry-run
"""


def _inventory(tmp_path: Path) -> Inventory:
    wf = tmp_path / REPO / "contents/.github/workflows/p.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(WORKFLOW, encoding="utf-8")
    secret = {"name": "REG_TOKEN", "created_at": "2024-05-06T07:08:09Z", "updated_at": "2024-05-06T07:08:09Z"}
    (tmp_path / REPO / "actions").mkdir(parents=True)
    (tmp_path / REPO / "actions/secrets.json").write_text(
        json.dumps({"total_count": 1, "secrets": [secret]}), encoding="utf-8"
    )
    return SPEC.inventory(BundleReader(tmp_path))


def test_publish_rows(tmp_path: Path) -> None:
    inv = _inventory(tmp_path)

    def attrs(job: str) -> tuple[object, object]:
        n = inv.node(NodeId(f"github:job:o/r/.github/workflows/p.yml#{job}"))
        return n.attrs["publishes"], n.attrs["pypi_trusted_publishing"]

    # a registry login alone publishes nothing (the old table counted it as a publish)
    assert attrs("ghcr") == ((), False)
    assert attrs("twine") == (("pypi",), False)
    assert attrs("uv") == (("pypi",), False)
    # OIDC publishing to Test PyPI is not PyPI Trusted Publishing
    assert attrs("testpypi-oidc") == (("testpypi",), False)
    assert attrs("npm-action") == (("npm",), False)
    # a dry run publishes nothing
    assert attrs("build-only") == ((), False)
    creds = {n.id for n in inv.nodes() if n.kind == NodeKind.CREDENTIAL}
    # one secret used by PyPI and npm steps and a GHCR login: one credential node per registry (the
    # GHCR one held, not seen publishing)
    assert creds == {
        "pypi:token:github/o/r/REG_TOKEN",
        "npm:token:github/o/r/REG_TOKEN",
        "ghcr:token:github/o/r/REG_TOKEN",
    }
    vias = {e.via for e in inv.edges() if e.dst == "pypi:token:github/o/r/REG_TOKEN"}
    assert vias == {"env.TWINE_PASSWORD", "env.UV_PUBLISH_TOKEN"}
