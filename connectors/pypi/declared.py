"""What PyPI cannot list by API, declared by the project's owner: its Trusted Publishers and API tokens.

PyPI shows both only on a project's web pages (Publishing, and the account's API tokens), never
through an API. An owner copies them into ``[sources.pypi]`` or into a JSON export file; collection
writes them to ``pypi/owner-declared.json`` in the bundle (metadata only — a token's name and dates,
never its value), and the transform turns them into nodes like those read from provenance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.pypi.raw import Publisher

DECLARED = "pypi/owner-declared.json"


class DeclaredPublisher(BaseModel):
    """A Trusted Publisher configured on a project (PyPI → project → Publishing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project: str
    publisher: Publisher


class DeclaredToken(BaseModel):
    """An API token as PyPI's account page shows it: name, scope, dates. Never the value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str
    name: str
    scope: Literal["project", "user"] = "project"
    project: str | None = None  # required when scope is "project"
    created: datetime | None = None
    last_used: datetime | None = None


class OwnerDeclared(BaseModel):
    """The content of ``pypi/owner-declared.json`` (and of an owner's export file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trusted_publishers: list[DeclaredPublisher] = Field(default_factory=list)
    api_tokens: list[DeclaredToken] = Field(default_factory=list)
