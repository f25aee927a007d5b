"""AWS: IAM identities, access keys, OIDC trusts, CodeArtifact, ECR, Secrets Manager, CodeBuild,
CodePipeline and EventBridge triggers, across accounts reached by sts:AssumeRole.

boto3/botocore are imported only by the collector (``connectors.aws.fetch``, loaded on first use),
so reading a bundle never pays for them. The submodules are imported as modules, never by their
function names: ``connectors.aws.load`` must stay the module (``fetch`` reads its constants).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectors.aws import load as _load
from connectors.aws import transform as _transform
from connectors.aws.raw import AwsRaw
from connectors.aws.settings import Settings
from scanner.plugins import Collector, ConnectorSpec

if TYPE_CHECKING:  # the writer is imported by collection only (scanner.bundle's lazy names)
    from scanner.bundle import BundleWriter


def _scopes(settings: Settings) -> list[str]:
    from connectors.aws import fetch  # boto3 on first use only

    return fetch.scopes(settings)


def _collect(settings: Settings, scope: str, writer: BundleWriter) -> None:
    from connectors.aws import fetch  # boto3 on first use only

    fetch.collect(settings, scope, writer)


SPEC: ConnectorSpec[AwsRaw] = ConnectorSpec(
    name="aws",
    title="AWS",
    load=_load.load,
    transform=_transform.transform,
    collector=Collector(settings=Settings, scopes=_scopes, collect=_collect),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
