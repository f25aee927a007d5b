"""Built-in connectors, registered in one explicit table (loaded by the scanner through the
``regwarden.connectors`` entry point). No client is created at import time, and no connector is
imported until a command looks it up: reading an AWS bundle never imports the GitHub parser."""

from __future__ import annotations

from typing import Any

from scanner.plugins import ConnectorSpec, LazyTable

CONNECTORS: LazyTable[ConnectorSpec[Any]] = LazyTable(
    {
        "aws": "connectors.aws:SPEC",
        "azure": "connectors.azure:SPEC",
        "dockerhub": "connectors.dockerhub:SPEC",
        "gcp": "connectors.gcp:SPEC",
        "github": "connectors.github:SPEC",
        "gitlab": "connectors.gitlab:SPEC",
        "jfrog": "connectors.jfrog:SPEC",
        "npm": "connectors.npm:SPEC",
        "pypi": "connectors.pypi:SPEC",
        "terraform": "connectors.terraform:SPEC",
    }
)
