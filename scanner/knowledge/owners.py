"""The ownership table (``owners.yaml``): the sources of ownership, strongest first, and the conventions
owners are read from (tag keys, IAM path and Terraform module patterns).

:func:`table` returns it validated; :func:`source_of_edge` names the source of a connector's ``owned_by``
edge by its ``via``. :mod:`scanner.owners` applies it.
"""

from __future__ import annotations

import re
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scanner.knowledge import read_table


def owner_pattern(value: str) -> str:
    """``value`` if it is a regular expression with a named group ``owner`` (else ValueError)."""
    try:
        compiled = re.compile(value)
    except re.error as e:
        raise ValueError(f"not a regular expression: {value!r} ({e})") from e
    if "owner" not in compiled.groupindex:
        raise ValueError(f"no named group 'owner' in {value!r}")
    return value


class OwnerSource(BaseModel):
    """One place owners are read from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z_]+$")
    title: str
    edges: tuple[str, ...] = ()
    docs: str


class OwnersTable(BaseModel):
    """The whole table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: tuple[OwnerSource, ...] = Field(min_length=1)
    tag_keys: tuple[str, ...]
    iam_path_patterns: tuple[str, ...]
    terraform_module_patterns: tuple[str, ...]

    @field_validator("iam_path_patterns", "terraform_module_patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(owner_pattern(p) for p in value)


@cache
def table() -> OwnersTable:
    """The validated table (sources strongest first)."""
    t = OwnersTable.model_validate(read_table("owners.yaml"))
    ids = [s.id for s in t.sources]
    vias = [v for s in t.sources for v in s.edges]
    if len(set(ids)) != len(ids) or len(set(vias)) != len(vias):
        raise ValueError("owners.yaml: a source id or an edge via is listed twice")
    if ids[0] != "config":
        raise ValueError("owners.yaml: the configuration must be the first (strongest) source")
    return t


@cache
def rank() -> dict[str, int]:
    """Source id → its strength (0 is the strongest)."""
    return {s.id: i for i, s in enumerate(table().sources)}


@cache
def _by_via() -> dict[str, str]:
    return {v: s.id for s in table().sources for v in s.edges}


def source_of_edge(via: str) -> str | None:
    """The source an ``owned_by`` edge's ``via`` stands for (None: a via the table does not list)."""
    return _by_via().get(via)
