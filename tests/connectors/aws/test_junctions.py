"""Compact relations (scanner.model.Junction): the AWS inventory stored through junctions means exactly
what the same inventory means with every edge stored itself — the same edges once expanded, the same
reach for every node, the same "who can", the same hop printed by explain, and no drift between them."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.generate import generate
from bench.sizes import Size
from bench.stages import logical_grants
from connectors.aws.junctions import TRUST_VIA
from connectors.aws.load import load
from connectors.aws.transform import transform
from scanner.bundle import BundleReader
from scanner.drift.history import diff, snapshot
from scanner.graph import ScanGraph
from scanner.model import ACTIONS, Action, EdgeKind, Inventory, NodeId, NodeKind, expand_actions
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from scanner.rules import RULES, RuleContext

TINY = Size("tiny", 2, 30, 20, 5, 15, 14, 9, 2, 20, 10)
ACCT = "123456789012"


def _pair(bundle: Path) -> tuple[Inventory, Inventory]:
    raw = load(BundleReader(bundle))
    return transform(raw), transform(raw, compact=False)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Inventory, Inventory]:
    root = tmp_path_factory.mktemp("tiny")
    generate(TINY, root, seed=7)
    return _pair(root / "bundle")


def _trusting_account(tmp: Path) -> Path:
    """Three users allowed sts:AssumeRole everywhere, one user denied it on one role, and three roles
    whose trust names the account's root — one of them allowed sts:AssumeRole everywhere itself."""
    assume_all: dict[str, object] = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}
        ]
    }

    def user(name: str, *stmts: dict[str, object]) -> dict[str, object]:
        return {
            "UserName": name,
            "Arn": f"arn:aws:iam::{ACCT}:user/{name}",
            "CreateDate": "2024-01-01T00:00:00Z",
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": list(stmts)}}],
        }

    def role(name: str, *stmts: dict[str, object]) -> dict[str, object]:
        return {
            "RoleName": name,
            "Arn": f"arn:aws:iam::{ACCT}:role/{name}",
            "CreateDate": "2024-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": list(stmts)}}] if stmts else [],
        }

    deny_one: dict[str, object] = {
        "Effect": "Deny",
        "Action": "sts:AssumeRole",
        "Resource": f"arn:aws:iam::{ACCT}:role/deploy",
    }
    authz = {
        "UserDetailList": [
            user("alice", assume_all),
            user("bob", assume_all),
            user("carol", assume_all),
            user("dave", assume_all, deny_one),
        ],
        "RoleDetailList": [role("deploy"), role("release"), role("ops", assume_all)],
        "GroupDetailList": [],
        "Policies": [],
    }
    path = tmp / "bundle" / "aws" / ACCT / "iam-get-account-authorization-details.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(authz), encoding="utf-8")
    return tmp / "bundle"


def _edges(inv: Inventory) -> dict[tuple[str, str, str, str], frozenset[Action]]:
    return {(e.src, e.dst, e.kind.value, e.via): e.actions for e in inv.expanded_edges()}


def test_the_estate_is_stored_through_junctions(estate: tuple[Inventory, Inventory]) -> None:
    compact, plain = estate
    assert list(compact.junctions())
    assert not list(plain.junctions())
    assert compact.edge_count < plain.edge_count


def test_expanded_edges_are_the_plain_edges(estate: tuple[Inventory, Inventory]) -> None:
    compact, plain = estate
    assert _edges(compact) == _edges(plain)


def _reach(inv: Inventory) -> ReachIndex:
    return ReachIndex.build(ScanGraph(inv))


def test_reach_and_who_can_are_the_same(estate: tuple[Inventory, Inventory]) -> None:
    compact, plain = estate
    a, b = _reach(compact), _reach(plain)
    nodes = [n.id for n in plain.nodes()]
    assert [a.blast_radius(n) for n in nodes] == [b.blast_radius(n) for n in nodes]
    for n in plain.nodes():
        if n.kind is NodeKind.RESOURCE:
            for act in ACTIONS:
                assert a.who_can_reach(n.id, act) == b.who_can_reach(n.id, act)
                assert a.count_who_can(n.id, act) == b.count_who_can(n.id, act)


def test_explain_prints_the_real_hop(estate: tuple[Inventory, Inventory]) -> None:
    compact, plain = estate
    a, b = _reach(compact), _reach(plain)
    edges = _edges(plain)
    stored = _stored(compact)
    through_junctions = 0
    for n in plain.nodes():
        if n.kind is not NodeKind.IDENTITY:
            continue
        pa, pb = a.paths_from(n.id), b.paths_from(n.id)
        assert pa.keys() == pb.keys()
        for dst, steps in pa.items():
            assert len(steps) == len(pb[dst])  # as short
            # a path of this node's own, hop to hop (a junction's edges are shared by its holders)
            assert steps[0].src == n.id
            assert steps[-1].dst == dst
            assert all(x.dst == y.src for x, y in itertools.pairwise(steps))
            for s in steps:  # every hop is an edge the plain inventory holds, with its actions
                assert not compact.is_junction(s.src)
                assert not compact.is_junction(s.dst)
                held = edges[(s.src, s.dst, s.kind.value, s.via)]
                if s.kind is EdgeKind.GRANTS:
                    assert s.actions == expand_actions(held)
            through_junctions += any((s.src, s.dst, s.kind.value, s.via) not in stored for s in steps)
    assert through_junctions  # some of them were walked through a junction


def _stored(inv: Inventory) -> set[tuple[str, str, str, str]]:
    return {(e.src, e.dst, e.kind.value, e.via) for e in inv.edges()}


def test_logical_out_and_in_edges(estate: tuple[Inventory, Inventory]) -> None:
    compact, plain = estate
    gc, gp = ScanGraph(compact), ScanGraph(plain)

    def norm(edges: list[object]) -> set[tuple[str, str, str, str]]:
        return {(e.src, e.dst, e.kind.value, e.via) for e in edges}  # type: ignore[attr-defined]

    for n in plain.nodes():
        assert norm(gc.out_edges(n.id)) == norm(gp.out_edges(n.id))  # type: ignore[arg-type]
        assert norm(gc.in_edges(n.id)) == norm(gp.in_edges(n.id))  # type: ignore[arg-type]


def test_no_drift_between_compact_and_plain(estate: tuple[Inventory, Inventory]) -> None:
    compact, plain = estate

    def result(inv: Inventory) -> ScanResult:
        graph = ScanGraph(inv)
        reach = ReachIndex.build(graph)
        now = datetime(2026, 11, 20, tzinfo=UTC)
        ctx = RuleContext(graph=graph, reach=reach, now=now)
        found = {f.id: f for rule in RULES for f in rule.evaluate(ctx)}
        return ScanResult(
            generated_at=now,
            source="t",
            scopes=(),
            inventory=inv,
            reach=reach,
            findings=tuple(sorted(found.values(), key=lambda f: f.id)),
            rules=RULES,
            gaps=(),
        )

    a, b = result(compact), result(plain)
    assert [(f.id, f.message, f.blast_radius) for f in a.findings] == [
        (f.id, f.message, f.blast_radius) for f in b.findings
    ]
    assert [f.path for f in a.findings] == [f.path for f in b.findings]
    assert diff(snapshot(b), snapshot(a)).empty


def test_trust_delegating_to_the_account_goes_through_one_junction(tmp_path: Path) -> None:
    compact, plain = _pair(_trusting_account(tmp_path))
    trust = NodeId(f"aws:junction:trusts-account/{ACCT}")
    assert compact.is_junction(trust)
    holders = {e.src for e in compact.edges() if e.dst == trust}
    user = f"aws:user:arn:aws:iam::{ACCT}:user/"
    role = f"aws:role:arn:aws:iam::{ACCT}:role/"
    # dave may not assume deploy: he holds one edge per role he may assume, not the junction
    assert holders == {f"{user}alice", f"{user}bob", f"{user}carol", f"{role}ops"}
    assert _edges(compact) == _edges(plain)
    pairs = {(s, d) for s, d, k, v in _edges(compact) if v == TRUST_VIA}
    assert (f"{role}ops", f"{role}ops") not in pairs  # never to itself
    assert (f"{user}dave", f"{role}deploy") not in pairs
    assert (f"{user}dave", f"{role}release") in pairs
    steps = _reach(compact).paths_from(NodeId(f"{user}alice"), [NodeId(f"{role}deploy")])
    assert steps == {}  # a role reaches no resource here: nothing to explain, nothing invented
    g = ScanGraph(compact)
    [edge] = [e for e in g.out_edges(NodeId(f"{user}alice")) if e.dst == f"{role}release"]
    assert (edge.kind, edge.via) == (EdgeKind.CAN_ASSUME, TRUST_VIA)
    assert {e.src for e in g.in_edges(NodeId(f"{role}deploy"))} == {
        f"{user}alice",
        f"{user}bob",
        f"{user}carol",
        f"{role}ops",
    }


def test_the_bench_counts_the_grants_junctions_stand_for(estate: tuple[Inventory, Inventory]) -> None:
    compact, plain = estate
    expected = sum(1 for e in plain.edges() if e.kind is EdgeKind.GRANTS)
    assert logical_grants(compact) == logical_grants(plain) == expected
    assert sum(1 for e in compact.edges() if e.kind is EdgeKind.GRANTS) < expected
