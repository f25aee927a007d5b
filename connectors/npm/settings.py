"""The ``[sources.npm]`` settings of the npm collector, apart from the collector itself
(:mod:`connectors.npm.fetch`): naming the connector must not import its HTTP client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """``[sources.npm]``: the registry, the token by reference, and which organisations and packages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    registry_url: str = "https://registry.npmjs.org"
    token_env: str = "NPM_TOKEN"  # noqa: S105 - the name of a variable, not a value
    account: bool = True  # the token's own account: its tokens and packages
    orgs: list[str] = []
    packages: list[str] = []
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait: float = Field(default=60.0, ge=0)
