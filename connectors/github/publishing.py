"""A GitHub job's publishes → graph: the shared :mod:`connectors.ci.graph` with GitHub's words. Pure: no I/O.

A stored secret gets a registry credential node (secret → exposes → credential → grants PUBLISH →
target); the job's own token, its OIDC token and cloud roles grant PUBLISH from the job itself.
"""

from __future__ import annotations

from connectors.ci.graph import Flavour, JobSide, SecretRef
from connectors.ci.graph import PublishGraph as _PublishGraph

PROVIDER = "github"
GITHUB = Flavour(
    provider=PROVIDER,
    route_via={
        "job_token": "the job's GITHUB_TOKEN",
        "oidc": "the job's OIDC token (Trusted Publishing)",
        "cloud": "a cloud role assumed by OIDC",
        "unknown": "a credential the workflow does not name",
    },
)

__all__ = ["GITHUB", "JobSide", "PublishGraph", "SecretRef"]


class PublishGraph(_PublishGraph):
    """Adds one GitHub job's publishes to the inventory."""

    def __init__(self, job: JobSide) -> None:
        super().__init__(job, GITHUB)
