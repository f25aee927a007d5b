"""Docker Hub: personal and organisation access tokens, repositories, teams and their permissions."""

from __future__ import annotations

from pathlib import Path

from connectors.dockerhub.fetch import Settings, collect, scopes
from connectors.dockerhub.load import load
from connectors.dockerhub.raw import DockerHubRaw
from connectors.dockerhub.transform import transform
from scanner.plugins import Collector, ConnectorSpec

SPEC: ConnectorSpec[DockerHubRaw] = ConnectorSpec(
    name="dockerhub",
    title="Docker Hub",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=scopes, collect=collect),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
