"""Does a provider's text quote our credential? In any form a server might echo it back: as sent,
in another case, with separators inserted (split), base64/base64url/hex encoded, or in pieces.

Used by the REST client to withhold such text from errors, so it never reaches the manifest or the
terminal.
"""

from __future__ import annotations

import base64
import binascii
import re

_ALNUM = re.compile(r"[^0-9a-z]")
_ENCODED = re.compile(r"[A-Za-z0-9+/_=-]{12,}")
#: Pieces of a credential at least this long count as quoting it (a split token, a partial echo).
_PIECE = 8


def _norm(text: str) -> str:
    return _ALNUM.sub("", text.lower())


def quotes_secret(text: str, secrets: list[str]) -> bool:
    """Whether ``text`` contains any of ``secrets`` as sent, in another case, with separators inserted
    (split), or base64/base64url/hex encoded — or any piece of one of at least 8 characters."""
    if not secrets:
        return False
    views = [_norm(text)]
    for run in _ENCODED.findall(text):
        for decode in (_b64, _hex):
            decoded = decode(run)
            if decoded:
                views.append(_norm(decoded))
    for secret in secrets:
        s = _norm(secret)
        if not s:
            continue
        pieces = {s} if len(s) <= _PIECE else {s[i : i + _PIECE] for i in range(len(s) - _PIECE + 1)}
        if any(p in v for v in views for p in pieces):
            return True
    return False


def _b64(run: str) -> str:
    padded = run + "=" * (-len(run) % 4)
    for alt in (None, b"-_"):
        try:
            return base64.b64decode(padded, altchars=alt).decode("utf-8", "ignore")
        except (binascii.Error, ValueError):
            continue
    return ""


def _hex(run: str) -> str:
    try:
        return bytes.fromhex(run).decode("utf-8", "ignore")
    except ValueError:
        return ""
