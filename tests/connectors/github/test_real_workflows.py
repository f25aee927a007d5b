"""Real public workflow files (unchanged, see tests/fixtures/github/README.md) in a minimal bundle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from connectors.github import SPEC
from scanner.bundle import BundleReader
from scanner.model import EdgeKind, Inventory, Node, NodeId, NodeKind

WORKFLOWS = Path(__file__).parents[2] / "fixtures" / "github" / "workflows"


def _node(inv: Inventory, nid: str) -> Node:
    return inv.node(NodeId(nid))


def _inventory(
    tmp_path: Path,
    fixture: str,
    repo: str,
    path: str,
    secrets: tuple[str, ...] = (),
    default: str | None = None,
) -> Inventory:
    base = tmp_path / "github" / "repos" / repo
    target = base / "contents" / path
    target.parent.mkdir(parents=True)
    shutil.copyfile(WORKFLOWS / fixture, target)
    if secrets:
        doc = {
            "total_count": len(secrets),
            "secrets": [
                {"name": n, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"} for n in secrets
            ],
        }
        (base / "actions").mkdir(parents=True)
        (base / "actions" / "secrets.json").write_text(json.dumps(doc), encoding="utf-8")
    if default is not None:
        (base / "actions" / "permissions").mkdir(parents=True)
        doc2 = {"default_workflow_permissions": default, "can_approve_pull_request_reviews": False}
        (base / "actions" / "permissions" / "workflow.json").write_text(json.dumps(doc2), encoding="utf-8")
    return SPEC.inventory(BundleReader(tmp_path))


def _edges(inv: Inventory, src: str, kind: EdgeKind) -> set[str]:
    return {e.dst for e in inv.edges() if e.src == src and e.kind == kind}


def test_flask_token_publish_and_slsa(tmp_path: Path) -> None:
    inv = _inventory(
        tmp_path,
        "pallets-flask-publish.yaml",
        "pallets/flask",
        ".github/workflows/publish.yaml",
        secrets=("PYPI_TOKEN", "TEST_PYPI_TOKEN"),
        default="read",
    )
    job = "github:job:pallets/flask/.github/workflows/publish.yaml#"
    assert {n.id for n in inv.nodes() if n.kind == NodeKind.IDENTITY} == {
        job + j for j in ("build", "provenance", "create-release", "publish-pypi")
    }
    publish = _node(inv, job + "publish-pypi").attrs
    assert (publish["environment"], publish["publishes"]) == ("publish", ("pypi", "testpypi"))
    assert (publish["oidc"], publish["pypi_trusted_publishing"]) == (False, False)
    assert _edges(inv, job + "publish-pypi", EdgeKind.CAN_READ_SECRET) == {
        "github:secret:pallets/flask/PYPI_TOKEN",
        "github:secret:pallets/flask/TEST_PYPI_TOKEN",
    }
    # the token sent to the real PyPI is a PyPI credential; the Test PyPI one a Test PyPI credential,
    # which reaches no production registry
    creds = {n.id for n in inv.nodes() if n.kind == NodeKind.CREDENTIAL and n.subtype != "github:actions-token"}
    assert creds == {
        "pypi:token:github/pallets/flask/PYPI_TOKEN",
        "testpypi:token:github/pallets/flask/TEST_PYPI_TOKEN",
    }
    assert [h.src for h in inv.hints] == ["pypi:token:github/pallets/flask/PYPI_TOKEN"]
    testpypi = _edges(inv, "testpypi:token:github/pallets/flask/TEST_PYPI_TOKEN", EdgeKind.GRANTS)
    assert testpypi == {"github:published-from:testpypi/github/pallets/flask"}
    assert _node(inv, next(iter(testpypi))).attrs["production"] is False
    slsa = "github:action:slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v1.5.0"
    assert _node(inv, slsa).subtype == "github:reusable-workflow"
    assert _node(inv, slsa).attrs["pinned"] is False
    assert _node(inv, job + "provenance").attrs["oidc"] is True
    assert _node(inv, job + "create-release").attrs["contents_write"] is True
    checkout = "github:action:actions/checkout@ac593985615ec2ede58e132d2e21d2b1cbd6127c"
    assert _node(inv, checkout).attrs["pinned"] is True
    assert _node(inv, job + "publish-pypi").evidence[0].line == 55


def test_urllib3_trusted_publishing(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "urllib3-urllib3-publish.yml", "urllib3/urllib3", ".github/workflows/publish.yml")
    job = "github:job:urllib3/urllib3/.github/workflows/publish.yml#"
    publish = _node(inv, job + "publish").attrs
    assert (publish["oidc"], publish["pypi_trusted_publishing"]) == (True, True)
    # `gh release upload` with the job's token publishes to GitHub Releases as well
    assert publish["publishes"] == ("github-releases", "pypi")
    assert publish["publish_routes"] == ("github-releases:job_token", "pypi:oidc")
    # environment given in its mapping form
    assert _node(inv, job + "build").attrs["environment"] == "publish"
    assert _edges(inv, job + "build", EdgeKind.GRANTS) == {"github:environment:urllib3/urllib3/publish"}
    # workflow-level contents: read applies to the job without its own permissions
    assert _node(inv, job + "build").attrs["contents_write"] is False
    # GITHUB_TOKEN is not a secret node; with contents: write it is the repository's token credential,
    # which starts no workflow here (none listens to repository_dispatch)
    assert _edges(inv, job + "publish", EdgeKind.CAN_READ_SECRET) <= {
        "github:actions-token:urllib3/urllib3#contents-write"
    }
    tokens = [n for n in inv.nodes() if n.kind == NodeKind.CREDENTIAL]
    assert all(n.subtype == "github:actions-token" for n in tokens)
    assert not [e for e in inv.edges() if e.kind is EdgeKind.CAN_ASSUME]


def test_pip_trusted_publishing_without_repo_settings(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "pypa-pip-release.yml", "pypa/pip", ".github/workflows/release.yml")
    job = "github:job:pypa/pip/.github/workflows/release.yml#"
    publish = _node(inv, job + "publish-to-pypi")
    assert publish.attrs["job_name"] == "Publish Python 🐍 distribution 📦 to PyPI"
    assert (publish.attrs["environment"], publish.attrs["pypi_trusted_publishing"]) == ("pypi", True)
    # no permissions key and no repository default collected: unknown
    assert _node(inv, job + "build").attrs["contents_write"] is None
    # environments.json not collected: protection unknown, not "unprotected"
    assert _node(inv, "github:environment:pypa/pip/pypi").attrs["protected"] is None


def test_numpy_pull_request_target(tmp_path: Path) -> None:
    inv = _inventory(
        tmp_path, "numpy-numpy-labeler.yml", "numpy/numpy", ".github/workflows/labeler.yml", default="write"
    )
    job = _node(inv, "github:job:numpy/numpy/.github/workflows/labeler.yml#pr-labeler").attrs
    assert (job["triggers"], job["untrusted_trigger"]) == (("pull_request_target",), True)
    # job permissions (pull-requests only) beat the repository's write default
    assert (job["contents_write"], job["actions_write"], job["oidc"]) == (False, False, False)
    action = _node(inv, "github:action:gerrymanoim/pr-prefix-labeler@c8062327f6de59a9ae1c19f7f07cacd0b976b6fa")
    assert (action.attrs["pinned"], action.attrs["first_party_github"]) == (True, False)


def test_ruff_secrets_inherit(tmp_path: Path) -> None:
    inv = _inventory(
        tmp_path,
        "astral-sh-ruff-release.yml",
        "astral-sh/ruff",
        ".github/workflows/release.yml",
        secrets=("CODSPEED_TOKEN", "RELEASE_TOKEN"),
        default="read",
    )
    job = "github:job:astral-sh/ruff/.github/workflows/release.yml#"
    secrets = {"github:secret:astral-sh/ruff/CODSPEED_TOKEN", "github:secret:astral-sh/ruff/RELEASE_TOKEN"}
    inheriting = {
        "custom-build-binaries",
        "custom-build-docker",
        "custom-publish-pypi",
        "custom-notify-dependents",
        "custom-publish-docs",
        "custom-publish-playground",
    }
    for name in inheriting:
        token = {e for e in _edges(inv, job + name, EdgeKind.CAN_READ_SECRET) if "actions-token" in e}
        assert _edges(inv, job + name, EdgeKind.CAN_READ_SECRET) - token == secrets, name
        assert _node(inv, job + name).attrs["secrets_inherit"] is True
        # calls to workflows of the same repository are not third parties
        assert _edges(inv, job + name, EdgeKind.RUNS_CODE_OF) == set()
    assert _edges(inv, job + "plan", EdgeKind.CAN_READ_SECRET) <= {"github:actions-token:astral-sh/ruff#contents-write"}
    assert _node(inv, job + "custom-publish-pypi").attrs["oidc"] is True
    # workflow-level contents: write applies to jobs without their own permissions
    assert _node(inv, job + "plan").attrs["contents_write"] is True
    assert _node(inv, job + "custom-build-docker").attrs["contents_write"] is False
    checkout = _node(inv, "github:action:actions/checkout@v4").attrs
    assert (checkout["pinned"], checkout["first_party_github"], checkout["ref"]) == (False, True, "v4")
    assert {n.id for n in inv.nodes() if n.kind == NodeKind.THIRD_PARTY} == {
        "github:action:actions/checkout@v4",
        "github:action:actions/upload-artifact@v4",
        "github:action:actions/download-artifact@v4",
    }
