"""Google Cloud: service accounts and keys, Workload Identity Federation, IAM policies from the
organization down to each Artifact Registry repository, and Cloud Build triggers.

The offline part reads the REST responses (or ``gcloud ... --format=json`` output) from a bundle
(``gcp/...``, see docs/bundle.md); the collector fetches them over REST. The Google client libraries
are imported only by the collector (``connectors.gcp.fetch``, loaded on first use).
"""

from __future__ import annotations

from pathlib import Path

from connectors.gcp.load import load
from connectors.gcp.raw import GcpRaw
from connectors.gcp.settings import Settings
from connectors.gcp.transform import transform
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[GcpRaw] = ConnectorSpec(
    name="gcp",
    title="Google Cloud",
    load=load,
    transform=transform,
    collector=deferred_collector(Settings, "connectors.gcp.fetch", counts_discovery=True),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC", "GcpRaw", "Settings", "load", "transform"]
