"""Where a credential may go: only to an ``https`` origin the configuration names, never inside a URL.

One policy for the configuration check (:mod:`scanner.config`, before anything runs) and the REST
client (``connectors/_http.py``, on every request): a URL that holds a user name or password is
refused without repeating it, and a source that sends a credential must use ``https``. The only
exception is :data:`INSECURE_HTTP_ENV`, for test servers on this machine's loopback interface.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from urllib.parse import urlsplit

from scanner.errors import ConfigError

log = logging.getLogger("regwarden")

#: Set to ``1`` to let a credential travel in clear text to a server on the loopback interface (a
#: local test server). Never honoured for any other host.
INSECURE_HTTP_ENV = "REGWARDEN_INSECURE_HTTP_FOR_LOCAL_TESTS"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_warned: set[str] = set()


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, lower-cased, with the scheme's default port filled in."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ("", "", None)
    scheme = parts.scheme.lower()
    return (scheme, (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS.get(scheme))


def show_origin(o: tuple[str, str, int | None]) -> str:
    """An origin as ``scheme://host[:port]`` for messages."""
    scheme, host, port = o
    default = _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}" + ("" if port in (None, default) else f":{port}")


def has_userinfo(url: str) -> bool:
    """True when a URL carries a user name or password before its host (``https://user:pw@host``)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return bool(parts.scheme) and "@" in parts.netloc


def has_password(url: str) -> bool:
    """True when a URL carries a password (``scheme://user:pw@host``); a user name alone is not one."""
    try:
        return urlsplit(url.strip()).password is not None
    except ValueError:
        return False


def check_webhook(url: str, where: str) -> str:
    """A webhook URL that can be posted to: http(s) with a host, no user name or password, and https
    (it often embeds a token in its path) unless the loopback test opt-out applies."""
    scheme, host, _ = origin(url)
    if scheme not in ("http", "https") or not host:
        raise ConfigError(f"{where}: not an http(s) URL with a host (the value is not shown)")
    check_url(url, where, sends_credential=True)
    return url


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def insecure_http_allowed(host: str) -> bool:
    """Whether the loudly named test opt-out lets a credential go over ``http`` to ``host``."""
    return os.environ.get(INSECURE_HTTP_ENV) == "1" and is_loopback(host)


def check_url(url: str, where: str, *, sends_credential: bool) -> None:
    """Refuse a URL that holds a credential, or that would carry one in clear text.

    ``where`` names the setting (``sources.jfrog.url``); the URL itself is never repeated, since
    the point may be that it holds a password."""
    if has_userinfo(url):
        raise ConfigError(
            f"{where}: a user name or password inside a URL is refused (the value is not shown); "
            "give the credential by reference (an *_env setting) and the URL without it"
        )
    if not sends_credential:
        return
    scheme, host, _ = origin(url)
    if scheme == "https":
        return
    if scheme == "http" and insecure_http_allowed(host):
        if host not in _warned:  # once per host and process: loud, not noisy
            _warned.add(host)
            log.warning("sending a credential over plain http to %s (%s=1)", host, INSECURE_HTTP_ENV)
        return
    raise ConfigError(
        f"{where}: {scheme or 'a URL without a scheme'}:// would send the credential in clear text; "
        f"use https (a test server on localhost may be allowed with {INSECURE_HTTP_ENV}=1)"
    )
