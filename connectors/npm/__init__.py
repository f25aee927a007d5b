"""npm: the account's tokens, packages of the account and its organisations, maintainers and provenance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectors.npm.load import load
from connectors.npm.raw import NpmRaw
from connectors.npm.settings import Settings
from connectors.npm.transform import transform
from scanner.plugins import Collector, ConnectorSpec

if TYPE_CHECKING:  # the writer is imported by collection only (scanner.bundle's lazy names)
    from scanner.bundle import BundleWriter


def _scopes(settings: Settings) -> list[str]:
    from connectors.npm import fetch  # the HTTP client on first use only

    return fetch.scopes(settings)


def _collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    from connectors.npm import fetch  # the HTTP client on first use only

    fetch.collect(settings, scope, writer)


SPEC: ConnectorSpec[NpmRaw] = ConnectorSpec(
    name="npm",
    title="npm",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=_scopes, collect=_collect),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
