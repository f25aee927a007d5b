"""GitLab: groups and projects, CI/CD variables (names and flags, values only as fingerprints),
deploy and access tokens, protected environments and ``.gitlab-ci.yml`` jobs."""

from __future__ import annotations

from pathlib import Path

from connectors.gitlab.load import load
from connectors.gitlab.raw import GitLabRaw
from connectors.gitlab.settings import Settings
from connectors.gitlab.transform import transform
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[GitLabRaw] = ConnectorSpec(
    name="gitlab",
    title="GitLab",
    load=load,
    transform=transform,
    collector=deferred_collector(Settings, "connectors.gitlab.fetch"),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
