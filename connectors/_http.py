"""A small REST client shared by the connectors that speak HTTP (GitHub, GitLab, npm, PyPI, Docker Hub,
JFrog, Microsoft Graph): bounded retries that honour ``Retry-After``, the providers' paging styles,
pagination-loop detection, and errors that name the call — never the credential.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import httpx

from scanner.errors import AuthError, ConfigError, ConnectorError, ThrottledError

log = logging.getLogger("regwarden.http")

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class NotFoundError(ConnectorError):
    """404: the object does not exist, or the credential may not see it (an answer, not a failure)."""


@dataclass
class RestClient:
    """GETs (and, for query APIs, POSTs) JSON to one provider's API.

    ``sleep`` and ``clock`` are injectable so tests can run retries without waiting. Retries are
    bounded by ``max_retries`` and each wait by ``max_wait`` seconds; a ``Retry-After`` longer than
    that gives up at once with :class:`ThrottledError` rather than stalling a scheduled scan.
    """

    provider: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_retries: int = 4
    max_wait: float = 60.0
    backoff: float = 1.0
    max_pages: int = 10_000
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    calls: int = 0
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                headers={"User-Agent": "regwarden", **self.headers},
                timeout=self.timeout,
                transport=self.transport,
                follow_redirects=True,
            )
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def url(self, path: str) -> str:
        """Absolute URL of an API path (absolute URLs from paging links pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """GET with bounded retries on throttling, 5xx and connection errors."""
        return self._send("GET", path, params)

    def post(self, path: str, body: Any, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """POST a JSON body, retried like :meth:`get`: only for calls that read (query APIs such as Azure
        Resource Graph), where sending the same request twice is harmless."""
        return self._send("POST", path, params, body)

    def post_json(self, path: str, body: Any, params: Mapping[str, str | int] | None = None) -> Any:
        """POST a JSON body and parse the JSON answer; a body that is not JSON is a failed call naming the URL."""
        return decode_json(self.post(path, body, params), self.provider)

    def _send(
        self, method: str, path: str, params: Mapping[str, str | int] | None = None, body: Any = None
    ) -> httpx.Response:
        url = self.url(path)
        what = f"{self.provider} {method} {_redact(url)}"
        attempt = 0
        while True:
            attempt += 1
            self.calls += 1
            try:
                if method == "GET":
                    resp = self._http().get(url, params=params)
                else:
                    resp = self._http().request(method, url, params=params, json=body)
            except httpx.TimeoutException as e:
                err: ConnectorError = ConnectorError(f"{what}: timed out")
                wait = self._backoff(attempt)
                cause: Exception = e
            except httpx.TransportError as e:
                err = ConnectorError(f"{what}: connection failed ({type(e).__name__})")
                wait = self._backoff(attempt)
                cause = e
            else:
                if resp.status_code < 400:
                    return resp
                status = resp.status_code
                retry_after = _retry_after(resp)
                if status == 401:
                    raise AuthError(f"{what}: 401 unauthorized (credential missing, wrong or expired)")
                if status == 403 and retry_after is None and not _rate_limited(resp):
                    raise AuthError(f"{what}: 403 forbidden{self._scrub(_message(resp))}")
                if status == 404:
                    raise NotFoundError(f"{what}: 404 not found")
                if status not in RETRY_STATUSES and status != 403:
                    raise ConnectorError(f"{what}: HTTP {status}{self._scrub(_message(resp))}")
                kind = ThrottledError if status in (403, 429) else ConnectorError
                err = kind(f"{what}: HTTP {status} after {attempt} attempt(s)")
                wait = retry_after if retry_after is not None else self._backoff(attempt)
                cause = err
            if attempt > self.max_retries:
                raise err from cause
            if wait > self.max_wait:
                raise ThrottledError(f"{what}: asked to wait {wait:.0f}s, more than the {self.max_wait:.0f}s allowed")
            log.info("%s: retrying in %.1fs (attempt %d)", what, wait, attempt)
            self.sleep(wait)

    def _scrub(self, text: str) -> str:
        """Remove our own credentials from provider text: error bodies can echo the request back."""
        for value in self.headers.values():
            for part in {value, *value.split()}:
                if len(part) >= 8 and part in text:
                    text = text.replace(part, "[redacted]")
        return text

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_wait, self.backoff * 2 ** (attempt - 1)))

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET and parse JSON; a body that is not JSON is a failed call naming the URL."""
        return decode_json(self.get(path, params), self.provider)

    def pages(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        next_url: Callable[[httpx.Response, Any], str | None],
    ) -> Iterator[Any]:
        """Yield every page's parsed body, following ``next_url`` until it returns None.

        A next link that was already visited is a pagination loop and fails the call.
        """
        seen: set[str] = set()
        url: str | None = self.url(path)
        first = True
        while url is not None:
            if url in seen:
                raise ConnectorError(f"{self.provider} GET {_redact(url)}: pagination loop (page repeated)")
            if len(seen) >= self.max_pages:
                raise ConnectorError(f"{self.provider} GET {_redact(url)}: more than {self.max_pages} pages")
            seen.add(url)
            resp = self.get(url, params if first else None)
            first = False
            body = decode_json(resp, self.provider)
            yield body
            nxt = next_url(resp, body)
            url = self.url(nxt) if nxt else None


def decode_json(resp: httpx.Response, provider: str) -> Any:
    """Parse a response body as JSON or fail naming the call."""
    try:
        return json.loads(resp.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConnectorError(
            f"{provider} {resp.request.method} {_redact(str(resp.request.url))}: "
            f"response is not valid JSON ({type(e).__name__})"
        ) from e


def link_next(resp: httpx.Response, _body: Any) -> str | None:
    """``Link: <…>; rel="next"`` paging (GitHub, GitLab)."""
    m = _LINK_NEXT.search(resp.headers.get("link", ""))
    return m.group(1) if m else None


def body_next(key: str = "next") -> Callable[[httpx.Response, Any], str | None]:
    """Paging by a URL in the body (Docker Hub ``next``, ARM ``nextLink``, Graph ``@odata.nextLink``)."""

    def nxt(_resp: httpx.Response, body: Any) -> str | None:
        value = body.get(key) if isinstance(body, dict) else None
        return value if isinstance(value, str) and value else None

    return nxt


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if value is None:
        reset = resp.headers.get("x-ratelimit-reset")
        if resp.headers.get("x-ratelimit-remaining") == "0" and reset and reset.isdigit():
            return max(0.0, float(reset) - time.time())
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _rate_limited(resp: httpx.Response) -> bool:
    if resp.headers.get("x-ratelimit-remaining") == "0":
        return True
    return "rate limit" in resp.text[:500].lower()


def _message(resp: httpx.Response) -> str:
    # Only a short, single-line provider message: bodies can echo request data.
    try:
        body = json.loads(resp.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    msg = body.get("message") if isinstance(body, dict) else None
    if not isinstance(msg, str):
        return ""
    msg = " ".join(msg.split())[:160]
    return f" ({msg})"


def _redact(url: str) -> str:
    # Query strings may carry tokens on some APIs; keep the path only.
    return url.split("?", 1)[0]


def bearer_client(
    provider: str,
    base_url: str,
    token_env: str,
    *,
    max_retries: int,
    max_wait: float,
    transport: httpx.BaseTransport | None = None,
) -> RestClient:
    """A JSON client authenticated with a bearer token read from the environment variable
    ``token_env`` here (never stored in settings or the bundle)."""
    token = os.environ.get(token_env)
    if not token:
        raise ConfigError(f"sources.{provider}: environment variable {token_env} is not set")
    return RestClient(
        provider=provider,
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        max_retries=max_retries,
        max_wait=max_wait,
        transport=transport,
    )
