"""A synthetic scan at the scale the HTML report must handle: 50,000 nodes and 20,000 findings."""

from __future__ import annotations

from datetime import UTC, datetime

from scanner.findings import Finding, PathStep, Severity, finding_id
from scanner.graph import ScanGraph
from scanner.model import Action, CredentialInfo, Edge, EdgeKind, Inventory, Lifetime, Node, NodeId, NodeKind
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from tests.reports.estate import RULES

_SEV = (Severity.CRITICAL, Severity.HIGH, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
_RULE_FOR = {Severity.CRITICAL: "RB11", Severity.HIGH: "RB01", Severity.MEDIUM: "RB03", Severity.LOW: "RB09"}


def build(nodes: int = 50_000, findings: int = 20_000) -> ScanResult:
    """``nodes`` split evenly into secrets, credentials, identities and registries; one chain
    secret → credential → identity → registry each, plus a shared READ grant; one finding per
    credential (then per secret) until ``findings`` are made."""
    per = nodes // 4
    inv = Inventory()
    sec = [NodeId(f"gh:secret:s{i}") for i in range(per)]
    cred = [NodeId(f"pypi:token:t{i}") for i in range(per)]
    ident = [NodeId(f"pypi:user:u{i}") for i in range(per)]
    reg = [NodeId(f"pypi:project:p{i}") for i in range(per)]
    for i in range(per):
        inv.add_node(Node(sec[i], NodeKind.SECRET, f"TOKEN_{i}", "github", "github:repo_secret"))
        inv.add_node(
            Node(
                cred[i],
                NodeKind.CREDENTIAL,
                f"token {i}",
                "pypi",
                "pypi:api_token",
                credential=CredentialInfo(Lifetime.STATIC),
            )
        )
        inv.add_node(Node(ident[i], NodeKind.IDENTITY, f"user{i}", "pypi", "pypi:user"))
        inv.add_node(Node(reg[i], NodeKind.RESOURCE, f"project-{i}", "pypi", "pypi:project"))
    for i in range(per):
        inv.add_edge(Edge(sec[i], cred[i], EdgeKind.EXPOSES))
        inv.add_edge(Edge(cred[i], ident[i], EdgeKind.AUTHENTICATES_AS))
        inv.add_edge(Edge(ident[i], reg[i], EdgeKind.GRANTS, frozenset({Action.PUBLISH}), via="owner"))
        inv.add_edge(Edge(ident[i], reg[(i * 7 + 1) % per], EdgeKind.GRANTS, frozenset({Action.READ}), via="reader"))
    reach = ReachIndex.build(ScanGraph(inv))
    out = []
    for k in range(findings):
        i = k % per
        sev = _SEV[k % len(_SEV)]
        rule = _RULE_FOR[sev]
        subject = cred[i] if k < per else sec[i]
        path: tuple[PathStep, ...] = (
            PathStep(cred[i], ident[i], EdgeKind.AUTHENTICATES_AS),
            PathStep(ident[i], reg[i], EdgeKind.GRANTS, frozenset({Action.PUBLISH}), "owner"),
        )
        if subject == sec[i]:
            path = (PathStep(sec[i], cred[i], EdgeKind.EXPOSES), *path)
        out.append(
            Finding(
                id=finding_id(rule, subject),
                rule=rule,
                severity=sev,
                subject=subject,
                message=f"token {i} can publish project-{i}",
                path=path,
                blast_radius=reach.size(subject),
            )
        )
    return ScanResult(
        generated_at=datetime(2026, 3, 1, tzinfo=UTC),
        source="synthetic",
        scopes=("pypi",),
        inventory=inv,
        reach=reach,
        findings=tuple(out),
        rules=RULES,
        gaps=(),
    )
