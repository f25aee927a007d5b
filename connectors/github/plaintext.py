"""Credential material committed in CI files, found with detect-secrets and regwarden's own token
formats and credential forms (``scanner/knowledge/token_formats.yaml``, through :mod:`scanner.redact`),
and kept as a fingerprint only.

Collection runs :func:`redact` on every file before it is written into a bundle (and the bundle
writer runs the table again on whatever it stores): each hit is replaced by
``regwarden-redacted.<detector>.<fingerprint>``, so the bundle never holds the value and the loader
still sees where it was. :func:`scan` finds both those markers and raw values (in a hand-made
bundle) and returns :class:`Hit` records — detector, line and keyed fingerprint, never the value.
detect-secrets keeps its settings in process-wide state, hence the lock.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import scan_line
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.keyword import DENYLIST as KEYWORDS
from detect_secrets.plugins.keyword import KeywordDetector
from detect_secrets.settings import transient_settings

from scanner.fingerprint import fingerprint
from scanner.redact import MARKER, find, redact_text

#: Entropy plugins flag every long identifier in YAML; the pattern and keyword detectors do not.
_NOISY = ("Base64HighEntropyString", "HexHighEntropyString")
_LOCK = threading.Lock()
_MARKER = MARKER
# A detector may report only part of a token (GitHub tokens come back as their "ghp" prefix):
# the token is the whole run of characters around it.
_TOKEN_CHARS = r"[^\s'\"`,;()\[\]{}<>]"  # noqa: S105 - a character class


@dataclass(frozen=True)
class Hit:
    """One credential found in a file: where, by which detector, and its keyed fingerprint."""

    line: int  # 1-based
    detector: str  # a slug of detect-secrets' type, e.g. "aws-access-key"
    fingerprint: str


def _slug(kind: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")


def _plugins() -> list[dict[str, str]]:
    classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
    names = sorted({c.__name__ for c in classes})
    return [{"name": n} for n in names if n not in _NOISY]


@cache
def _candidates() -> tuple[re.Pattern[str], ...] | None:
    """Patterns one of which occurs in every line a used detector could report: the regex
    detectors' own patterns and the keyword detector's keywords (case-insensitive: a superset of
    its rules). None when a used detector is neither (then every line is scanned)."""
    out: list[re.Pattern[str]] = []
    detectors: list[type[Any]] = list(get_mapping_from_secret_type_to_class().values())
    for cls in detectors:
        if cls.__name__ in _NOISY:
            continue
        if issubclass(cls, KeywordDetector):
            out.append(re.compile("|".join(KEYWORDS), re.IGNORECASE))
            continue
        found = getattr(cls, "denylist", None) if issubclass(cls, RegexBasedDetector) else None
        if not isinstance(found, list | tuple) or not all(isinstance(rx, re.Pattern) for rx in found):
            return None
        out.extend(found)
    # The cheap literal patterns first; the keyword alternation is the slowest.
    return tuple(sorted(out, key=lambda rx: bool(rx.flags & re.IGNORECASE)))


#: Line -> what detect-secrets reports on it; CI files repeat the same lines across repositories.
_SEEN: dict[str, tuple[tuple[str, str], ...]] = {}
_SEEN_MAX = 200_000


def _detect(text: str) -> list[tuple[int, str, str]]:
    """(1-based line, detector slug, whole token) for each credential in a text."""
    raw: list[tuple[int, str, str, str]] = []
    candidates = _candidates()
    todo: list[tuple[int, str]] = []
    for no, line in enumerate(text.splitlines(), start=1):
        found = _SEEN.get(line)
        if found is None:
            if candidates is not None and not any(rx.search(line) for rx in candidates):
                # No detector's pattern or keyword occurs in the line: none can report it.
                _remember(line, ())
                continue
            todo.append((no, line))
        else:
            raw += [(no, line, kind, value) for kind, value in found]
    if todo:
        with _LOCK, transient_settings({"plugins_used": _plugins()}):
            for no, line in todo:
                found = tuple((s.type, s.secret_value) for s in scan_line(line) if s.secret_value)
                _remember(line, found)
                raw += [(no, line, kind, value) for kind, value in found]
    out: list[tuple[int, str, str]] = []
    for no, line, kind, value in raw:
        for m in re.finditer(f"{_TOKEN_CHARS}*{re.escape(value)}{_TOKEN_CHARS}*", line):
            if not _MARKER.fullmatch(m.group(0)):
                out.append((no, _slug(kind), m.group(0)))
    return sorted(set(out))


def _remember(line: str, found: tuple[tuple[str, str], ...]) -> None:
    if len(_SEEN) >= _SEEN_MAX:
        _SEEN.clear()
    _SEEN[line] = found


def redact(text: str) -> str:
    """The file with every detected credential replaced by a marker holding its fingerprint
    (regwarden's token formats and credential forms first — some span lines, such as a private key
    block, that the line-by-line detectors would only cut into — then detect-secrets' detectors)."""
    return _redact_detected(redact_text(text))


def carries_credential(text: str) -> bool:
    """Whether :func:`redact` would change ``text``: what the HTTP cache must not keep (a client's
    ``carries_secret``)."""
    return redact(text) != text


def _redact_detected(text: str) -> str:
    by_line: dict[int, list[tuple[str, str]]] = {}
    for no, slug, token in _detect(text):
        by_line.setdefault(no, []).append((slug, token))
    out: list[str] = []
    for no, line in enumerate(text.splitlines(keepends=True), start=1):
        for slug, token in sorted(by_line.get(no, ()), key=lambda t: -len(t[1])):
            line = line.replace(token, f"regwarden-redacted.{slug}.{fingerprint(token).replace(':', '-')}")
        out.append(line)
    return "".join(out)


def scan(text: str) -> tuple[Hit, ...]:
    """Every credential in a file: redaction markers and raw values alike, by line."""
    hits: list[Hit] = []
    for no, line in enumerate(text.splitlines(), start=1):
        hits += [Hit(no, m.group(1), f"hmac-sha256:{m.group(2)}") for m in _MARKER.finditer(line)]
    hits += [Hit(no, slug, fingerprint(token)) for no, slug, token in _detect(text)]
    hits += [Hit(text.count("\n", 0, f.start) + 1, f.kind, fingerprint(f.value)) for f in find(text)]
    # One credential found by two detectors on one line is one hit (the first name, in sorted order).
    first: dict[tuple[int, str], Hit] = {}
    for h in sorted(dict.fromkeys(hits), key=lambda h: (h.line, h.detector, h.fingerprint)):
        first.setdefault((h.line, h.fingerprint), h)
    return tuple(first.values())
