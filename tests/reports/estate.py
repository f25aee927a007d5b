"""A small hand-built scan with hostile names, shared by the report tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from scanner.findings import Finding, Severity, Status, finding_id
from scanner.graph import ScanGraph
from scanner.model import (
    Action,
    CoverageGap,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    Node,
    NodeId,
    NodeKind,
)
from scanner.owners import resolve
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from scanner.rules.base import Rule, RuleContext
from scanner.rules.controls import CONTROLS

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
LINK = '<a href="https://evil.example/x">click</a>'

SECRET = NodeId("github:secret:acme/app/PYPI_TOKEN")
CRED = NodeId("pypi:token:tok-1")
ACCOUNT = NodeId("pypi:account:maint")
PROJECT = NodeId("pypi:project:widget")
PIPELINE = NodeId("github:workflow:acme/deploy")
JOB = NodeId("github:job:acme/app/release")
ACTION = NodeId("github:action:evil/scan@v1")
ADMIN = NodeId("aws:role:registry-admin")
REGISTRY = NodeId("aws:registry:ecr-main")
PERSON = NodeId("person:maint@example.org")

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _nodes() -> list[Node]:
    return [
        Node(SECRET, NodeKind.SECRET, "PYPI_TOKEN", "github", "github:repo_secret", "acme"),
        Node(
            CRED,
            NodeKind.CREDENTIAL,
            "pypi token tok-1",
            "pypi",
            "pypi:api_token",
            credential=CredentialInfo(Lifetime.STATIC),
            evidence=(Evidence("pypi/tokens.json", 3),),
        ),
        Node(ACCOUNT, NodeKind.IDENTITY, IMG, "pypi", "pypi:user"),
        Node(PROJECT, NodeKind.RESOURCE, SCRIPT, "pypi", "pypi:project"),
        Node(PIPELINE, NodeKind.RESOURCE, "deploy", "github", "github:workflow", attrs={"category": "pipeline"}),
        Node(JOB, NodeKind.IDENTITY, "release job", "github", "github:job"),
        Node(ACTION, NodeKind.THIRD_PARTY, LINK, "github", "github:action"),
        Node(ADMIN, NodeKind.IDENTITY, "registry-admin", "aws", "aws:role"),
        Node(REGISTRY, NodeKind.RESOURCE, "ecr-main", "aws", "aws:ecr"),
        Node(PERSON, NodeKind.PERSON, "maint", "github", "person"),
    ]


def _edges() -> list[Edge]:
    return [
        Edge(SECRET, CRED, EdgeKind.EXPOSES, via="PYPI_TOKEN"),
        Edge(CRED, ACCOUNT, EdgeKind.AUTHENTICATES_AS),
        Edge(ACCOUNT, PROJECT, EdgeKind.GRANTS, frozenset({Action.PUBLISH}), via=SCRIPT),
        Edge(PROJECT, PIPELINE, EdgeKind.TRIGGERS, approval_required=False),
        Edge(JOB, SECRET, EdgeKind.CAN_READ_SECRET, via="secrets.PYPI_TOKEN"),
        Edge(JOB, ACTION, EdgeKind.RUNS_CODE_OF, via="uses: evil/scan@v1"),
        Edge(ADMIN, REGISTRY, EdgeKind.GRANTS, frozenset({Action.ADMIN}), via="AdministratorAccess"),
        Edge(ADMIN, PROJECT, EdgeKind.GRANTS, frozenset({Action.READ}), via="read"),
        Edge(ACCOUNT, PERSON, EdgeKind.OWNED_BY),
    ]


def _nothing(ctx: RuleContext) -> Iterator[Finding]:
    return iter(())


def _rule(rid: str, severity: Severity) -> Rule:
    return Rule(
        id=rid,
        title=f"{CONTROLS[rid].title} ({IMG})",
        severity=severity,
        remediation=f"Fix it. {SCRIPT}",
        evaluate=_nothing,
    )


RULES: tuple[Rule, ...] = (
    _rule("RB01", Severity.HIGH),
    _rule("RB03", Severity.HIGH),
    _rule("RB09", Severity.LOW),
    _rule("RB11", Severity.CRITICAL),
)


def build(
    *,
    reverse: bool = False,
    partial: bool = True,
    generated_at: datetime = NOW,
) -> ScanResult:
    """The scan; ``reverse`` inserts everything in the opposite order (the report must not care)."""
    inv = Inventory()
    nodes, edges = _nodes(), _edges()
    if reverse:
        nodes.reverse()
        edges.reverse()
    for n in nodes:
        inv.add_node(n)
    for e in edges:
        inv.add_edge(e)
    reach = ReachIndex.build(ScanGraph(inv))

    def finding(rule: str, sev: Severity, subject: NodeId, target: NodeId | None, action: Action) -> Finding:
        path = reach.explain(subject, target, action) if target else None
        return Finding(
            id=finding_id(rule, subject),
            rule=rule,
            severity=sev,
            subject=subject,
            message=f"{inv.node(subject).name} can {action.value} {SCRIPT}",
            path=tuple(path or ()),
            blast_radius=reach.size(subject),
            location=inv.node(subject).evidence[0] if inv.node(subject).evidence else None,
        )

    findings = [
        finding("RB01", Severity.HIGH, CRED, PROJECT, Action.PUBLISH),
        finding("RB11", Severity.CRITICAL, ACTION, PIPELINE, Action.DEPLOY),
        finding("RB03", Severity.HIGH, ADMIN, REGISTRY, Action.PUBLISH),
        Finding(
            id=finding_id("RB09", PERSON),
            rule="RB09",
            severity=Severity.LOW,
            subject=PERSON,
            message="owner departed",
            status=Status.SUPPRESSED,
            suppression=f"accepted by {IMG} until 2026-06-01",
            location=Evidence("github/orgs/acme/members.json"),
        ),
    ]
    if reverse:
        findings.reverse()
    gaps = (
        (
            CoverageGap("aws", "123456789012", "iam-get-account-authorization-details", f"403 {IMG}"),
            CoverageGap("github", "acme", "repos/acme/app/actions/secrets", "rate limited"),
        )
        if partial
        else ()
    )
    return ScanResult(
        generated_at=generated_at,
        source="bundle/acme",
        scopes=("github:acme", "aws:123456789012", "pypi"),
        inventory=inv,
        reach=reach,
        findings=tuple(findings),
        rules=RULES if not reverse else tuple(reversed(RULES)),
        gaps=gaps if not reverse else tuple(reversed(gaps)),
        owners=resolve(inv),
    )
