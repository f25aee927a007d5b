"""Terraform's GCP role table agrees with what the live GCP connector derives from the same predefined
role (its ``roles.get`` permissions), so a binding declared as it is live is no drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.gcp.actions import classes, registry_actions
from connectors.terraform.policy import gcp_role_actions

ROLES = Path(__file__).resolve().parents[2] / "fixtures" / "gcp" / "bundle" / "gcp" / "roles"


@pytest.mark.parametrize("role", ["artifactregistry.reader", "artifactregistry.writer"])
def test_declared_role_actions_match_the_live_expansion(role: str) -> None:
    permissions = json.loads((ROLES / f"{role}.json").read_text())["includedPermissions"]
    assert gcp_role_actions(f"roles/{role}") == registry_actions(classes(permissions))
