"""Azure: Entra applications and service principals (Microsoft Graph), managed identities, role
assignments and Container Registries (ARM), live or from a bundle of ``az`` / REST answers.

The Azure SDK is imported only by the collector (``connectors.azure.fetch``, loaded on first use)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectors.azure.load import load
from connectors.azure.raw import AzureRaw
from connectors.azure.settings import Settings
from connectors.azure.transform import transform
from scanner.plugins import Collector, ConnectorSpec

if TYPE_CHECKING:  # the writer is imported by collection only (scanner.bundle's lazy names)
    from scanner.bundle import BundleWriter


def _scopes(settings: Settings) -> list[str]:
    from connectors.azure import fetch  # azure-* on first use only

    return fetch.scopes(settings)


def _collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    from connectors.azure import fetch  # azure-* on first use only

    fetch.collect_live(settings, scope, writer)


SPEC: ConnectorSpec[AzureRaw] = ConnectorSpec(
    name="azure",
    title="Azure",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=_scopes, collect=_collect),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC", "AzureRaw", "Settings", "load", "transform"]
