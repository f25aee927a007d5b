"""npm: the account's tokens, packages of the account and its organisations, maintainers and provenance."""

from __future__ import annotations

from pathlib import Path

from connectors.npm.load import load
from connectors.npm.raw import NpmRaw
from connectors.npm.settings import Settings
from connectors.npm.transform import transform
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[NpmRaw] = ConnectorSpec(
    name="npm",
    title="npm",
    load=load,
    transform=transform,
    collector=deferred_collector(Settings, "connectors.npm.fetch"),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
