"""Reading states from local files, S3 (moto), GCS and Azure Blob (their REST APIs on a local server),
several at once, with redaction before anything is written; a failed location is a partial scan."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer

from connectors.terraform import Settings, collect, scopes
from scanner.bundle import BundleWriter
from scanner.cli import main
from scanner.errors import AuthError, ConfigError, ConnectorError
from tests.connectors.terraform.test_state import CANARIES, FIXTURES

STATE = (FIXTURES / "estate.tfstate").read_text()


def collect_to(tmp_path: Path, settings: Settings) -> Path:
    writer = BundleWriter(tmp_path / "bundle")
    for scope in scopes(settings):
        collect(settings, scope, writer)
    return writer.commit("2026-11-28T00:00:00Z")


def assert_clean(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for c in CANARIES:
                assert c.encode() not in data, (p, c)


def test_local_glob_reads_several_states(tmp_path: Path) -> None:
    for stack in ("net", "iam"):
        (tmp_path / "stacks" / stack).mkdir(parents=True)
        (tmp_path / "stacks" / stack / "terraform.tfstate").write_text(STATE)
    bundle = collect_to(tmp_path, Settings(states=[str(tmp_path / "stacks" / "*" / "terraform.tfstate")]))
    files = sorted(p.relative_to(bundle).as_posix() for p in (bundle / "terraform").rglob("*.tfstate"))
    assert len(files) == 2
    assert all(f.startswith("terraform/local/") for f in files)
    assert_clean(bundle)


def test_s3_backend_with_workspaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "FAKE-ACCESS-KEY-FOR-TESTS")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "FAKE-SECRET-FOR-TESTS")
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket="acme-tfstate", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket="acme-tfstate", Key="app/terraform.tfstate", Body=STATE.encode())
        for ws in ("staging", "prod"):
            s3.put_object(Bucket="acme-tfstate", Key=f"env:/{ws}/app/terraform.tfstate", Body=STATE.encode())
        s3.put_object(Bucket="acme-tfstate", Key="env:/prod/other/terraform.tfstate", Body=b"{}")
        settings = Settings(
            states=["s3://acme-tfstate/app/terraform.tfstate", "s3://acme-tfstate/env:/*/app/terraform.tfstate"],
            aws_region="eu-west-1",
        )
        writer = BundleWriter(tmp_path / "bundle")
        for scope in scopes(settings):
            collect(settings, scope, writer)
        counts = writer.session.counts()["terraform"]  # every S3 request is in the run's tally
        bundle = writer.commit("2026-11-28T00:00:00Z")
        assert (counts.fetched, counts.failed) == (4, 0)  # one object, one listing page, the two it matched
        settings = Settings(states=["s3://acme-tfstate/app/missing.tfstate"], aws_region="eu-west-1")
        writer = BundleWriter(tmp_path / "b2")
        with pytest.raises(ConnectorError, match="GetObject NoSuchKey"):
            collect(settings, settings.states[0], writer)
        assert (writer.session.counts()["terraform"].fetched, writer.session.counts()["terraform"].failed) == (1, 1)
        writer.abort()
    names = sorted(p.relative_to(bundle).as_posix() for p in (bundle / "terraform").rglob("*") if p.is_file())
    assert names == [
        "terraform/s3/acme-tfstate/app/terraform.tfstate",
        "terraform/s3/acme-tfstate/env:/prod/app/terraform.tfstate",
        "terraform/s3/acme-tfstate/env:/staging/app/terraform.tfstate",
    ]
    assert_clean(bundle)


def test_s3_access_denied_is_an_auth_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "FAKE-ACCESS-KEY-FOR-TESTS")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "FAKE-SECRET-FOR-TESTS")
    with mock_aws():
        settings = Settings(states=["s3://no-such-bucket/terraform.tfstate"], aws_region="eu-west-1")
        writer = BundleWriter(tmp_path / "b")
        with pytest.raises(Exception, match=r"s3://no-such-bucket/terraform.tfstate: GetObject NoSuchBucket"):
            collect(settings, settings.states[0], writer)
        writer.abort()


def gcs_object(name: str) -> dict[str, Any]:
    return {"kind": "storage#object", "id": f"acme-tf/{name}/1", "name": name, "bucket": "acme-tf",
            "generation": "1", "contentType": "application/json", "size": str(len(STATE))}  # fmt: skip


def test_gcs_backend_lists_pages_and_reads_media(httpserver: HTTPServer, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("GCS_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    auth = {"Authorization": "Bearer FAKE-TOKEN-FOR-TESTS"}
    httpserver.expect_request(
        "/storage/v1/b/acme-tf/o", query_string={"prefix": "stacks/"}, headers=auth
    ).respond_with_json({"kind": "storage#objects", "items": [gcs_object("stacks/iam/default.tfstate"),
                         gcs_object("stacks/iam/default.tflock")], "nextPageToken": "p2"})  # fmt: skip
    httpserver.expect_request(
        "/storage/v1/b/acme-tf/o", query_string={"prefix": "stacks/", "pageToken": "p2"}
    ).respond_with_json({"kind": "storage#objects", "items": [gcs_object("stacks/ci/default.tfstate")]})
    for stack in ("iam", "ci"):
        httpserver.expect_request(
            f"/storage/v1/b/acme-tf/o/stacks/{stack}/default.tfstate", query_string={"alt": "media"}
        ).respond_with_data(STATE, content_type="application/json")
    settings = Settings(states=["gs://acme-tf/stacks/*/default.tfstate"], gcs_endpoint=httpserver.url_for("/"), retry_backoff=0,
                        gcs_token_env="GCS_TOKEN")  # fmt: skip
    bundle = collect_to(tmp_path, settings)
    names = sorted(p.relative_to(bundle).as_posix() for p in (bundle / "terraform").rglob("*") if p.is_file())
    assert names == [
        "terraform/gcs/acme-tf/stacks/ci/default.tfstate",
        "terraform/gcs/acme-tf/stacks/iam/default.tfstate",
    ]
    assert_clean(bundle)


AZ_LIST = """<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="https://acmetf.blob.core.windows.net/" ContainerName="tfstate">
  <Prefix>app.tfstate</Prefix>
  <Blobs>{blobs}</Blobs>
  <NextMarker>{marker}</NextMarker>
</EnumerationResults>"""


def blob(name: str) -> str:
    return f"<Blob><Name>{name}</Name><Properties><Content-Length>{len(STATE)}</Content-Length></Properties></Blob>"


def test_azurerm_backend_workspaces(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZ_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    q1 = {"restype": "container", "comp": "list", "prefix": "app.tfstate"}
    httpserver.expect_request("/tfstate", query_string=q1, headers={"x-ms-version": "2021-08-06"}).respond_with_data(
        AZ_LIST.format(blobs=blob("app.tfstate") + blob("app.tfstateenv:prod"), marker="m2"),
        content_type="application/xml",
    )
    httpserver.expect_request("/tfstate", query_string={**q1, "marker": "m2"}).respond_with_data(
        AZ_LIST.format(blobs=blob("app.tfstateenv:staging"), marker=""), content_type="application/xml"
    )
    for name in ("app.tfstate", "app.tfstateenv:prod", "app.tfstateenv:staging"):
        httpserver.expect_request(f"/tfstate/{name}").respond_with_data(STATE, content_type="application/json")
    settings = Settings(states=["azurerm://acmetf/tfstate/app.tfstate*"], azure_blob_endpoint=httpserver.url_for("/"), retry_backoff=0,
                        azure_token_env="AZ_TOKEN")  # fmt: skip
    bundle = collect_to(tmp_path, settings)
    names = sorted(p.name for p in (bundle / "terraform").rglob("*") if p.is_file())
    assert names == ["app.tfstate", "app.tfstateenv:prod", "app.tfstateenv:staging"]
    assert_clean(bundle)


def test_gcs_403_is_an_auth_error(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GCS_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    httpserver.expect_request("/storage/v1/b/acme-tf/o/x.tfstate").respond_with_json(
        {"error": {"code": 403, "message": "caller does not have storage.objects.get access"}}, status=403
    )
    settings = Settings(
        states=["gs://acme-tf/x.tfstate"],
        gcs_endpoint=httpserver.url_for("/"),
        retry_backoff=0,
        gcs_token_env="GCS_TOKEN",
    )
    writer = BundleWriter(tmp_path / "b")
    with pytest.raises(AuthError, match="403"):
        collect(settings, "gs://acme-tf/x.tfstate", writer)
    writer.abort()


def test_bad_location_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown scheme"):
        scopes(Settings(states=["ftp://x/y"]))


def test_scan_end_to_end_keeps_no_secret_anywhere(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Canary: unique fake secrets planted in a state never reach the bundle, reports, history or logs;
    a location that fails (403) makes a partial scan while the others are collected."""
    monkeypatch.setenv("GCS_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    httpserver.expect_request("/storage/v1/b/locked/o/x.tfstate").respond_with_json(
        {"error": {"code": 403}}, status=403
    )
    inputs, work = tmp_path / "inputs", tmp_path / "work"
    inputs.mkdir()
    (inputs / "estate.tfstate").write_text(STATE)
    (inputs / "show.json").write_text((FIXTURES / "show.json").read_text())
    cfg = inputs / "regwarden.toml"
    cfg.write_text(
        f"""
bundle_dir = "{work / "bundle"}"
[output]
dir = "{work / "out"}"
formats = ["json", "html"]
[history]
path = "{work / "history.db"}"
[sources.terraform]
states = ["{inputs / "estate.tfstate"}", "{inputs / "show.json"}", "gs://locked/x.tfstate"]
gcs_endpoint = "{httpserver.url_for("/")}"
gcs_token_env = "GCS_TOKEN"
retry_backoff = 0
"""
    )
    caplog.set_level("DEBUG")
    code = main(["scan", "--config", str(cfg), "--verbose"])
    assert code == 3  # partial: one location was refused
    assert json.loads((work / "out" / "report.json").read_text())["findings"] == []
    assert (work / "out" / "drift.json").exists()
    assert sorted(p.name for p in (work / "bundle" / "terraform").rglob("*") if p.is_file()) == [
        "estate.tfstate", "show.json"]  # fmt: skip
    assert_clean(work)
    with sqlite3.connect(work / "history.db") as db:
        dump = "\n".join(db.iterdump())
    assert "INSERT" in dump
    out = capsys.readouterr()
    for c in CANARIES:
        assert c not in dump
        assert c not in out.out
        assert c not in out.err
        assert c not in caplog.text


def _azurerm_settings(server: HTTPServer) -> Settings:
    return Settings(
        states=["azurerm://acmetf/tfstate/app.tfstate*"],
        azure_blob_endpoint=server.url_for("/"),
        retry_backoff=0,
        azure_token_env="AZ_TOKEN",
    )


def test_azurerm_listing_that_repeats_its_marker_fails_the_location_at_once(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NextMarker naming a page already given would never end: 10,005 requests in 38 s before."""
    monkeypatch.setenv("AZ_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    httpserver.expect_request("/tfstate").respond_with_data(
        AZ_LIST.format(blobs=blob("app.tfstate"), marker="m2"), content_type="application/xml"
    )
    writer = BundleWriter(tmp_path / "b")
    with pytest.raises(ConnectorError, match=r"List Blobs: pagination loop \(NextMarker repeated\)"):
        collect(_azurerm_settings(httpserver), "azurerm://acmetf/tfstate/app.tfstate*", writer)
    assert len(httpserver.log) == 2  # the first page, then the repeated marker's page
    writer.abort()


def test_one_unreadable_state_is_its_gap_and_the_others_are_read_and_counted(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZ_TOKEN", "FAKE-TOKEN-FOR-TESTS")
    httpserver.expect_request("/tfstate", query_string={"restype": "container", "comp": "list", "prefix": "app.tfstate"}).respond_with_data(
        AZ_LIST.format(blobs=blob("app.tfstate") + blob("app.tfstateenv:prod") + blob("app.tfstateenv:qa"), marker=""),
        content_type="application/xml",
    )  # fmt: skip
    httpserver.expect_request("/tfstate/app.tfstate").respond_with_data(STATE, content_type="application/json")
    httpserver.expect_request("/tfstate/app.tfstateenv:prod").respond_with_data("<html>gateway", status=200)
    httpserver.expect_request("/tfstate/app.tfstateenv:qa").respond_with_data(STATE, content_type="application/json")
    writer = BundleWriter(tmp_path / "b")
    collect(_azurerm_settings(httpserver), "azurerm://acmetf/tfstate/app.tfstate*", writer)
    calls = {c.call: (c.status, c.detail) for c in writer.manifest("").calls}
    status, detail = calls["read azurerm state app.tfstateenv:prod"]
    assert (status, "not JSON" in detail) == ("failed", True)
    assert calls["read azurerm state"] == ("ok", "2 state file(s)")
    assert writer.session.counts()["terraform"].fetched == len(httpserver.log) == 4
    bundle = writer.commit("2026-11-28T00:00:00Z")
    names = sorted(p.name for p in (bundle / "terraform").rglob("*") if p.is_file())
    assert names == ["app.tfstate", "app.tfstateenv:qa"]


def test_s3_retries_are_bounded_and_counted(httpserver: HTTPServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # An S3 endpoint that always answers 503: botocore's standard mode tries max_attempts times in all
    # (its default for S3 was the legacy mode's 5), and the run's tally has the answer, retries and give-up.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "FAKE-ACCESS-KEY-FOR-TESTS")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "FAKE-SECRET-FOR-TESTS")
    monkeypatch.setattr("time.sleep", lambda _s: None)  # botocore's backoff, not ours
    body = "<Error><Code>ServiceUnavailable</Code><Message>slow down</Message></Error>"
    httpserver.expect_request(re.compile(".*")).respond_with_data(body, status=503, content_type="application/xml")
    settings = Settings(
        states=["s3://acme-tfstate/app/terraform.tfstate"],
        aws_region="eu-west-1",
        s3_endpoint_url=httpserver.url_for("/"),
        max_attempts=2,
    )
    writer = BundleWriter(tmp_path / "b")
    with pytest.raises(ConnectorError, match="GetObject ServiceUnavailable"):
        collect(settings, settings.states[0], writer)
    assert len(httpserver.log) == 2
    counts = writer.session.counts()["terraform"]
    assert (counts.fetched, counts.retried, counts.failed) == (1, 1, 1)
    writer.abort()
