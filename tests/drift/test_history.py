"""Scan-to-scan drift: two scans around a change show exactly that change; CLI history/diff."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scanner.analyse import analyse
from scanner.cli import main
from scanner.drift.history import diff, snapshot
from scanner.drift.pipeline import record
from scanner.drift.settings import HistorySettings
from scanner.model import Action, CredentialInfo, Edge, EdgeKind, Inventory, Lifetime, Node, NodeId, NodeKind

T0 = datetime(2026, 11, 1, tzinfo=UTC)
R, P, D = Action.READ, Action.PUBLISH, Action.DEPLOY


def n(i: str, kind: NodeKind = NodeKind.IDENTITY, **attrs: object) -> Node:
    return Node(NodeId(i), kind, i.rsplit(":", 1)[-1], i.split(":")[0], f"x:{kind.value}", attrs=attrs)  # type: ignore[arg-type]


def estate(changed: bool) -> Inventory:
    inv = Inventory()
    for i in ("x:id:ci", "x:id:old-bot", "x:id:reader"):
        if i == "x:id:old-bot" and changed:
            continue  # removed in the second scan
        inv.add_node(n(i))
    inv.add_node(n("x:res:registry", NodeKind.RESOURCE, category="registry"))
    inv.add_node(n("x:res:prod", NodeKind.RESOURCE, category="environment", production=True))
    inv.add_node(
        Node(NodeId("x:cred:key"), NodeKind.CREDENTIAL, "key", "x", "x:key",
             credential=CredentialInfo(Lifetime.STATIC, created=T0 - timedelta(days=89)))
    )  # fmt: skip
    inv.add_edge(Edge(NodeId("x:cred:key"), NodeId("x:id:reader"), EdgeKind.AUTHENTICATES_AS))
    inv.add_edge(Edge(NodeId("x:id:ci"), NodeId("x:res:registry"), EdgeKind.GRANTS, frozenset({R})))
    inv.add_edge(Edge(NodeId("x:id:reader"), NodeId("x:res:registry"), EdgeKind.GRANTS, frozenset({R})))
    inv.add_edge(Edge(NodeId("x:res:registry"), NodeId("x:res:prod"), EdgeKind.TRIGGERS, approval_required=False))
    if not changed:
        inv.add_edge(Edge(NodeId("x:id:old-bot"), NodeId("x:res:registry"), EdgeKind.GRANTS, frozenset({P})))
    else:  # the change: ci can now publish, which also reaches prod downstream
        inv.add_edge(Edge(NodeId("x:id:ci"), NodeId("x:res:registry"), EdgeKind.GRANTS, frozenset({P}), via="new"))
    return inv


def test_two_scans_around_a_change_show_exactly_that_change(tmp_path: Path) -> None:
    h = HistorySettings(path=tmp_path / "history.db")
    first = record(analyse(estate(False), source="s1", as_of=T0, generated_at=T0), h)
    assert first.drift is not None
    assert first.drift.old is None
    assert first.drift.empty
    second = record(analyse(estate(True), source="s2", as_of=T0, generated_at=T0 + timedelta(days=2)), h)
    d = second.drift
    assert d is not None
    assert d.old == first.scan_id
    assert d.new == second.scan_id
    assert [(c.node, c.added) for c in d.new_writers] == [("x:id:ci", ("x:res:prod|DEPLOY", "x:res:registry|PUBLISH"))]
    assert [(c.node, c.removed) for c in d.removed_writers] == [
        ("x:id:old-bot", ("x:res:prod|DEPLOY", "x:res:registry|PUBLISH"))
    ]
    assert d.widened == ()
    assert d.narrowed == ()
    assert [(p.node, p.resource) for p in d.new_prod_paths] == [("x:id:ci", "x:res:prod")]
    # the key was 89 days old at the first scan: its 90-day rotation deadline passed in between
    assert [(x.node, x.what) for x in d.deadlines_crossed] == [("x:cred:key", "rotation due")]
    assert {f.id for f in d.opened} == {f.id for f in second.findings} - {f.id for f in first.findings}
    assert {f.id for f in d.closed} == {f.id for f in first.findings} - {f.id for f in second.findings}
    assert set(d.first_seen) == {f.id for f in second.findings}


def test_unchanged_scans_have_no_drift() -> None:
    a = snapshot(analyse(estate(True), source="a", as_of=T0, generated_at=T0))
    b = snapshot(analyse(estate(True), source="b", as_of=T0, generated_at=T0 + timedelta(hours=1)))
    assert diff(a, b).empty


def test_widened_and_narrowed() -> None:
    a = snapshot(analyse(estate(True), source="a", as_of=T0, generated_at=T0))
    inv = estate(True)
    inv.add_edge(Edge(NodeId("x:id:ci"), NodeId("x:res:prod"), EdgeKind.GRANTS, frozenset({Action.ADMIN})))
    b = snapshot(analyse(inv, source="b", as_of=T0, generated_at=T0 + timedelta(hours=1)))
    d = diff(a, b)
    assert [(c.node, c.added) for c in d.widened] == [
        ("x:id:ci", ("x:res:prod|ADMIN", "x:res:prod|PROMOTE", "x:res:prod|PUBLISH"))
    ]
    assert [c.node for c in diff(b, a).narrowed] == ["x:id:ci"]


def test_demo_twice_then_history_and_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(f'[history]\npath = "{tmp_path / "h.db"}"\n')
    for _ in range(2):
        assert main(["demo", "--out", str(tmp_path / "out"), "--format", "json", "--config", str(cfg)]) == 0
    drift = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert drift["history"]["old_scan"] == 1
    assert drift["history"]["new_scan"] == 2
    assert drift["history"]["findings_opened"] == []
    assert drift["history"]["new_writers"] == []
    capsys.readouterr()
    assert main(["history", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "│ 2" in out
    assert "│ 1" in out
    assert main(["diff", "--config", str(cfg), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["old_scan"], d["new_scan"], d["findings_opened"], d["findings_closed"]) == (1, 2, [], [])
    assert main(["diff", "7", "2", "--config", str(cfg)]) == 2  # no such scan: one line, exit 2


def test_a_resource_becoming_production_is_a_new_prod_path_though_reach_is_unchanged() -> None:
    before = estate(True)
    after = estate(True)
    after.add_node(n("x:res:registry", NodeKind.RESOURCE, category="registry", production=True))
    a = snapshot(analyse(before, source="a", as_of=T0, generated_at=T0))
    b = snapshot(analyse(after, source="b", as_of=T0, generated_at=T0 + timedelta(hours=1)))
    assert {r.node: r.reach_hash for r in a.reach} == {r.node: r.reach_hash for r in b.reach}
    d = diff(a, b)
    assert sorted((p.node, p.resource) for p in d.new_prod_paths) == [
        ("x:cred:key", "x:res:registry"),  # authenticates as the reader
        ("x:id:ci", "x:res:registry"),
        ("x:id:reader", "x:res:registry"),
    ]
    assert d.new_writers == d.removed_writers == d.widened == d.narrowed == ()


def test_nodes_sharing_a_reach_set_share_one_summary() -> None:
    inv = estate(True)
    for i in range(50):  # a fleet of identical bots
        inv.add_node(n(f"x:id:bot{i}"))
        inv.add_edge(Edge(NodeId(f"x:id:bot{i}"), NodeId("x:res:registry"), EdgeKind.GRANTS, frozenset({P})))
    snap = snapshot(analyse(inv, source="a", as_of=T0, generated_at=T0))
    bots = {r.summary for r in snap.reach if r.node.startswith("x:id:bot")}
    assert len(bots) == 1
    assert len(snap.summaries) == len({r.summary for r in snap.reach})
    (key,) = bots
    assert snap.summaries[key].writes == (("x:res:prod", 0b0100), ("x:res:registry", 0b0001))
