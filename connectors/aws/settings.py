"""``[sources.aws]``: which accounts and regions, and how to reach them (credentials by reference only)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """AWS collection settings.

    Credentials come from the SDK's chain (environment, ``profile``, instance/workload identity).
    Each account in ``accounts`` (or found by ``organizations = true``) is reached by
    ``sts:AssumeRole`` into ``role_name``; with no role, only the caller's own account is collected.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: str | None = None
    accounts: list[str] = Field(default_factory=list)
    organizations: bool = False
    role_name: str | None = "RegwardenReadOnly"
    external_id_env: str | None = None  # name of the environment variable holding the ExternalId
    regions: list[str] = Field(default_factory=list)  # empty: every enabled region (ec2 describe-regions)
    home_region: str = "us-east-1"
    endpoint_url: str | None = None  # a local emulator (tests)
    #: Attempts per call, the first included (botocore standard mode; its default is 3).
    max_attempts: int = Field(default=3, ge=1, le=20)
    session_name: str = "regwarden"
    services: list[str] = Field(
        default_factory=lambda: [
            "ecr",
            "codeartifact",
            "secretsmanager",
            "codebuild",
            "codepipeline",
            "events",
            "cloudtrail",
        ]
    )
