"""Rule tests: tiny inventories of pass-* and fail-* objects; the exact set of findings is asserted."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest

from scanner.analyse import analyse
from scanner.findings import Severity
from scanner.model import Action, CredentialInfo, Edge, EdgeKind, Inventory, Lifetime, Node, NodeId, NodeKind
from scanner.rules import RULES
from scanner.rules.controls import CONTROLS
from tests.scanner.graphs import add, link

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def cred(inv: Inventory, name: str, lifetime: Lifetime, created_days_ago: int, valid_days: int | None) -> None:
    created = NOW - timedelta(days=created_days_ago)
    expires = created + timedelta(days=valid_days) if valid_days is not None else None
    inv.add_node(
        Node(
            id=NodeId(name),
            kind=NodeKind.CREDENTIAL,
            name=name,
            provider="test",
            subtype="test:token",
            credential=CredentialInfo(lifetime=lifetime, created=created, expires=expires),
        )
    )


def estate() -> Inventory:
    inv = Inventory()
    add(inv, "repo-a", NodeKind.RESOURCE, category="registry")
    add(inv, "repo-b", NodeKind.RESOURCE, category="registry")
    # RB01
    for name, life, age, valid in [
        ("fail-token-never-expires", Lifetime.STATIC, 400, None),
        ("fail-token-long-expiry", Lifetime.STATIC, 10, 365),
        ("fail-token-not-rotated", Lifetime.STATIC, 200, 60),
        ("pass-token-oidc", Lifetime.SHORT_LIVED, 400, None),
        ("pass-token-fresh", Lifetime.STATIC, 10, 30),
        ("pass-token-read-only", Lifetime.STATIC, 400, None),
    ]:
        cred(inv, name, life, age, valid)
        acts = {Action.READ} if "read-only" in name else {Action.PUBLISH}
        link(inv, name, "repo-a", EdgeKind.GRANTS, acts)
    # RB03: publish directly, promote through an assume path
    add(inv, "fail-role-publisher", NodeKind.IDENTITY)
    add(inv, "pass-role-promoter", NodeKind.IDENTITY)
    add(inv, "pass-role-publish-only", NodeKind.IDENTITY)
    add(inv, "fail-role-admin", NodeKind.IDENTITY)
    link(inv, "fail-role-publisher", "repo-a", EdgeKind.GRANTS, {Action.PUBLISH})
    link(inv, "fail-role-publisher", "pass-role-promoter", EdgeKind.CAN_ASSUME)
    link(inv, "pass-role-promoter", "repo-b", EdgeKind.GRANTS, {Action.PROMOTE})
    link(inv, "pass-role-publish-only", "repo-a", EdgeKind.GRANTS, {Action.PUBLISH, Action.READ})
    link(inv, "fail-role-admin", "repo-b", EdgeKind.GRANTS, {Action.ADMIN})
    # RB05: CI jobs that publish, with and without a protected environment; registry → prod trigger
    add(inv, "prod-env", NodeKind.RESOURCE, category="environment", protected=True)
    add(inv, "open-env", NodeKind.RESOURCE, category="environment", protected=False)
    add(inv, "prod-deploy", NodeKind.RESOURCE, category="pipeline", production=True)
    add(inv, "fail-job-no-env", NodeKind.IDENTITY, "test:job")
    add(inv, "fail-job-open-env", NodeKind.IDENTITY, "test:job")
    add(inv, "pass-job-protected", NodeKind.IDENTITY, "test:job")
    add(inv, "pass-job-read-only", NodeKind.IDENTITY, "test:job")
    for job in ("fail-job-no-env", "fail-job-open-env", "pass-job-protected"):
        link(inv, job, "repo-b", EdgeKind.GRANTS, {Action.PUBLISH})
    link(inv, "pass-job-read-only", "repo-b", EdgeKind.GRANTS, {Action.READ})
    link(inv, "fail-job-open-env", "open-env", EdgeKind.GRANTS, {Action.DEPLOY})
    link(inv, "pass-job-protected", "prod-env", EdgeKind.GRANTS, {Action.DEPLOY})
    add(inv, "fail-registry-autodeploy", NodeKind.RESOURCE, category="registry")
    add(inv, "pass-registry-approved", NodeKind.RESOURCE, category="registry")
    link(inv, "fail-registry-autodeploy", "prod-deploy", EdgeKind.TRIGGERS, approval=False)
    link(inv, "pass-registry-approved", "prod-deploy", EdgeKind.TRIGGERS, approval=True)
    # RB11: unpinned third-party code in a job that can publish; untrusted triggers
    add(inv, "fail-action-unpinned", NodeKind.THIRD_PARTY, pinned=False, ref="master")
    add(inv, "pass-action-pinned", NodeKind.THIRD_PARTY, pinned=True)
    add(inv, "pass-action-unpinned-read-only", NodeKind.THIRD_PARTY, pinned=False)
    add(inv, "fail-action-first-party", NodeKind.THIRD_PARTY, pinned=False, first_party_github=True)
    for action in ("fail-action-unpinned", "pass-action-pinned", "fail-action-first-party"):
        link(inv, "pass-job-protected", action, EdgeKind.RUNS_CODE_OF)
    link(inv, "pass-job-read-only", "pass-action-unpinned-read-only", EdgeKind.RUNS_CODE_OF)
    # the step the publish secret is handed to, unpinned: still a finding, one level lower
    add(inv, "fail-action-recipient", NodeKind.THIRD_PARTY, pinned=False, ref="release/v1")
    inv.add_edge(
        Edge(NodeId("pass-job-protected"), NodeId("fail-action-recipient"), EdgeKind.RUNS_CODE_OF,
             conditions=(("receives_secret", "PYPI_TOKEN"),))
    )  # fmt: skip
    add(inv, "fail-job-prt", NodeKind.IDENTITY, "test:job", untrusted_trigger=True)
    add(inv, "pass-job-prt-read-only", NodeKind.IDENTITY, "test:job", untrusted_trigger=True)
    link(inv, "fail-job-prt", "prod-env", EdgeKind.GRANTS, {Action.DEPLOY})
    link(inv, "fail-job-prt", "fail-token-never-expires", EdgeKind.CAN_READ_SECRET)
    link(inv, "pass-job-prt-read-only", "repo-a", EdgeKind.GRANTS, {Action.READ})
    return inv


def findings_of(rule: str) -> set[str]:
    result = analyse(estate(), source="test", as_of=NOW, rules=[r for r in RULES if r.id == rule])
    return {f.subject for f in result.findings}


def test_rb01_static_publish_credentials() -> None:
    assert findings_of("RB01") == {"fail-token-never-expires", "fail-token-long-expiry", "fail-token-not-rotated"}


def test_rb03_publish_and_promote() -> None:
    # fail-job-prt reaches a token that publishes to repo-a but promotes nothing.
    assert findings_of("RB03") == {"fail-role-publisher", "fail-role-admin"}


def test_rb05_release_without_approval() -> None:
    assert findings_of("RB05") == {
        "fail-job-no-env",
        "fail-job-open-env",
        "fail-registry-autodeploy",
    }  # fail-job-prt publishes, but only from the protected prod-env


def test_rb11_third_party_beside_publish_credentials() -> None:
    assert findings_of("RB11") == {
        "fail-action-unpinned",
        "fail-action-first-party",
        "fail-action-recipient",
        "fail-job-prt",
    }
    result = analyse(estate(), source="test", as_of=NOW, rules=[r for r in RULES if r.id == "RB11"])
    sev = {str(f.subject): f.severity for f in result.findings}
    assert sev["fail-action-unpinned"] is Severity.CRITICAL
    assert sev["fail-action-first-party"] is Severity.HIGH
    assert sev["fail-action-recipient"] is Severity.HIGH


def test_findings_carry_a_path_that_ends_at_a_write() -> None:
    result = analyse(estate(), source="test", as_of=NOW)
    for f in result.findings:
        if f.rule in {"RB01", "RB11"}:
            assert f.path, f
            assert f.path[0].src == f.subject
            assert f.path[-1].actions & {Action.PUBLISH, Action.PROMOTE, Action.ADMIN}


def test_ids_are_stable_and_order_is_severity_then_radius() -> None:
    a = analyse(estate(), source="test", as_of=NOW)
    b = analyse(estate(), source="test", as_of=NOW)
    assert [f.id for f in a.findings] == [f.id for f in b.findings]
    keys = [(-f.severity.rank, -f.blast_radius) for f in a.findings]
    assert keys == sorted(keys)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_metadata(rule: object) -> None:
    from scanner.rules.base import Rule

    assert isinstance(rule, Rule)
    module = importlib.import_module(f"scanner.rules.{rule.id.lower()}")
    assert module.RULE is rule
    control = CONTROLS[rule.id]
    assert control.owasp_nhi
    assert control.nist_csf
    assert len(rule.remediation) > 40
    assert rule.title
