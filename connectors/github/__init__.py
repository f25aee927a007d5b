"""GitHub: organizations, repositories, Actions secrets, environments and workflows.

Live collection (:mod:`connectors.github.fetch`) writes the same files the offline part reads.
The offline part reads saved REST responses and committed workflow files from a bundle
(``github/...``, see docs/bundle.md) and turns each workflow job into a CI identity.
"""

from __future__ import annotations

from pathlib import Path

from connectors.github.load import load
from connectors.github.raw import GitHubRaw
from connectors.github.settings import Settings
from connectors.github.transform import transform
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[GitHubRaw] = ConnectorSpec(
    name="github",
    title="GitHub",
    load=load,
    transform=transform,
    collector=deferred_collector(Settings, "connectors.github.fetch"),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC", "GitHubRaw", "load", "transform"]
