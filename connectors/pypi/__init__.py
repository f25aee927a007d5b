"""PyPI: projects, their collaborators and Trusted Publishers, and whether releases carry provenance."""

from __future__ import annotations

from pathlib import Path

from connectors.pypi.load import load
from connectors.pypi.raw import PypiRaw
from connectors.pypi.settings import Settings
from connectors.pypi.transform import transform
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[PypiRaw] = ConnectorSpec(
    name="pypi",
    title="PyPI",
    load=load,
    transform=transform,
    collector=deferred_collector(Settings, "connectors.pypi.fetch"),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
