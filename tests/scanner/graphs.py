"""Small inventory builders shared by the scanner tests."""

from __future__ import annotations

from scanner.model import Action, CredentialInfo, Edge, EdgeKind, Inventory, Lifetime, Node, NodeId, NodeKind


def nid(s: str) -> NodeId:
    return NodeId(s)


def add(inv: Inventory, ident: str, kind: NodeKind, subtype: str = "", **attrs: object) -> NodeId:
    cred = CredentialInfo(lifetime=Lifetime.STATIC) if kind is NodeKind.CREDENTIAL else None
    inv.add_node(
        Node(
            id=nid(ident),
            kind=kind,
            name=ident,
            provider="test",
            subtype=subtype or f"test:{kind.value}",
            attrs=dict(attrs),  # type: ignore[arg-type]
            credential=cred,
        )
    )
    return nid(ident)


def link(
    inv: Inventory,
    src: str,
    dst: str,
    kind: EdgeKind,
    actions: set[Action] | None = None,
    approval: bool | None = None,
) -> None:
    inv.add_edge(
        Edge(
            src=nid(src),
            dst=nid(dst),
            kind=kind,
            actions=frozenset(actions or ()),
            via=f"{src}->{dst}",
            approval_required=approval,
        )
    )
