"""JFrog Artifactory: access tokens, repositories (local, remote mirrors, virtual), permission targets."""

from __future__ import annotations

from pathlib import Path

from connectors.jfrog.load import load
from connectors.jfrog.raw import JfrogRaw
from connectors.jfrog.settings import Settings
from connectors.jfrog.transform import transform
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[JfrogRaw] = ConnectorSpec(
    name="jfrog",
    title="JFrog Artifactory",
    load=load,
    transform=transform,
    collector=deferred_collector(Settings, "connectors.jfrog.fetch"),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
