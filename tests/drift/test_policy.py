"""Baseline policy findings, suppressions (active and expired) and the webhook."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer

from scanner.analyse import analyse
from scanner.cli import main
from scanner.drift.baseline import baseline_rules
from scanner.drift.notify import notify
from scanner.drift.settings import BaselineSettings, NotifySettings, OidcRule, PublisherRule, Suppression
from scanner.findings import Finding, Severity, Status
from scanner.model import Action, CredentialInfo, Edge, EdgeKind, Inventory, Lifetime, Node, NodeId, NodeKind
from scanner.rules import RULES
from scanner.suppress import apply

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def estate() -> Inventory:
    inv = Inventory()
    reg = NodeId("x:res:prod-registry")
    inv.add_node(Node(reg, NodeKind.RESOURCE, "prod-registry", "x", "x:repo", attrs={"category": "registry"}))
    for i in ("pass-release", "fail-intern"):
        inv.add_node(Node(NodeId(f"x:id:{i}"), NodeKind.IDENTITY, i, "x", "x:id"))
        inv.add_edge(Edge(NodeId(f"x:id:{i}"), reg, EdgeKind.GRANTS, frozenset({Action.PUBLISH})))
    inv.add_node(
        Node(NodeId("x:cred:fail-old-key"), NodeKind.CREDENTIAL, "old", "x", "x:key",
             credential=CredentialInfo(Lifetime.STATIC, created=T0 - timedelta(days=40)))
    )  # fmt: skip
    inv.add_edge(Edge(NodeId("x:cred:fail-old-key"), NodeId("x:id:fail-intern"), EdgeKind.AUTHENTICATES_AS))
    for name, sub in (("pass-oidc", "repo:acme/app:environment:prod"), ("fail-oidc", "repo:acme/*")):
        inv.add_node(
            Node(NodeId(f"x:oidc:{name}"), NodeKind.CREDENTIAL, name, "x", "x:oidc-trust",
                 attrs={"issuer": "https://token.actions.githubusercontent.com", "subject": sub},
                 credential=CredentialInfo(Lifetime.SHORT_LIVED))
        )  # fmt: skip
    return inv


BASELINE = BaselineSettings(
    max_credential_age_days=30,
    no_static_publish=True,
    publishers=[PublisherRule(resource="x:res:prod-*", allowed=["x:id:pass-*"])],
    oidc=[OidcRule(issuer="https://token.actions.*", allowed_subjects=["repo:acme/*:environment:prod"])],
)


def test_baseline_violations_are_findings_of_their_own_kind() -> None:
    result = analyse(estate(), source="t", as_of=T0, rules=RULES + baseline_rules(BASELINE))
    got = {(f.rule, f.subject) for f in result.findings if f.rule.startswith("BASELINE")}
    assert got == {
        ("BASELINE-PUBLISHERS", "x:id:fail-intern"),
        ("BASELINE-CREDENTIAL-AGE", "x:cred:fail-old-key"),
        ("BASELINE-STATIC-PUBLISH", "x:cred:fail-old-key"),
        ("BASELINE-OIDC-SUBJECT", "x:oidc:fail-oidc"),
    }
    assert baseline_rules(None) == ()


def f(rule: str, subject: str) -> Finding:
    return Finding(f"{rule}-{subject}", rule, Severity.HIGH, NodeId(subject), "m")


def test_suppressions_active_and_expired() -> None:
    findings = [f("RB01", "x:cred:a"), f("RB03", "x:id:b"), f("RB03", "x:id:c")]
    rules = [
        Suppression(id="RB01-x:cred:a", owner="sec@acme", reason="rotating this sprint", expires=date(2026, 12, 31)),
        Suppression(rule="RB03", subject="x:id:b*", owner="platform", reason="accepted", expires=date(2026, 10, 1)),
    ]
    out = {x.id: x for x in apply(findings, rules, date(2026, 11, 28))}
    assert out["RB01-x:cred:a"].status is Status.SUPPRESSED
    assert out["RB01-x:cred:a"].suppression == "rotating this sprint (owner: sec@acme; expires 2026-12-31)"
    assert out["RB03-x:id:b"].status is Status.OPEN
    assert out["RB03-x:id:b"].suppression is None
    assert out["RB03-x:id:c"].status is Status.OPEN


def test_suppressed_findings_stay_in_the_json_and_do_not_fail_the_gate(tmp_path: Path) -> None:
    first = tmp_path / "a"
    assert main(["demo", "--out", str(first), "--format", "json", "--fail-on", "high"]) == 1
    report = json.loads((first / "report.json").read_text())
    high = [x for x in report["findings"] if x["severity"] in ("critical", "high")]
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(
        "".join(
            f'[[suppress]]\nid = "{x["id"]}"\nowner = "sec"\nreason = "accepted risk"\nexpires = 2999-01-01\n'
            for x in high
        )
    )
    second = tmp_path / "b"
    assert main(["demo", "--out", str(second), "--format", "json", "--fail-on", "high", "--config", str(cfg)]) == 0
    after = {x["id"]: x for x in json.loads((second / "report.json").read_text())["findings"]}
    assert all(after[x["id"]]["status"] == "suppressed" for x in high)
    assert all("accepted risk" in after[x["id"]]["suppression"] for x in high)


def test_webhook_posts_new_high_findings(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_json({"ok": True})
    result = analyse(estate(), source="t", as_of=T0, rules=RULES + baseline_rules(BASELINE))
    assert notify(result, NotifySettings(webhook_url=httpserver.url_for("/hook"))) is True
    body = httpserver.log[0][0].get_json()
    assert body["event"] == "regwarden.scan"
    assert {x["rule"] for x in body["new_findings"]} >= {"BASELINE-PUBLISHERS", "BASELINE-OIDC-SUBJECT"}
    assert all(x["severity"] in ("critical", "high") for x in body["new_findings"])


def test_webhook_silent_when_nothing_new(httpserver: HTTPServer) -> None:
    result = analyse(Inventory(), source="t", as_of=T0)
    assert notify(result, NotifySettings(webhook_url=httpserver.url_for("/hook"))) is False
    assert httpserver.log == []
