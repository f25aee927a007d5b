"""Docker Hub: personal and organisation access tokens, repositories, teams and their permissions."""

from __future__ import annotations

from pathlib import Path

from connectors.dockerhub.load import load
from connectors.dockerhub.raw import DockerHubRaw
from connectors.dockerhub.settings import Settings
from connectors.dockerhub.transform import transform
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[DockerHubRaw] = ConnectorSpec(
    name="dockerhub",
    title="Docker Hub",
    load=load,
    transform=transform,
    collector=deferred_collector(Settings, "connectors.dockerhub.fetch"),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
