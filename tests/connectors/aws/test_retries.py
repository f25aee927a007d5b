"""One bounded retry policy for every boto3 client of the AWS connector, at the wire: a call that
keeps failing is sent ``max_attempts`` times (botocore standard mode), not the SDK's choice, and its
retries and failure are counted for the progress line and the manifest."""

from __future__ import annotations

import types
from pathlib import Path

import boto3
import botocore.endpoint
import pytest
from pytest_httpserver import HTTPServer

from connectors.aws.fetch import AccountCollector, retry_config
from connectors.aws.settings import Settings
from scanner.bundle import BundleWriter

ERROR = """<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>internal failure</Message></Error>
  <RequestId>00000000-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>"""


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    # botocore waits between attempts through botocore.endpoint's time.sleep: record instead.
    waits: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=waits.append))
    return waits


@pytest.mark.parametrize("attempts", [1, 2, 3])
def test_a_failing_call_is_sent_max_attempts_times(
    httpserver: HTTPServer, tmp_path: Path, slept: list[float], attempts: int
) -> None:
    httpserver.expect_request("/", method="POST").respond_with_data(ERROR, status=500, content_type="text/xml")
    settings = Settings(endpoint_url=httpserver.url_for("/"), max_attempts=attempts, role_name=None)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    writer = BundleWriter(tmp_path / "bundle")
    ac = AccountCollector(settings, "123456789012", writer, session, None)
    assert ac.call("iam", "us-east-1", "list_open_id_connect_providers", None) is None
    assert len(httpserver.log) == attempts
    assert len(slept) == attempts - 1
    counts = writer.session.counts()["aws"]
    assert (counts.fetched, counts.retried, counts.failed) == (1, attempts - 1, 1)
    assert [c.status for c in writer.manifest("").calls] == ["failed"]
    writer.abort()


def test_every_client_gets_the_one_policy(tmp_path: Path) -> None:
    settings = Settings(role_name=None)
    assert settings.max_attempts == 3
    policy = {"total_max_attempts": 3, "mode": "standard"}
    assert retry_config(settings).retries == policy  # type: ignore[attr-defined]
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    writer = BundleWriter(tmp_path / "bundle")
    ac = AccountCollector(settings, "123456789012", writer, session, None)
    for service in ("iam", "ecr", "codebuild", "secretsmanager"):
        assert ac.client(service, "eu-west-1").meta.config.retries == policy  # type: ignore[attr-defined]
    writer.abort()
