"""Docker Hub's bearer: a short-lived JWT from ``POST /v2/auth/token``, never the access token itself.

Docker Hub's API reference (``AuthCreateAccessToken``) exchanges an identifier (a username, or an
organisation name for an organisation access token) and a secret (a personal or organisation access token)
for an ``access_token`` that "expires in 10 minutes". A long scan outlives it, so the JWT is minted again
shortly before it expires, and once more if the API answers 401 with a JWT that looked valid. This sits
below :class:`connectors._http.RestClient` as an httpx transport, so paging and retries stay the shared
client's and every request — page two of a long list included — carries a current JWT.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from urllib.parse import urljoin

import httpx

from scanner.errors import AuthError, ConnectorError, ThrottledError

AUTH_PATH = "/v2/auth/token"
#: Docker Hub documents ten minutes; a JWT whose claims say otherwise is believed instead.
DEFAULT_LIFETIME = 600.0
#: Mint a new JWT this long before the current one expires (a page fetched at 9:59 must still pass).
MARGIN = 60.0


class TokenExchangeError(AuthError):
    """``POST /v2/auth/token`` refused the identifier and access token: nothing of the scope can be read."""


def jwt_lifetime(token: str) -> float:
    """Seconds a JWT is valid for, from its ``iat``/``exp`` claims (unverified: only to plan a refresh)."""
    parts = token.split(".")
    if len(parts) != 3:
        return DEFAULT_LIFETIME
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return DEFAULT_LIFETIME
    exp, iat = (payload.get("exp"), payload.get("iat")) if isinstance(payload, dict) else (None, None)
    if isinstance(exp, int | float) and isinstance(iat, int | float) and exp > iat:
        return float(exp - iat)
    return DEFAULT_LIFETIME


class HubJwtTransport(httpx.BaseTransport):
    """Adds ``Authorization: Bearer <JWT>`` to every request and keeps the JWT fresh.

    ``clock`` is injectable (monotonic seconds) so a test can expire the JWT without waiting.
    """

    def __init__(
        self,
        api_url: str,
        identifier: str,
        secret: str,
        inner: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = urljoin(api_url.rstrip("/") + "/", AUTH_PATH.lstrip("/"))
        self._identifier = identifier
        self._secret = secret
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._clock = clock
        self._jwt: str | None = None
        self._expires_at = 0.0
        #: How many JWTs were minted (a test holds long scans to refreshing).
        self.minted = 0

    def _mint(self) -> str:
        request = httpx.Request(
            "POST",
            self._url,
            json={"identifier": self._identifier, "secret": self._secret},
            headers={"Accept": "application/json", "User-Agent": "regwarden"},
        )
        resp = self._inner.handle_request(request)
        try:
            resp.read()
        finally:
            resp.close()
        what = f"dockerhub POST {AUTH_PATH}"
        if resp.status_code in (401, 403):
            raise TokenExchangeError(f"{what}: {resp.status_code} (identifier or access token refused)")
        if resp.status_code == 429:
            raise ThrottledError(f"{what}: HTTP 429")
        if resp.status_code >= 400:
            raise ConnectorError(f"{what}: HTTP {resp.status_code}")
        try:
            body = json.loads(resp.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConnectorError(f"{what}: response is not valid JSON ({type(e).__name__})") from e
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectorError(f"{what}: no access_token in the answer")
        self._jwt = token
        self._expires_at = self._clock() + jwt_lifetime(token)
        self.minted += 1
        return token

    def _current(self) -> str:
        if self._jwt is None or self._clock() >= self._expires_at - MARGIN:
            return self._mint()
        return self._jwt

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send with a current JWT; on a 401, mint once more and resend (the JWT may have been revoked early)."""
        request.headers["Authorization"] = f"Bearer {self._current()}"
        resp = self._inner.handle_request(request)
        if resp.status_code != 401:
            return resp
        resp.close()
        request.headers["Authorization"] = f"Bearer {self._mint()}"
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
