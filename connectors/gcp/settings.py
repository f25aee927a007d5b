"""``[sources.gcp]``: which projects to collect and how to authenticate (credentials by reference only)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Settings of the GCP collector.

    Scope: ``projects`` (ids), and/or every project under ``organization`` or ``folders`` (numeric ids).
    ``ancestors`` also collects the IAM policies of each project's folders and organization, since
    bindings there are inherited by the project's repositories and service accounts.

    ``iam_source`` chooses where IAM policies come from. ``asset-inventory``: one paged Cloud Asset
    Inventory ``searchAllIamPolicies`` per configured organization and folder (per project for projects
    outside them), instead of ``getIamPolicy`` on every service account and repository (and on every
    project without repositories). ``get-iam-policy``: ``getIamPolicy`` on each resource. ``auto`` (the
    default) takes the asset inventory when ``organization`` or ``folders`` is set, where calls per
    resource add up, and ``getIamPolicy`` for a list of projects, which then needs no Cloud Asset API.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    projects: list[str] = []
    organization: str | None = None
    folders: list[str] = []
    ancestors: bool = True
    #: ``auto``, ``asset-inventory`` (``searchAllIamPolicies``) or ``get-iam-policy`` (see above).
    iam_source: Literal["auto", "asset-inventory", "get-iam-policy"] = "auto"
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

    @property
    def asset_inventory(self) -> bool:
        """True when IAM policies come from ``searchAllIamPolicies`` (``iam_source``, with ``auto`` resolved)."""
        if self.iam_source == "auto":
            return bool(self.organization or self.folders)
        return self.iam_source == "asset-inventory"
