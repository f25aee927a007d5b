"""End to end: ``regwarden scan`` against a moto server, through a local HTTP front that refuses
AssumeRole into one account (AccessDenied) and answers the one ECR call moto lacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scanner.cli import main
from tests.connectors.aws.estate import FAKE_KEY_VALUE, REGION, seed

DENIED = "999999999999"


@pytest.fixture
def moto_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(k, v)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _front(httpserver: HTTPServer, upstream: str) -> None:
    def handle(request: Request) -> Response:
        body = request.get_data()
        target = request.headers.get("X-Amz-Target", "")
        if b"Action=AssumeRole" in body and DENIED.encode() in body:
            xml = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                "<Message>not authorized</Message></Error></ErrorResponse>"
            )
            return Response(xml, status=403, content_type="text/xml")
        if target.endswith(".DescribePullThroughCacheRules"):
            return Response(json.dumps({"pullThroughCacheRules": []}), content_type="application/x-amz-json-1.1")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        r = httpx.request(request.method, upstream + request.full_path.rstrip("?"), headers=headers, content=body)
        return Response(
            r.content,
            status=r.status_code,
            headers={
                k: v
                for k, v in r.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")
            },
        )

    httpserver.expect_request("").respond_with_handler(handle)


def test_scan_partial_when_one_account_is_refused(moto_url: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    account = seed(boto3.Session(region_name=REGION), endpoint_url=moto_url)
    _front(httpserver, moto_url)
    toml = tmp_path / "regwarden.toml"
    toml.write_text(
        f"""
[sources.aws]
accounts = ["{account}", "{DENIED}"]
role_name = "RegwardenReadOnly"
regions = ["{REGION}"]
endpoint_url = "{httpserver.url_for("/").rstrip("/")}"
max_attempts = 2
services = ["ecr", "secretsmanager", "codebuild", "codepipeline", "events", "cloudtrail"]
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = main(["scan", "--config", str(toml), "--bundle", str(tmp_path / "bundle"), "--out", str(out)])
    assert code == 3
    report = json.loads((out / "report.json").read_text())
    found = {(f["rule"], f["subject"]["id"]) for f in report["findings"]}
    repo = f"aws:ecr-repository:arn:aws:ecr:{REGION}:{account}:repository/fail-public-repo"
    assert ("RB07", repo) in found
    assert (
        "RB12",
        f"aws:codebuild-variable:arn:aws:codebuild:{REGION}:{account}:project/fail-build#AWS_ACCESS_KEY_ID",
    ) in found
    assert not any(r == "RB07" and "pass-" in s for r, s in found)
    assert FAKE_KEY_VALUE not in (out / "report.json").read_text()
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text())
    failed = [c for c in manifest["calls"] if c["status"] == "failed"]
    assert [(c["scope"], c["call"]) for c in failed] == [(DENIED, "collect scope")]
    assert "AccessDenied" in failed[0]["detail"]

    # The same bundle analysed offline gives the same findings.
    out2 = tmp_path / "out2"
    assert main(["analyse", str(tmp_path / "bundle"), "--out", str(out2)]) == 3
    again = {(f["rule"], f["subject"]["id"]) for f in json.loads((out2 / "report.json").read_text())["findings"]}
    assert again == found
