"""Terraform state parsing, redaction and the declared inventory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.terraform.redact import redact_document
from connectors.terraform.state import instances
from connectors.terraform.transform import TerraformRaw, transform
from scanner.errors import BundleError
from scanner.fingerprint import fingerprint
from scanner.model import Action, EdgeKind, NodeId

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "terraform"
CANARIES = (
    "CANARY-AWS-SECRET-7f3a9c",
    "CANARY-SMTP-PASSWORD-2b8e",
    "CANARY-GCP-PRIVATE-KEY-91d0",
    "CANARY-AZURE-CLIENT-SECRET-5c1d",
    "CANARY-PYPI-TOKEN-e41f",
    "CANARY-ENV-SECRET-0a77",
    "CANARY-ORG-SECRET-33aa",
    "CANARY-SHOW-OUTPUT-1111",
    "CANARY-SHOW-SECRET-4d4d",
    "CANARY-SHOW-GH-5e5e",
)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_redaction_removes_every_secret_and_keeps_fingerprints() -> None:
    for name in ("estate.tfstate", "show.json"):
        clean = redact_document(load(name), fingerprint)
        text = json.dumps(clean)
        for c in CANARIES:
            assert c not in text, (name, c)
        assert not any("private" in i for r in clean.get("resources", []) for i in r["instances"])
    clean = redact_document(load("estate.tfstate"), fingerprint)
    key = next(r for r in clean["resources"] if r["type"] == "aws_iam_access_key")["instances"][0]["attributes"]
    assert key["secret"] == fingerprint("CANARY-AWS-SECRET-7f3a9c")
    assert key["id"] == "AKIAFAKEKEY000000001"  # ids are not secret
    # idempotent: redacting again changes nothing
    assert redact_document(clean, fingerprint) == clean


def test_deny_list_applies_without_sensitive_marks() -> None:
    doc = {"version": 4, "resources": [{"mode": "managed", "type": "github_actions_secret", "name": "x",
           "instances": [{"attributes": {"secret_name": "A", "plaintext_value": "CANARY-UNMARKED-1"},
                          "sensitive_attributes": []}]}]}  # fmt: skip
    text = json.dumps(redact_document(doc, fingerprint))
    assert "CANARY-UNMARKED-1" not in text
    assert '"secret_name": "A"' in text


def test_state_v4_addresses_with_modules_count_and_for_each() -> None:
    found = {i.address: i for i in instances(load("estate.tfstate"), "s.tfstate")}
    assert "aws_iam_user.ci[0]" in found
    assert "aws_iam_user.ci[1]" in found
    assert 'google_service_account.builder["deployer"]' in found
    assert found["module.release.aws_iam_role.deploy"].module == "module.release"
    assert not any(a.startswith("data.") or "policy_document" in a for a in found)  # data sources skipped


def test_show_json_reads_nested_modules() -> None:
    found = {i.address for i in instances(redact_document(load("show.json"), fingerprint), "show.json")}
    assert found == {"aws_iam_user.bot", "aws_iam_access_key.bot", 'module.ci.github_actions_secret.token["api"]'}


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"version": 3, "resources": []}, "not supported"),
        ({"version": 4, "resources": {}}, "not a list"),
        ({"version": 4, "resources": [{"type": "x"}]}, r"resources\[0\]"),
        ({"hello": 1}, "neither"),
        ([], "not a JSON object"),
    ],
)
def test_malformed_states_name_the_file(doc: Any, problem: str) -> None:
    with pytest.raises(BundleError, match=problem) as e:
        instances(doc, "terraform/local/bad.tfstate")
    assert e.value.file == "terraform/local/bad.tfstate"


def declared_inventory() -> Any:
    doc = redact_document(load("estate.tfstate"), fingerprint)
    return transform(TerraformRaw(tuple(instances(doc, "estate.tfstate")), ("estate.tfstate",)))


def test_transform_normalises_policies_into_member_grants() -> None:
    inv = declared_inventory()
    grants: dict[tuple[NodeId, NodeId], set[Action]] = {}
    for e in inv.edges():
        if e.kind is EdgeKind.GRANTS:
            grants.setdefault((e.src, e.dst), set()).update(e.actions)
    acct = "111122223333"
    ecr = NodeId(f"aws:ecr-repository:arn:aws:ecr:eu-west-1:{acct}:repository/app")
    ca = NodeId(f"aws:codeartifact-repository:arn:aws:codeartifact:eu-west-1:{acct}:repository/acme/pypi-internal")
    ci0 = NodeId(f"aws:user:arn:aws:iam::{acct}:user/ci-0")
    role = NodeId(f"aws:role:arn:aws:iam::{acct}:role/release")
    assert grants[(ci0, ecr)] == {Action.READ, Action.PUBLISH}
    assert grants[(role, ca)] == {Action.READ, Action.PUBLISH, Action.PROMOTE}
    assert grants[(role, ecr)] == {Action.READ}
    sa = "gcp:service-account:{}@acme-prod.iam.gserviceaccount.com"
    # the writer role moves tags too (PROMOTE), as the live GCP connector expands it
    assert grants[(NodeId(sa.format("builder")),
                   NodeId("gcp:ar-repository:projects/acme-prod/locations/europe-west1/repositories/images"))] == {
        Action.READ, Action.PUBLISH, Action.PROMOTE}  # fmt: skip
    assert grants[(NodeId(sa.format("deployer")),
                   NodeId("gcp:ar-repository:projects/acme-prod/locations/*/repositories/*"))] == {Action.READ}  # fmt: skip
    acr = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.containerregistry/registries/acmeacr"
    assert grants[(NodeId("azure:sp:11111111-2222-3333-4444-555555555555"), NodeId(f"azure:registry:{acr}"))] == {
        Action.READ, Action.PUBLISH}  # fmt: skip
    assert grants[(NodeId(f"azure:acr-token-password:{acr}/tokens/ci/*"), NodeId(f"azure:registry:{acr}"))] == {
        Action.READ, Action.PUBLISH}  # fmt: skip
    trust = {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.CAN_ASSUME}
    assert trust == {
        (NodeId(f"aws:user:arn:aws:iam::{acct}:user/ci-1"), role),
        (NodeId("gcp:group:release-admins@acme.example"), NodeId(sa.format("deployer"))),
    }
    role_node = inv.node(role)
    assert role_node.attr("tf_opaque_policies") == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)


def test_a_secret_holding_a_declared_key_exposes_it() -> None:
    inv = declared_inventory()
    exposes = {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.EXPOSES}
    assert exposes == {
        (NodeId("github:secret:*/app/AWS_SECRET_ACCESS_KEY"), NodeId("aws:access-key:AKIAFAKEKEY000000001"))
    }


def test_declared_inventory_holds_no_secret_value() -> None:
    inv = declared_inventory()
    text = repr(list(inv.nodes())) + repr(list(inv.edges()))
    for c in CANARIES:
        assert c not in text
