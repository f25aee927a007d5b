"""The Terraform secrets table (``terraform_secrets.yaml``): which attributes of which resource types
hold secret values, whatever the state itself marks.

:func:`is_secret_name` answers for attribute names secret on every type; :func:`secret_paths` gives
a resource type's own paths, each a tuple of keys with ``*`` for every element or value.
"""

from __future__ import annotations

import re
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scanner.knowledge import read_table

#: A dotted attribute path: names and ``*``.
_PATH = r"^(?:[a-z0-9_]+|\*)(?:\.(?:[a-z0-9_]+|\*))*$"


class AnyType(BaseModel):
    """Attribute names that are secret on every resource type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    names: frozenset[str]
    patterns: tuple[str, ...]

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            re.compile(pattern)
        return value


class SecretResource(BaseModel):
    """The secret attributes of one resource type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field(pattern=r"^[a-z0-9_]+$")
    paths: tuple[str, ...] = Field(min_length=1)
    docs: str

    @field_validator("paths")
    @classmethod
    def _dotted(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            if not re.match(_PATH, path):
                raise ValueError(f"not a dotted attribute path: {path!r}")
        return value


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    any_type: AnyType
    resources: tuple[SecretResource, ...]


@cache
def table() -> tuple[AnyType, dict[str, SecretResource]]:
    """The generic names and the rows by resource type."""
    t = _Table.model_validate(read_table("terraform_secrets.yaml"))
    rows: dict[str, SecretResource] = {}
    for r in t.resources:
        if r.type in rows:
            raise ValueError(f"terraform_secrets.yaml: {r.type} listed twice")
        rows[r.type] = r
    return t.any_type, rows


@cache
def _generic() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in table()[0].patterns))


def is_secret_name(name: str) -> bool:
    """True when an attribute called ``name`` holds a secret on any resource type."""
    n = name.lower()
    return n in table()[0].names or bool(_generic().search(n))


def secret_paths(rtype: str) -> tuple[tuple[str, ...], ...]:
    """The secret attribute paths of resource type ``rtype`` (empty for a type the table does not list)."""
    row = table()[1].get(rtype)
    return tuple(tuple(p.split(".")) for p in row.paths) if row else ()
