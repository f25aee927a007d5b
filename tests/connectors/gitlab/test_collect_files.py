"""Collecting a pipeline's files at the wire: a wildcard ``local:`` include through the repository tree (two
pages), a component at ``~latest`` resolved through the project's releases, a template GitLab does not have
(404, recorded as not found), a file whose call fails (recorded, the rest collected), credentials redacted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from connectors.gitlab.collect_files import collect_pipeline
from connectors.gitlab.fetch import Fetcher, Settings, client, host_of
from connectors.gitlab.refs import ProjectFacts
from scanner.bundle import BundleReader, BundleWriter

API = "/api/v4/projects/acme/app"
CI = """
include:
  - local: 'ci/*.yml'
  - component: $CI_SERVER_FQDN/acme/components/npm@~latest
  - template: Nowhere.gitlab-ci.yml
  - local: /ci/sub/broken.yml
"""


def _serve(server: HTTPServer) -> None:
    server.expect_request(f"{API}/repository/files/.gitlab-ci.yml/raw", query_string={"ref": "main"}).respond_with_data(
        CI
    )
    tree = f"{API}/repository/tree"
    server.expect_request(tree, query_string={"recursive": "true", "ref": "main", "per_page": "100"}).respond_with_json(
        [{"path": "ci/a.yml", "type": "blob"}, {"path": "ci", "type": "tree"}],
        headers={"x-next-page": "2"},
    )
    server.expect_request(
        tree, query_string={"recursive": "true", "ref": "main", "per_page": "100", "page": "2"}
    ).respond_with_json([{"path": "ci/b.yml", "type": "blob"}, {"path": "ci/sub/c.yml", "type": "blob"}])
    server.expect_request(f"{API}/repository/files/ci/a.yml/raw").respond_with_data("a:\n  script: [make]\n")
    # a committed credential is redacted before it is written
    server.expect_request(f"{API}/repository/files/ci/b.yml/raw").respond_with_data(
        "b:\n  variables:\n    AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n  script: [make]\n"
    )
    server.expect_request(f"{API}/repository/files/ci/sub/broken.yml/raw").respond_with_json(
        {"message": "boom"}, status=500
    )
    comp = "/api/v4/projects/acme/components"
    server.expect_request(f"{comp}/releases").respond_with_json(
        [{"tag_name": "v2.1.0", "released_at": "2026-10-01T00:00:00Z"}, {"tag_name": "v2.0.0"}]
    )
    server.expect_request(
        f"{comp}/repository/files/templates/npm.yml/raw", query_string={"ref": "v2.1.0"}
    ).respond_with_data("spec:\n  inputs: {}\n---\nnpm-publish:\n  script: [npm publish]\n")
    server.expect_request("/api/v4/templates/gitlab_ci_ymls/Nowhere").respond_with_json(
        {"message": "404 Not Found"}, status=404
    )


@pytest.fixture
def bundle(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BundleReader:
    monkeypatch.setenv("FAKE_GL_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    _serve(httpserver)
    settings = Settings(groups=["acme"], base_url=httpserver.url_for("/"), token_env="FAKE_GL_TOKEN", max_retries=0)
    writer = BundleWriter(tmp_path / "bundle")
    fetcher = Fetcher(client(settings, sleep=lambda _: None), settings, "acme", writer)
    project = {"id": 7, "path_with_namespace": "acme/app", "default_branch": "main",
               "web_url": f"{httpserver.url_for('/').rstrip('/')}/acme/app"}  # fmt: skip
    facts = ProjectFacts("acme/app", server=host_of(str(project["web_url"])), default_branch="main")
    collect_pipeline(fetcher, facts, ".gitlab-ci.yml")
    return BundleReader(writer.commit("2026-11-01T00:00:00Z"))


def test_pipeline_files_collected_where_the_analysis_reads_them(bundle: BundleReader) -> None:
    files = set(bundle.files("gitlab"))
    assert files == {
        "gitlab/projects/acme/app/repository/files/.gitlab-ci.yml",
        "gitlab/projects/acme/app/repository/files/ci/a.yml",
        "gitlab/projects/acme/app/repository/files/ci/b.yml",
        # the component at the version the pipeline names, resolved to the newest release to fetch it
        "gitlab/projects/acme/components/-/raw/~latest/templates/npm.yml",
    }
    assert b"AKIAIOSFODNN7EXAMPLE" not in bundle.read_bytes("gitlab/projects/acme/app/repository/files/ci/b.yml")
    calls = {c.call: c.status for c in bundle.manifest.calls}
    assert calls["GET /templates/gitlab_ci_ymls/Nowhere"] == "not_found"
    assert calls["GET /projects/acme%2Fapp/repository/files/ci%2Fsub%2Fbroken.yml/raw?ref=main"] == "failed"
