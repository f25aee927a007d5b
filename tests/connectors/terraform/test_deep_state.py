"""A Terraform state is attacker-influenced: an attribute nested as deep as the JSON reader accepts is
redacted and read (no RecursionError, no internal error), with a secret at the bottom still fingerprinted;
one nested deeper than the reader accepts is refused in one line naming the file (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.terraform.redact import redact_document
from scanner.bundle import BundleReader
from scanner.cli import main
from scanner.fingerprint import fingerprint

FIXTURE = Path(__file__).parents[2] / "fixtures" / "terraform" / "estate.tfstate"
REL = "terraform/local/terraform.tfstate"
CANARY = "CANARY-DEEP-SECRET-6c2f"


def _damaged(tmp_path: Path, depth: int) -> Path:
    """A bundle holding a copy of the fixture state whose first instance has an attribute nested
    ``depth`` lists deep, with a secret-named key at the bottom."""
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    doc["resources"][0]["instances"][0]["attributes"]["deep"] = "@DEEP@"
    bottom = json.dumps({"password": CANARY})
    text = json.dumps(doc).replace('"@DEEP@"', "[" * depth + bottom + "]" * depth)
    bundle = tmp_path / "bundle"
    (bundle / REL).parent.mkdir(parents=True)
    (bundle / REL).write_text(text, encoding="utf-8")
    return bundle


def test_an_attribute_nested_600_deep_is_redacted_and_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = _damaged(tmp_path, 600)
    out = tmp_path / "out"
    code = main(["analyse", str(bundle), "--out", str(out), "--fail-on", "none", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "internal error" not in err, err
    for f in out.iterdir():
        assert CANARY not in f.read_text(encoding="utf-8", errors="replace"), f.name
    # the secret at the bottom is fingerprinted, not dropped or kept
    node = redact_document(BundleReader(bundle).json(REL), fingerprint)["resources"][0]["instances"][0]["attributes"]
    node = node["deep"]
    for _ in range(600):
        (node,) = node
    assert node == {"password": fingerprint(CANARY)}


def test_a_state_nested_deeper_than_the_reader_accepts_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _damaged(tmp_path, 2000)
    code = main(["analyse", str(bundle), "--out", str(tmp_path / "out"), "--fail-on", "none"])
    err = capsys.readouterr().err
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line == f"regwarden: error: {REL}: JSON nested too deeply", line
