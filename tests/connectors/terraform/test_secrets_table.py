"""The Terraform secrets table, one test per row: a value planted at each of the row's paths, in a
state that marks nothing sensitive, is replaced by its fingerprint; a neighbouring ordinary attribute
of the same resource is kept (the fixed twin)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.terraform.redact import redact_document
from scanner.knowledge.terraform_secrets import SecretResource, is_secret_name, table


def _fp(value: str) -> str:
    return "hmac-sha256:" + format(abs(hash(value)) % 16**32, "032x")


def _plant(path: list[str], value: str) -> Any:
    """Attributes holding ``value`` at ``path`` (``*`` becomes a one-element list, or a map for data.*)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if head == "*":
        return [_plant(rest, value)]
    inner = _plant(rest, value)
    if rest and rest[0] == "*" and head in ("data", "binary_data"):
        inner = {"planted-key": _plant(rest[1:], value)}
    return {head: inner}


def _state(rtype: str, attributes: dict[str, Any], mode: str = "managed") -> dict[str, Any]:
    return {
        "version": 4,
        "terraform_version": "1.9.0",
        "resources": [
            {
                "mode": mode,
                "type": rtype,
                "name": "planted",
                "provider": 'provider["registry.terraform.io/hashicorp/x"]',
                "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}],
            }
        ],
    }


@pytest.mark.parametrize("row", list(table()[1].values()), ids=lambda r: r.type)
@pytest.mark.parametrize("mode", ["managed", "data"])
def test_secret_attributes_of_each_type_are_fingerprinted(row: SecretResource, mode: str) -> None:
    for path in row.paths:
        secret = f"PLANTED-{row.type}-{path}-0001"
        attrs = _plant(path.split("."), secret)
        attrs["name"] = "ordinary-name"
        out = redact_document(_state(row.type, attrs, mode), _fp)
        text = json.dumps(out)
        assert secret not in text, f"{row.type}.{path}"
        assert "hmac-sha256:" in text, f"{row.type}.{path}: not kept as a fingerprint"
        assert out["resources"][0]["instances"][0]["attributes"]["name"] == "ordinary-name"


def test_generic_names_and_their_twins() -> None:
    for name in ("secret", "client_secret", "db_password", "encrypted_thing", "private_key_openssh", "api_token"):
        assert is_secret_name(name), name
    for name in ("secret_name", "name", "value", "token_type", "private_key_type", "password_length", "key"):
        assert not is_secret_name(name), name
