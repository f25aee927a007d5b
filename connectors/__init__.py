"""Built-in connectors, registered in one explicit table (loaded by the scanner through the
``regwarden.connectors`` entry point). No client is created at import time."""

from __future__ import annotations

from typing import Any

from connectors import azure, github, pypi
from scanner.plugins import ConnectorSpec

CONNECTORS: dict[str, ConnectorSpec[Any]] = {
    "azure": azure.SPEC,
    "github": github.SPEC,
    "pypi": pypi.SPEC,
}
