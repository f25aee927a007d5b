"""Google Cloud: service accounts and keys, Workload Identity Federation, IAM policies from the
organization down to each Artifact Registry repository, and Cloud Build triggers.

The offline part reads the REST responses (or ``gcloud ... --format=json`` output) from a bundle
(``gcp/...``, see docs/bundle.md); the collector fetches them over REST.
"""

from __future__ import annotations

from connectors.gcp.fetch import collect, scopes
from connectors.gcp.load import load
from connectors.gcp.raw import GcpRaw
from connectors.gcp.settings import Settings
from connectors.gcp.transform import transform
from scanner.plugins import Collector, ConnectorSpec

SPEC: ConnectorSpec[GcpRaw] = ConnectorSpec(
    name="gcp",
    title="Google Cloud",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=scopes, collect=collect),
)

__all__ = ["SPEC", "GcpRaw", "Settings", "load", "transform"]
