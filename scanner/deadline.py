"""A deadline for a whole HTTP call, not for each read.

httpx's timeouts bound each network operation: an answer trickled one byte at a time stays within
a 10 s read timeout forever. :func:`bounded` makes every socket read and write of an httpx client
(its own transport and the proxy transports it mounted from the environment) wait at most what is
left of the deadline set by :func:`within` on the calling thread, so a call ends when its time is
up, whatever the server does. Used by the REST connectors and the webhook.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_local = threading.local()


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Every network operation of a bounded client on this thread ends ``seconds`` from now at the latest."""
    previous: float | None = getattr(_local, "until", None)
    until = time.monotonic() + seconds
    _local.until = until if previous is None else min(previous, until)
    try:
        yield
    finally:
        _local.until = previous


def _left(timeout: float | None) -> float | None:
    until: float | None = getattr(_local, "until", None)
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose every read and write is cut at the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read, waiting no longer than the deadline allows."""
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write, waiting no longer than the deadline allows."""
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        """Close the socket."""
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        """The TLS handshake, within the deadline; the TLS stream is bounded too."""
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        """Socket details, from the wrapped stream."""
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """Opens connections within the deadline and hands out bounded streams."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """A bounded TCP connection."""
        return _Stream(self._inner.connect_tcp(host, port, _left(timeout), local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """A bounded Unix-socket connection."""
        return _Stream(self._inner.connect_unix_socket(path, _left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's connect retries; regwarden sets none)."""
        self._inner.sleep(seconds)


def _bound_transport(transport: Any) -> None:
    # httpx builds its connection pools inside HTTPTransport; the pool's network backend is the one
    # place every socket operation passes. It is a private attribute, so its absence (an httpx
    # upgrade) fails loudly here rather than silently losing the bound (tests run this path).
    if not isinstance(transport, httpx.HTTPTransport):
        return  # a test's MockTransport or a caller's own transport: theirs to bound
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:
        raise RuntimeError("httpx/httpcore changed: cannot bound the call's deadline (regwarden bug)")
    if not isinstance(backend, _Backend):
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]


def bounded(client: httpx.Client) -> httpx.Client:
    """``client`` with its transport and every mounted (proxy) transport bounded by :func:`within`."""
    _bound_transport(getattr(client, "_transport", None))
    for mounted in getattr(client, "_mounts", {}).values():
        _bound_transport(mounted)
    return client
