"""The GCP API clients and one retry/error policy around every call.

Artifact Registry and Resource Manager v3 use their GAPIC clients over the REST transport. IAM
(service accounts, keys, roles, Workload Identity pools/providers), Cloud Asset Inventory and Cloud
Build triggers use the discovery-based REST client with its bundled (static) discovery documents
(the google-cloud-asset GAPIC package is not a dependency): ``iam_admin_v1.IAMClient``
is gRPC-only and no GAPIC client covers Workload Identity Federation, so one REST client for IAM keeps
every call on HTTP, testable against one local server and reachable through ordinary proxies.

Neither client's own retry is used (GAPIC calls pass ``retry=None``, the discovery client
``num_retries=0``): :meth:`Caller.call` retries 429/5xx/connection errors for both, honours
``Retry-After``, bounds attempts and waits, takes an injectable ``sleep``, and turns failures into
the scanner's error tree naming the call, never the credential.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import google.auth
import httplib2  # type: ignore[import-untyped,unused-ignore]
import requests
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import GoogleAPICallError
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import DefaultCredentialsError, RefreshError, TransportError
from google.cloud import artifactregistry_v1, resourcemanager_v3
from google.protobuf.json_format import ParseError  # type: ignore[import-untyped,unused-ignore]
from google_auth_httplib2 import AuthorizedHttp  # type: ignore[import-untyped,unused-ignore]
from googleapiclient import discovery  # type: ignore[import-untyped]
from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

from connectors._http import NotFoundError
from connectors.gcp.settings import Settings
from scanner.errors import AuthError, ConfigError, ConnectorError, ThrottledError

log = logging.getLogger("regwarden.gcp")
T = TypeVar("T")
PROVIDER = "gcp"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_URL_PREFIX = re.compile(r"^[A-Z]+ https?://\S+: ")  # api_core prefixes "GET <url>: " to the message
SCOPES = ("https://www.googleapis.com/auth/cloud-platform.read-only",)


def credentials(settings: Settings) -> Credentials:
    """Anonymous (tests, emulators), a credentials file named by an environment variable, or ADC."""
    if settings.credentials == "anonymous":
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    try:
        if settings.credentials_file_env:
            path = os.environ.get(settings.credentials_file_env)
            if not path:
                raise ConfigError(f"sources.gcp.credentials_file_env: ${settings.credentials_file_env} is not set")
            creds, _ = google.auth.load_credentials_from_file(path, scopes=SCOPES)  # type: ignore[no-untyped-call]
        else:
            creds, _ = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError as e:
        raise AuthError(f"gcp: no usable Application Default Credentials ({type(e).__name__})") from e
    out: Credentials = creds
    return out


@dataclass
class Caller:
    """Runs one API call with bounded retries; ``sleep`` is injectable so tests never wait.

    ``count`` is the run's tally (:meth:`scanner.collect_session.CollectSession.count`): each answer
    is ``fetched`` (error answers too: quotas count them), each attempt tried again ``retried``, each
    call given up ``failed`` (a 404 is an answer, not a failure)."""

    max_retries: int = 4
    max_wait: float = 60.0
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    count: Callable[..., None] | None = None
    calls: int = 0

    def _count(self, **amounts: float) -> None:
        if self.count is not None:
            self.count(PROVIDER, **amounts)

    def call(self, fn: Callable[[], T], what: str) -> T:
        """``fn()`` with retries on throttling, 5xx and connection errors."""
        try:
            return self._attempts(fn, what)
        except NotFoundError:
            raise
        except ConnectorError:
            self._count(failed=1)
            raise

    def _attempts(self, fn: Callable[[], T], what: str) -> T:
        attempt = 0
        while True:
            attempt += 1
            self.calls += 1
            retry_after: float | None = None
            try:
                answer = fn()
            except HttpError as e:
                self._count(fetched=1)
                status, retry_after, msg = int(e.resp.status), _seconds(e.resp.get("retry-after")), _message(e.content)
                cause: Exception = e
            except GoogleAPICallError as e:
                resp = e.response if isinstance(e.response, requests.Response) else None
                if resp is not None:
                    self._count(fetched=1)
                status = int(e.code or 0)
                retry_after = _seconds(resp.headers.get("Retry-After")) if resp is not None else None
                msg = _URL_PREFIX.sub("", " ".join(str(e.message).split()))[:160]
                cause = e
            except RefreshError as e:
                # The credential could not get a token (revoked, expired, refused): no retry mends it.
                raise AuthError(f"{what}: the credentials could not be refreshed ({type(e).__name__})") from e
            except (
                httplib2.HttpLib2Error,
                http.client.HTTPException,  # httplib2 on a truncated body or a garbled status line
                requests.RequestException,
                TransportError,
                OSError,
            ) as e:
                status, msg, cause = 0, f"connection failed ({type(e).__name__})", e
            except (ParseError, ValueError) as e:
                # A body that is not JSON, or not in the API's shape: the call failed, naming it.
                self._count(fetched=1)
                raise ConnectorError(f"{what}: malformed response ({type(e).__name__})") from e
            else:
                self._count(fetched=1)
                return answer
            err = _error(what, status, msg, attempt)
            if not isinstance(err, ThrottledError) and status not in RETRY_STATUSES and status != 0:
                raise err from cause
            if attempt > self.max_retries:
                raise err from cause
            wait = retry_after if retry_after is not None else min(self.max_wait, self.backoff * 2 ** (attempt - 1))
            if wait > self.max_wait:
                raise ThrottledError(f"{what}: asked to wait {wait:.0f}s, more than the {self.max_wait:.0f}s allowed")
            log.info("%s: retrying in %.1fs (attempt %d)", what, wait, attempt)
            self._count(retried=1)
            self.sleep(wait)


def _error(what: str, status: int, msg: str, attempt: int) -> ConnectorError:
    detail = f" ({msg})" if msg else ""
    if status in (401, 403):
        return AuthError(f"{what}: {status} {'unauthorized' if status == 401 else 'forbidden'}{detail}")
    if status == 404:
        return NotFoundError(f"{what}: 404 not found")
    if status == 429:
        return ThrottledError(f"{what}: HTTP 429 after {attempt} attempt(s)")
    if status == 0:
        return ConnectorError(f"{what}: {msg}")
    return ConnectorError(f"{what}: HTTP {status}{detail}")


def _seconds(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _message(content: bytes | str | None) -> str:
    # Only the provider's short message: bodies can echo request data.
    try:
        body = json.loads(content or b"")
    except (ValueError, UnicodeDecodeError):
        return ""
    msg = (
        body.get("error", {}).get("message") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    )
    return " ".join(msg.split())[:160] if isinstance(msg, str) else ""


@dataclass
class Clients:
    """Every client one scope needs, created on first use (never at import time)."""

    settings: Settings
    caller: Caller
    creds: Credentials
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def create(
        cls, settings: Settings, sleep: Callable[[float], None] = time.sleep, count: Callable[..., None] | None = None
    ) -> Clients:
        """Clients for ``settings``, with the retry policy it configures (``count``: the run's tally)."""
        caller = Caller(settings.max_retries, settings.max_wait, settings.backoff, sleep, count)
        return cls(settings, caller, credentials(settings))

    def _options(self) -> ClientOptions | None:
        return ClientOptions(api_endpoint=self.settings.endpoint) if self.settings.endpoint else None

    def _get(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def artifact_registry(self) -> artifactregistry_v1.ArtifactRegistryClient:
        """Artifact Registry (repositories, their IAM policies, locations) over REST."""
        client: artifactregistry_v1.ArtifactRegistryClient = self._get(
            "ar",
            lambda: artifactregistry_v1.ArtifactRegistryClient(
                credentials=self.creds, transport="rest", client_options=self._options()
            ),
        )
        return client

    def projects(self) -> resourcemanager_v3.ProjectsClient:
        """Resource Manager v3 projects over REST."""
        client: resourcemanager_v3.ProjectsClient = self._get(
            "projects",
            lambda: resourcemanager_v3.ProjectsClient(
                credentials=self.creds, transport="rest", client_options=self._options()
            ),
        )
        return client

    def folders(self) -> resourcemanager_v3.FoldersClient:
        """Resource Manager v3 folders over REST."""
        client: resourcemanager_v3.FoldersClient = self._get(
            "folders",
            lambda: resourcemanager_v3.FoldersClient(
                credentials=self.creds, transport="rest", client_options=self._options()
            ),
        )
        return client

    def organizations(self) -> resourcemanager_v3.OrganizationsClient:
        """Resource Manager v3 organizations over REST."""
        client: resourcemanager_v3.OrganizationsClient = self._get(
            "organizations",
            lambda: resourcemanager_v3.OrganizationsClient(
                credentials=self.creds, transport="rest", client_options=self._options()
            ),
        )
        return client

    def _discovery(self, api: str, version: str) -> Any:
        def make() -> Any:
            http = AuthorizedHttp(self.creds, http=httplib2.Http(timeout=int(self.settings.timeout)))
            opts = {"api_endpoint": self.settings.endpoint.rstrip("/") + "/"} if self.settings.endpoint else None
            return discovery.build(
                api, version, http=http, static_discovery=True, cache_discovery=False, client_options=opts
            )

        return self._get(f"{api}:{version}", make)

    def iam(self) -> Any:
        """IAM v1 through the discovery REST client."""
        return self._discovery("iam", "v1")

    def cloudasset(self) -> Any:
        """Cloud Asset Inventory v1 (``searchAllIamPolicies``) through the discovery REST client."""
        return self._discovery("cloudasset", "v1")

    def cloudbuild(self) -> Any:
        """Cloud Build v1 through the discovery REST client."""
        return self._discovery("cloudbuild", "v1")
