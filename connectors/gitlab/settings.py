"""The ``[sources.gitlab]`` settings of the GitLab collector, apart from the collector itself
(:mod:`connectors.gitlab.fetch`): naming the connector must not import its HTTP client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """``[sources.gitlab]``: top-level groups, an optional project filter, the token by reference;
    ``instance_variables``: also read the instance's CI/CD variables (needs an administrator's token)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    groups: list[str] = Field(min_length=1)
    projects: list[str] = []  # fnmatch patterns on path_with_namespace; empty: every project
    include_archived: bool = False
    instance_variables: bool = False
    base_url: str = "https://gitlab.com"  # self-managed: https://gitlab.example.com
    token_env: str = "GITLAB_TOKEN"  # noqa: S105 - the name of a variable, not a value
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait: float = Field(default=600.0, ge=0)  # a rate-limit reset can be minutes away
