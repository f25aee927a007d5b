"""The analysis pipeline: bundle → merged Inventory → graph → reach → rules → ScanResult."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.bundle import BundleReader
from scanner.drift.iac import DECLARED_FOLDERS, compare
from scanner.errors import BundleError
from scanner.findings import Finding
from scanner.graph import ScanGraph
from scanner.link import resolve_hints
from scanner.model import CoverageGap, Inventory
from scanner.plugins import ConnectorSpec
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from scanner.rules import RULES, Rule, RuleContext

log = logging.getLogger("regwarden")


@dataclass(frozen=True)
class LoadedBundle:
    """A bundle read and transformed: the merged inventory and what the manifest says."""

    inventory: Inventory
    scopes: tuple[str, ...]
    collected_at: datetime | None
    declared: Inventory | None = None  # what IaC states declare (bundle folders in DECLARED_FOLDERS)


def parse_time(value: str, what: str) -> datetime:
    """Parse an ISO-8601 timestamp; naive values are taken as UTC."""
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise BundleError(what, f"not an ISO-8601 time: {value!r}") from e
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def load_bundle(path: Path, connectors: Mapping[str, ConnectorSpec[Any]]) -> LoadedBundle:
    """Read every provider folder of a bundle with its connector and merge the inventories."""
    reader = BundleReader(path)
    manifest = reader.manifest
    inv = Inventory()
    declared: Inventory | None = None
    providers = reader.providers()
    if not providers:
        raise BundleError(str(path), "no provider folders (expected e.g. github/, pypi/, aws/)")
    for provider in providers:
        spec = connectors.get(provider)
        if spec is None:
            known = ", ".join(sorted(connectors))
            raise BundleError(f"{provider}/", f"no connector for this folder (known: {known})")
        t0 = time.perf_counter()
        part = spec.inventory(reader)
        log.info("read %s: %d nodes, %d edges (%.2fs)", provider, len(part), part.edge_count, time.perf_counter() - t0)
        if provider in DECLARED_FOLDERS:
            declared = declared or Inventory()
            declared.merge(part)
            continue
        inv.merge(part)
    for call in manifest.failed():
        inv.add_gap(CoverageGap(call.provider, call.scope, call.call, call.detail or "call failed"))
    collected = parse_time(manifest.collected_at, "manifest.json") if manifest.collected_at else None
    return LoadedBundle(inv, tuple(manifest.scopes), collected, declared)


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Most severe first, then the largest blast radius, then by id (stable across runs)."""
    return tuple(sorted(findings, key=lambda f: (-f.severity.rank, -f.blast_radius, f.id)))


def analyse(
    inventory: Inventory,
    *,
    source: str,
    scopes: Sequence[str] = (),
    as_of: datetime | None = None,
    rules: Sequence[Rule] = RULES,
    generated_at: datetime | None = None,
    declared: Inventory | None = None,
) -> ScanResult:
    """Resolve links, build the graph, compute reach for every node and run the rules."""
    t0 = time.perf_counter()
    linked = resolve_hints(inventory)
    graph = ScanGraph(inventory)
    log.info("graph: %d nodes, %d edges (%d linked across providers)", len(graph), graph.count_edges(), linked)
    reach = ReachIndex.build(graph)
    log.info("reach computed for all %d nodes (%d components)", reach.stats.nodes, reach.stats.components)
    now = as_of or datetime.now(UTC)
    ctx = RuleContext(graph=graph, reach=reach, now=now)
    findings: dict[str, Finding] = {}
    for rule in rules:
        for f in rule.evaluate(ctx):
            findings.setdefault(f.id, f)
    log.info("rules: %d findings (%.2fs)", len(findings), time.perf_counter() - t0)
    return ScanResult(
        generated_at=generated_at or datetime.now(UTC),
        source=source,
        scopes=tuple(scopes),
        inventory=inventory,
        reach=reach,
        findings=sort_findings(list(findings.values())),
        rules=tuple(rules),
        gaps=tuple(inventory.gaps),
        iac=compare(inventory, declared) if declared is not None else None,
        assessed={rule.id: rule.subjects(ctx) for rule in rules},
    )
