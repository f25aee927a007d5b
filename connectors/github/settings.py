"""The ``[sources.github]`` settings of the GitHub collector, apart from the collector itself
(:mod:`connectors.github.fetch`): naming the connector must not import its HTTP client."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """``[sources.github]``: organizations, an optional repository filter, the token by reference."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    orgs: list[str] = Field(min_length=1)
    repos: list[str] = []  # fnmatch patterns on the repository name; empty: every repository
    include_archived: bool = False
    base_url: str = "https://api.github.com"  # GHES: https://HOST/api/v3
    token_env: str = "GITHUB_TOKEN"  # noqa: S105 - the name of a variable, not a value
    max_retries: int = Field(default=4, ge=0, le=10)
    # GitHub asks for at least a minute after a secondary rate limit, then longer each time: up to 10 min.
    max_wait: float = Field(default=600.0, ge=0)
    #: Workflow runs of the last this many days are collected: a release uploaded with no run behind it in
    #: that window is what a stolen token looks like (RB02).
    runs_days: int = Field(default=90, ge=1, le=400)
    #: How committed files (workflows, CODEOWNERS) are read: ``rest`` (a contents listing and one GET per
    #: file, each repository) or ``graphql`` (those of 50 repositories in one query; anything it cannot give
    #: whole falls back to REST).
    files_via: Literal["rest", "graphql"] = "rest"
