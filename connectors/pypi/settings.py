"""The ``[sources.pypi]`` settings of the PyPI collector, apart from the collector itself
(:mod:`connectors.pypi.fetch`): naming the connector must not import its HTTP client."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors.pypi.declared import DeclaredPublisher, DeclaredToken


class Settings(BaseModel):
    """``[sources.pypi]``: the index and the projects to assess (PyPI needs no credential to read them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: Reading PyPI sends no credential, so an http index is not refused (see scanner/urlpolicy.py).
    SENDS_CREDENTIALS: ClassVar[bool] = False

    index_url: str = "https://pypi.org"
    projects: list[str] = Field(min_length=1)
    provenance_versions: int = Field(default=3, ge=1, le=50)  # newest releases whose provenance is fetched
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait: float = Field(default=60.0, ge=0)
    # PyPI has no API for these: the owner declares them here or in an export file (see declared.py).
    trusted_publishers: list[DeclaredPublisher] = Field(default_factory=list)
    api_tokens: list[DeclaredToken] = Field(default_factory=list)
    owner_export: str | None = None  # path of a JSON file in the shape of pypi/owner-declared.json
