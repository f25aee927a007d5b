"""Streamed exports (reports._stream): each file written item by item is exactly the document its
``text`` gives, a failure while writing leaves the previous report (never a half-written one), and
GraphML follows the compact graph (junctions), not the product it stands for."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from bench.generate import generate
from bench.sizes import Size
from connectors.aws.load import load
from connectors.aws.transform import transform
from reports import FORMATS, graphml, ocsf, oscal, sarif
from reports import csv as report_csv
from reports._stream import Stream, chunks, write
from scanner.bundle import BundleReader
from scanner.graph import ScanGraph
from scanner.model import Inventory
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from tests.reports import estate

TEXTS = {
    "report.oscal.json": oscal.text,
    "report.ocsf.json": ocsf.text,
    "report.sarif": sarif.text,
    "findings.csv": report_csv.findings_text,
    "inventory.csv": report_csv.inventory_text,
    "graph.graphml": graphml.text,
}


def _value(rng: random.Random, depth: int) -> Any:
    pick = rng.randrange(8 if depth < 4 else 4)
    if pick == 0:
        return rng.choice([None, True, False, 0, -3, 2.5])
    if pick in (1, 2, 3):
        return rng.choice(["", 'é\n"x"', "</a>", "plain", "\u2028"])
    items = [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if pick == 4:
        return items
    if pick == 5:
        return Stream(items)
    return {f"k{i}": v for i, v in enumerate(items)} | ({"s": Stream(items)} if pick == 7 else {})


def _plain(v: Any) -> Any:
    if isinstance(v, Stream):
        return [_plain(i) for i in v.items]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def test_streamed_json_is_json_dumps() -> None:
    rng = random.Random(18)
    for _ in range(300):
        doc = _value(rng, 0)
        expected = json.dumps(_plain(doc), indent=2, ensure_ascii=False) + "\n"
        assert b"".join(chunks(doc)).decode("utf-8") == expected


def test_a_value_json_cannot_hold_is_refused_beside_a_stream_too() -> None:
    for doc in ({"a": object()}, {"s": Stream([1]), "a": [object()]}, Stream([{"x": object()}])):
        with pytest.raises(TypeError, match="not JSON serializable"):
            b"".join(chunks(doc))


@pytest.mark.parametrize("partial", [True, False])
def test_each_streamed_file_is_its_text(tmp_path: Path, partial: bool) -> None:
    result = estate.build(partial=partial)
    for spec in FORMATS.values():
        spec.render(result, tmp_path)
    for name, text in TEXTS.items():
        assert (tmp_path / name).read_bytes().decode("utf-8") == text(result), name


def test_a_failure_while_streaming_keeps_the_previous_report(tmp_path: Path) -> None:
    path = tmp_path / "report.ocsf.json"
    path.write_text("previous\n", encoding="utf-8")

    def events() -> Iterator[dict[str, int]]:
        yield from ({"n": i} for i in range(50_000))  # beyond one write buffer
        raise RuntimeError("the scan died while its report was written")

    with pytest.raises(RuntimeError):
        write(path, Stream(events()))
    assert path.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.ocsf.json"]  # no temporary file left


def _result(inv: Inventory) -> ScanResult:
    return ScanResult(
        generated_at=datetime(2026, 11, 20, tzinfo=UTC),
        source="t",
        scopes=(),
        inventory=inv,
        reach=ReachIndex.build(ScanGraph(inv)),
        findings=(),
        rules=(),
        gaps=(),
    )


def test_graphml_follows_the_compact_graph(tmp_path: Path) -> None:
    generate(Size("tiny", 1, 60, 30, 5, 15, 14, 9, 1, 10, 10), tmp_path, seed=7)
    raw = load(BundleReader(tmp_path / "bundle"))
    compact, plain = transform(raw), transform(raw, compact=False)
    text = graphml.text(_result(compact))
    g = nx.read_graphml(io.BytesIO(text.encode("utf-8")), force_multigraph=True)
    junctions = {j.id for j in compact.junctions()}
    assert junctions
    assert set(g.nodes) == {n.id for n in compact.nodes()} | junctions
    assert {n for n, d in g.nodes(data=True) if d["kind"] == "junction"} == junctions
    assert g.number_of_edges() == compact.edge_count < plain.edge_count
    assert len(text) < len(graphml.text(_result(plain)))


def test_graphml_values_are_escaped_as_the_sax_helpers_escape_them() -> None:
    # values without a special character skip the escaping; the output must not change
    from xml.sax.saxutils import escape, quoteattr

    from reports._common import xml_text

    rng = random.Random(18)
    alphabet = "ab&<>\"'\n\r\t\x00\x01\x1f\ufffe\uffff\u00e9 "
    for _ in range(5000):
        v = "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))
        assert graphml._attr(v) == quoteattr(xml_text(v))
        assert graphml._data("k", v) == f'      <data key="k">{escape(xml_text(v))}</data>\n'
