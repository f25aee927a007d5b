"""Collection of Terraform states from where they live (a local path, S3, GCS, Azure Blob Storage):
each is read, redacted and written into the bundle. Imported on first collection only, so reading a
bundle never loads the HTTP client or a cloud SDK."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from connectors._http import RestClient
from connectors.terraform import Settings, fetch
from connectors.terraform.load import PROVIDER
from connectors.terraform.redact import redact_document
from scanner.errors import AuthError, ConfigError, ConnectorError
from scanner.fingerprint import fingerprint

if TYPE_CHECKING:
    from scanner.bundle import BundleWriter
    from scanner.collect_session import CollectSession


def _token_from_env(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        raise AuthError(f"terraform: environment variable {var} is not set")
    return value


def _gcs_client(s: Settings, session: CollectSession) -> RestClient:
    if s.gcs_token_env:
        token = _token_from_env(s.gcs_token_env)
    else:
        import google.auth
        import google.auth.exceptions
        import google.auth.transport.requests

        try:
            creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/devstorage.read_only"])
            creds.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
        except google.auth.exceptions.GoogleAuthError as e:
            raise AuthError(f"terraform: GCS credentials: {type(e).__name__}") from e
        token = str(creds.token)
    return RestClient(
        "terraform",
        s.gcs_endpoint,
        headers={"Authorization": f"Bearer {token}"},
        max_wait=s.max_wait,
        backoff=s.retry_backoff,
        session=session,
    )


def _azure_client(s: Settings, account: str, session: CollectSession) -> RestClient:
    if s.azure_token_env:
        token = _token_from_env(s.azure_token_env)
    else:
        from azure.core.exceptions import AzureError
        from azure.identity import DefaultAzureCredential

        try:
            token = DefaultAzureCredential().get_token("https://storage.azure.com/.default").token
        except AzureError as e:
            raise AuthError(f"terraform: Azure credentials: {type(e).__name__}") from e
    base = s.azure_blob_endpoint or f"https://{account}.blob.core.windows.net"
    headers = {"Authorization": f"Bearer {token}", "x-ms-version": "2021-08-06"}
    return RestClient("terraform", base, headers=headers, max_wait=s.max_wait, backoff=s.retry_backoff, session=session)


def scopes(settings: Settings) -> list[str]:
    """Each configured state location is one scope (a failed one does not stop the others)."""
    for s in settings.states:
        fetch.parse_location(s)  # fail on a bad location before any call
    return list(settings.states)


def collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    """Read the state(s) at one location, redact them and write them into the bundle."""
    loc = fetch.parse_location(scope)
    docs: Any
    if loc.backend == "local":
        docs = fetch.read_local(loc)
    elif loc.backend == "s3":
        import boto3
        from botocore.config import Config

        session = boto3.Session(profile_name=settings.aws_profile, region_name=settings.aws_region)
        # One bounded retry policy, as the AWS connector's: botocore's standard mode, at most
        # max_attempts attempts per call (its default for S3 was the legacy mode's 5).
        cfg = Config(retries={"total_max_attempts": settings.max_attempts, "mode": "standard"})
        client = session.client("s3", endpoint_url=settings.s3_endpoint_url, config=cfg)
        docs = fetch.read_s3(loc, client, functools.partial(writer.session.count, PROVIDER))
    elif loc.backend == "gcs":
        docs = fetch.read_gcs(loc, _gcs_client(settings, writer.session))
    elif loc.backend == "azurerm":
        docs = fetch.read_azurerm(loc, _azure_client(settings, loc.container.split("/", 1)[0], writer.session))
    else:  # pragma: no cover - parse_location knows no other backend
        raise ConfigError(f"terraform: unknown backend {loc.backend}")
    count = 0
    failed: list[tuple[str, ConnectorError]] = []
    for key, doc in docs:
        if isinstance(doc, ConnectorError):  # this state's gap; the others at the location are still read
            failed.append((key, doc))
            continue
        clean = redact_document(doc, fingerprint)
        writer.put_json(loc.bundle_path(key), clean)
        count += 1
    if count == 0:  # nothing read: the location (the scope) fails
        if len(failed) == 1:
            raise failed[0][1]  # its one state's error (an AuthError stays one)
        raise ConnectorError(
            f"terraform: no state at {scope}" + (f" could be read ({len(failed)} failed)" if failed else "")
        )
    for key, e in failed:
        writer.record(PROVIDER, scope, f"read {loc.backend} state {key}", "failed", str(e))
    writer.record(PROVIDER, scope, f"read {loc.backend} state", "ok", f"{count} state file(s)")
