"""``[sources.azure]`` settings, apart from the collector so that reading a bundle never imports the Azure SDK."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """``[sources.azure]``: which subscriptions, how to sign in (by reference only), and endpoints."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subscriptions: list[str] = []  # empty: every subscription the credential can see
    graph: bool = True  # collect Entra applications and service principals (tenant-wide)
    credential: Literal["default", "cli", "environment", "managed_identity"] = "default"
    tenant_id: str | None = None
    # A bearer token in an environment variable (e.g. from `az account get-access-token`), instead of `credential`.
    arm_token_env: str | None = None
    graph_token_env: str | None = None
    arm_endpoint: str = "https://management.azure.com"
    graph_endpoint: str = "https://graph.microsoft.com"
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait: float = Field(default=60.0, ge=0)
    # Where role assignments and definitions come from. "resource-graph": a few Azure Resource Graph queries
    # for every subscription at once (calls grow with the number of rows, ~1 per 1,000); "per-subscription":
    # two ARM list calls per subscription (ARM's own, never stale answer). "auto": Resource Graph unless exactly
    # one subscription is configured, where the two ARM calls are fewer than Resource Graph's three queries.
    rbac_source: Literal["auto", "resource-graph", "per-subscription"] = "auto"

    def uses_resource_graph(self) -> bool:
        """True when role assignments and definitions are collected through Azure Resource Graph."""
        if self.rbac_source == "auto":
            return len(self.subscriptions) != 1
        return self.rbac_source == "resource-graph"
