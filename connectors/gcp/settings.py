"""``[sources.gcp]``: which projects to collect and how to authenticate (credentials by reference only)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Settings of the GCP collector.

    Scope: ``projects`` (ids), and/or every project under ``organization`` or ``folders`` (numeric ids).
    ``ancestors`` also collects the IAM policies of each project's folders and organization, since
    bindings there are inherited by the project's repositories and service accounts.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    projects: list[str] = []
    organization: str | None = None
    folders: list[str] = []
    ancestors: bool = True
    #: Artifact Registry locations to list; empty = every location the API reports for the project.
    locations: list[str] = []
    #: ``adc`` = Application Default Credentials (or the file named by ``credentials_file_env``);
    #: ``anonymous`` for emulators and tests.
    credentials: Literal["adc", "anonymous"] = "adc"
    credentials_file_env: str | None = None
    #: Send every API to this base URL (a local fake or a proxy) instead of the googleapis.com hosts.
    endpoint: str | None = None
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait: float = Field(default=60.0, ge=0)
    backoff: float = Field(default=1.0, ge=0)
    timeout: float = Field(default=60.0, gt=0)
