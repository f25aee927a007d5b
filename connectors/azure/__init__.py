"""Azure: Entra applications and service principals (Microsoft Graph), managed identities, role
assignments and Container Registries (ARM), live or from a bundle of ``az`` / REST answers.

The Azure SDK is imported only by the collector (``connectors.azure.fetch``, loaded on first use)."""

from __future__ import annotations

from pathlib import Path

from connectors.azure.load import load
from connectors.azure.raw import AzureRaw
from connectors.azure.settings import Settings
from connectors.azure.transform import transform
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[AzureRaw] = ConnectorSpec(
    name="azure",
    title="Azure",
    load=load,
    transform=transform,
    collector=deferred_collector(Settings, "connectors.azure.fetch", collect="collect_live", counts_discovery=True),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC", "AzureRaw", "Settings", "load", "transform"]
