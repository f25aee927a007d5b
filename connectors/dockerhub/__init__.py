"""Docker Hub: personal and organisation access tokens, repositories, teams and their permissions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectors.dockerhub.load import load
from connectors.dockerhub.raw import DockerHubRaw
from connectors.dockerhub.settings import Settings
from connectors.dockerhub.transform import transform
from scanner.plugins import Collector, ConnectorSpec

if TYPE_CHECKING:  # the writer is imported by collection only (scanner.bundle's lazy names)
    from scanner.bundle import BundleWriter


def _scopes(settings: Settings) -> list[str]:
    from connectors.dockerhub import fetch  # the HTTP client on first use only

    return fetch.scopes(settings)


def _collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    from connectors.dockerhub import fetch  # the HTTP client on first use only

    fetch.collect(settings, scope, writer)


SPEC: ConnectorSpec[DockerHubRaw] = ConnectorSpec(
    name="dockerhub",
    title="Docker Hub",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=_scopes, collect=_collect),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
