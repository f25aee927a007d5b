"""The GitHub bulk path at the wire: workflow files of many repositories in one GraphQL query, held
equivalent to the REST path (the same bundle files and manifest calls from the same organization),
with its fallbacks to REST (a repository missing from the answer, a file GitHub did not give whole, a
query that fails) never losing coverage."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.github.fetch import VIA_GRAPHQL, Settings, client, fetch_org, raw_client
from connectors.github.graphql import BATCH, graphql_path, query_text, workflow_folders
from connectors.github.owners import CODEOWNERS_PATHS
from scanner.bundle import BundleReader, BundleWriter
from scanner.collect_session import CollectSession
from tests.connectors.github import estate
from tests.connectors.github.test_incremental import serve_estate

TOKEN = "FAKE-TOKEN-FOR-GRAPHQL-TESTS"
FILE_MODE, TREE_MODE = 0o100644, 0o040000


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GH_TOKEN", TOKEN)


class FakeGraphQL:
    """Answers the bulk query from the estate as GitHub's schema shapes it (``Repository.object`` a
    ``Tree`` of ``TreeEntry``; ``Blob.text``), with knobs for the fallbacks."""

    def __init__(
        self, workflows: dict[str, dict[str, str]], codeowners: dict[str, tuple[str, str]] | None = None
    ) -> None:
        self.workflows = workflows
        self.codeowners = codeowners or {}
        self.queries: list[dict[str, Any]] = []
        self.missing: set[str] = set()  # repositories answered null, with an error
        self.truncated: set[tuple[str, str]] = set()  # (repo, file) whose text is cut
        self.fail = False

    def node(self, name: str) -> Any:
        if name in self.missing:
            return None
        owners: dict[str, Any] = {f"co{j}": None for j in range(len(CODEOWNERS_PATHS))}
        if name in self.codeowners:
            path, text = self.codeowners[name]
            blob = {"__typename": "Blob", "text": text, "isBinary": False, "isTruncated": False}
            owners[f"co{CODEOWNERS_PATHS.index(path)}"] = blob
        return {**self.tree(name), **owners}

    def tree(self, name: str) -> dict[str, Any]:
        wfs = self.workflows.get(name)
        if wfs is None:
            return {"object": None}
        entries: list[dict[str, Any]] = [
            {"name": "scripts", "type": "tree", "mode": TREE_MODE, "object": {}},
            {"name": "docs-link", "type": "blob", "mode": 0o120000, "object": {"text": "../docs"}},
        ]
        for fname, text in wfs.items():
            cut = (name, fname) in self.truncated
            blob = {"text": text[:10] if cut else text, "isBinary": False, "isTruncated": cut}
            entries.append({"name": fname, "type": "blob", "mode": FILE_MODE, "object": blob})
        return {"object": {"__typename": "Tree", "entries": sorted(entries, key=lambda e: e["name"])}}

    def __call__(self, req: Request) -> Response:
        body = json.loads(req.get_data())
        self.queries.append(body)
        if self.fail:
            refused = [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]
            return Response(json.dumps({"errors": refused}), status=200, content_type="application/json")
        variables = body["variables"]
        n = len(variables) // 2
        assert body["query"] == query_text(n)
        data = {f"r{i}": self.node(variables[f"n{i}"]) for i in range(n)}
        errors: list[dict[str, Any]] = [
            {"type": "NOT_FOUND", "path": [f"r{i}"]} for i in range(n) if data[f"r{i}"] is None
        ]
        answer: dict[str, Any] = {"data": data} | ({"errors": errors} if errors else {})
        return Response(json.dumps(answer), status=200, content_type="application/json")


def _collect(server: HTTPServer, tmp: Path, via: str) -> BundleReader:
    settings = Settings(
        orgs=[estate.ORG], base_url=server.url_for("/"), token_env="FAKE_GH_TOKEN", max_wait=5, files_via=via
    )
    session = CollectSession(sleep=lambda _s: None)
    writer = BundleWriter(tmp / via, session)
    fetch_org(client(settings, session=session), raw_client(settings, session=session), settings, estate.ORG, writer)
    return BundleReader(writer.commit("2026-11-01T00:00:00Z"))


def _files(bundle: BundleReader) -> dict[str, bytes]:
    return {rel: bundle.read_bytes(rel) for rel in bundle.files("github")}


def _calls(bundle: BundleReader) -> set[tuple[str, str, str, str]]:
    return {(c.provider, c.scope, c.call, c.status) for c in bundle.manifest.calls}


def _contents_gets(server: HTTPServer) -> list[str]:
    """REST reads of the files the bulk query gives (a repository without Actions answers 404 to all)."""
    files = ("/contents/.github/workflows", "CODEOWNERS")
    return [
        r.path
        for r, _ in server.log
        if any(f in r.path for f in files) and not r.path.startswith(f"/repos/{estate.ORG}/{estate.NO_ACTIONS}/")
    ]


def _fake(server: HTTPServer) -> FakeGraphQL:
    serve_estate(server)
    fake = FakeGraphQL(estate.WORKFLOWS, estate.CODEOWNERS)
    server.expect_request("/graphql", method="POST").respond_with_handler(fake)
    return fake


def test_graphql_and_rest_write_the_same_bundle(httpserver: HTTPServer, tmp_path: Path) -> None:
    fake = _fake(httpserver)
    rest = _collect(httpserver, tmp_path, "rest")
    rest_gets = len(_contents_gets(httpserver))
    httpserver.clear_log()
    bulk = _collect(httpserver, tmp_path, "graphql")
    assert _files(bulk) == _files(rest)
    assert _calls(bulk) == _calls(rest)
    assert _contents_gets(httpserver) == []  # every listing and file came with the one query
    listings, files = len(estate.WORKFLOWS), sum(len(w) for w in estate.WORKFLOWS.values())
    assert rest_gets > listings + files  # and the CODEOWNERS places
    assert len(fake.queries) == 1
    via = [c for c in bulk.manifest.calls if c.detail == VIA_GRAPHQL]
    assert len(via) >= rest_gets
    assert bulk.manifest.failed() == []


def test_what_graphql_cannot_give_whole_is_read_over_rest(httpserver: HTTPServer, tmp_path: Path) -> None:
    fake = _fake(httpserver)
    fake.missing = {"fail-token"}
    fake.truncated = {("pass-cache", "lint.yml")}
    rest = _collect(httpserver, tmp_path, "rest")
    httpserver.clear_log()
    bulk = _collect(httpserver, tmp_path, "graphql")
    assert _files(bulk) == _files(rest)
    assert _calls(bulk) == _calls(rest)
    base = f"/repos/{estate.ORG}"
    assert sorted(_contents_gets(httpserver)) == [
        f"{base}/fail-token/contents/.github/CODEOWNERS",
        f"{base}/fail-token/contents/.github/workflows",
        f"{base}/fail-token/contents/.github/workflows/release.yml",
        f"{base}/fail-token/contents/.github/workflows/triage.yml",
        f"{base}/fail-token/contents/CODEOWNERS",
        f"{base}/fail-token/contents/docs/CODEOWNERS",
        f"{base}/pass-cache/contents/.github/workflows/lint.yml",
    ]


def test_a_failed_query_falls_back_to_rest_without_a_gap(httpserver: HTTPServer, tmp_path: Path) -> None:
    fake = _fake(httpserver)
    fake.fail = True
    rest = _collect(httpserver, tmp_path, "rest")
    bulk = _collect(httpserver, tmp_path, "graphql")
    assert _files(bulk) == _files(rest)
    assert bulk.manifest.calls == rest.manifest.calls
    assert bulk.manifest.failed() == []


def test_repositories_are_asked_for_in_batches_by_variables(httpserver: HTTPServer) -> None:
    names = [f"repo-{i:03d}'\"){{}}" for i in range(2 * BATCH + 3)]  # hostile names stay in variables
    fake = FakeGraphQL({n: {"ci.yml": f"name: {i}\n"} for i, n in enumerate(names)})
    httpserver.expect_request("/graphql", method="POST").respond_with_handler(fake)
    settings = Settings(orgs=["acme"], base_url=httpserver.url_for("/"), token_env="FAKE_GH_TOKEN")
    folders = workflow_folders(client(settings), settings.base_url, [("acme", n) for n in names])
    assert len(fake.queries) == math.ceil(len(names) / BATCH) == 3
    assert all(n not in q["query"] for q in fake.queries for n in names)
    assert folders[("acme", names[7])].files == {"ci.yml": "name: 7\n"}
    assert folders[("acme", names[7])].rest == ()


@pytest.mark.parametrize(
    ("base", "endpoint"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
    ],
)
def test_the_graphql_endpoint_beside_the_rest_one(base: str, endpoint: str) -> None:
    assert graphql_path(base) == endpoint
