"""AWS: IAM identities, access keys, OIDC trusts, CodeArtifact, ECR, Secrets Manager, CodeBuild,
CodePipeline and EventBridge triggers, across accounts reached by sts:AssumeRole.

boto3/botocore are imported only by the collector (``connectors.aws.fetch``, loaded on first use),
so reading a bundle never pays for them. The submodules are imported as modules, never by their
function names: ``connectors.aws.load`` must stay the module (``fetch`` reads its constants).
"""

from __future__ import annotations

from pathlib import Path

from connectors.aws import load as _load
from connectors.aws import transform as _transform
from connectors.aws.raw import AwsRaw
from connectors.aws.settings import Settings
from scanner.plugins import ConnectorSpec, deferred_collector

SPEC: ConnectorSpec[AwsRaw] = ConnectorSpec(
    name="aws",
    title="AWS",
    load=_load.load,
    transform=_transform.transform,
    collector=deferred_collector(Settings, "connectors.aws.fetch", counts_discovery=True),
    files=Path(__file__).with_name("bundle_files.yaml"),
)

__all__ = ["SPEC"]
