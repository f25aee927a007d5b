"""RB02 — provenance is verified before a package is trusted."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.findings import Finding, PathStep, Severity
from scanner.model import Action, EdgeKind, Lifetime, NodeId, NodeKind
from scanner.rules.base import Rule, RuleContext, count


def _static_publishers(ctx: RuleContext, resource: NodeId) -> list[NodeId]:
    """Standing credentials that can publish the resource (a token path beside Trusted Publishing)."""
    out = []
    for nid in ctx.reach.who_can_reach(resource, Action.PUBLISH):
        node = ctx.graph.inventory.node(nid)
        if node.kind is NodeKind.CREDENTIAL and node.credential and node.credential.lifetime is Lifetime.STATIC:
            out.append(nid)
    return out


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Packages published without provenance, Trusted Publishing undermined by a token path, and
    mirror repositories consumed without verification."""
    inv = ctx.graph.inventory
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.RESOURCE:
            continue
        category = node.attrs.get("category")
        if category == "package":
            attested = node.attrs.get("latest_attested")
            if attested is not False:
                continue  # attested, or not assessed
            publisher = node.attrs.get("trusted_publisher")
            earlier = node.attrs.get("trusted_publishers")
            if not publisher and isinstance(earlier, tuple) and earlier:
                # A Trusted Publisher attested earlier releases but not the latest (Ultralytics pattern).
                publisher = ", ".join(earlier)
            tokens = _static_publishers(ctx, node.id)
            path = ctx.reach.explain(tokens[0], node.id, Action.PUBLISH) if tokens else None
            if publisher:
                extra = f"; {len(tokens)} standing token(s) can still publish it" if tokens else ""
                message = (
                    f"{node.name!r} has a Trusted Publisher ({publisher}) but its latest release carries no "
                    f"provenance attestation{extra}: it was published by another path."
                )
                yield ctx.finding(RULE, node, message, path, severity=Severity.HIGH)
            elif tokens:
                message = (
                    f"{node.name!r} is published without provenance by a standing token "
                    f"({len(tokens)} can publish it); consumers cannot tell a stolen-token release from a real one."
                )
                yield ctx.finding(RULE, node, message, path)
        elif category == "registry" and node.attrs.get("mirror") is True:
            if node.attrs.get("upstream_verification") is not False:
                continue
            consumers = [e.src for e in ctx.graph.in_edges(node.id, EdgeKind.CONSUMES)]
            consumers += [e.dst for e in ctx.graph.out_edges(node.id, EdgeKind.TRIGGERS)]
            if not consumers:
                continue
            names = ", ".join(sorted(inv.node(c).name for c in consumers)[:3])
            message = (
                f"Mirror {node.name!r} of a public registry is consumed by {names} with no signature, "
                "attestation or freshness check."
            )
            path = ctx.reach.explain(node.id, consumers[0])
            if path is None:
                # explain() walks from controllers; a mirror is written by its upstream, so show the
                # edge by which what it pulls flows on to its first consumer.
                edge = next(
                    (e for e in ctx.graph.in_edges(node.id, EdgeKind.CONSUMES) if e.src == consumers[0]),
                    None,
                ) or next(e for e in ctx.graph.out_edges(node.id, EdgeKind.TRIGGERS) if e.dst == consumers[0])
                path = [PathStep(node.id, consumers[0], edge.kind, frozenset({Action.PUBLISH}), edge.via)]
            yield ctx.finding(RULE, node, message, path, severity=Severity.HIGH)


def applies(ctx: RuleContext) -> int:
    """Packages whose provenance is known, and mirror repositories."""
    return count(
        ctx,
        lambda n: (
            n.kind is NodeKind.RESOURCE
            and (n.attrs.get("latest_attested") is not None or n.attrs.get("mirror") is True)
        ),
    )


RULE = Rule(
    id="RB02",
    title="Packages trusted without verified provenance",
    severity=Severity.MEDIUM,
    remediation=(
        "Publish only through Trusted Publishing with attestations (PyPI/npm provenance, signed images), "
        "revoke the remaining publish tokens, and verify signatures or attestations before a mirrored or "
        "published package is consumed."
    ),
    evaluate=evaluate,
    applies=applies,
)
