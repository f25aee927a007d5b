"""GitLab: live collection against a local server answering like the REST API v4 (Link and
x-next-page paging, 404 for a project without a CI file, values never written; the CI file's includes
followed: a local file, another project's file at a ref with its own local include, a template, a
component on another instance left out), then the transform and the rules it feeds."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors.gitlab import SPEC
from connectors.gitlab.fetch import Settings, client, fetch_group
from scanner.analyse import analyse
from scanner.bundle import BundleReader, BundleWriter
from scanner.model import Action, EdgeKind, Inventory, NodeId
from scanner.owners import resolve

TOKEN = "FAKE-TOKEN-FOR-TESTS"
SECRET_VALUE = "FAKE-VALUE-FOR-TESTS-0123456789"
SHA = "0123456789abcdef0123456789abcdef01234567"
API = "/api/v4"

CI = f"""include:
  - project: acme/ci-templates
    ref: main
    file: /release.yml
  - component: gitlab.com/acme/components/scan@{SHA}
  - local: /ci/local.yml
  - template: Jobs/Build.gitlab-ci.yml
variables:
  AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE
default:
  image: python:3.12
publish:
  stage: deploy
  environment: production
  script:
    - twine upload -u __token__ -p "$PYPI_TOKEN" dist/*
release-oidc:
  image: python:3.12@sha256:{"0" * 64}
  environment:
    name: staging
  id_tokens:
    PYPI_ID_TOKEN:
      aud: pypi
  script: [uv publish]
.hidden:
  script: [echo]
"""


def _project(i: int, path: str) -> dict[str, Any]:
    return {
        "id": 10 + i,
        "path_with_namespace": path,
        "default_branch": "main",
        "archived": False,
        "visibility": "private",
    }


def _var(key: str, scope: str = "*", protected: bool = False) -> dict[str, Any]:
    return {
        "variable_type": "env_var",
        "key": key,
        "value": SECRET_VALUE,
        "protected": protected,
        "masked": True,
        "hidden": False,
        "raw": False,
        "environment_scope": scope,
        "description": None,
    }


LOCAL = """
local-push:
  extends: .tpl-push
  script:
    - docker push $CI_REGISTRY_IMAGE:latest
"""
TEMPLATES = """
.tpl-push:
  image: docker:27
  before_script:
    - docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY
include:
  - local: /common.yml
"""
COMMON = """
.common:
  tags: [shared]
"""
TEMPLATE = "build-template-job:\n  script: [make]\n"


def _member(i: int, username: str, access_level: int, state: str = "active") -> dict[str, Any]:
    """One item of ``GET /projects/:id/members`` (GitLab's members API)."""
    return {
        "id": i,
        "username": username,
        "name": username.title(),
        "state": state,
        "avatar_url": f"https://www.gravatar.com/avatar/{i}?s=80&d=identicon",
        "web_url": f"https://gitlab.example/{username}",
        "created_at": "2024-09-22T14:13:35Z",
        "created_by": {"id": 1, "username": "root", "name": "Administrator", "state": "active"},
        "expires_at": None,
        "access_level": access_level,
        "group_saml_identity": None,
    }


def _serve(server: HTTPServer) -> None:
    server.expect_request(f"{API}/groups/acme").respond_with_json({"id": 1, "full_path": "acme", "name": "acme"})
    server.expect_request(
        f"{API}/groups/acme/projects", query_string={"include_subgroups": "true", "per_page": "100"}
    ).respond_with_json(
        [_project(0, "acme/app")],
        headers={
            "Link": f'<{server.url_for(API + "/groups/acme/projects")}?include_subgroups=true&per_page=100&page=2>; rel="next"'
        },
    )
    server.expect_request(
        f"{API}/groups/acme/projects", query_string={"include_subgroups": "true", "per_page": "100", "page": "2"}
    ).respond_with_json([_project(1, "acme/tools/lib")])
    server.expect_request(f"{API}/groups/acme/variables").respond_with_json([_var("PYPI_TOKEN")])
    server.expect_request(f"{API}/groups/acme/deploy_tokens").respond_with_json(
        [{"id": 5, "name": "registry-push", "username": "gitlab+deploy-token-5", "expires_at": None,
          "revoked": False, "expired": False, "scopes": ["read_registry", "write_registry"]}]
    )  # fmt: skip
    server.expect_request(f"{API}/groups/acme/access_tokens").respond_with_json([])
    server.expect_request(f"{API}/groups/acme/descendant_groups").respond_with_json(
        [{"id": 2, "full_path": "acme/tools"}]
    )
    for kind in ("variables", "deploy_tokens", "access_tokens"):
        server.expect_request(f"{API}/groups/acme/tools/{kind}").respond_with_json([])
    # members: the top group's owner; acme/tools has developers only; acme/app a maintainer of its own, in two
    # pages (Link), a developer and a blocked owner; acme/tools/lib's list is refused (403)
    server.expect_request(f"{API}/groups/acme/members").respond_with_json(
        [_member(1, "dave", 50), _member(2, "erin", 30)]
    )
    server.expect_request(f"{API}/groups/acme/tools/members").respond_with_json([_member(3, "frank", 30)])
    members = f"{API}/projects/acme/app/members"
    server.expect_request(members, query_string={"per_page": "100"}).respond_with_json(
        [_member(4, "alice", 40), _member(5, "bob", 30)],
        headers={"Link": f'<{server.url_for(members)}?per_page=100&page=2>; rel="next"'},
    )
    server.expect_request(members, query_string={"per_page": "100", "page": "2"}).respond_with_json(
        [_member(6, "carol", 50, state="blocked")]
    )
    server.expect_request(f"{API}/projects/acme/tools/lib/members").respond_with_json(
        {"message": "403 Forbidden"}, status=403
    )
    # acme/app: variables in two pages (x-next-page), an access token, a protected environment, a CI file
    base = f"{API}/projects/acme/app"
    server.expect_request(f"{base}/variables", query_string={"per_page": "100"}).respond_with_json(
        [_var("AWS_SECRET_ACCESS_KEY", "production")], headers={"x-next-page": "2", "x-page": "1"}
    )
    server.expect_request(f"{base}/variables", query_string={"per_page": "100", "page": "2"}).respond_with_json(
        [_var("DEPLOY_PASSWORD", "staging", protected=True)], headers={"x-next-page": "", "x-page": "2"}
    )
    server.expect_request(f"{base}/deploy_tokens").respond_with_json([])
    server.expect_request(f"{base}/access_tokens").respond_with_json(
        [{"id": 42, "name": "release bot", "revoked": False, "created_at": "2025-01-01T00:00:00.000Z",
          "scopes": ["api"], "user_id": 99, "last_used_at": None, "active": True, "expires_at": "2027-01-01",
          "access_level": 40}]
    )  # fmt: skip
    server.expect_request(f"{base}/protected_environments").respond_with_json(
        [{"name": "production", "deploy_access_levels": [{"access_level": 40}], "required_approval_count": 0,
          "approval_rules": [{"id": 1, "access_level": 40, "required_approvals": 2}]}]
    )  # fmt: skip
    server.expect_request(f"{base}/repository/files/.gitlab-ci.yml/raw").respond_with_data(CI)
    server.expect_request(f"{base}/repository/files/ci/local.yml/raw", query_string={"ref": "main"}).respond_with_data(
        LOCAL
    )
    server.expect_request(f"{base}/protected_branches").respond_with_json(
        [{"id": 1, "name": "main", "push_access_levels": [{"access_level": 40}], "allow_force_push": False}]
    )
    server.expect_request(f"{base}/protected_tags").respond_with_json(
        [{"name": "v*", "create_access_levels": [{"access_level": 40}]}]
    )
    server.expect_request(f"{base}/job_token_scope").respond_with_json(
        {"inbound_enabled": True, "outbound_enabled": False}
    )
    server.expect_request(f"{base}/job_token_scope/allowlist").respond_with_json(
        [{"id": 11, "path_with_namespace": "acme/tools/lib", "name": "lib"}]
    )
    server.expect_request(f"{base}/job_token_scope/groups_allowlist").respond_with_json([])
    tpl = f"{API}/projects/acme/ci-templates/repository/files"
    server.expect_request(f"{tpl}/release.yml/raw", query_string={"ref": "main"}).respond_with_data(TEMPLATES)
    server.expect_request(f"{tpl}/common.yml/raw", query_string={"ref": "main"}).respond_with_data(COMMON)
    server.expect_request(f"{API}/templates/gitlab_ci_ymls/Jobs/Build").respond_with_json(
        {"name": "Jobs/Build", "content": TEMPLATE}
    )
    # acme/tools/lib: no CI file (404), variables refused (403)
    lib = f"{API}/projects/acme/tools/lib"
    server.expect_request(f"{lib}/variables").respond_with_json({"message": "403 Forbidden"}, status=403)
    for kind in ("deploy_tokens", "access_tokens", "protected_environments", "protected_branches", "protected_tags"):
        server.expect_request(f"{lib}/{kind}").respond_with_json([])
    server.expect_request(f"{lib}/job_token_scope").respond_with_json({"message": "403 Forbidden"}, status=403)
    for kind in ("allowlist", "groups_allowlist"):
        server.expect_request(f"{lib}/job_token_scope/{kind}").respond_with_json(
            {"message": "403 Forbidden"}, status=403
        )
    server.expect_request(f"{lib}/repository/files/.gitlab-ci.yml/raw").respond_with_json(
        {"message": "404 File Not Found"}, status=404
    )


@pytest.fixture
def bundle(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BundleReader:
    monkeypatch.setenv("FAKE_GL_TOKEN", TOKEN)
    _serve(httpserver)
    settings = Settings(groups=["acme"], base_url=httpserver.url_for("/"), token_env="FAKE_GL_TOKEN")
    waits: list[float] = []
    rc = client(settings, sleep=waits.append)
    writer = BundleWriter(tmp_path / "bundle")
    fetch_group(rc, settings, "acme", writer)
    assert httpserver.log[0][0].headers["PRIVATE-TOKEN"] == TOKEN
    return BundleReader(writer.commit("2026-11-01T00:00:00Z"))


def test_collect_pages_drops_values_and_records_gaps(bundle: BundleReader) -> None:
    names = {v["key"] for v in bundle.json("gitlab/projects/acme/app/variables.json")}
    assert names == {"AWS_SECRET_ACCESS_KEY", "DEPLOY_PASSWORD"}
    assert [p["path_with_namespace"] for p in bundle.json("gitlab/groups/acme/projects.json")] == [
        "acme/app",
        "acme/tools/lib",
    ]
    for rel in bundle.files(""):
        data = bundle.read_bytes(rel)
        assert SECRET_VALUE.encode() not in data, rel
        assert b"AKIAIOSFODNN7EXAMPLE" not in data, rel
        assert TOKEN.encode() not in data, rel
    var = bundle.json("gitlab/groups/acme/variables.json")[0]
    assert "value" not in var
    assert var["value_fingerprint"].startswith("hmac-sha256:")
    calls = {(c.call, c.status) for c in bundle.manifest.calls}
    assert ("GET /projects/acme%2Ftools%2Flib/repository/files/.gitlab-ci.yml/raw?ref=main", "not_found") in calls
    assert sorted(c.call for c in bundle.manifest.failed()) == [
        "GET /projects/acme%2Ftools%2Flib/job_token_scope",
        "GET /projects/acme%2Ftools%2Flib/job_token_scope/allowlist",
        "GET /projects/acme%2Ftools%2Flib/job_token_scope/groups_allowlist",
        "GET /projects/acme%2Ftools%2Flib/members",
        "GET /projects/acme%2Ftools%2Flib/variables",
    ]
    assert [m["username"] for m in bundle.json("gitlab/projects/acme/app/members.json")] == ["alice", "bob", "carol"]
    # the pipeline's files, each where the analysis looks for it
    pipeline = {
        rel for rel in bundle.files("gitlab") if "/repository/files/" in rel or "/-/raw/" in rel or "templates" in rel
    }
    assert pipeline == {
        "gitlab/projects/acme/app/repository/files/.gitlab-ci.yml",
        "gitlab/projects/acme/app/repository/files/ci/local.yml",
        "gitlab/projects/acme/ci-templates/-/raw/main/release.yml",
        "gitlab/projects/acme/ci-templates/-/raw/main/common.yml",
        "gitlab/templates/gitlab_ci_ymls/Jobs/Build.gitlab-ci.yml",
    }
    assert bundle.json("gitlab/projects/acme/app/job_token_scope/allowlist.json")[0]["path_with_namespace"] == (
        "acme/tools/lib"
    )


def _inv(bundle: BundleReader) -> Inventory:
    return SPEC.inventory(bundle)


def test_transform_jobs_variables_tokens(bundle: BundleReader) -> None:
    inv = _inv(bundle)
    job = "gitlab:job:acme/app/.gitlab-ci.yml#"
    jobs = {n.id for n in inv.nodes() if n.subtype == "gitlab:job"}
    # the local include's job and the template's job are the pipeline's too
    assert jobs == {job + "publish", job + "release-oidc", job + "local-push", job + "build-template-job"}
    push = inv.node(NodeId(job + "local-push")).attrs
    # its login comes from a template of another project's file (extends:), its push from the local include
    assert (push["publishes"], push["publish_routes"]) == (("gitlab-registry",), ("gitlab-registry:job_token",))
    publish = inv.node(NodeId(job + "publish"))
    assert (publish.attrs["repo"], publish.attrs["environment"], publish.attrs["oidc"]) == (
        "acme/app",
        "production",
        False,
    )
    oidc = inv.node(NodeId(job + "release-oidc")).attrs
    assert (oidc["oidc"], oidc["id_token_audiences"], oidc["environment"]) == (True, ("pypi",), "staging")
    reads = {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.CAN_READ_SECRET}
    assert reads == {
        (job + "publish", "gitlab:group-variable:acme/PYPI_TOKEN/*"),
        (job + "publish", "gitlab:variable:acme/app/AWS_SECRET_ACCESS_KEY/production"),
        (job + "release-oidc", "gitlab:group-variable:acme/PYPI_TOKEN/*"),
        (job + "release-oidc", "gitlab:variable:acme/app/DEPLOY_PASSWORD/staging"),
        (job + "local-push", "gitlab:group-variable:acme/PYPI_TOKEN/*"),
        (job + "build-template-job", "gitlab:group-variable:acme/PYPI_TOKEN/*"),
    }
    # protected branches were collected and release-oidc runs on main, which is protected: no condition
    protected = next(e for e in inv.edges() if e.dst == "gitlab:variable:acme/app/DEPLOY_PASSWORD/staging")
    assert protected.conditions == ()
    aws = inv.node(NodeId("gitlab:variable:acme/app/AWS_SECRET_ACCESS_KEY/production"))
    assert aws.attrs["static_cloud_credential"] is True
    includes = {n.id: n.attrs["pinned"] for n in inv.nodes() if n.subtype == "gitlab:include"}
    assert includes == {
        "gitlab:include:acme/ci-templates:/release.yml@main": False,
        f"gitlab:include:gitlab.com/acme/components/scan@{SHA}": True,
        "gitlab:include:template:Jobs/Build.gitlab-ci.yml": False,
    }
    gaps = {(g.what, g.reason) for g in inv.gaps}
    # the component is on gitlab.com, not on the instance collected (a local server here)
    assert any(what.startswith("component gitlab.com/acme/components/scan@") for what, _ in gaps), gaps
    prod = inv.node(NodeId("gitlab:environment:acme/app/production")).attrs
    assert (prod["protected"], prod["required_reviewers"]) == (True, 2)
    deploy = {
        a
        for e in inv.edges()
        if e.src == "gitlab:deploy-token:acme/5" and e.dst == "gitlab:registry:acme/app"
        for a in e.actions
    }
    assert deploy == {Action.READ, Action.PUBLISH}
    bot = next(
        e for e in inv.edges() if e.src == "gitlab:access-token:acme/app/42" and e.dst == "gitlab:project:acme/app"
    )
    assert Action.ADMIN in bot.actions
    dumped = json.dumps([dict(n.attrs) for n in inv.nodes()], default=str)
    assert SECRET_VALUE not in dumped


def test_owners_are_the_nearest_maintainers(bundle: BundleReader) -> None:
    """A project's maintainers own its nodes (a developer and a blocked owner do not); a project whose list was
    not collected, and a group whose members are developers only, fall back to the parent group's."""
    index = resolve(_inv(bundle))

    def owners(nid: str) -> set[tuple[str, str, str]]:
        return {(o.name, o.source, o.via) for o in index.of(NodeId(nid))}

    app = {("alice", "project_member", "project maintainer")}
    assert owners("gitlab:job:acme/app/.gitlab-ci.yml#publish") == app
    assert owners("gitlab:variable:acme/app/AWS_SECRET_ACCESS_KEY/production") == app
    assert owners("gitlab:environment:acme/app/production") == app
    assert owners("gitlab:access-token:acme/app/42") == app
    top = {("dave", "project_member", "group maintainer")}
    assert owners("gitlab:group-variable:acme/PYPI_TOKEN/*") == top
    assert owners("gitlab:deploy-token:acme/5") == top
    assert owners("gitlab:project:acme/tools/lib") == top
    assert index.of(NodeId("gitlab:job:acme/app/.gitlab-ci.yml#publish"))[0].evidence[0].file == (
        "gitlab/projects/acme/app/members.json"
    )


def test_owners_whose_member_lists_were_not_collected_are_not_unknown(bundle: BundleReader, tmp_path: Path) -> None:
    """Without the top group's list, a node none of whose levels names a maintainer has its owners "not
    collected", naming the nearest missing list (acme/tools/lib's was refused); acme/app keeps its own."""
    copy = shutil.copytree(bundle.root, tmp_path / "b")
    (copy / "gitlab/groups/acme/members.json").unlink()
    index = resolve(_inv(BundleReader(copy)))
    assert index.names(NodeId("gitlab:job:acme/app/.gitlab-ci.yml#publish")) == ("alice",)
    assert NodeId("gitlab:job:acme/app/.gitlab-ci.yml#publish") not in index.not_collected
    assert index.not_collected[NodeId("gitlab:project:acme/tools/lib")] == "gitlab/projects/acme/tools/lib/members.json"
    assert index.not_collected[NodeId("gitlab:deploy-token:acme/5")] == "gitlab/groups/acme/members.json"
    assert index.of(NodeId("gitlab:deploy-token:acme/5")) == ()


def test_rules_fed_by_gitlab(bundle: BundleReader) -> None:
    result = analyse(_inv(bundle), source="gitlab", as_of=datetime(2026, 11, 1, tzinfo=UTC))
    by_rule: dict[str, set[str]] = {}
    for f in result.findings:
        by_rule.setdefault(f.rule, set()).add(f.subject)
    # the static AWS key, and the PyPI token `twine upload -p "$PYPI_TOKEN"` publishes with (PyPI accepts
    # GitLab's OIDC tokens: Trusted Publishing would do)
    assert by_rule["RB06"] == {
        "gitlab:variable:acme/app/AWS_SECRET_ACCESS_KEY/production",
        "gitlab:group-variable:acme/PYPI_TOKEN/*",
    }
    assert by_rule["RB12"] == {"gitlab:plaintext:acme/app/.gitlab-ci.yml:9:aws-access-key"}
    # one group variable value stored once; the three values fingerprinted alike are "the same value in 3 places"
    assert "RB08" in by_rule


def test_a_subgroup_without_full_path_is_that_calls_gap(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_GL_TOKEN", TOKEN)
    httpserver.expect_request(f"{API}/groups/acme/descendant_groups").respond_with_json([{"id": 2, "name": "tools"}])
    _serve(httpserver)
    settings = Settings(groups=["acme"], base_url=httpserver.url_for("/"), token_env="FAKE_GL_TOKEN")
    writer = BundleWriter(tmp_path / "bundle")
    fetch_group(client(settings, sleep=lambda _: None), settings, "acme", writer)
    bundle = BundleReader(writer.commit("2026-11-01T00:00:00Z"))
    failed = {c.call: c.detail for c in bundle.manifest.failed()}
    assert "full_path" in failed["GET /groups/acme/descendant_groups"]
    assert not bundle.exists("gitlab/groups/acme/descendant_groups.json")
    # every project of the group is still collected
    assert bundle.exists("gitlab/projects/acme/app/repository/files/.gitlab-ci.yml")
    assert bundle.exists("gitlab/projects/acme/tools/lib/protected_tags.json")


def test_a_project_without_its_path_is_that_calls_gap(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_GL_TOKEN", TOKEN)
    httpserver.expect_request(
        f"{API}/groups/acme/projects", query_string={"include_subgroups": "true", "per_page": "100", "page": "2"}
    ).respond_with_json([{k: v for k, v in _project(1, "acme/tools/lib").items() if k != "path_with_namespace"}])
    _serve(httpserver)
    settings = Settings(groups=["acme"], base_url=httpserver.url_for("/"), token_env="FAKE_GL_TOKEN")
    writer = BundleWriter(tmp_path / "bundle")
    fetch_group(client(settings, sleep=lambda _: None), settings, "acme", writer)
    bundle = BundleReader(writer.commit("2026-11-01T00:00:00Z"))
    failed = {c.call: c.detail for c in bundle.manifest.failed()}
    assert "path_with_namespace" in failed["GET /groups/acme/projects"]
    assert not bundle.exists("gitlab/groups/acme/projects.json")
    # the rest of the group is collected
    assert bundle.exists("gitlab/groups/acme/tools/members.json")
