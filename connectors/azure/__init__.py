"""Azure: Entra applications and service principals (Microsoft Graph), managed identities, role
assignments and Container Registries (ARM), live or from a bundle of ``az`` / REST answers."""

from __future__ import annotations

from connectors.azure.fetch import Settings, collect_live, scopes
from connectors.azure.load import load
from connectors.azure.raw import AzureRaw
from connectors.azure.transform import transform
from scanner.plugins import Collector, ConnectorSpec

SPEC: ConnectorSpec[AzureRaw] = ConnectorSpec(
    name="azure",
    title="Azure",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=scopes, collect=collect_live),
)

__all__ = ["SPEC", "AzureRaw", "Settings", "load", "transform"]
