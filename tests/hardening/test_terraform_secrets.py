"""Terraform state that marks nothing sensitive still never puts a secret into a bundle: the values the
probe found copied (``secret_string``, ``random_password.result``, ``private_key_openssh``,
``gitlab_project_variable.value``, CodeBuild PLAINTEXT variables) are redacted by the secrets table,
and a value marked sensitive through a set-element path — whose mark itself holds the value — is
redacted in the attributes and in the mark. Collected with ``regwarden collect`` from a local state."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from tests.hardening import figures

PLANTED = {
    "secret_string": "CANARY-TF-SECRET-STRING-1a2b",
    "random_password": "CANARY-TF-RANDOM-PASSWORD-3c4d",
    "bcrypt_hash": "CANARY-TF-BCRYPT-5e6f",
    "private_key_openssh": "CANARY-TF-OPENSSH-KEY-7a8b",
    "private_key_pem": "CANARY-TF-PEM-KEY-9c0d",
    "gitlab_project_variable": "CANARY-TF-GITLAB-VAR-1e2f",
    "codebuild_plaintext": "CANARY-TF-CODEBUILD-PLAIN-3a4b",
    "set_element": "CANARY-TF-SET-ELEMENT-5c6d",
}


def _resource(rtype: str, name: str, attributes: dict[str, Any], sensitive: list[Any] | None = None) -> dict[str, Any]:
    return {
        "mode": "managed",
        "type": rtype,
        "name": name,
        "provider": 'provider["registry.terraform.io/hashicorp/x"]',
        "instances": [
            {"schema_version": 0, "attributes": attributes, "sensitive_attributes": sensitive or [], "private": "e30="}
        ],
    }


def _state() -> dict[str, Any]:
    element = {"namespace": "aws:elasticbeanstalk:application:environment", "name": "DB_PASSWORD"}
    element["value"] = PLANTED["set_element"]
    set_path = [
        {"type": "get_attr", "value": "setting"},
        {"type": "index", "value": {"value": element, "type": ["object", {"name": "string", "value": "string"}]}},
        {"type": "get_attr", "value": "value"},
    ]
    return {
        "version": 4,
        "terraform_version": "0.14.11",  # before 0.15: no sensitive_attributes at all
        "serial": 1,
        "lineage": "00000000-0000-4000-8000-000000000000",
        "outputs": {},
        "resources": [
            _resource(
                "aws_secretsmanager_secret_version",
                "db",
                {
                    "id": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db|v1",
                    "secret_string": PLANTED["secret_string"],
                },
            ),
            _resource(
                "random_password",
                "db",
                {
                    "id": "none",
                    "length": 32,
                    "result": PLANTED["random_password"],
                    "bcrypt_hash": PLANTED["bcrypt_hash"],
                },
            ),
            _resource(
                "tls_private_key",
                "deploy",
                {
                    "id": "k",
                    "algorithm": "ED25519",
                    "private_key_openssh": PLANTED["private_key_openssh"],
                    "private_key_pem": PLANTED["private_key_pem"],
                    "public_key_openssh": "ssh-ed25519 AAAAFAKE",
                },
            ),
            _resource(
                "gitlab_project_variable",
                "pypi",
                {"id": "acme/app:PYPI_TOKEN:*", "key": "PYPI_TOKEN", "value": PLANTED["gitlab_project_variable"]},
            ),
            _resource(
                "aws_codebuild_project",
                "release",
                {
                    "arn": "arn:aws:codebuild:eu-west-1:111122223333:project/release",
                    "name": "release",
                    "environment": [
                        {
                            "image": "aws/codebuild/standard:7.0",
                            "environment_variable": [
                                {
                                    "name": "TWINE_PASSWORD",
                                    "type": "PLAINTEXT",
                                    "value": PLANTED["codebuild_plaintext"],
                                },
                                {"name": "REGION", "type": "PLAINTEXT", "value": "eu-west-1"},
                            ],
                        }
                    ],
                },
            ),
            _resource(
                "aws_elastic_beanstalk_environment",
                "app",
                {"id": "e-1", "name": "app", "setting": [element, {"namespace": "x", "name": "LOG", "value": "info"}]},
                [set_path],
            ),
        ],
    }


def test_terraform_secrets_never_reach_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps(_state(), indent=2), encoding="utf-8")
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(f'[sources.terraform]\nstates = ["{state}"]\n', encoding="utf-8")
    bundle = tmp_path / "bundle"
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    assert main(["collect", "-c", str(cfg), "-b", str(bundle)]) == 0, err.getvalue()
    files = [p for p in bundle.rglob("*") if p.is_file()]
    blob = b"".join(p.read_bytes() for p in files)
    leaks = [k for k, v in PLANTED.items() if v.encode() in blob]
    assert leaks == []
    stored = json.loads(next(p for p in files if p.name == "terraform.tfstate").read_text(encoding="utf-8"))
    by_type = {r["type"]: r["instances"][0] for r in stored["resources"]}
    # The ordinary attributes beside them are kept (the fixed twins).
    assert by_type["random_password"]["attributes"]["length"] == 32
    assert by_type["gitlab_project_variable"]["attributes"]["key"] == "PYPI_TOKEN"
    env = by_type["aws_codebuild_project"]["attributes"]["environment"][0]["environment_variable"]
    assert [v["name"] for v in env] == ["TWINE_PASSWORD", "REGION"]
    beanstalk = by_type["aws_elastic_beanstalk_environment"]["attributes"]["setting"]
    assert beanstalk[1]["value"] == "info"  # not marked: kept
    assert beanstalk[0]["value"].startswith("hmac-sha256:")
    figures.record("terraform-secrets", {"values planted": len(PLANTED), "leaks": len(leaks)})
