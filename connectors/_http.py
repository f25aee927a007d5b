"""A small REST client shared by the connectors that speak HTTP (GitHub, GitLab, npm, PyPI, Docker Hub,
JFrog, Microsoft Graph, the Terraform backends): bounded retries under one rate-limit policy, the
providers' paging styles, and errors that name the call — never the credential.

What the client promises, whatever a server answers:

* **The credential stays with its origin.** Requests go only to the scheme, host and port of
  ``base_url``; a paging link or a redirect anywhere else is not followed (:class:`OffOriginError`,
  a coverage gap), so the token is never sent there. Redirects within the origin are followed, a few.
* **No credential in clear text or inside a URL** (:mod:`scanner.urlpolicy`).
* **A call ends in time**: ``timeout`` bounds the whole call, not each read (:mod:`scanner.deadline`).
* **Paging ends**: at most ``max_pages`` pages, never the same page twice.
* **Rate limits are obeyed** (:data:`WAIT_HEADERS`): the wait a provider asks for, in any of its
  headers; a throttled answer that says nothing is waited out for at least a minute, doubling after
  (GitHub's rule for its secondary limits). ``sleep`` and ``clock`` are injected, so tests never wait.
* **Rate-limit budgets are kept** (:mod:`connectors._ratelimit`): when the calls left before a reset
  run out, the next call waits for the reset (a pause, never a failure); a refusal for the budget is
  waited out the same way, not counted as a failed attempt.
* **Unchanged answers are reused** (:mod:`connectors._http_cache`) when the run has an HTTP cache:
  GETs are sent conditionally and a ``304`` gives back the kept body.
* **Provider text that quotes the credential** — as sent, lower-cased, base64 or in pieces — is
  withheld from errors, so it never reaches the manifest or the terminal.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from connectors._echo import quotes_secret
from connectors._http_cache import HttpCache, absence_key, cache_key, cacheable
from connectors._ratelimit import MAX_PACE_WAIT, Budget, paced, read
from scanner.collect_session import CollectSession
from scanner.deadline import bounded, within
from scanner.errors import AuthError, ConfigError, ConnectorError, ThrottledError
from scanner.urlpolicy import check_url, origin, show_origin

log = logging.getLogger("regwarden.http")

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Headers whose value is a credential (what the client scrubs from provider text, and what makes a
#: client "send a credential" for the https rule).
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "private-token", "job-token", "x-jfrog-art-api", "x-api-key", "cookie"}
)
#: A throttled answer with no wait hint is waited out at least this long, then twice as long each time.
MIN_THROTTLE_WAIT = 60.0
#: Pages of one list beyond which paging stops with a coverage gap (100 items a page: 100,000 items).
MAX_PAGES = 1000
#: Redirects followed within the origin for one call.
MAX_REDIRECTS = 5
#: Refusals for a spent rate-limit budget waited out for one call before it fails.
MAX_BUDGET_REFUSALS = 8


@dataclass(frozen=True)
class WaitHeader:
    """A response header that says how long to wait before asking again.

    ``form``: ``delta-or-date`` (RFC 9110 Retry-After: seconds or an HTTP date) or ``epoch`` (Unix
    time to wait until). ``remaining``: the header that must say ``0`` for a reset time to count on an
    answer that is not itself a throttle (429, or a 403 that says it is rate limited)."""

    name: str
    form: Literal["delta-or-date", "epoch"]
    remaining: str | None
    who: str


#: The rate-limit headers of every REST provider regwarden calls, in the order they are consulted.
WAIT_HEADERS: tuple[WaitHeader, ...] = (
    WaitHeader("retry-after", "delta-or-date", None, "RFC 9110; GitHub, GitLab, npm, JFrog, Graph, Docker Hub (2025)"),
    WaitHeader("x-retry-after", "epoch", None, "Docker Hub on 429, as documented before June 2025"),
    WaitHeader("ratelimit-reset", "epoch", "ratelimit-remaining", "GitLab"),
    WaitHeader("ratelimit-resettime", "delta-or-date", "ratelimit-remaining", "GitLab (HTTP date)"),
    WaitHeader("x-ratelimit-reset", "epoch", "x-ratelimit-remaining", "GitHub (primary limit), Docker Hub"),
)


class NotFoundError(ConnectorError):
    """404: the object does not exist, or the credential may not see it (an answer, not a failure)."""


class OffOriginError(ConnectorError):
    """A paging link or redirect points away from the configured origin: not followed (a coverage gap)."""


@dataclass
class RestClient:
    """GETs (and, for query APIs, POSTs) JSON to one provider's API.

    ``sleep`` and ``clock`` (Unix time) are injectable so tests can run retries without waiting.
    Retries are bounded by ``max_retries`` and each wait by ``max_wait`` seconds; a wait longer than
    that gives up at once with :class:`ThrottledError` rather than stalling a scheduled scan.
    """

    provider: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_retries: int = 4
    max_wait: float = 60.0
    backoff: float = 1.0
    max_pages: int = MAX_PAGES
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    transport: httpx.BaseTransport | None = None
    #: The run's shared state (cache folder, budgets, tallies); None: a client on its own.
    session: CollectSession | None = None
    #: The connector's own detector of credential material in a body: such an answer is never cached.
    carries_secret: Callable[[str], bool] | None = None
    calls: int = 0
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        check_url(self.base_url, f"sources.{self.provider}", sends_credential=bool(self._secrets()))
        self._origin = origin(self.base_url)
        s = self.session
        if s is not None:
            # The run's clock and sleeper pace every client alike, unless a test gave its own.
            if self.sleep is time.sleep:
                self.sleep = s.sleep
            if self.clock is time.time:
                self.clock = s.clock
        self._cache: HttpCache | None = None
        if s is not None and s.cache_dir is not None:
            folder = s.cache_dir / self.provider
            self._cache = s.shared(("http-cache", str(folder)), lambda: HttpCache(folder, self.provider))
        self._budgets: dict[str, Budget] = {}

    def _budget(self, url: str) -> Budget:
        """The budget a call to ``url`` spends: GraphQL and REST are separate buckets (GitHub)."""
        bucket = "graphql" if urlsplit(url).path.rstrip("/").endswith("/graphql") else "rest"
        if self.session is not None:
            return self.session.shared(("budget", self.provider, self._origin, bucket), Budget)
        return self._budgets.setdefault(bucket, Budget())

    def known_absent(self, path: str, version: str) -> bool:
        """Whether ``GET path`` answered 404 in an earlier run while what holds it was at ``version``
        (a repository's last push and default branch): then it is absent still, without a call. A
        404 has no validator, so it cannot be revalidated like a kept answer, and GitHub counts each
        one; ``version`` is what stands in for the validator. Counted as a cached call."""
        if self._cache is None or not version:
            return False
        if self._cache.absent(absence_key(self.url(path), version)):
            self._count(cached=1)
            return True
        return False

    def remember_absent(self, path: str, version: str) -> None:
        """Keep that ``GET path`` answered 404 at ``version`` (see :meth:`known_absent`)."""
        if self._cache is not None and version:
            self._cache.mark_absent(absence_key(self.url(path), version))

    def _count(self, **amounts: float) -> None:
        if self.session is not None:
            self.session.count(self.provider, **amounts)

    def _pace(self, budget: Budget) -> None:
        def notify(wait: float) -> None:
            until = time.strftime("%H:%M:%S UTC", time.gmtime(self.clock() + wait))
            msg = f"{self.provider}: rate-limit budget spent; pausing {wait:.0f}s until its reset at {until}"
            log.info("%s", msg)
            if self.session is not None:
                self.session.notify(msg)

        waited = paced(budget, self.clock, self.sleep, notify)
        if waited:
            self._count(paced_seconds=round(waited, 3))

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = bounded(
                httpx.Client(
                    headers={"User-Agent": "regwarden", **self.headers},
                    timeout=self.timeout,
                    transport=self.transport,
                    follow_redirects=False,  # followed by hand, within the origin only
                )
            )
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def url(self, path: str) -> str:
        """Absolute URL of an API path; an absolute URL (a paging link) must be on the configured origin."""
        if "://" not in path.split("?", 1)[0]:
            return urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))
        self._same_origin(path, "a paging link")
        return path

    def _same_origin(self, url: str, what: str) -> None:
        there = origin(url)
        if there != self._origin:
            shown = show_origin(there) if there[0] and there[1] else "an invalid URL"
            raise OffOriginError(
                f"{self.provider}: {what} points to {_redact(shown)}, not the configured "
                f"{show_origin(self._origin)}; not followed (the credential only goes to the configured origin)"
            )

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """GET with bounded retries on throttling, 5xx and connection errors."""
        return self._send("GET", path, params)

    def post(self, path: str, body: Any, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """POST a JSON body, retried like :meth:`get`: only for calls that read (query APIs such as Azure
        Resource Graph), where sending the same request twice is harmless."""
        return self._send("POST", path, params, body)

    def post_json(self, path: str, body: Any, params: Mapping[str, str | int] | None = None) -> Any:
        """POST a JSON body and parse the JSON answer; a body that is not JSON is a failed call naming the URL."""
        return self._decoded(self.post(path, body, params))

    def _request(self, method: str, url: str, params: Mapping[str, str | int] | None, body: Any) -> httpx.Response:
        with within(self.timeout):
            if method != "GET":
                return self._http().request(method, url, params=params, json=body)
            if self._cache is None:
                return self._http().get(url, params=params)
            client = self._http()
            request = client.build_request("GET", url, params=params)
            key = cache_key("GET", str(request.url), request.headers)
            entry = self._cache.get(key)
            if entry is not None:
                request.headers.update(entry.conditions())
            resp = client.send(request)
            if resp.status_code == 304 and entry is not None:
                return entry.response(resp)
            if cacheable(self.provider, resp, self.carries_secret):
                self._cache.put(key, resp)
            return resp

    def _send(
        self, method: str, path: str, params: Mapping[str, str | int] | None = None, body: Any = None
    ) -> httpx.Response:
        try:
            return self._attempts(method, path, params, body)
        except NotFoundError:
            raise
        except ConnectorError:
            self._count(failed=1)
            raise

    def _attempts(
        self, method: str, path: str, params: Mapping[str, str | int] | None = None, body: Any = None
    ) -> httpx.Response:
        url = self.url(path)
        attempt = hops = throttles = refusals = 0
        while True:
            what = f"{self.provider} {method} {_redact(url)}"
            attempt += 1
            self.calls += 1
            budget = self._budget(url)
            self._pace(budget)
            try:
                resp = self._request(method, url, params, body)
            except httpx.TimeoutException as e:
                err: ConnectorError = ConnectorError(
                    f"{what}: timed out (the whole call is bounded by {self.timeout:g}s)"
                )
                wait = self._backoff(attempt)
                cause: Exception = e
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
                raise ConnectorError(f"{what}: invalid URL ({type(e).__name__})") from e
            except httpx.DecodingError as e:
                raise ConnectorError(f"{what}: the answer could not be decoded ({type(e).__name__})") from e
            except httpx.TransportError as e:
                err = ConnectorError(f"{what}: connection failed ({type(e).__name__})")
                wait = self._backoff(attempt)
                cause = e
            except httpx.HTTPError as e:
                raise ConnectorError(f"{what}: {type(e).__name__}") from e
            else:
                cached = bool(resp.extensions.get("regwarden_cached"))
                self._count(**{"cached" if cached else "fetched": 1})
                now = self.clock()
                reading = read(resp, now)
                if reading is not None:
                    budget.update(reading)
                if resp.is_redirect:
                    hops += 1
                    attempt -= 1  # a redirect is not a failed attempt
                    if hops > MAX_REDIRECTS:
                        raise ConnectorError(f"{what}: more than {MAX_REDIRECTS} redirects (a redirect loop?)")
                    try:
                        url = str(resp.url.join(resp.headers["location"]))
                    except (httpx.InvalidURL, ValueError) as e:
                        raise ConnectorError(f"{what}: redirect to an invalid URL") from e
                    self._same_origin(url, f"{what}: a redirect")
                    params = None  # the Location holds the whole query
                    continue
                if resp.status_code < 400:
                    return resp
                status = resp.status_code
                limited = _throttled(resp)
                if (
                    limited
                    and reading is not None
                    and reading.remaining == 0
                    and "retry-after" not in resp.headers  # an explicit wait wins (GitHub's and GitLab's rule)
                    and reading.reset - now <= MAX_PACE_WAIT
                    and refusals < MAX_BUDGET_REFUSALS
                ):
                    # The primary budget is spent (another client of the token, or we were early):
                    # wait for its reset through pacing; this is not a failed attempt.
                    refusals += 1
                    attempt -= 1
                    budget.refused(now, refusals)
                    log.info("%s: rate-limit budget spent; waiting for its reset", what)
                    continue
                hint = wait_hint(resp, now, limited)
                if status == 401:
                    raise AuthError(f"{what}: 401 unauthorized (credential missing, wrong or expired)")
                if status == 403 and not limited and hint is None:
                    raise AuthError(f"{what}: 403 forbidden{self._message(resp)}")
                if status == 404:
                    raise NotFoundError(f"{what}: 404 not found")
                if status not in RETRY_STATUSES and not limited:
                    raise ConnectorError(f"{what}: HTTP {status}{self._message(resp)}")
                kind = ThrottledError if limited or status == 429 else ConnectorError
                err = kind(f"{what}: HTTP {status} after {attempt} attempt(s)")
                if hint is not None:
                    wait = hint
                elif limited or status == 429:
                    throttles += 1
                    wait = MIN_THROTTLE_WAIT * 2 ** (throttles - 1)
                else:
                    wait = self._backoff(attempt)
                cause = err
            if attempt > self.max_retries:
                raise err from cause
            if wait > self.max_wait:
                raise ThrottledError(f"{what}: asked to wait {wait:.0f}s, more than the {self.max_wait:.0f}s allowed")
            log.info("%s: retrying in %.1fs (attempt %d)", what, wait, attempt)
            self._count(retried=1)
            self.sleep(wait)
            if isinstance(err, ThrottledError):
                budget.waited()  # the provider said how long to wait: its next answer tells the budget anew

    def _secrets(self) -> list[str]:
        """The credential values this client sends (and their decoded parts), for scrubbing."""
        out: list[str] = []
        for name, value in self.headers.items():
            if name.lower() not in CREDENTIAL_HEADERS or not value:
                continue
            out.append(value)
            scheme, _, rest = value.partition(" ")
            if rest:
                out.append(rest.strip())
                if scheme.lower() == "basic":
                    try:
                        user_pass = base64.b64decode(rest.strip(), validate=True).decode("utf-8", "replace")
                    except (binascii.Error, ValueError):
                        continue
                    out += [p for p in user_pass.split(":", 1) if p]
        return out

    def _message(self, resp: httpx.Response) -> str:
        """The provider's short message for an error, unless it quotes our credential in any form."""
        msg = _message(resp)
        if msg and quotes_secret(msg, self._secrets()):
            return " (the provider's message quoted the credential; withheld)"
        return f" ({msg})" if msg else ""

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_wait, self.backoff * 2 ** (attempt - 1)))

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET and parse JSON; a body that is not JSON is a failed call naming the URL."""
        return self._decoded(self.get(path, params))

    def _decoded(self, resp: httpx.Response) -> Any:
        """``resp``'s JSON; one that is not JSON is a failed call, counted as one (it was fetched)."""
        try:
            return decode_json(resp, self.provider)
        except ConnectorError:
            self._count(failed=1)
            raise

    def _given_up(self, e: ConnectorError) -> ConnectorError:
        """A call given up here rather than in :meth:`_send` (a paging link refused): counted failed."""
        self._count(failed=1)
        return e

    def pages(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        next_url: Callable[[httpx.Response, Any], str | None],
    ) -> Iterator[Any]:
        """Yield every page's parsed body, following ``next_url`` until it returns None.

        A next link that was already visited is a pagination loop and fails the call; so does a list
        longer than ``max_pages`` pages, and a next link off the configured origin.
        """
        seen: set[str] = set()
        url: str | None = self.url(path)
        first = True
        while url is not None:
            if url in seen:
                raise self._given_up(
                    ConnectorError(f"{self.provider} GET {_redact(url)}: pagination loop (page repeated)")
                )
            if len(seen) >= self.max_pages:
                raise self._given_up(
                    ConnectorError(
                        f"{self.provider} GET {_redact(url)}: more than {self.max_pages} pages; stopped (not assessed past it)"
                    )
                )
            seen.add(url)
            resp = self.get(url, params if first else None)
            first = False
            body = self._decoded(resp)
            yield body
            nxt = next_url(resp, body)
            try:
                url = self.url(nxt) if nxt else None
            except ConnectorError as e:
                raise self._given_up(e) from None


def decode_json(resp: httpx.Response, provider: str) -> Any:
    """Parse a response body as JSON or fail naming the call."""
    try:
        return json.loads(resp.content)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ConnectorError(
            f"{provider} {resp.request.method} {_redact(str(resp.request.url))}: "
            f"response is not valid JSON ({type(e).__name__})"
        ) from e
    except ValueError as e:  # an integer beyond Python's digit limit
        raise ConnectorError(
            f"{provider} {resp.request.method} {_redact(str(resp.request.url))}: response is not usable JSON"
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


def _throttled(resp: httpx.Response) -> bool:
    """A 429, or a 403 that says it is a rate limit (GitHub answers its limits with 403)."""
    if resp.status_code == 429:
        return True
    if resp.status_code != 403:
        return False
    if any(_exhausted(resp, h.remaining) for h in WAIT_HEADERS if h.remaining):
        return True
    return "rate limit" in resp.text[:2000].lower()


def _exhausted(resp: httpx.Response, header: str) -> bool:
    """The remaining-calls header says 0 (also in the ``0;w=21600`` form of registry answers)."""
    value: str = resp.headers.get(header, "")
    return value.split(";", 1)[0].strip() == "0"


def _seconds(value: str, form: str, now: float) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if number != number or number < 0:  # NaN or negative: no usable hint
            return None
        # An epoch far in the past is a provider sending seconds where the docs say a time.
        return number if form == "delta-or-date" or number < 1e9 else max(0.0, number - now)
    if form != "delta-or-date":
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def wait_hint(resp: httpx.Response, now: float, throttled: bool) -> float | None:
    """How long the provider asks us to wait before the next request, from :data:`WAIT_HEADERS`, or
    None when it says nothing usable. ``now`` is Unix time."""
    for h in WAIT_HEADERS:
        value = resp.headers.get(h.name)
        if value is None:
            continue
        if h.remaining and not throttled and not _exhausted(resp, h.remaining):
            continue
        seconds = _seconds(value, h.form, now)
        if seconds is not None:
            return seconds
    return None


def _message(resp: httpx.Response) -> str:
    # Only a short, single-line provider message: bodies can echo request data.
    try:
        body = json.loads(resp.content)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError):
        return ""
    msg = body.get("message") if isinstance(body, dict) else None
    if not isinstance(msg, str):
        return ""
    return " ".join(msg.split())[:160]


def _redact(url: str) -> str:
    # Query strings may carry tokens on some APIs, and a URL may hold a user name: keep neither.
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].rsplit("@", 1)[-1]
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def bearer_client(
    provider: str,
    base_url: str,
    token_env: str,
    *,
    max_retries: int,
    max_wait: float,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    session: CollectSession | None = None,
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
        sleep=sleep,
        clock=clock,
        session=session,
    )
