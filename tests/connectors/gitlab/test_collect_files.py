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
from scanner.collect_session import CollectSession
from tests.connectors.conditional import Conditional

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


FAKE_STRIPE = "sk_live_" + "FAKEEXAMPLEKEY0000000000"
FAKE_WEBHOOK = "https://hooks.slack.com/services/T00000000/B00000000/" + "FAKEEXAMPLEFAKEEXAMPLE00"


def _collect(server: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path | None) -> BundleReader:
    monkeypatch.setenv("FAKE_GL_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    settings = Settings(groups=["acme"], base_url=server.url_for("/"), token_env="FAKE_GL_TOKEN", max_retries=0)
    writer = BundleWriter(tmp_path / "bundle", session=CollectSession(cache_dir=cache))
    fetcher = Fetcher(client(settings, sleep=lambda _: None, session=writer.session), settings, "acme", writer)
    facts = ProjectFacts("acme/app", server=host_of(server.url_for("/")), default_branch="main")
    collect_pipeline(fetcher, facts, ".gitlab-ci.yml")
    return BundleReader(writer.commit("2026-11-01T00:00:00Z"))


def test_committed_credentials_are_never_kept_in_the_http_cache(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ci = f"include:\n  - template: Notify.gitlab-ci.yml\n  - local: /ci/clean.yml\nvariables:\n  STRIPE_KEY: {FAKE_STRIPE}\n"
    cond = Conditional()
    # each answer with an ETag: the CI file and GitLab's template answer carry credential material
    cond.serve(httpserver, f"{API}/repository/files/.gitlab-ci.yml/raw", ci, raw=True)
    cond.serve(
        httpserver,
        "/api/v4/templates/gitlab_ci_ymls/Notify",
        {"name": "Notify", "content": f"notify:\n  script: [curl -X POST {FAKE_WEBHOOK}]\n"},
    )
    cond.serve(httpserver, f"{API}/repository/files/ci/clean.yml/raw", "clean:\n  script: [make]\n", raw=True)
    cache = tmp_path / "cache"
    bundle = _collect(httpserver, tmp_path, monkeypatch, cache)
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert len(entries) == 1  # only the file without credentials is kept
    for p in entries:
        assert b"sk_live_" not in p.read_bytes(), p
        assert b"hooks.slack.com" not in p.read_bytes(), p
    for rel in bundle.files("gitlab"):
        assert FAKE_STRIPE.encode() not in bundle.read_bytes(rel), rel
        assert FAKE_WEBHOOK.encode() not in bundle.read_bytes(rel), rel
    ci_copy = bundle.text("gitlab/projects/acme/app/repository/files/.gitlab-ci.yml")
    assert "STRIPE_KEY: regwarden-redacted.stripe-secret-key.hmac-sha256-" in ci_copy
    assert [s for _, s in cond.served] == [200, 200, 200]


def test_a_template_answer_without_content_is_that_calls_gap(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ci = "include:\n  - template: Broken.gitlab-ci.yml\n  - local: /ci/after.yml\n"
    httpserver.expect_request(f"{API}/repository/files/.gitlab-ci.yml/raw").respond_with_data(ci)
    httpserver.expect_request("/api/v4/templates/gitlab_ci_ymls/Broken").respond_with_json({"name": "Broken"})
    httpserver.expect_request(f"{API}/repository/files/ci/after.yml/raw").respond_with_data(
        "after:\n  script: [make]\n"
    )
    bundle = _collect(httpserver, tmp_path, monkeypatch, None)
    (failed,) = bundle.manifest.failed()
    assert failed.call == "GET /templates/gitlab_ci_ymls/Broken"
    assert "'content'" in failed.detail
    assert bundle.exists("gitlab/projects/acme/app/repository/files/ci/after.yml")
