"""RB12 — secrets live in secret managers, not in code or config."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.model import WRITE_ACTIONS, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Credential material found in plain text in code, build configuration or variables."""
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.SECRET or node.attrs.get("plaintext") is not True:
            continue
        reached = ctx.reach.actions_reached(node.id)
        sev = Severity.HIGH if reached & WRITE_ACTIONS else Severity.MEDIUM
        detector = node.attrs.get("detector") or "credential pattern"
        message = f"Credential material in plain text at {node.name!r} ({detector}); only a fingerprint is kept."
        yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, reached), severity=sev)


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Files and configurations scanned for credential material, and plaintext hits."""
    for n in ctx.graph.nodes():
        if n.attrs.get("secret_scanned") is True or n.attrs.get("plaintext") is True:
            yield n, None


RULE = Rule(
    id="RB12",
    title="Credential in plain text",
    severity=Severity.HIGH,
    remediation=(
        "Revoke the exposed credential, move it to a secret manager (or replace it with OIDC), and "
        "remove it from the file's history."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="files and build configurations scanned for credential material (workflows, CI variables, build projects)",
)
