"""Built-in connectors, registered in one explicit table (loaded by the scanner through the
``regwarden.connectors`` entry point). No client is created at import time."""

from __future__ import annotations

from typing import Any

from connectors import aws, azure, dockerhub, gcp, github, gitlab, jfrog, npm, pypi, terraform
from scanner.plugins import ConnectorSpec

CONNECTORS: dict[str, ConnectorSpec[Any]] = {
    "aws": aws.SPEC,
    "azure": azure.SPEC,
    "dockerhub": dockerhub.SPEC,
    "gcp": gcp.SPEC,
    "github": github.SPEC,
    "gitlab": gitlab.SPEC,
    "jfrog": jfrog.SPEC,
    "npm": npm.SPEC,
    "pypi": pypi.SPEC,
    "terraform": terraform.SPEC,
}
