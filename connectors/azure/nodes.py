"""Node ids and the small builders the Azure transform shares (Entra and ARM halves)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.azure.oidc import judge_expression, judge_subject
from connectors.azure.raw import FicProps
from scanner.model import (
    AttrValue,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    LinkHint,
    Node,
    NodeId,
    NodeKind,
    Selector,
    node_id,
)

PROVIDER = "azure"
OIDC_SUBTYPE = "azure:oidc-trust"
#: Role-assignment principal types -> (id kind, subtype).
PRINCIPAL_KINDS: dict[str, tuple[str, str]] = {
    "serviceprincipal": ("sp", "azure:service-principal"),
    "user": ("user", "azure:user"),
    "group": ("group", "azure:group"),
    "foreigngroup": ("group", "azure:group"),
}


def utc(dt: datetime | None) -> datetime | None:
    """Naive timestamps from exports are UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def sp_id(object_id: str) -> NodeId:
    """A service principal or managed identity, by its Entra object id (what role assignments name)."""
    return node_id(PROVIDER, "sp", object_id.lower())


def resource_key(arm_id: str) -> str:
    """ARM ids are case-insensitive; the graph needs one spelling."""
    return arm_id.lower().rstrip("/")


@dataclass
class Ctx:
    """The inventory being built and the collection time (to tell expired credentials)."""

    inv: Inventory
    collected_at: datetime | None = None
    sp_by_app: dict[str, NodeId] = field(default_factory=dict)

    def expired(self, expires: datetime | None) -> bool:
        """True when the credential had expired when the bundle was collected."""
        return expires is not None and self.collected_at is not None and expires <= self.collected_at

    def principal(self, principal_id: str, principal_type: str | None, scope: str, evidence: Evidence) -> NodeId:
        """The identity a role assignment names; a stub when Graph did not describe it."""
        kind, subtype = PRINCIPAL_KINDS.get((principal_type or "").lower(), ("principal", "azure:principal"))
        nid = node_id(PROVIDER, kind, principal_id.lower())
        if nid not in self.inv:
            self.inv.add_node(
                Node(
                    id=nid,
                    kind=NodeKind.IDENTITY,
                    name=principal_id,
                    provider=PROVIDER,
                    subtype=subtype,
                    scope=scope,
                    attrs={"principal_id": principal_id, "principal_type": principal_type, "described": False},
                    evidence=(evidence,),
                )
            )
        return nid

    def static_credential(
        self,
        cid: NodeId,
        name: str,
        subtype: str,
        scope: str,
        created: datetime | None,
        expires: datetime | None,
        attrs: Mapping[str, AttrValue],
        evidence: Evidence,
    ) -> bool:
        """Add a static credential; return whether it still works (not expired at collection)."""
        created, expires = utc(created), utc(expires)
        active = not self.expired(expires)
        valid_days = (expires - created).days if created and expires else None
        self.inv.add_node(
            Node(
                id=cid,
                kind=NodeKind.CREDENTIAL,
                name=name,
                provider=PROVIDER,
                subtype=subtype,
                scope=scope,
                attrs={**attrs, "active": active, "valid_days": valid_days, "never_expires": expires is None},
                credential=CredentialInfo(lifetime=Lifetime.STATIC, created=created, expires=expires),
                evidence=(evidence,),
            )
        )
        return active

    def oidc_trust(self, cid: NodeId, name: str, fic: FicProps, target: NodeId, scope: str, evidence: Evidence) -> None:
        """A federated identity credential: a short-lived trust, judged for breadth, linked to the CI
        jobs it names when it names one repository."""
        expression = fic.claims_matching_expression.value if fic.claims_matching_expression else None
        if expression is not None:
            verdict = judge_expression(fic.issuer, expression)
        else:
            verdict = judge_subject(fic.issuer, fic.subject or "")
        subject = fic.subject if expression is None else expression
        self.inv.add_node(
            Node(
                id=cid,
                kind=NodeKind.CREDENTIAL,
                name=name,
                provider=PROVIDER,
                subtype=OIDC_SUBTYPE,
                scope=scope,
                attrs={
                    "issuer": fic.issuer,
                    "subject": subject,
                    "claims_matching_expression": expression is not None,
                    "audience": ",".join(fic.audiences) or None,
                    "audiences": fic.audiences,
                    "subject_too_broad": verdict.too_broad,
                    "broad_reason": verdict.reason,
                    "repo": verdict.repo,
                    "environment": verdict.environment,
                    "ref": verdict.ref,
                },
                credential=CredentialInfo(lifetime=Lifetime.SHORT_LIVED),
                evidence=(evidence,),
            )
        )
        self.inv.add_edge(Edge(src=cid, dst=target, kind=EdgeKind.AUTHENTICATES_AS, via=name, evidence=(evidence,)))
        if verdict.repo is None or not fic.issuer.rstrip("/").startswith("https://token.actions.githubusercontent.com"):
            return
        attrs: tuple[tuple[str, str | bool], ...] = (("repo", verdict.repo), ("oidc", True))
        conditions: tuple[tuple[str, str], ...] = (("iss", fic.issuer), ("sub", subject or ""))
        if fic.audiences:
            conditions += (("aud", ",".join(fic.audiences)),)
        if verdict.environment:
            attrs += (("environment", verdict.environment),)
        self.inv.add_hint(
            LinkHint(
                src=Selector(provider="github", kind=NodeKind.IDENTITY, subtype="github:job", attrs=attrs),
                dst=target,
                kind=EdgeKind.CAN_ASSUME,
                via=f"Entra federated credential {name}",
                conditions=conditions,
                evidence=(evidence,),
            )
        )
