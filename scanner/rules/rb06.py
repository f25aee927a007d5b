"""RB06 — workload identity instead of standing secrets, with strict claims.

A CI secret that holds a stored registry or cloud credential is a finding only where that registry accepts
publishing with the CI's own OIDC token (Trusted Publishing, or federation to a cloud role): a per-registry
fact in ``scanner/knowledge/registries.yaml``, never assumed. The registry of a secret is what its
credential publishes to (or the kind of credential a publish step found in it), else what its conventional
name says (``PYPI_TOKEN``, ``DOCKERHUB_TOKEN``, ``AWS_SECRET_ACCESS_KEY``…).
"""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, Severity
from scanner.knowledge.registries import (
    Registry,
    oidc_publishing,
    registries_for_secret_name,
    registry_for_credential,
    registry_for_target,
)
from scanner.model import WRITE_ACTIONS, EdgeKind, Node, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext, missing

#: CI systems whose secrets RB06 judges, by the provider of the secret node, with how reports name them.
CI_OF_PROVIDER: dict[str, str] = {"github": "GitHub Actions", "gitlab": "GitLab CI/CD"}
_PUBLISHING = frozenset({"registry", "package"})


def secret_registries(ctx: RuleContext, secret: Node) -> tuple[list[Registry], bool]:
    """The registries a CI secret's credential is for, and whether they came from its credential (True) or
    only from its name (False)."""
    g = ctx.graph
    found: dict[str, Registry] = {}
    for e in g.out_edges(secret.id, EdgeKind.EXPOSES):
        cred = g.inventory.node(e.dst)
        if (reg := registry_for_credential(cred.provider, cred.subtype)) is not None:
            found[reg.id] = reg
            continue
        for r in ctx.reach.blast_radius(cred.id):
            target = g.inventory.node(r.resource)
            reg = registry_for_target(target.provider, target.subtype)
            if reg is not None and r.actions & WRITE_ACTIONS and target.attrs.get("category") in _PUBLISHING:
                found[reg.id] = reg
    if found:
        return list(found.values()), True
    return registries_for_secret_name(secret.name), False


def _static_secret(ctx: RuleContext, node: Node) -> Finding | None:
    ci = node.provider
    regs, from_credential = secret_registries(ctx, node)
    if not from_credential and node.attrs.get("static_cloud_credential") is not True:
        return None  # a name alone is not enough: the CI connector saw no use of the secret
    if regs:
        federated = [r for r in regs if oidc_publishing(r.id, ci)]
        if not federated:
            return None  # the registry has no OIDC publishing: a stored credential is the only way
        labels = ", ".join(r.label for r in federated)
        message = (
            f"CI secret {node.name!r} holds a stored {federated[0].credential_label} although {labels} "
            f"accept(s) publishing with {CI_OF_PROVIDER[ci]}'s own OIDC token ({federated[0].docs})."
        )
    elif node.attrs.get("oidc_available") is True:
        # The CI connector recognised a cloud key it knows can be federated, but not which registry.
        message = f"CI secret {node.name!r} holds a static cloud key although the CI can use OIDC federation."
    else:
        return None
    reached = ctx.reach.actions_reached(node.id)
    return ctx.finding(RULE, node, message, ctx.evidence_path(node.id, reached), qualifier="static")


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Federated trusts whose subject is missing or too broad, and CI secrets holding stored registry or
    cloud credentials where the registry accepts OIDC publishing from that CI."""
    for node in ctx.graph.nodes():
        if node.kind is NodeKind.CREDENTIAL and node.attrs.get("subject_too_broad") is True:
            reached = ctx.reach.actions_reached(node.id)
            reason = node.attrs.get("broad_reason") or "no subject condition"
            sev = Severity.HIGH if reached & WRITE_ACTIONS else Severity.MEDIUM
            message = (
                f"Federated trust {node.name!r} (issuer {node.attrs.get('issuer')}) accepts too many workloads: "
                f"{reason}."
            )
            yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, reached), severity=sev)
        elif node.kind is NodeKind.SECRET and node.provider in CI_OF_PROVIDER:
            if (f := _static_secret(ctx, node)) is not None:
                yield f
        elif node.kind is NodeKind.SECRET and node.attrs.get("static_cloud_credential") is True:
            # A secret of a CI regwarden cannot name (tests, plugins): the connector's own judgement stands.
            reached = ctx.reach.actions_reached(node.id)
            message = f"CI secret {node.name!r} holds a static cloud key although the CI can use OIDC federation."
            yield ctx.finding(RULE, node, message, ctx.evidence_path(node.id, reached), qualifier="static")


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Federated trusts (judged when their claims were read), CI secrets (judged by what they hold or, failing
    that, their name), and CI jobs that publish (judged when how they authenticate is known: a job whose
    publish step was recognised but whose credential was not could hold a stored token or use OIDC)."""
    for n in ctx.graph.nodes():
        if n.kind is NodeKind.CREDENTIAL and ("subject_too_broad" in n.attrs or "issuer" in n.attrs):
            yield n, None if n.attrs.get("subject_too_broad") is not None else missing("trust_subject", n)
        elif n.kind is NodeKind.SECRET and n.provider in CI_OF_PROVIDER:
            yield n, None
        elif n.kind is NodeKind.IDENTITY and n.subtype.endswith(":job") and n.attrs.get("publishes"):
            unknown = n.attrs.get("publish_route_unknown")
            if isinstance(unknown, tuple) and unknown:
                why = f"publishes to {', '.join(unknown)} with a credential regwarden could not trace"
                yield n, missing("credential_route", n, why=why)
            else:
                yield n, None


RULE = Rule(
    id="RB06",
    title="Standing secrets or loose claims where workload identity fits",
    severity=Severity.MEDIUM,
    remediation=(
        "Publish with the registry's Trusted Publishing or the cloud's OIDC federation from the CI (where "
        "scanner/knowledge/registries.yaml says the registry accepts it), pin that trust to one repository and "
        "one ref or environment (sub) with the expected audience, and delete the stored token or key."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="federated trusts (cloud OIDC providers), CI secrets and the CI jobs that publish",
)
