"""``graph.graphml``: the identity-permission graph for graph databases (via networkx).

Node attributes: kind, name, provider, subtype, scope, blast_radius; edge attributes: kind,
actions, via. Characters XML 1.0 cannot carry are replaced, everything else is kept as text.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import networkx as nx

from reports._atomic import write_atomic
from reports._common import xml_text
from scanner.result import ScanResult


def graph(result: ScanResult) -> Any:
    """The graph as a networkx MultiDiGraph with string/int attributes only, nodes sorted by id."""
    base = result.reach.graph.to_networkx()
    inv = result.inventory
    g = nx.MultiDiGraph()
    junctions = {j.id: j for j in inv.junctions()}
    for nid in sorted(base.nodes):
        if nid in junctions:
            j = junctions[nid]
            g.add_node(
                xml_text(nid),
                kind="junction",
                name=xml_text(j.name),
                provider=xml_text(j.provider),
                subtype="junction",
                scope=xml_text(j.scope),
                blast_radius=result.reach.size(nid),
            )
            continue
        node = inv.node(nid)
        g.add_node(
            xml_text(nid),
            kind=str(node.kind),
            name=xml_text(node.name),
            provider=xml_text(node.provider),
            subtype=xml_text(node.subtype),
            scope=xml_text(node.scope),
            blast_radius=result.reach.size(nid),
        )
    edges = sorted(base.edges(data=True), key=lambda e: (e[0], e[1], e[2]["kind"], e[2]["via"]))
    for src, dst, data in edges:
        g.add_edge(
            xml_text(src),
            xml_text(dst),
            kind=data["kind"],
            actions=data["actions"],
            via=xml_text(data["via"]),
        )
    return g


def text(result: ScanResult) -> str:
    """The GraphML document."""
    buf = io.BytesIO()
    nx.write_graphml(graph(result), buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue().decode("utf-8")


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``graph.graphml`` into ``out_dir`` atomically."""
    write_atomic(out_dir / "graph.graphml", text(result))
