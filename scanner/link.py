"""Resolve cross-provider link hints once every connector's inventory has been merged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from scanner.model import AttrValue, Edge, EdgeKind, Inventory, LinkHint, Node, NodeId, NodeKind, Selector, fold

_Key = tuple[str, NodeKind, str, str, AttrValue]


class _Index:
    """Nodes indexed by (provider, kind, subtype, first attribute) so each hint costs its matches, not V."""

    def __init__(self, nodes: Iterable[Node], selectors: Iterable[Selector]) -> None:
        wanted = {(s.provider, s.kind, s.subtype, s.attrs[0][0] if s.attrs else "") for s in selectors}
        self._by: dict[_Key, list[Node]] = defaultdict(list)
        for n in nodes:
            for provider, kind, subtype, attr in wanted:
                if n.provider == provider and n.kind == kind and (not subtype or n.subtype == subtype):
                    value = fold(n.attrs.get(attr)) if attr else None
                    self._by[(provider, kind, subtype, attr, value)].append(n)

    def match(self, sel: Selector) -> list[NodeId]:
        attr, value = sel.attrs[0] if sel.attrs else ("", None)
        value = fold(value)
        return [n.id for n in self._by.get((sel.provider, sel.kind, sel.subtype, attr, value), []) if sel.matches(n)]


def resolve_hints(inv: Inventory) -> int:
    """Turn every hint into edges between the nodes it matches; return how many edges were added."""
    selectors = [end for h in inv.hints for end in (h.src, h.dst) if isinstance(end, Selector)]
    index = _Index(list(inv.nodes()), selectors)

    def ends(end: NodeId | Selector) -> list[NodeId]:
        if isinstance(end, Selector):
            return index.match(end)
        return [end] if end in inv else []

    added = 0
    for h in inv.hints:
        dsts = ends(h.dst)
        if not dsts and h.fallback is not None:
            inv.add_node(h.fallback)
            dsts = [h.fallback.id]
        for s in ends(h.src):
            for d in dsts:
                if s != d:
                    inv.add_edge(_edge(h, s, d))
                    added += 1
    return added


def _edge(h: LinkHint, src: NodeId, dst: NodeId) -> Edge:
    return Edge(
        src=src,
        dst=dst,
        kind=h.kind,
        actions=h.actions,
        via=h.via,
        conditions=h.conditions,
        approval_required=h.approval_required,
        evidence=h.evidence,
    )


def pin_links(inv: Inventory, pins: Iterable[tuple[str, str]]) -> list[str]:
    """Add the ``exposes`` edges pinned in the config (``[[links]]``: secret → credential it holds).

    A secret is named by its node id or as ``scope:NAME`` (``acme/app:PYPI_TOKEN``, ``acme:ORG_TOKEN``),
    compared case-insensitively; the credential by its node id. Returns the pins that matched
    nothing, for the caller to report.
    """
    unresolved: list[str] = []
    for secret, credential in pins:
        if secret in inv:
            secrets = [NodeId(secret)]
        else:
            scope, _, name = secret.rpartition(":")
            secrets = [
                n.id
                for n in inv.nodes()
                if n.kind is NodeKind.SECRET and fold(n.scope) == fold(scope) and fold(n.name) == fold(name)
            ]
        if not secrets or credential not in inv:
            unresolved.append(f"{secret} -> {credential}")
            continue
        for sid in secrets:
            inv.add_edge(Edge(src=sid, dst=NodeId(credential), kind=EdgeKind.EXPOSES, via="pinned in [[links]]"))
    return unresolved
