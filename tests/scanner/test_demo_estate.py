"""The demo estate: regenerating it gives the committed bundle, byte for byte, and its files are well formed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from scanner.bundle import BundleReader, Manifest
from scanner.demo_estate import BUNDLE
from scanner.demo_estate.generate import SCOPES, build, main, write
from scanner.plugins import connectors

SHA_PIN = re.compile(r"@[0-9a-f]{40}$")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bundle() -> BundleReader:
    return BundleReader(BUNDLE)


def test_bundle_folder_is_committed() -> None:
    assert BUNDLE.is_dir()
    assert (BUNDLE / "manifest.json").is_file()


def test_regenerating_gives_the_committed_bundle(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    count = write(out)
    fresh, committed = _tree(out), _tree(BUNDLE)
    assert sorted(fresh) == sorted(committed), "file list differs: run python -m scanner.demo_estate.generate"
    changed = [rel for rel in fresh if fresh[rel] != committed[rel]]
    assert not changed, f"stale files (re-run the generator): {changed[:5]}"
    assert count == len(committed)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    assert main([str(tmp_path / "a")]) == 0
    assert main([str(tmp_path / "b")]) == 0
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_generator_refuses_to_replace_an_unrelated_folder(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SystemExit):
        write(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_manifest_validates(bundle: BundleReader) -> None:
    manifest = bundle.manifest
    assert isinstance(manifest, Manifest)
    assert manifest.collected_at == "2026-11-20T06:00:00Z"
    assert manifest.scopes == list(SCOPES)
    assert {s.split(":", 1)[0] for s in manifest.scopes} == set(connectors())
    assert manifest.failed() == []


@pytest.mark.parametrize("era", ["previous", "current"])
def test_every_provider_folder_loads_and_transforms_with_its_connector(era: str, tmp_path: Path) -> None:
    """The loaders validate the providers' shapes: every folder of both collections passes them."""
    root = BUNDLE if era == "current" else tmp_path / "previous"
    if era == "previous":
        write(root, "previous")
    reader = BundleReader(root)
    assert sorted(reader.providers()) == sorted(connectors())
    for name, spec in connectors().items():
        inv = spec.inventory(reader)
        assert len(inv) > 0, name
        assert not list(inv.gaps), name


def test_the_previous_collection_differs_in_the_planted_changes_only() -> None:
    previous, current = build("previous"), build("current")
    changed = sorted(rel for rel in current.keys() | previous.keys() if current.get(rel) != previous.get(rel))
    # Run histories move with the collection window (a week of runs more, a week fewer): not a change.
    changed = [rel for rel in changed if not rel.endswith("/actions/runs.json")]
    assert changed == [
        "aws/210987654321/iam-get-account-authorization-details.json",  # gha-billing-worker-push widened
        "azure/graph/v1.0/applications.json",  # the "jenkins" client secret deleted
        "dockerhub/v2/access-tokens.json",  # the "laptop" token created
        "gcp/projects/acme-ml-prod/serviceAccounts/model-pusher@acme-ml-prod.iam.gserviceaccount.com/keys.json",
        "manifest.json",  # collected a week apart
        "npm/-/npm/v1/attestations/@acme-corp/ui-kit@3.2.1.json",  # 3.2.1 published in between
        "npm/@acme-corp/ui-kit.json",
    ]


def test_previous_needs_an_out_dir(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--previous"]) == 2
    assert "OUT_DIR" in capsys.readouterr().err


def test_every_json_file_parses(bundle: BundleReader) -> None:
    rels = list(bundle.files("", ".json"))
    assert len(rels) > 100
    for rel in rels:
        bundle.json(rel)


def test_every_workflow_is_a_mapping_with_on_and_jobs(bundle: BundleReader) -> None:
    rels = list(bundle.files("github/repos", ".yml"))
    assert len(rels) >= 30
    for rel in rels:
        assert "/contents/.github/workflows/" in rel
        wf = bundle.yaml(rel)
        assert isinstance(wf, dict), rel
        assert "on" in wf, rel  # YAML 1.2 reading: "on" stays a string key
        assert isinstance(wf["jobs"], dict), rel
        assert wf["jobs"], rel


def test_sizes(bundle: BundleReader) -> None:
    repos = bundle.json("github/orgs/acme-corp/repos.json")
    assert isinstance(repos, list)
    assert 30 <= len(repos) <= 40
    assert {r["full_name"].split("/")[0] for r in repos} == {"acme-corp"}
    projects = list(bundle.files("pypi/pypi", "json.json"))
    assert 10 <= len(projects) <= 14


def test_shapes_of_github_files(bundle: BundleReader) -> None:
    org = bundle.json("github/orgs/acme-corp.json")
    assert org["login"] == "acme-corp"
    assert org["type"] == "Organization"
    secrets = bundle.json("github/orgs/acme-corp/actions/secrets.json")
    assert secrets["total_count"] == len(secrets["secrets"])
    for s in secrets["secrets"]:
        assert s["visibility"] in ("all", "private", "selected")
        if s["visibility"] == "selected":
            assert s["selected_repositories_url"].endswith(f"/actions/secrets/{s['name']}/repositories")
            listed = bundle.json(f"github/orgs/acme-corp/actions/secrets/{s['name']}/repositories.json")
            assert listed["total_count"] == len(listed["repositories"])
    for repo in bundle.json("github/orgs/acme-corp/repos.json"):
        base = f"github/repos/acme-corp/{repo['name']}"
        perms = bundle.json(f"{base}/actions/permissions/workflow.json")
        assert perms["default_workflow_permissions"] in ("read", "write")
        listed = bundle.json(f"{base}/actions/secrets.json")
        assert listed["total_count"] == len(listed["secrets"])
        envs = bundle.json(f"{base}/environments.json")
        assert envs["total_count"] == len(envs["environments"])
        for env in envs["environments"]:
            assert bundle.exists(f"{base}/environments/{env['name']}/secrets.json")
            for rule in env["protection_rules"]:
                assert rule["type"] in ("required_reviewers", "wait_timer", "branch_policy")


def test_shapes_of_pypi_files(bundle: BundleReader) -> None:
    for rel in bundle.files("pypi/pypi", "json.json"):
        project = rel.split("/")[2]
        data = bundle.json(rel)
        assert data["info"]["name"] == project
        assert data["info"]["project_urls"]["Source"].startswith("https://github.com/acme-corp/")
        assert 2 <= len(data["releases"]) <= 4
        simple = bundle.json(f"pypi/simple/{project}/index.json")
        assert simple["name"] == project
        for f in simple["files"]:
            assert re.fullmatch(r"[0-9a-f]{64}", f["hashes"]["sha256"])
            if f["provenance"] is None:
                continue
            version = f["provenance"].split("/")[-3]
            prov = bundle.json(f"pypi/integrity/{project}/{version}/{f['filename']}/provenance.json")
            assert prov["version"] == 1
            publisher = prov["attestation_bundles"][0]["publisher"]
            assert publisher["kind"] == "GitHub"
            assert publisher["repository"].startswith("acme-corp/")
        roles = bundle.json(f"pypi/xmlrpc/package_roles/{project}.json")
        assert roles
        assert all(role in ("Owner", "Maintainer") for role, _ in roles)


def _jobs(bundle: BundleReader) -> list[tuple[str, str, str, dict[str, Any]]]:
    out = []
    for rel in bundle.files("github/repos", ".yml"):
        repo = rel.split("/")[3]
        for name, job in bundle.yaml(rel)["jobs"].items():
            out.append((repo, rel.rsplit("/", 1)[1], name, job))
    return out


def _publish_secrets(job: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for step in job.get("steps", []):
        if str(step.get("uses", "")).startswith("pypa/gh-action-pypi-publish@"):
            found |= set(re.findall(r"secrets\.([A-Z0-9_]+)", str(step.get("with", {}))))
    return found


def test_the_top_story_is_the_only_unpinned_job_with_a_publish_token(bundle: BundleReader) -> None:
    risky = []
    for repo, wf, name, job in _jobs(bundle):
        uses = [str(s["uses"]) for s in job.get("steps", []) if "uses" in s]
        third_party_unpinned = [u for u in uses if not u.startswith("actions/") and not SHA_PIN.search(u)]
        if third_party_unpinned and _publish_secrets(job):
            risky.append((repo, wf, name))
    assert risky == [("llm-gateway", "ci-release.yml", "scan-and-publish")]
    wf = bundle.yaml("github/repos/acme-corp/llm-gateway/contents/.github/workflows/ci-release.yml")
    job = wf["jobs"]["scan-and-publish"]
    assert "environment" not in job
    assert set(wf["on"]) == {"push", "workflow_dispatch"}
    assert any(s.get("uses") == "aquasecurity/trivy-action@master" for s in job["steps"])
    assert _publish_secrets(job) == {"PYPI_API_TOKEN"}
    simple = bundle.json("pypi/simple/acme-llm-gateway/index.json")
    assert all(f["provenance"] is None for f in simple["files"])


def test_no_credential_shaped_values(bundle: BundleReader) -> None:
    # Access key ids follow AWS's documentation convention (AKIA…EXAMPLE), never a live key's shape.
    pattern = re.compile(
        r"pypi-AgE|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_|AKIA(?![0-9A-Z]{9}EXAMPLE)[0-9A-Z]{16}"
        r"|npm_[A-Za-z0-9]{36}|dckr_(pat|oat)_|glpat-|cmVmdGtu|-----BEGIN"
    )
    for rel in bundle.files(""):
        assert not pattern.search(bundle.text(rel)), rel
