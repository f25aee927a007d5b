"""Read the ``terraform/`` folder of a bundle: redacted state files, one per state location."""

from __future__ import annotations

from connectors.terraform.redact import redact_document
from connectors.terraform.state import Instance, instances
from connectors.terraform.transform import TerraformRaw
from scanner.bundle import BundleReader
from scanner.fingerprint import fingerprint

PROVIDER = "terraform"


def load(reader: BundleReader) -> TerraformRaw:
    """Every state file under ``terraform/``. Redacted again on read (a hand-made bundle may hold a
    raw state): nothing past this point ever sees a secret value."""
    found: list[Instance] = []
    states: list[str] = []
    for rel in reader.files(PROVIDER):
        doc = redact_document(reader.json(rel), fingerprint)
        found.extend(instances(doc, rel))
        states.append(rel)
    return TerraformRaw(instances=tuple(found), states=tuple(states))
