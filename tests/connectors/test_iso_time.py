"""The one parser of provider timestamps the transforms share (connectors._types.iso_time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors._types import iso_time


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-01T09:00:00Z", datetime(2026, 10, 1, 9, tzinfo=UTC)),
        ("2026-10-01T09:00:00.123Z", datetime(2026, 10, 1, 9, 0, 0, 123000, tzinfo=UTC)),
        ("2026-10-01T11:00:00+02:00", datetime(2026, 10, 1, 11, tzinfo=timezone(timedelta(hours=2)))),
        ("2026-10-01T09:00:00", datetime(2026, 10, 1, 9, tzinfo=UTC)),  # no zone: UTC, never naive
        ("2026-10-01", datetime(2026, 10, 1, tzinfo=UTC)),  # a day (GitLab's expires_at)
        ("", None),
        (None, None),
        (1700000000, None),  # not a string (a Terraform attribute of another type)
        ("yesterday", None),
    ],
)
def test_iso_time(value: object, expected: datetime | None) -> None:
    got = iso_time(value)
    assert got == expected
    assert got is None or got.tzinfo is not None
