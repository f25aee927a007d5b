"""``graph.graphml``: the identity-permission graph for graph databases (GraphML 1.0, read by networkx,
Gephi, yEd, Neo4j's APOC).

Node attributes: kind, name, provider, subtype, scope, blast_radius; edge attributes: kind,
actions, via. Characters XML 1.0 cannot carry are replaced, everything else is kept as text.
The file is the graph as stored: a relation kept through a junction (docs/model.md, compact
relations) is a node of kind ``junction`` with its edges in and out, so the file grows with the
compact graph, not with the product it stands for. It is written element by element (never held
whole in memory), nodes sorted by id, edges by (source, target, kind, via), atomically.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from reports._common import xml_text
from reports._stream import lines
from scanner.result import ScanResult

_HEAD = """<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
"""
#: (key id, for, name, GraphML type)
_KEYS = (
    ("n0", "node", "kind", "string"),
    ("n1", "node", "name", "string"),
    ("n2", "node", "provider", "string"),
    ("n3", "node", "subtype", "string"),
    ("n4", "node", "scope", "string"),
    ("n5", "node", "blast_radius", "long"),
    ("e0", "edge", "kind", "string"),
    ("e1", "edge", "actions", "string"),
    ("e2", "edge", "via", "string"),
)


#: Every character escaping or :func:`xml_text` would change; most ids and names hold none of them, and
#: a large estate's file has millions of values (one search instead of the escaping's several passes).
_SPECIAL = re.compile("[&<>\"'\x00-\x1f\ufffe\uffff]")


def _attr(value: str) -> str:
    return quoteattr(xml_text(value)) if _SPECIAL.search(value) else f'"{value}"'


def _data(key: str, value: str) -> str:
    text = escape(xml_text(value)) if _SPECIAL.search(value) else value
    return f'      <data key="{key}">{text}</data>\n'


def _rows(result: ScanResult) -> Iterator[str]:
    inv = result.inventory
    reach = result.reach
    yield _HEAD
    for kid, for_, name, typ in _KEYS:
        yield f'  <key id="{kid}" for="{for_}" attr.name="{name}" attr.type="{typ}" />\n'
    yield '  <graph edgedefault="directed">\n'
    # (id, kind, name, provider, subtype, scope) of every node and junction
    rows = [(n.id, str(n.kind), n.name, n.provider, n.subtype, n.scope) for n in inv.nodes()]
    rows += [(j.id, "junction", j.name, j.provider, "junction", j.scope) for j in inv.junctions()]
    rows.sort(key=lambda r: r[0])
    for nid, kind, name, provider, subtype, scope in rows:
        yield (
            f"    <node id={_attr(nid)}>\n"
            + _data("n0", kind)
            + _data("n1", name)
            + _data("n2", provider)
            + _data("n3", subtype)
            + _data("n4", scope)
            + f'      <data key="n5">{reach.size(nid)}</data>\n'
            + "    </node>\n"
        )
    del rows
    edges = sorted(inv.edges(), key=lambda e: (e.src, e.dst, e.kind.value, e.via))
    for e in edges:
        yield (
            f"    <edge source={_attr(e.src)} target={_attr(e.dst)}>\n"
            + _data("e0", e.kind.value)
            + _data("e1", ",".join(sorted(e.actions)))
            + _data("e2", e.via)
            + "    </edge>\n"
        )
    yield "  </graph>\n</graphml>\n"


def text(result: ScanResult) -> str:
    """The GraphML document as one string (tests; :func:`render` streams it)."""
    return "".join(_rows(result))


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``graph.graphml`` into ``out_dir`` element by element, atomically."""
    lines(out_dir / "graph.graphml", _rows(result))
