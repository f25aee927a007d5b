"""GitLab: groups and projects, CI/CD variables (names and flags, values only as fingerprints),
deploy and access tokens, protected environments and ``.gitlab-ci.yml`` jobs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectors.gitlab.load import load
from connectors.gitlab.raw import GitLabRaw
from connectors.gitlab.settings import Settings
from connectors.gitlab.transform import transform
from scanner.plugins import Collector, ConnectorSpec

if TYPE_CHECKING:  # the writer is imported by collection only (scanner.bundle's lazy names)
    from scanner.bundle import BundleWriter


def _scopes(settings: Settings) -> list[str]:
    from connectors.gitlab import fetch  # the HTTP client on first use only

    return fetch.scopes(settings)


def _collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    from connectors.gitlab import fetch  # the HTTP client on first use only

    fetch.collect(settings, scope, writer)


SPEC: ConnectorSpec[GitLabRaw] = ConnectorSpec(
    name="gitlab",
    title="GitLab",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=_scopes, collect=_collect),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
