"""One bounded retry policy for every boto3 client of the AWS connector, at the wire: a call that
keeps failing is sent ``max_attempts`` times (botocore standard mode), not the SDK's choice, and its
retries and failure are counted for the progress line and the manifest."""

from __future__ import annotations

import base64
import socket
import types
from pathlib import Path

import boto3
import botocore.endpoint
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.aws.fetch import AccountCollector, retry_config
from connectors.aws.settings import Settings
from scanner.bundle import BundleWriter
from scanner.collect_session import CollectSession

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


# IAM's query API as AWS documents it (IAM API Reference, GenerateCredentialReport and
# GetCredentialReport, "Examples"); the report is one fake user's row of CSV.
REPORT_CSV = "user,arn,user_creation_time,password_enabled,mfa_active\nci-bot,arn:aws:iam::123456789012:user/ci-bot,2024-01-01T00:00:00+00:00,false,false\n"


def _generate(state: str) -> str:
    return f"""<GenerateCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GenerateCredentialReportResult><State>{state}</State><Description>report task</Description></GenerateCredentialReportResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000001</RequestId></ResponseMetadata>
</GenerateCredentialReportResponse>"""


def _report() -> str:
    content = base64.b64encode(REPORT_CSV.encode()).decode()
    return f"""<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetCredentialReportResult><Content>{content}</Content><ReportFormat>text/csv</ReportFormat>
  <GeneratedTime>2026-12-01T00:00:00Z</GeneratedTime></GetCredentialReportResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000002</RequestId></ResponseMetadata>
</GetCredentialReportResponse>"""


def _iam_server(httpserver: HTTPServer, answers: dict[str, list[tuple[int, str]]]) -> None:
    """Answers each IAM action from its list in turn, the last answer repeating (a test lists every
    action it makes the collector ask)."""

    def handler(request: Request) -> Response:
        action = request.form.get("Action", "")
        queue = answers[action]
        status, body = queue.pop(0) if len(queue) > 1 else queue[0]
        return Response(body, status=status, content_type="text/xml")

    httpserver.expect_request("/", method="POST").respond_with_handler(handler)


def _collector(
    url: str, tmp_path: Path, sleeps: list[float], attempts: int = 1
) -> tuple[AccountCollector, BundleWriter]:
    settings = Settings(endpoint_url=url, max_attempts=attempts, role_name=None)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    writer = BundleWriter(tmp_path / "bundle", CollectSession(sleep=sleeps.append))
    return AccountCollector(settings, "123456789012", writer, session, None), writer


def test_the_credential_report_is_polled_through_the_sessions_sleeper_and_every_request_counted(
    httpserver: HTTPServer, tmp_path: Path, slept: list[float]
) -> None:
    _iam_server(
        httpserver,
        {
            "GenerateCredentialReport": [(200, _generate("STARTED"))] * 3 + [(200, _generate("COMPLETE"))],
            "GetCredentialReport": [(200, _report())],
        },
    )
    paced: list[float] = []
    ac, writer = _collector(httpserver.url_for("/"), tmp_path, paced)
    ac._credential_report()
    assert len(httpserver.log) == 5  # four GenerateCredentialReport, one GetCredentialReport
    assert paced == [0.5]  # asked again at once twice, then after half a second
    counts = writer.session.counts()["aws"]
    assert (counts.fetched, counts.failed) == (5, 0)
    assert [(c.call, c.status) for c in writer.manifest("").calls] == [("iam get-credential-report", "ok")]
    assert (writer.staging / "aws/123456789012/iam-get-credential-report.csv").read_text() == REPORT_CSV
    writer.abort()


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ((500, ERROR), "ServiceFailure"),  # refused after the one attempt allowed
        ((200, "<GetCredentialReportResponse><not-closed>"), "ResponseParserError"),  # a malformed answer
    ],
)
def test_a_failing_credential_report_is_that_calls_gap_and_counted(
    httpserver: HTTPServer, tmp_path: Path, slept: list[float], answer: tuple[int, str], code: str
) -> None:
    _iam_server(
        httpserver, {"GenerateCredentialReport": [(200, _generate("COMPLETE"))], "GetCredentialReport": [answer]}
    )
    ac, writer = _collector(httpserver.url_for("/"), tmp_path, [])
    ac._credential_report()
    counts = writer.session.counts()["aws"]
    assert (counts.fetched, counts.failed) == (2, 1)
    [call] = writer.manifest("").calls
    assert (call.call, call.status, call.detail) == ("iam get-credential-report", "failed", code)
    assert not (writer.staging / "aws/123456789012/iam-get-credential-report.csv").exists()
    writer.abort()


def test_an_unreachable_endpoint_fails_each_account_wide_call_not_the_account(
    tmp_path: Path, slept: list[float]
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ac, writer = _collector(f"http://127.0.0.1:{port}/", tmp_path, [])
    ac.iam()  # raised EndpointConnectionError from the credential report before: the whole account lost
    calls = {c.call: (c.status, c.detail) for c in writer.manifest("").calls}
    assert calls["iam get-credential-report"] == ("failed", "EndpointConnectionError")
    assert calls["iam list-open-id-connect-providers (us-east-1)"] == ("failed", "EndpointConnectionError")
    assert writer.session.counts()["aws"].failed == 3  # authorization details, the report, OIDC providers
    writer.abort()


def test_a_malformed_answer_is_the_calls_gap_not_the_accounts(
    httpserver: HTTPServer, tmp_path: Path, slept: list[float]
) -> None:
    # botocore raises ResponseParserError (not a BotoCoreError) for XML it cannot parse
    httpserver.expect_request("/", method="POST").respond_with_data(
        "<ListOpenIDConnectProvidersResponse><truncated", content_type="text/xml"
    )
    ac, writer = _collector(httpserver.url_for("/"), tmp_path, [])
    assert ac.call("iam", "us-east-1", "list_open_id_connect_providers", None) is None
    counts = writer.session.counts()["aws"]
    assert (counts.fetched, counts.failed) == (1, 1)
    assert [(c.status, c.detail) for c in writer.manifest("").calls] == [("failed", "ResponseParserError")]
    writer.abort()


def test_a_credential_report_answer_without_its_fields_is_that_calls_gap(
    httpserver: HTTPServer, tmp_path: Path, slept: list[float]
) -> None:
    """Answers in the query API's shape that lack ``State`` and then ``Content``: KeyErrors before,
    which cost the whole account."""
    empty_generate = _generate("COMPLETE").replace("<State>COMPLETE</State>", "")
    empty_report = _report().replace(f"<Content>{base64.b64encode(REPORT_CSV.encode()).decode()}</Content>", "")
    _iam_server(
        httpserver, {"GenerateCredentialReport": [(200, empty_generate)], "GetCredentialReport": [(200, empty_report)]}
    )
    paced: list[float] = []
    ac, writer = _collector(httpserver.url_for("/"), tmp_path, paced)
    ac._credential_report()  # polled to the end (no State says COMPLETE), then asked for the report
    [call] = writer.manifest("").calls
    assert (call.call, call.status, call.detail) == (
        "iam get-credential-report",
        "failed",
        "the answer holds no report (Content)",
    )
    counts = writer.session.counts()["aws"]
    assert (counts.fetched, counts.failed) == (10, 1)  # nine polls and the report
    writer.abort()


def _users_page(marker: str | None) -> str:
    more = f"<IsTruncated>true</IsTruncated><Marker>{marker}</Marker>" if marker else "<IsTruncated>false</IsTruncated>"
    return f"""<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListUsersResult><Users><member><Path>/</Path><UserName>ci-bot</UserName><UserId>AIDAFAKEFAKEFAKEFAKE0</UserId>
  <Arn>arn:aws:iam::123456789012:user/ci-bot</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></member></Users>
  {more}</ListUsersResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000003</RequestId></ResponseMetadata>
</ListUsersResponse>"""


def test_the_pages_before_a_failing_page_are_counted(
    httpserver: HTTPServer, tmp_path: Path, slept: list[float]
) -> None:
    _iam_server(httpserver, {"ListUsers": [(200, _users_page("m2")), (200, _users_page("m3")), (500, ERROR)]})
    ac, writer = _collector(httpserver.url_for("/"), tmp_path, [])
    assert ac.call("iam", "us-east-1", "list_users", None) is None
    counts = writer.session.counts()["aws"]
    assert (counts.fetched, counts.failed) == (3, 1)  # counted (1, 1) before: two answered pages lost
    assert len(httpserver.log) == 3
    writer.abort()
