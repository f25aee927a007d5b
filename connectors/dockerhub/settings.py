"""The ``[sources.dockerhub]`` settings of the Docker Hub collector, apart from the collector itself
(:mod:`connectors.dockerhub.fetch`): naming the connector must not import its HTTP client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """``[sources.dockerhub]``: the API, the bearer token by reference, and which organisations."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_url: str = "https://hub.docker.com"
    #: The identifier ``POST /v2/auth/token`` takes: the username a personal access token belongs to (or the
    #: organisation of an organisation access token, with ``account = false``).
    username: str = Field(min_length=1)
    token_env: str = "DOCKERHUB_TOKEN"  # noqa: S105 - the name of a variable, not a value
    account: bool = True  # the username's own personal tokens and repositories
    orgs: list[str] = []
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait: float = Field(default=60.0, ge=0)
