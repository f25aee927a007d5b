"""Google Cloud: service accounts and keys, Workload Identity Federation, IAM policies from the
organization down to each Artifact Registry repository, and Cloud Build triggers.

The offline part reads the REST responses (or ``gcloud ... --format=json`` output) from a bundle
(``gcp/...``, see docs/bundle.md); the collector fetches them over REST. The Google client libraries
are imported only by the collector (``connectors.gcp.fetch``, loaded on first use).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectors.gcp.load import load
from connectors.gcp.raw import GcpRaw
from connectors.gcp.settings import Settings
from connectors.gcp.transform import transform
from scanner.plugins import Collector, ConnectorSpec

if TYPE_CHECKING:  # the writer is imported by collection only (scanner.bundle's lazy names)
    from scanner.bundle import BundleWriter


def _scopes(settings: Settings) -> list[str]:
    from connectors.gcp import fetch  # google-cloud-* on first use only

    return fetch.scopes(settings)


def _collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    from connectors.gcp import fetch  # google-cloud-* on first use only

    fetch.collect(settings, scope, writer)


SPEC: ConnectorSpec[GcpRaw] = ConnectorSpec(
    name="gcp",
    title="Google Cloud",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=_scopes, collect=_collect),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC", "GcpRaw", "Settings", "load", "transform"]
