"""GitHub: organizations, repositories, Actions secrets, environments and workflows.

Live collection (:mod:`connectors.github.fetch`) writes the same files the offline part reads.
The offline part reads saved REST responses and committed workflow files from a bundle
(``github/...``, see docs/bundle.md) and turns each workflow job into a CI identity.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectors.github.load import load
from connectors.github.raw import GitHubRaw
from connectors.github.settings import Settings
from connectors.github.transform import transform
from scanner.plugins import Collector, ConnectorSpec

if TYPE_CHECKING:  # the writer is imported by collection only (scanner.bundle's lazy names)
    from scanner.bundle import BundleWriter


def _scopes(settings: Settings) -> list[str]:
    from connectors.github import fetch  # the HTTP client on first use only

    return fetch.scopes(settings)


def _collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    from connectors.github import fetch  # the HTTP client on first use only

    fetch.collect(settings, scope, writer)


SPEC: ConnectorSpec[GitHubRaw] = ConnectorSpec(
    name="github",
    title="GitHub",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=_scopes, collect=_collect),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC", "GitHubRaw", "load", "transform"]
