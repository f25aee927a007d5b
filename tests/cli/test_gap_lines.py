"""The terminal summary names the first coverage gaps and counts the rest; report.json has them all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main

ACCT = "123456789012"


def _account_file_alone(root: Path, users: int) -> Path:
    """What Cloudsplaining reads: one account's authorization details, nothing else (so each user's
    access-key list is a gap)."""
    authz = {
        "UserDetailList": [
            {"UserName": f"u{i}", "Arn": f"arn:aws:iam::{ACCT}:user/u{i}", "CreateDate": "2024-01-01T00:00:00Z"}
            for i in range(users)
        ],
        "RoleDetailList": [],
        "GroupDetailList": [],
        "Policies": [],
    }
    path = root / "bundle" / "aws" / ACCT / "iam-get-account-authorization-details.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(authz), encoding="utf-8")
    return root / "bundle"


@pytest.mark.parametrize(("users", "shown_all"), [(3, True), (40, False)])
def test_gap_lines_are_capped(tmp_path: Path, capsys: pytest.CaptureFixture[str], users: int, shown_all: bool) -> None:
    out = tmp_path / "r"
    assert main(["analyse", str(_account_file_alone(tmp_path, users)), "--out", str(out), "--fail-on", "none"]) == 3
    text = capsys.readouterr().out
    gaps = json.loads((out / "report.json").read_text(encoding="utf-8"))["coverage_gaps"]
    listed = [g for g in gaps if f"aws {ACCT}: " + g["what"] in text.replace("\n", "")]
    if shown_all:
        assert len(listed) == len(gaps)
        assert "more (report.json coverage_gaps" not in text
    else:
        assert len(gaps) > 20
        assert f"… and {len(gaps) - 20} more (report.json coverage_gaps lists them all)" in text.replace("\n", " ")
