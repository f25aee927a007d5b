"""Docker Hub's bearer: a short-lived JWT from ``POST /v2/auth/token``, never the access token itself.

Docker Hub's API reference (``AuthCreateAccessToken``) exchanges an identifier (a username, or an
organisation name for an organisation access token) and a secret (a personal or organisation access token)
for an ``access_token`` that "expires in 10 minutes". A long scan outlives it, so the JWT is minted again
shortly before it expires, and once more if the API answers 401 with a JWT that looked valid. This sits
below :class:`connectors._http.RestClient` as an httpx transport, so paging and retries stay the shared
client's and every request — page two of a long list included — carries a current JWT.

The exchange itself is sent by a :class:`~connectors._http.RestClient` of its own over the same inner
transport, with the collecting client's timeout, retry bounds, sleeper and tally: it is counted, retried
(a 429 waits what Hub asks, within ``max_wait``), and ends in time. Building that client bounds the inner
transport (:func:`scanner.deadline.bounded`), and a JWT is always minted before any request is forwarded,
so the collecting client's deadline holds for the forwarded requests too.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable

import httpx

from connectors._echo import quotes_secret
from connectors._http import RestClient, decode_json
from scanner.collect_session import CollectSession
from scanner.errors import AuthError, ConnectorError
from scanner.urlpolicy import check_url

PROVIDER = "dockerhub"
AUTH_PATH = "/v2/auth/token"
#: Docker Hub documents ten minutes; a JWT whose claims say otherwise is believed instead.
DEFAULT_LIFETIME = 600.0
#: Mint a new JWT this long before the current one expires (a page fetched at 9:59 must still pass).
MARGIN = 60.0


class ExchangeError(ConnectorError):
    """``POST /v2/auth/token`` gave no JWT once its bounded retries were spent: nothing more of the scope
    can be read."""


class TokenExchangeError(ExchangeError, AuthError):
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

    ``timeout``, ``max_retries``, ``max_wait``, ``session`` and ``sleep`` are the collecting client's (see
    :func:`connectors.dockerhub.fetch.client`): the exchange is sent under the same policy. ``clock`` is
    injectable (monotonic seconds) so a test can expire the JWT without waiting.
    """

    def __init__(
        self,
        api_url: str,
        identifier: str,
        secret: str,
        inner: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        timeout: float = 30.0,
        max_retries: int = 4,
        max_wait: float = 60.0,
        session: CollectSession | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        # The secret travels in the exchange's body, not in a header the client would check.
        check_url(api_url, f"sources.{PROVIDER}.api_url", sends_credential=True)
        self.identifier = identifier
        self._secret = secret
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._clock = clock
        self._session = session
        self._exchange = RestClient(
            provider=PROVIDER,
            base_url=api_url,
            headers={"Accept": "application/json"},
            timeout=timeout,
            max_retries=max_retries,
            max_wait=max_wait,
            sleep=sleep if sleep is not None else time.sleep,
            transport=self._inner,
            session=session,
        )
        self._jwt: str | None = None
        self._expires_at = 0.0
        #: How many JWTs were minted (a test holds long scans to refreshing).
        self.minted = 0

    def _safe(self, message: str) -> str | None:
        """``message``, or None when it quotes the access token (a provider message may echo the request)."""
        return None if quotes_secret(message, [self._secret]) else message

    def _mint(self) -> str:
        what = f"dockerhub POST {AUTH_PATH}"
        withheld = f"{what}: failed (the provider's message quoted the access token; withheld)"
        try:
            resp = self._exchange.post(AUTH_PATH, {"identifier": self.identifier, "secret": self._secret})
        except ConnectorError as e:
            # "dockerhub POST <origin>/v2/auth/token: <what happened>": the manifest names the call by its path.
            head, sep, tail = str(e).partition(": ")
            msg = f"{what}: {tail if sep and head.startswith(f'{PROVIDER} POST ') else e}"
            kind = ExchangeError
            if isinstance(e, AuthError):
                kind, msg = TokenExchangeError, f"{msg}; the identifier or access token was refused"
            safe = self._safe(msg)
            raise kind(safe or withheld) from (e if safe else None)
        try:
            body = decode_json(resp, PROVIDER)
        except ConnectorError as e:
            self._count(failed=1)  # answered (and counted fetched), then given up
            raise ExchangeError(f"{what}: response is not valid JSON") from e
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            self._count(failed=1)
            raise ExchangeError(f"{what}: no access_token in the answer")
        self._jwt = token
        self._expires_at = self._clock() + jwt_lifetime(token)
        self.minted += 1
        return token

    def _count(self, **amounts: float) -> None:
        if self._session is not None:
            self._session.count(PROVIDER, **amounts)

    def token(self) -> str:
        """A current JWT, minted now if there is none or it is about to expire (:class:`ExchangeError`
        when the exchange fails)."""
        if self._jwt is None or self._clock() >= self._expires_at - MARGIN:
            return self._mint()
        return self._jwt

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send with a current JWT; on a 401, mint once more and resend (the JWT may have been revoked early)."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        resp = self._inner.handle_request(request)
        if resp.status_code != 401:
            return resp
        resp.close()
        self._count(fetched=1, retried=1)  # an answer, and an attempt tried again with a new JWT
        request.headers["Authorization"] = f"Bearer {self._mint()}"
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the exchange's client and the wrapped transport."""
        self._exchange.close()
        self._inner.close()
