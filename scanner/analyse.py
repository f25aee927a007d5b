"""The analysis pipeline: bundle → merged Inventory → graph → reach → rules → ScanResult."""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.bundle import MANIFEST, BundleReader
from scanner.drift.iac import DECLARED_FOLDERS, compare
from scanner.errors import BundleError
from scanner.findings import Finding
from scanner.graph import ScanGraph
from scanner.link import resolve_hints
from scanner.model import CoverageGap, Inventory, NodeId
from scanner.owners import OwnerRule, OwnershipSettings, resolve
from scanner.plugins import ConnectorSpec
from scanner.prefetch import Prefetch
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from scanner.rules import RULES, Rule, RuleContext
from scanner.rules.base import Coverage

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


#: A bundle with at least this many files has them asked of the disk ahead of its readers (scanner/prefetch.py).
PREFETCH_MIN_FILES = 1_000
#: A bundle with at least this many files is read on both cores: the heaviest provider folder here,
#: the others shared between here and one worker process (started fresh, so small bundles are read
#: here alone).
PARALLEL_MIN_FILES = 5_000
#: Relative cost of reading a folder: its bytes plus this much per file (measured on the benchmark's
#: large estate, collector paused: AWS reads ~16 MB/s in a few big files, 181 MB in 11.5 s; GitHub's
#: 46,777 small files (19 MB) take ~15 s, ~0.3 ms a file, as each workflow is parsed and analysed;
#: PyPI's 12,785 (7 MB) ~2.9 s). The figure is a compromise between the two ...
_PER_FILE = 3_000
#: ... and what a worker costs besides its reading (start and imports, ~0.8 s, which now mostly overlap
#: the listing; pickling the inventories back and unpickling them here, ~2 s for GitHub's at large),
#: in the same unit: ~2.5-4 s. (On the benchmark's large estate: AWS and PyPI
#: here, GitHub in the worker, 22.6-25.0 s; with 2,000 a file the plan sent PyPI to the worker too,
#: 27.1 s; with 5,000 it keeps GitHub here and sends AWS and PyPI away, 23.5 s.)
_WORKER = 45_000_000


def _read_parts(root: str, specs: list[ConnectorSpec[Any]], files: list[str]) -> list[Inventory]:
    """Read provider folders, one after the other (the worker process's job); ``files`` is the
    bundle's listing, so the worker does not walk the folder again."""
    from scanner.heap import collector_paused

    reader = BundleReader.listed(Path(root), files)
    with collector_paused():
        return [spec.inventory(reader) for spec in specs]


def _plan(
    root: Path, files: list[str], providers: list[str], min_files: int, worker_cost: int
) -> tuple[list[str], list[str]]:
    """Providers read here and in the worker (none when a worker would not pay for itself): the
    heaviest here, then each of the others, heaviest first, where the load is lighter. ``files``
    is the bundle's listing."""
    if len(providers) < 2 or len(files) < min_files:
        return providers, []
    cost = folder_costs(root, files, providers)
    order = sorted(providers, key=lambda p: (-cost[p], p))
    here, away = [order[0]], []
    load_here, load_away = cost[order[0]], worker_cost
    for p in order[1:]:
        if load_away < load_here:
            away.append(p)
            load_away += cost[p]
        else:
            here.append(p)
            load_here += cost[p]
    return sorted(here), sorted(away)


#: A folder's bytes are estimated from at most this many of its files, evenly spaced in the listing:
#: the plan only weighs folders against each other, and a stat of each of a big bundle's files
#: (~60,000 at large) took ~0.4 s that both processes waited for.
_SIZED = 1_000


def folder_costs(root: Path, files: list[str], providers: list[str]) -> dict[str, int]:
    """Each provider folder's reading cost in the plan's unit: its bytes (every file's size for a
    folder of up to :data:`_SIZED` files, else scaled from that many evenly spaced ones) plus
    :data:`_PER_FILE` a file."""
    listed: dict[str, list[str]] = {p: [] for p in providers}
    for rel in files:
        top = rel.split("/", 1)[0]
        if top in listed:
            listed[top].append(rel)
    cost: dict[str, int] = {}
    for p, rels in listed.items():
        step = -(-len(rels) // _SIZED) or 1  # ceil: at most _SIZED sizes read
        sized = rels[::step]
        size = 0
        for rel in sized:
            with contextlib.suppress(OSError):  # gone or unreadable: its reader will say so, by name
                size += os.stat(os.path.join(root, rel)).st_size
        cost[p] = (size * len(rels) // len(sized) if sized else 0) + _PER_FILE * len(rels)
    return cost


def _reader_pool() -> concurrent.futures.ProcessPoolExecutor:
    """The reading worker: one process, started by "spawn" (no fork: a scan may have threads running),
    with its cyclic garbage collector off for its whole life. It only reads, hands its inventories
    back and ends. With the collector merely paused around the reading, as in this process, the first
    passes after it walked everything the reading had made while the result was pickled: ~2.1 s on
    the benchmark's large estate, all of it while this process waited."""
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=gc.disable
    )


def _warm(providers: list[str]) -> None:
    """A worker's first task, sent while the bundle is still being listed: import what reading
    ``providers`` needs, so the process is ready when its folders are known."""
    from scanner.plugins import connectors as registry

    table = registry()
    for p in providers:
        if p in table:
            table[p]  # the lookup imports the connector


def load_bundle(
    path: Path,
    connectors: Mapping[str, ConnectorSpec[Any]],
    *,
    parallel_min_files: int = PARALLEL_MIN_FILES,
    worker_cost: int = _WORKER,
    prefetch_min_files: int = PREFETCH_MIN_FILES,
) -> LoadedBundle:
    """Read every provider folder of a bundle with its connector and merge the inventories (in
    provider order, whichever process read them: the result does not depend on the plan)."""
    pools: list[concurrent.futures.ProcessPoolExecutor] = []

    def start_worker(tops: list[str]) -> None:
        # The bundle is big enough for a worker: start its process now, while the walk goes on
        # (starting Python and importing the connectors takes ~0.8 s); the plan below decides later
        # whether it reads anything.
        if len(tops) >= 2:
            pool = _reader_pool()
            pools.append(pool)
            pool.submit(_warm, sorted(tops))

    reader = BundleReader(path, on_many_files=(parallel_min_files, start_worker))
    try:
        return _load(reader, path, connectors, parallel_min_files, worker_cost, pools, prefetch_min_files)
    finally:
        for pool in pools:  # a worker the plan did not use ends after its warm-up, unwaited for
            pool.shutdown(wait=False, cancel_futures=True)


def _load(
    reader: BundleReader,
    path: Path,
    connectors: Mapping[str, ConnectorSpec[Any]],
    parallel_min_files: int,
    worker_cost: int,
    pools: list[concurrent.futures.ProcessPoolExecutor],
    prefetch_min_files: int = PREFETCH_MIN_FILES,
) -> LoadedBundle:
    manifest = reader.manifest
    providers = reader.providers()
    if not providers and not manifest.calls:
        # A collection whose every call failed still has its manifest: that is a partial scan with
        # nothing assessed, not bad input.
        raise BundleError(str(path), "no provider folders (expected e.g. github/, pypi/, aws/)")
    for provider in providers:
        if provider not in connectors:
            known = ", ".join(sorted(connectors))
            raise BundleError(f"{provider}/", f"no connector for this folder (known: {known})")
    parts: dict[str, Inventory] = {}
    files = list(reader.files(""))
    here, away = _plan(path, files, providers, parallel_min_files, worker_cost)
    if len(files) >= prefetch_min_files:
        # each process's files in its reading order, asked of the disk ahead of it (scanner/prefetch.py)
        by_top: dict[str, list[str]] = {}
        for rel in files:
            by_top.setdefault(rel.split("/", 1)[0], []).append(rel)
        streams = [[rel for p in group for rel in by_top.get(p, ())] for group in (away, here) if group]
        prefetch = Prefetch(str(path), streams)
        try:
            return _read(reader, path, connectors, providers, here, away, files, pools, parts)
        finally:
            prefetch.stop()
    return _read(reader, path, connectors, providers, here, away, files, pools, parts)


def _read(
    reader: BundleReader,
    path: Path,
    connectors: Mapping[str, ConnectorSpec[Any]],
    providers: list[str],
    here: list[str],
    away: list[str],
    files: list[str],
    pools: list[concurrent.futures.ProcessPoolExecutor],
    parts: dict[str, Inventory],
) -> LoadedBundle:
    if away and _picklable([connectors[p] for p in away]):
        if not pools:
            pools.append(_reader_pool())
        pool = pools[0]
        # manifest.json too: connectors read its not_found and failed calls (an absent file's reason)
        listing = [f for f in files if f.split("/", 1)[0] in away or f == MANIFEST]
        try:
            later = pool.submit(_read_parts, str(path), [connectors[p] for p in away], listing)
        except concurrent.futures.process.BrokenProcessPool as e:  # it died while warming up
            log.warning("the reader process failed (%s); reading %s here", e, ", ".join(away))
        else:
            for provider in here:
                parts[provider] = _read_one(reader, provider, connectors[provider])
            t0 = time.perf_counter()
            try:
                for provider, part in zip(away, later.result(), strict=True):
                    parts[provider] = part
                    log.info("read %s in a worker: %d nodes, %d edges", provider, len(part), part.edge_count)
                log.info("waited %.2fs for the worker", time.perf_counter() - t0)
            except concurrent.futures.process.BrokenProcessPool as e:
                # The worker could not start or died (a caller's script without a __main__ guard
                # under "spawn", the memory killer): read those folders here instead.
                log.warning("the reader process failed (%s); reading %s here", e, ", ".join(away))
    for provider in providers:
        if provider not in parts:
            parts[provider] = _read_one(reader, provider, connectors[provider])
    return assemble(reader, parts)


def assemble(reader: BundleReader, parts: Mapping[str, Inventory]) -> LoadedBundle:
    """Merge the inventories read from each provider folder of ``reader``'s bundle (in provider order) with
    what its manifest and walk say: failed calls and refused entries become coverage gaps."""
    manifest = reader.manifest
    inv = Inventory()
    declared: Inventory | None = None
    for provider in sorted(parts):
        if provider in DECLARED_FOLDERS:
            declared = declared or Inventory()
            declared.merge(parts[provider])
        else:
            inv.merge(parts[provider])
    for call in manifest.failed():
        inv.add_gap(CoverageGap(call.provider, call.scope, call.call, call.detail or "call failed"))
    for rel, why in reader.refused:  # a link out of the bundle or a loop: not read, so not assessed
        inv.add_gap(CoverageGap(rel.split("/", 1)[0], "bundle", f"file {rel}", why))
    collected = parse_time(manifest.collected_at, "manifest.json") if manifest.collected_at else None
    return LoadedBundle(inv, tuple(manifest.scopes), collected, declared)


def _read_one(reader: BundleReader, provider: str, spec: ConnectorSpec[Any]) -> Inventory:
    t0 = time.perf_counter()
    part = spec.inventory(reader)
    log.info("read %s: %d nodes, %d edges (%.2fs)", provider, len(part), part.edge_count, time.perf_counter() - t0)
    return part


def _picklable(specs: list[ConnectorSpec[Any]]) -> bool:
    """Connectors defined at module level can run in a worker; others (made up in a test, say) cannot."""
    try:
        pickle.dumps(specs)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Most severe first, then the largest blast radius, then by id (stable across runs)."""
    return tuple(sorted(findings, key=lambda f: (-f.severity.rank, -f.blast_radius, f.id)))


def coverage_of(rules: Sequence[Rule], ctx: RuleContext, findings: Iterable[Finding]) -> dict[str, Coverage]:
    """Each rule's subjects and those it could not judge; a subject with a finding of the rule was judged."""
    found: dict[str, set[NodeId]] = {}
    for f in findings:
        found.setdefault(f.rule, set()).add(f.subject)
    return {rule.id: rule.coverage(ctx, frozenset(found.get(rule.id, ()))) for rule in rules}


def analyse(
    inventory: Inventory,
    *,
    source: str,
    scopes: Sequence[str] = (),
    as_of: datetime | None = None,
    rules: Sequence[Rule] = RULES,
    generated_at: datetime | None = None,
    declared: Inventory | None = None,
    owner_rules: Sequence[OwnerRule] = (),
    ownership: OwnershipSettings | None = None,
) -> ScanResult:
    """Resolve links, build the graph, compute reach for every node, run the rules and resolve every
    node's owners (``owner_rules``: ``[[owners]]``; ``ownership``: ``[ownership]``)."""
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
        coverage=coverage_of(rules, ctx, findings.values()),
        owners=resolve(inventory, declared=declared, rules=owner_rules, settings=ownership),
    )
