"""Helpers shared by the export formats: stable UUIDs, owners, optional history/drift data, and
text clean-up for formats that cannot carry every character (XML, spreadsheets)."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from scanner.result import ScanResult

if TYPE_CHECKING:
    from reports.json import FindingOut

#: Namespace of every UUIDv5 regwarden writes (OSCAL); derived once from a reserved name so it never changes.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "regwarden.invalid")

SEVERITY_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


_NAMESPACE_BYTES = NAMESPACE.bytes


def stable_uuid(*parts: str) -> str:
    """A UUIDv5 from stable ids: the same scan always yields the same UUIDs.

    RFC 9562's UUIDv5, as ``str(uuid.uuid5(NAMESPACE, name))`` gives it (a test holds them equal),
    without building a ``uuid.UUID`` (a large estate's OSCAL file has hundreds of thousands)."""
    digest = bytearray(
        hashlib.sha1(_NAMESPACE_BYTES + "\x00".join(parts).encode("utf-8"), usedforsecurity=False).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC's variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=4096)
def iso_utc(ts: datetime) -> str:
    """``2026-03-01T12:00:00Z`` (naive timestamps are UTC). Remembered: a report writes the same few
    times (scan times, first and last seen) for tens of thousands of findings; equal datetimes are
    the same instant, which is all the text depends on."""
    dt = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    # what strftime("%Y-%m-%dT%H:%M:%SZ") writes, at a fraction of its cost (called per finding)
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}Z"


def epoch_ms(ts: datetime) -> int:
    """Milliseconds since the epoch (OCSF ``timestamp_t``)."""
    dt = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts
    return int(dt.timestamp() * 1000)


def owners(result: ScanResult) -> dict[str, tuple[str, ...]]:
    """Every node's owners by name, sorted (the nodes that have any; see scanner/owners.py)."""
    own = result.owners
    return {k: own.names(k) for k in own.by_node}


def owner_names(f: FindingOut) -> tuple[str, ...]:
    """A finding's owners' names, sorted, each once (empty: unknown)."""
    return tuple(sorted({o.name for o in f.owners}))


def _plain(value: Any) -> Any:
    """JSON-ready copy of a dataclass / pydantic model / mapping / sequence of them."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso_utc(value)
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def optional_section(result: ScanResult, name: str) -> Any:
    """An optional attribute of the scan result (history and drift arrive with issue 7) as plain
    JSON data, or None when this scanner version does not provide it."""
    return _plain(getattr(result, name, None))


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Drop the characters XML 1.0 cannot carry (control characters), keeping everything else."""
    return _XML_BAD.sub("\ufffd", value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run: text starting with = + - @ TAB or CR gets a
    leading apostrophe (OWASP's CSV-injection advice); None is an empty cell."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
