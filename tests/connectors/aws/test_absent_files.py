"""An absent AWS file leaves what it says unknown, never a clean answer (issue 15): the key's last use, who a
policy admits, whether CloudTrail logs. tests/hardening/test_absence.py deletes each file of the fixture
bundle in turn; these cases pin the branches it cannot reach alone (a file and its stand-in both absent)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.aws import SPEC
from scanner.bundle import BundleReader
from scanner.model import Inventory, NodeId

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "aws" / "bundle"
BASE = "aws/111122223333"
KEY = NodeId("aws:access-key:AKIAFAKEFAKEFAKE0001")
LAST_USED = f"{BASE}/iam-get-access-key-last-used/AKIAFAKEFAKEFAKE0001.json"
REPORT = f"{BASE}/iam-get-credential-report.csv"


def _without(*rels: str) -> Inventory:
    files = [f for f in BundleReader(BUNDLE).files("") if f not in rels]
    return SPEC.inventory(BundleReader.listed(BUNDLE, files))


def test_the_credential_report_stands_in_for_a_missing_last_use_answer() -> None:
    inv = _without(LAST_USED)
    key = inv.node(KEY)
    assert key.credential is not None
    assert key.credential.last_used == datetime(2026, 10, 30, 8, 0, tzinfo=UTC)
    assert "unknown" not in key.attrs
    assert not [g for g in inv.gaps if g.what == LAST_USED]


def test_without_either_the_last_use_is_unknown_and_a_gap_names_the_file() -> None:
    inv = _without(LAST_USED, REPORT)
    key = inv.node(KEY)
    assert key.credential is not None
    assert key.credential.last_used is None
    # not "never used", not "used": unknown, naming the file that would tell
    assert "never_used" not in key.attrs
    assert (key.attrs["unknown"], key.attrs["unknown_why"]) == (("last_used",), f"{LAST_USED} not collected")
    assert [g.what for g in inv.gaps if g.what in (LAST_USED, REPORT)] == [REPORT, LAST_USED]


def test_a_repository_policy_answered_404_is_no_policy_and_a_missing_one_is_unknown() -> None:
    mirror = NodeId("aws:ecr-repository:arn:aws:ecr:us-east-1:111122223333:repository/mirror/library/python")
    public = NodeId("aws:ecr-repository:arn:aws:ecr:us-east-1:111122223333:repository/fail-public-repo")
    inv = _without(f"{BASE}/us-east-1/ecr-get-repository-policy/fail-public-repo.json")
    assert inv.node(mirror).attrs["exposures"] == ()  # the manifest's not_found: examined, nothing admitted
    assert "exposures" not in inv.node(public).attrs
    assert inv.node(public).attrs["unknown_why.exposures"] == (
        f"{BASE}/us-east-1/ecr-get-repository-policy/fail-public-repo.json not collected"
    )


def test_a_trail_whose_selectors_are_missing_leaves_logging_unknown_not_off() -> None:
    inv = _without(f"{BASE}/us-east-1/cloudtrail-get-event-selectors/org-trail.json")
    repo = inv.node(NodeId("aws:ecr-repository:arn:aws:ecr:us-east-1:111122223333:repository/pass-private-repo"))
    assert repo.attrs.get("audit_logging") is None
    assert repo.attrs["unknown"] == ("audit_logging",)
    assert _without().node(repo.id).attrs["audit_logging"] is True
