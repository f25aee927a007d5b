"""Loading the github/ folder: absent files are "not collected", malformed ones name the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from connectors.github import load, transform
from scanner.bundle import BundleReader
from scanner.errors import BundleError
from scanner.model import Inventory, Node, NodeId

BUNDLE = Path(__file__).parents[2] / "fixtures" / "github" / "bundle"
WF = "github/repos/acme/app/contents/.github/workflows"


def _node(inv: Inventory, nid: str) -> Node:
    return inv.node(NodeId(nid))


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLE, root)
    return root


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _load_error(root: Path) -> BundleError:
    with pytest.raises(BundleError) as info:
        load(BundleReader(root))
    return info.value


def test_loads_the_fixture() -> None:
    raw = load(BundleReader(BUNDLE))
    assert [o.login for o in raw.orgs] == ["acme"]
    assert [r.full_name for r in raw.repos] == ["acme/app", "acme/site"]
    app = raw.repos[0]
    assert app.meta is not None
    assert app.meta.file == "github/orgs/acme/repos.json"
    assert sorted(app.env_secrets) == ["production"]
    assert [w.path for w in app.workflows] == [
        ".github/workflows/npm.yaml",
        ".github/workflows/pr.yml",
        ".github/workflows/release.yml",
        ".github/workflows/reuse.yml",
    ]
    site = raw.repos[1]
    assert (site.secrets, site.environments) == (None, None)  # not collected
    assert sorted(raw.orgs[0].selected) == ["DOCKERHUB_TOKEN"]


def test_empty_bundle_has_no_github(tmp_path: Path) -> None:
    raw = load(BundleReader(tmp_path))
    assert (raw.orgs, raw.repos) == ((), ())
    assert len(transform(raw)) == 0


def test_only_workflows_collected(tmp_path: Path) -> None:
    rel = "github/repos/someone/tool/contents/.github/workflows/ci.yml"
    _write(tmp_path, rel, "on: push\njobs:\n  t:\n    steps:\n      - run: echo ${{ secrets.X }}\n")
    # files outside .github/workflows itself are not workflows GitHub runs
    _write(tmp_path, "github/repos/someone/tool/contents/.github/workflows/sub/x.yml", "- not: read\n")
    _write(tmp_path, "github/repos/someone/tool/contents/.github/workflows/README.md", "# notes\n")
    raw = load(BundleReader(tmp_path))
    assert [(r.full_name, len(r.workflows)) for r in raw.repos] == [("someone/tool", 1)]
    inv = transform(raw)
    job = _node(inv, inv_id := next(n.id for n in inv.nodes() if n.subtype == "github:job"))
    assert inv_id == "github:job:someone/tool/.github/workflows/ci.yml#t"
    # nothing collected about the repository: unknown, not "safe"
    assert (job.attrs["contents_write"], job.attrs["oidc"]) == (None, False)
    assert _node(inv, "github:repo:someone/tool").attrs["private"] is None
    # the secret list was not collected: the named secret is still a secret (level unknown), and
    # the missing list is a gap, never a silent "no secrets"
    secret = _node(inv, "github:secret:someone/tool/X")
    assert secret.attrs["listed"] is False
    assert {(e.src, e.dst) for e in inv.edges()} == {(job.id, secret.id)}
    # (since issue 15 the gap names the file by its bundle path, and so does each list a collected repository
    # should have)
    base = "github/repos/someone/tool"
    assert [(g.scope, g.reason.split(" not collected")[0]) for g in inv.gaps] == [
        ("someone/tool", f"{base}/actions/secrets.json"),
        ("someone/tool", f"{base}/actions/permissions/workflow.json"),
        ("someone/tool", f"{base}/environments.json"),
        ("someone/tool", f"{base}/actions/runs.json"),
    ]


def test_listed_secrets_are_not_inferred(tmp_path: Path) -> None:
    base = "github/repos/someone/tool"
    _write(
        tmp_path,
        f"{base}/contents/.github/workflows/ci.yml",
        "on: push\njobs:\n  t:\n    steps:\n      - run: echo ${{ secrets.X }}\n",
    )
    _write(tmp_path, f"{base}/actions/secrets.json", json.dumps({"total_count": 0, "secrets": []}))
    # the other lists a collected repository has (each would be a coverage gap: issue 15)
    perms = {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False}
    _write(tmp_path, f"{base}/actions/permissions/workflow.json", json.dumps(perms))
    _write(tmp_path, f"{base}/environments.json", json.dumps({"total_count": 0, "environments": []}))
    _write(tmp_path, f"{base}/actions/runs.json", json.dumps({"total_count": 0, "workflow_runs": []}))
    meta = {"name": "tool", "full_name": "someone/tool", "owner": {"login": "someone", "type": "User"},
            "private": False, "html_url": "https://github.com/someone/tool"}  # fmt: skip
    _write(tmp_path, f"{base}.json", json.dumps(meta))
    inv = transform(load(BundleReader(tmp_path)))
    # every list that could hold X was collected (a user's repository has no organization secrets):
    # secrets.X is empty at run time, not a secret
    assert "github:secret:someone/tool/X" not in inv
    assert inv.gaps == []


@pytest.mark.parametrize(
    ("rel", "text", "problem"),
    [
        ("github/orgs/acme/repos.json", '[{"name": "app", "full_name": "acme/app"', "invalid JSON"),
        ("github/repos/acme/app/actions/secrets.json", '{"total_count": 1, "secrets": {"name": "X"}}', "secrets"),
        ("github/repos/acme/app/actions/secrets.json", '{"total_count": 1, "secrets": "X"}', "secrets"),
        ("github/repos/acme/app/actions/secrets.json", '{"total_count": 1, "secrets": [{"name": "X"}]}', "created_at"),
        (
            "github/orgs/acme/actions/secrets.json",
            json.dumps(
                {
                    "total_count": 1,
                    "secrets": [{"name": "X", "created_at": "t", "updated_at": "t", "visibility": "everyone"}],
                }
            ),
            "visibility",
        ),
        ("github/repos/acme/app/actions/permissions/workflow.json", '{"default_workflow_permissions": "admin"}', ""),
        ("github/repos/acme/app/environments.json", '{"total_count": 1, "environments": [{"id": 1}]}', "name"),
        ("github/orgs/acme/repos.json", '{"repositories": []}', ""),
        ("github/orgs/acme.json", '{"login": "acme", "login": "evil", "id": 1}', "duplicate key"),
        ("github/repos/acme/app/environments/production/secrets.json", "", "invalid JSON"),
    ],
)
def test_malformed_file_names_it(bundle: Path, rel: str, text: str, problem: str) -> None:
    _write(bundle, rel, text)
    err = _load_error(bundle)
    assert str(err).startswith(f"{rel}: ")
    assert err.file == rel
    assert problem in err.problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- just\n- a list\n", "a workflow must be a YAML mapping, got a list"),
        ("just a scalar\n", "a workflow must be a YAML mapping, got a scalar"),
        ("", "a workflow must be a YAML mapping, got nothing"),
        ("on: push\njobs:\n  a: [\n", "invalid YAML"),
        ("on: push\njobs: [a, b]\n", "jobs: expected a mapping, got a list"),
        ("on: push\njobs:\n  a:\n    steps: {run: x}\n", "jobs.a.steps: expected a list"),
        ("on: push\njobs:\n  a:\n    steps: [x]\n", "jobs.a.steps[0]: expected a mapping"),
        ("on: push\njobs:\n  a:\n    permissions: admin\n", "jobs.a.permissions"),
    ],
)
def test_uninterpretable_workflow_is_a_gap_for_its_repository(bundle: Path, text: str, problem: str) -> None:
    """Pipeline content regwarden cannot interpret is a coverage gap for that repository, not bad
    input: the rest of the bundle (the repository's other workflows included) is analysed."""
    rel = f"{WF}/release.yml"
    _write(bundle, rel, text)
    raw = load(BundleReader(bundle))
    app = raw.repos[0]
    assert [w.path for w in app.workflows] == [
        ".github/workflows/npm.yaml",
        ".github/workflows/pr.yml",
        ".github/workflows/reuse.yml",
    ]
    assert [(f, problem in p) for f, p in app.unreadable] == [(rel, True)]
    gaps = [g for g in transform(raw).gaps if g.what == f"pipeline file {rel}"]
    assert len(gaps) == 1
    assert gaps[0].scope == "acme/app"
    assert problem in gaps[0].reason


def test_workflow_not_utf8_is_a_gap(bundle: Path) -> None:
    rel = f"{WF}/npm.yaml"
    (bundle / rel).write_bytes(b"on: push\n\xff\xfe\n")
    app = load(BundleReader(bundle)).repos[0]
    assert app.unreadable == ((rel, "not UTF-8 text (byte 9)"),)


def test_path_escape_in_a_name_is_refused(bundle: Path) -> None:
    # A secret name is used in a path; a hostile export must not make us read outside the bundle.
    rel = "github/orgs/acme/actions/secrets.json"
    _write(
        bundle,
        rel,
        json.dumps(
            {
                "total_count": 1,
                "secrets": [{"name": "../../../x", "created_at": "t", "updated_at": "t", "visibility": "selected"}],
            }
        ),
    )
    err = _load_error(bundle)
    assert err.file == rel
    assert err.problem.startswith("secrets.0.name: String should match pattern")


def test_gaps_for_unknown_visibility(bundle: Path) -> None:
    (bundle / "github/orgs/acme/actions/secrets/DOCKERHUB_TOKEN/repositories.json").unlink()
    (bundle / "github/orgs/acme/repos.json").unlink()
    inv = transform(load(BundleReader(bundle)))
    whats = sorted(g.what for g in inv.gaps)
    assert "repositories that can read organization secret DOCKERHUB_TOKEN" in whats
    assert "whether private-only organization secret PRIVATE_ONLY is visible" in whats
    # unknown visibility is not guessed: no edge to either secret
    readers = {e.dst for e in inv.edges() if e.src.endswith("pr.yml#label")}
    assert "github:org-secret:acme/PRIVATE_ONLY" not in readers
