"""Terraform: what the team declares (state v4 or ``terraform show -json``), for IaC drift.

The ``terraform/`` bundle folder holds redacted state documents; the scanner reads it as the
*declared* side and compares it with the live inventory (unmanaged, missing, changed).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from connectors.terraform.load import PROVIDER, load
from connectors.terraform.transform import TerraformRaw, transform
from scanner.plugins import Collector, ConnectorSpec, Deferred


class Settings(BaseModel):
    """``[sources.terraform]``: where the states are. Credentials come from each platform's default
    chain (AWS profile/role, Google ADC, Azure DefaultAzureCredential) or a token env variable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    states: list[str] = Field(min_length=1)
    aws_profile: str | None = None
    aws_region: str | None = None
    s3_endpoint_url: str | None = None
    gcs_endpoint: str = "https://storage.googleapis.com"
    gcs_token_env: str | None = None
    azure_blob_endpoint: str | None = None  # default https://ACCOUNT.blob.core.windows.net
    azure_token_env: str | None = None
    max_wait: float = 60.0
    retry_backoff: float = 1.0  # seconds before the first retry of a failed GCS/Azure call (doubles)
    max_attempts: int = Field(default=3, ge=1, le=20)  # attempts per S3 call, the first included


#: Each configured state location is one scope; ``collect`` reads, redacts and writes the state(s) at
#: one (connectors.terraform.remote, imported on first use with its HTTP client and cloud SDKs).
scopes = Deferred("connectors.terraform.remote", "scopes")
collect = Deferred("connectors.terraform.remote", "collect")


SPEC: ConnectorSpec[TerraformRaw] = ConnectorSpec(
    name=PROVIDER,
    title="Terraform state",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=scopes, collect=collect),
)

__all__ = ["SPEC", "Settings", "TerraformRaw", "load", "transform"]
