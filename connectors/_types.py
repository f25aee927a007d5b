"""Field types shared by the connectors' raw models: a value a transform would parse later is
checked when the bundle is loaded, so a malformed file is refused naming the file (exit 2)
instead of failing deep inside a transform."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

#: The latest time a datetime can hold (year 9999), as Unix seconds.
MAX_EPOCH = 253_402_300_799


def _iso(value: str) -> str:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise ValueError(f"not an ISO-8601 time: {value[:40]!r}") from e
    return value


def iso_time(value: object) -> datetime | None:
    """An ISO-8601 time or day (``Z`` allowed) as an aware datetime, in UTC when it names no zone;
    None when the value is empty, not a string or not a time. Fields typed :data:`IsoTime` were
    checked when the bundle was read, so for them None means only "not given"."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _json_object(value: str) -> str:
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError) as e:
        raise ValueError("not a JSON document") from e
    if not isinstance(parsed, dict):
        raise ValueError("not a JSON object")
    return value


#: An ISO-8601 timestamp kept as the provider's string.
IsoTime = Annotated[str, AfterValidator(_iso)]
#: Unix seconds within the range of a datetime.
EpochSeconds = Annotated[int, Field(ge=0, le=MAX_EPOCH)]
#: A JSON object serialised in a string (an IAM policy document, say).
JsonObjectText = Annotated[str, AfterValidator(_json_object)]
