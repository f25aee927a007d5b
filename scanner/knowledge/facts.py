"""The facts table (``facts.yaml``): what a control needs to know of a subject, and where it is read."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from scanner.knowledge import read_table


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Fact(_Row):
    """One fact: how reports name it, and the bundle file it is read from per provider (None: not read)."""

    label: str
    sources: dict[str, str | None]


class _Table(_Row):
    facts: dict[str, Fact]


@cache
def table() -> dict[str, Fact]:
    """The validated table, by fact key."""
    return _Table.model_validate(read_table("facts.yaml")).facts


def fact(key: str) -> Fact:
    """The row of ``key``; an unknown key is a bug in a rule (KeyError)."""
    return table()[key]


def source(key: str, provider: str) -> str | None:
    """Where regwarden reads fact ``key`` for ``provider``'s subjects, or None when it does not."""
    return fact(key).sources.get(provider)
