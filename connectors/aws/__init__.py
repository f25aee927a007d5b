"""AWS: IAM identities, access keys, OIDC trusts, CodeArtifact, ECR, Secrets Manager, CodeBuild,
CodePipeline and EventBridge triggers, across accounts reached by sts:AssumeRole."""

from __future__ import annotations

from connectors.aws import fetch
from connectors.aws.load import load
from connectors.aws.raw import AwsRaw
from connectors.aws.settings import Settings
from connectors.aws.transform import transform
from scanner.bundle import BundleWriter
from scanner.plugins import Collector, ConnectorSpec


def _scopes(settings: Settings) -> list[str]:
    return fetch.scopes(settings)


def _collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    fetch.collect(settings, scope, writer)


SPEC: ConnectorSpec[AwsRaw] = ConnectorSpec(
    name="aws",
    title="AWS",
    load=load,
    transform=transform,
    collector=Collector(settings=Settings, scopes=_scopes, collect=_collect),
)

__all__ = ["SPEC"]
