"""The ``[sources.jfrog]`` settings of the JFrog collector, apart from the collector itself
(:mod:`connectors.jfrog.fetch`): naming the connector must not import its HTTP client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """``[sources.jfrog]``: the platform URL, the access token by reference, and the repositories the
    operator marks as consumed by production or as verified (signatures/attestations checked on pull)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    token_env: str = "JFROG_ACCESS_TOKEN"  # noqa: S105 - the name of a variable, not a value
    production_repos: list[str] = []
    verified_repos: list[str] = []
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait: float = Field(default=60.0, ge=0)
