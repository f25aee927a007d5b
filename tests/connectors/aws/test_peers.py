"""regwarden's escalation verdicts on Cloudsplaining's example export, beside Cloudsplaining's and PMapper's.

The peers' verdicts are data: Cloudsplaining 0.9.1 was run on this file (``cloudsplaining scan -i
authz-details-cloudsplaining-example.json``; the privilege-escalation types of each user's policies); PMapper
1.1.5 does not import on Python >= 3.10 (``collections.Mapping``), so its verdicts are read from its edge
checkers and admin test (nccgroup/PMapper @ 91d2e601: ``principalmapper/graphing/{lambda,ssm,ec2,sagemaker}_edges.py``,
``gathering.update_admin_status``, ``querying/local_policy_simulation._get_date_match``) applied to this file
offline (no ``lambda:ListFunctions`` data). Every row holds regwarden to its verdict; where the peers disagree,
``right`` says who is right and docs/peers.md says why.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from connectors.aws.load import load
from connectors.aws.transform import transform
from scanner.bundle import BundleReader
from scanner.model import EdgeKind, Inventory

FIXTURES = Path(__file__).parents[2] / "fixtures" / "aws"
ACCOUNT = "200611803367"
HIGH = "privesc-high-priv-service-role"
EC2 = "OverprivilegedEC2"
ACCOUNT_CONTROL = "account control"


class Verdict(NamedTuple):
    """One user: what regwarden finds (route name -> roles reached, or account control), and the peers."""

    regwarden: dict[str, frozenset[str]]
    cloudsplaining: frozenset[str]  # its privilege-escalation types for the user's policies
    pmapper: str  # its edge reason or admin verdict, "" when it finds nothing
    right: str  # who is right where they disagree


def _r(*roles: str) -> frozenset[str]:
    return frozenset(roles)


PEERS: dict[str, Verdict] = {
    "privesc17-EditExistingLambdaFunctionWithRole-user": Verdict(
        {"EditExistingLambdaFunctionWithRole": _r(HIGH)},
        frozenset({"EditExistingLambdaFunctionWithRole"}),
        "",  # needs lambda:ListFunctions data to know which function runs as which role
        "regwarden, Cloudsplaining (the scenario deploys a function with that role; PMapper offline cannot see it)",
    ),
    "privesc19-UpdateExistingGlueDevEndpoint-user": Verdict(
        {"UpdateExistingGlueDevEndpoint": _r(HIGH)},
        frozenset({"UpdateExistingGlueDevEndpoint"}),
        "",  # PMapper 1.1.5 has no Glue edge checker
        "regwarden, Cloudsplaining",
    ),
    "privesc-ssmSendCommand-user": Verdict(
        {"SSMSendCommand": _r(HIGH)},
        frozenset(),  # Cloudsplaining 0.9.1 has no SSM route
        "can call ssm:SendCommand to access an EC2 instance with access to",
        "regwarden, PMapper (the role has an instance profile and the SSM agent's permissions)",
    ),
    "privesc-ssmStartSession-user": Verdict(
        {"SSMStartSession": _r(HIGH)},
        frozenset(),
        "can call ssm:StartSession to access an EC2 instance with access to",
        "regwarden, PMapper",
    ),
    "privesc-ec2InstanceConnect-user": Verdict(
        {"EC2InstanceConnectSendSSHPublicKey": _r(HIGH, EC2)},
        frozenset({"EC2InstanceConnectSendSSHPublicKey"}),
        "",  # no EC2 Instance Connect checker
        "regwarden, Cloudsplaining",
    ),
    "privesc-sageMakerCreatePresignedNotebookURL-user": Verdict(
        {"CreatePresignedSageMakerNotebookUrl": _r(HIGH)},
        frozenset({"CreatePresignedSageMakerNotebookUrl"}),
        "",  # only CreateNotebookInstance/TrainingJob/ProcessingJob with iam:PassRole
        "regwarden, Cloudsplaining",
    ),
    "fp4-nonExploitableResourceConstraint-user": Verdict(
        {},  # iam:CreatePolicyVersion only on arn:aws:iam::aws:policy/fp4-* (AWS-managed: unchangeable)
        frozenset(),
        "",  # update_admin_status skips ':aws:policy/' ARNs
        "all agree",
    ),
    "fp5-nonExploitableConditionConstraint-user": Verdict(
        {},  # DateLessThan aws:TokenIssueTime 2020-01-01: no token can be that old when the file is read
        frozenset(),
        "",  # the key is absent from its context, so the Allow never matches
        "all agree",
    ),
    "fn2-exploitableResourceConstraint-user": Verdict(
        {ACCOUNT_CONTROL: _r()},  # CreatePolicyVersion on arn:aws:iam::*:policy/fn2-*: its own policy
        frozenset(),
        "admin (iam:CreatePolicyVersion on its own attached policy)",
        "regwarden, PMapper (Cloudsplaining misses the resource pattern that covers the user's own policy)",
    ),
    "fn3-exploitableConditionConstraint-user": Verdict(
        {ACCOUNT_CONTROL: _r()},  # DateGreaterThan aws:TokenIssueTime 2020-01-01: true for any token today
        frozenset(),
        "",  # aws:TokenIssueTime is absent from its simulated context: the Allow never matches
        "regwarden (the condition holds for every token issued after 2020)",
    ),
    "fp2-allow-and-deny-multiple-policies-user": Verdict(
        {},  # Allow * in one policy, Deny * in another: nothing is allowed
        frozenset({"CreateAccessKey", "PutUserPolicy", "EditExistingLambdaFunctionWithRole"}),  # and 56 more
        "",
        "regwarden, PMapper (Cloudsplaining judges each policy alone and ignores the other policy's Deny)",
    ),
}
ROUTES = {
    "EditExistingLambdaFunctionWithRole",
    "UpdateExistingGlueDevEndpoint",
    "SSMSendCommand",
    "SSMStartSession",
    "EC2InstanceConnectSendSSHPublicKey",
    "CreatePresignedSageMakerNotebookUrl",
}


@pytest.fixture(scope="module")
def inv(tmp_path_factory: pytest.TempPathFactory) -> Inventory:
    root = tmp_path_factory.mktemp("peers")
    (root / "aws" / ACCOUNT).mkdir(parents=True)
    shutil.copy(
        FIXTURES / "authz-details-cloudsplaining-example.json",
        root / "aws" / ACCOUNT / "iam-get-account-authorization-details.json",
    )
    manifest = {"version": 1, "tool": "regwarden", "collected_at": "2026-11-20T06:00:00Z"}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return transform(load(BundleReader(root)))


def verdict(inv: Inventory, user: str) -> dict[str, frozenset[str]]:
    """What regwarden finds for one user: each route with the roles it reaches, and account control."""
    src = f"aws:user:arn:aws:iam::{ACCOUNT}:user/{user}"
    out: dict[str, set[str]] = {}
    for e in inv.expanded_edges():
        if e.src != src or e.kind is not EdgeKind.CAN_ASSUME:
            continue
        route = e.via.split(":", 1)[0]
        if route in ROUTES:
            out.setdefault(route, set()).add(e.dst.rsplit("/", 1)[-1])
        elif e.dst.startswith("aws:account-control:"):
            out.setdefault(ACCOUNT_CONTROL, set())
    return {k: frozenset(v) for k, v in out.items()}


@pytest.mark.parametrize("user", sorted(PEERS))
def test_regwarden_verdict(inv: Inventory, user: str) -> None:
    assert verdict(inv, user) == PEERS[user].regwarden


@pytest.mark.parametrize("user", sorted(PEERS))
def test_each_disagreement_is_judged(user: str) -> None:
    v = PEERS[user]
    found = bool(v.regwarden)
    agree = found == bool(v.cloudsplaining) == bool(v.pmapper)
    assert (v.right == "all agree") is agree
    assert "regwarden" in v.right or agree  # where regwarden is not right, it must be fixed, not documented


def test_each_route_edge_names_its_reason(inv: Inventory) -> None:
    src = f"aws:user:arn:aws:iam::{ACCOUNT}:user/privesc-ssmSendCommand-user"
    [edge] = [e for e in inv.expanded_edges() if e.src == src and e.kind is EdgeKind.CAN_ASSUME]
    assert edge.via.startswith("SSMSendCommand: can run commands (ssm:SendCommand) on an EC2 instance")
