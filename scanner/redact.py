"""Credential values out of everything collection writes: every token format and credential form of
``scanner/knowledge/token_formats.yaml`` is replaced by a marker holding its keyed fingerprint,
``regwarden-redacted.<kind>.hmac-sha256-<32 hex>``, so a bundle never holds the value while the
report can still say where a credential was, of which kind, and whether it is reused elsewhere.

:class:`~scanner.bundle.BundleWriter` runs :func:`redact_text` over every text file and
:func:`redact_json` over every JSON document it stores; the CI connectors' plaintext detector uses
:func:`find` (and reads the markers back).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from scanner.fingerprint import fingerprint
from scanner.knowledge.token_formats import TokenFormat, formats, forms

#: A redaction marker: the kind (a token format or form id, or a detector name) and the fingerprint.
MARKER = re.compile(r"regwarden-redacted\.([a-z0-9-]+)\.hmac-sha256-([0-9a-f]{32})")
_FINGERPRINT = re.compile(r"^hmac-sha256:[0-9a-f]{32}$")
#: Values that are where a credential comes from, not the credential: ${{ secrets.X }}, $VAR, ${VAR},
#: $(cmd), %VAR%, {{ template }}, <placeholder>, ***.
_REFERENCE = re.compile(r"^(?:\$|%[A-Za-z_][A-Za-z0-9_]*%$|\{\{|<[^>]*>$|\*+$|\[redacted\]$)", re.I)
#: Values of secret-looking keys that are settings, not secrets (``id-token: write``, ``password: true``).
_NOT_SECRET = frozenset(
    {"write", "read", "none", "true", "false", "yes", "no", "on", "off", "null", "~", "required", "optional",
     "inherit", "|", ">", "|-", ">-", "-"}
)  # fmt: skip
#: Keys of a JSON object whose string value is a credential (``{"password": "…"}``), compared without
#: case or separators; their values are redacted as a whole even with no recognisable format.
_SECRET_KEY = re.compile(r"(password|passwd|secret|secrettext|apikey|privatekey|privatekeydata|token)$")
_SEPARATORS = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Found:
    """A credential in a text: its span (of the value only), kind and the value itself (never stored)."""

    start: int
    end: int
    kind: str
    value: str


def is_reference(value: str) -> bool:
    """True when ``value`` names where a credential comes from instead of being one (or is already
    a marker or fingerprint, or is a setting such as ``write`` or a number)."""
    v = value.strip().strip("\"'").strip()
    return (
        not v
        or bool(_REFERENCE.match(v))
        or v.lower() in _NOT_SECRET
        or v.isdigit()
        or bool(MARKER.fullmatch(v))
        or bool(_FINGERPRINT.match(v))
    )


@cache
def _secret_formats() -> tuple[tuple[TokenFormat, tuple[str, ...]], ...]:
    return tuple((f, tuple(p.lower() for p in f.prefixes)) for f in formats() if f.secret)


def find(text: str) -> list[Found]:
    """Every credential in ``text``, longest first where two overlap, in text order."""
    hits: list[Found] = []
    low = text.lower()
    # A format's every match holds one of its prefixes, and a form's one of its keywords (the table's
    # contract; tests/scanner/test_token_formats.py holds each row to it): a text without any is not
    # searched with that pattern. Substring tests are far cheaper than the patterns.
    for f, prefixes in _secret_formats():
        if any(p in low for p in prefixes):
            hits += [Found(m.start(), m.end(), f.id, m.group(0)) for m in f.regex.finditer(text)]
    for form in forms():
        if not any(k in low for k in form.keywords):
            continue
        for m in form.regex.finditer(text):
            start, inner = _unquoted(m.group("value"), m.start("value"))
            if is_reference(inner):
                continue
            hits.append(Found(start, start + len(inner), form.id, inner))
    if not hits:
        return hits
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    markers = [(m.start(), m.end()) for m in MARKER.finditer(text)] if "regwarden-redacted." in text else []
    out: list[Found] = []
    for h in hits:
        if out and h.start < out[-1].end:
            continue  # inside (or overlapping) a credential already found
        if any(a <= h.start and h.end <= b for a, b in markers):
            continue  # part of a marker written by an earlier redaction
        out.append(h)
    return out


def _unquoted(raw: str, start: int) -> tuple[int, str]:
    """The value without its quotes — also escaped ones (``\\"…\\"`` inside a JSON string) — and
    without a trailing backslash, so that replacing it keeps the file's quoting intact."""
    for q in ('\\"', '"', "'"):
        if len(raw) >= 2 * len(q) and raw.startswith(q) and raw.endswith(q):
            raw, start = raw[len(q) : -len(q)], start + len(q)
            break
    return start, raw.rstrip("\\")


def marker(kind: str, value: str, fp: Callable[[str], str] = fingerprint) -> str:
    """The marker that stands in for ``value`` in a bundle."""
    return f"regwarden-redacted.{kind}.{fp(value).replace(':', '-')}"


def redact_text(text: str) -> str:
    """``text`` with every credential replaced by its marker."""
    found = find(text)
    if not found:
        return text
    parts: list[str] = []
    at = 0
    for h in found:
        parts += [text[at : h.start], marker(h.kind, h.value)]
        at = h.end
    parts.append(text[at:])
    return "".join(parts)


def _secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(_SEPARATORS.sub("", key.lower())))


def redact_json(data: Any) -> Any:
    """A copy of a JSON document with every credential in a string replaced by its marker, and the
    string value of a key named like a credential (``password``, ``client_secret``, ``*_token``)
    replaced whole. Keys are kept (they are names, and loaders need them)."""
    stack: list[Any] = []
    root: list[Any] = [data]
    stack.append((root, 0, None))
    while stack:
        holder, slot, key = stack.pop()
        value = holder[slot]
        if isinstance(value, str):
            if key is not None and _secret_key(key) and not is_reference(value):
                holder[slot] = marker("json-" + _SEPARATORS.sub("-", key.lower()).strip("-")[:40], value)
            else:
                holder[slot] = redact_text(value)
        elif isinstance(value, dict):
            copy = dict(value)
            holder[slot] = copy
            stack.extend((copy, k, k) for k in copy)
        elif isinstance(value, list):
            items = list(value)
            holder[slot] = items
            stack.extend((items, i, None) for i in range(len(items)))
    return root[0]
