"""Absence means one thing everywhere (issue 15): every optional file of every test bundle is deleted in turn,
and the scan must then be partial (exit 3), name the missing file, and judge no subject from what the file
would have said.

The bundles are the demo estate and every connector's committed fixture bundle (``tests/fixtures/<p>/bundle``);
whatever files they hold are used, each matched to its row of the connector's ``bundle_files.yaml``
(:mod:`scanner.bundle_files`). For each deleted file:

* the exit code is 3 and report.json says ``partial``;
* a coverage gap or a ``not_assessed`` entry names the file by its bundle path (unless the row names a file
  that stands ``instead`` of it and the analysis is unchanged);
* for every control that needs a fact the row says the file supplies, each subject judged before is judged
  the same way after or listed as not assessed (never judged from the absence, never dropped unless the
  file was its only record or the control lists a subject not assessed for want of the file); so no control
  whose facts came from that file shows ``pass``;
* across the row's files, at least one deletion leaves such a subject not assessed for one of those facts
  (the row's ``facts`` are true).

Each provider folder is read once per bundle; a deletion re-reads only the folder it is in (through a
reader that lists every file but the deleted one) and merges it with the others, as ``load_bundle`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from connectors import CONNECTORS
from reports.json import build_document
from scanner.analyse import LoadedBundle, analyse, assemble
from scanner.bundle import MANIFEST, BundleReader
from scanner.bundle_files import BundleFile, load_table, render_markdown, row_of
from scanner.cli import EXIT_PARTIAL, FailOn, _exit_code
from scanner.graph import ScanGraph
from scanner.knowledge.facts import fact
from scanner.knowledge.facts import table as facts_table
from scanner.model import Inventory, NodeId
from scanner.result import ScanResult, verdict
from scanner.rules import RULES, RuleContext

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scanner" / "demo_estate" / "bundle"
FIXTURES = ROOT / "tests" / "fixtures"
DOCS = ROOT / "docs" / "bundle.md"
#: The connectors issue 15 holds to the rule.
CONNECTORS_HELD = ("aws", "azure", "dockerhub", "gcp", "github", "gitlab", "jfrog", "npm", "pypi")


def _bundles() -> dict[str, Path]:
    found = {"demo": DEMO}
    for b in sorted(FIXTURES.glob("*/bundle")):
        found[f"fixtures/{b.parent.name}"] = b
    return found


BUNDLES = _bundles()
TABLES: dict[str, tuple[BundleFile, ...]] = {
    name: load_table(spec.files) for name, spec in CONNECTORS.items() if spec.files is not None
}


def _listing(bundle: Path) -> list[str]:
    return list(BundleReader(bundle).files(""))


@cache
def _instances() -> dict[str, list[tuple[str, str]]]:
    """Row id -> the (bundle name, file) pairs of that kind in the test bundles."""
    out: dict[str, list[tuple[str, str]]] = {row.file: [] for rows in TABLES.values() for row in rows}
    for name, path in BUNDLES.items():
        for rel in _listing(path):
            row = row_of(TABLES.get(rel.split("/", 1)[0], ()), rel)
            if row is not None:
                out[row.file].append((name, rel))
    return out


def _rule_facts() -> dict[str, frozenset[str]]:
    """Rule id -> the facts (facts.yaml keys) its judge can find missing, read from the rule's code."""
    out = {}
    for rule in RULES:
        text = (ROOT / "scanner" / "rules" / f"{rule.id.lower()}.py").read_text(encoding="utf-8")
        out[rule.id] = frozenset(re.findall(r'missing\(\s*"(\w+)"', text))
    return out


RULE_FACTS = _rule_facts()

# --- reading a bundle once, and again without one file -------------------------------------------------


State = tuple[str, Any]  # ("judged", finding ids) or ("not-assessed", what is missing)


@dataclass
class Run:
    """One analysis: its result, the exit code it maps to, and every rule's verdict on each subject."""

    result: ScanResult
    code: int
    states: dict[tuple[str, NodeId], State]
    evidence: dict[NodeId, frozenset[str]]


def _run(loaded: LoadedBundle, now: datetime) -> Run:
    result = analyse(loaded.inventory, source="absence", scopes=loaded.scopes, as_of=now, declared=loaded.declared)
    ctx = RuleContext(graph=ScanGraph(result.inventory), reach=result.reach, now=now)
    found: dict[tuple[str, NodeId], set[str]] = {}
    for f in result.findings:
        found.setdefault((f.rule, f.subject), set()).add(f.id)
    states: dict[tuple[str, NodeId], State] = {}
    for rule in RULES:
        if rule.judge is None:
            continue
        for node, miss in rule.judge(ctx):
            key = (rule.id, node.id)
            if miss is None or key in found:
                states[key] = ("judged", frozenset(found.get(key, ())))
            else:
                states[key] = ("not-assessed", miss.what)
    evidence = {n.id: frozenset(e.file for e in n.evidence) for n in result.inventory.nodes()}
    return Run(result, _exit_code(result, FailOn.high), states, evidence)


@dataclass
class Loaded:
    """A bundle read once: its listing, each provider folder's inventory, and the analysis of the whole."""

    root: Path
    files: list[str]
    parts: dict[str, Inventory]
    now: datetime
    baseline: Run

    def without(self, rel: str) -> Run:
        """The analysis of the bundle with ``rel`` deleted (only its provider folder is read again)."""
        reader = BundleReader.listed(self.root, [f for f in self.files if f != rel])
        provider = rel.split("/", 1)[0]
        parts = {**self.parts, provider: CONNECTORS[provider].inventory(reader)}
        return _run(assemble(reader, parts), self.now)


@cache
def _loaded(name: str) -> Loaded:
    root = BUNDLES[name]
    reader = BundleReader(root)
    files = list(reader.files(""))
    parts = {p: CONNECTORS[p].inventory(reader) for p in reader.providers()}
    loaded = assemble(reader, parts)
    # Both analyses judge ages as of one time (the bundle's collection time when it has one).
    now = loaded.collected_at or datetime(2026, 11, 28, tzinfo=UTC)
    return Loaded(root, files, parts, now, _run(loaded, now))


# --- the tables ------------------------------------------------------------------------------------------


def test_every_connector_held_has_a_table() -> None:
    assert set(CONNECTORS_HELD) <= set(TABLES)


def test_every_bundle_file_is_a_row_of_its_connectors_table() -> None:
    problems = []
    for name, path in BUNDLES.items():
        for rel in _listing(path):
            provider = rel.split("/", 1)[0]
            if rel != MANIFEST and provider in TABLES and row_of(TABLES[provider], rel) is None:
                problems.append(f"{name}: {rel} is of no row of connectors/{provider}/bundle_files.yaml")
    assert not problems, "\n".join(problems)


def test_every_row_is_a_fact_of_facts_yaml_read_from_that_file() -> None:
    """A row's facts are rows of facts.yaml whose source for that provider names the file."""
    problems = []
    for provider, rows in TABLES.items():
        for row in rows:
            for key in row.facts:
                assert key in facts_table(), f"{row.file}: {key} is not a row of facts.yaml"
                where = fact(key).sources.get(provider)
                if where is None or not _mentions(where, row.file):
                    problems.append(f"{provider} {key}: facts.yaml says {where!r}, the table reads it from {row.file}")
    assert not problems, "\n".join(problems)


def _mentions(text: str, pattern: str) -> bool:
    """Whether ``text`` names files of ``pattern``: its last two path segments, where a placeholder of the
    pattern stands for a placeholder of the text (``{owner}``, ``<owner>``) or a literal (``yml``)."""
    *_, parent, last = pattern.split("/")
    any_name = r"(?:<[^>]*>|\{[^}]*\}|[^/\s`|<>{}]+)"

    def rx(segment: str) -> str:
        return any_name.join(re.escape(p) for p in re.split(r"\{[^}]*\}", segment))

    # A table listing the files of one folder may name them without it (``aws/<account>/``'s files).
    prefix = f"(?:{rx(parent)}/)?" if re.fullmatch(r"\{[^}]*\}", parent) else f"{rx(parent)}/"
    return re.search(prefix + rx(last), text) is not None


def test_docs_render_the_tables() -> None:
    """docs/bundle.md's "When a file is absent" section is rendered from the tables (python -m
    scanner.bundle_files rewrites it)."""
    text = DOCS.read_text(encoding="utf-8")
    assert render_markdown(TABLES) in text, "run: python -m scanner.bundle_files"


def test_docs_say_how_to_collect_every_file() -> None:
    """Each file of a table is documented with the call or command that produces it (its provider's section
    of docs/bundle.md, outside the rendered tables)."""
    text = DOCS.read_text(encoding="utf-8")
    how = text.replace(render_markdown(TABLES), "")
    missing = [row.file for rows in TABLES.values() for row in rows if not _mentions(how, row.file)]
    assert not missing, missing


# --- deleting each optional file in turn -------------------------------------------------------------------

OPTIONAL = [(p, row) for p, rows in sorted(TABLES.items()) for row in rows if row.presence == "optional"]


def _names(run: Run, rel: str) -> bool:
    said = [f"{g.what} {g.reason}" for g in run.result.gaps]
    said += [u.missing for _, u in run.result.unjudged]
    return any(rel in s for s in said)


def _same(a: Run, b: Run) -> bool:
    """Whether two analyses say the same: a file another one stands in for was absent (``instead``)."""
    gaps = {(g.provider, g.scope, g.what, g.reason) for g in a.result.gaps}
    return (
        a.code == b.code
        and a.states == b.states
        and {f.id for f in a.result.findings} == {f.id for f in b.result.findings}
        and gaps == {(g.provider, g.scope, g.what, g.reason) for g in b.result.gaps}
    )


def _checked_controls(row: BundleFile) -> list[str]:
    return sorted(rid for rid, facts in RULE_FACTS.items() if facts & set(row.facts))


def _labels(row: BundleFile) -> tuple[str, ...]:
    return tuple(f"{fact(k).label}:" for k in row.facts)


def _check(loaded: Loaded, rel: str, row: BundleFile, after: Run) -> Iterator[str]:
    """What is wrong with the analysis of the bundle without ``rel``."""
    if row.instead and _same(loaded.baseline, after):
        return  # the file that stands in for it said all it would have said
    if after.code != EXIT_PARTIAL:
        yield f"exit code {after.code}, not {EXIT_PARTIAL}"
    if not build_document(after.result).partial:
        yield "report.json is not partial"
    if not _names(after, rel):
        yield "no coverage gap and no not_assessed entry names it"
    before = loaded.baseline
    for rid in _checked_controls(row):
        # What only the file showed (an action inside an uncollected composite action) may leave with it when
        # the control lists, naming the file, the subject it could not judge for want of it.
        accounted = any(
            r == rid and st[0] == "not-assessed" and rel in str(st[1]) for (r, _), st in after.states.items()
        )
        for (r, subject), state in before.states.items():
            if r != rid:
                continue
            now = after.states.get((r, subject))
            if now is None:
                if before.evidence.get(subject, frozenset()) != {rel} and not accounted:
                    yield f"{rid}: {subject} is no longer a subject"
            elif now != state and now[0] != "not-assessed":
                yield f"{rid}: {subject} was {state}, now {now}"
        cov = after.result.coverage.get(rid)
        opened = sum(1 for f in after.result.findings if f.rule == rid)
        if verdict(opened, cov) == "pass" and any(
            s[0] == "not-assessed" for (r, _), s in after.states.items() if r == rid
        ):
            yield f"{rid} shows pass with a subject not assessed"


def _newly_unassessed(loaded: Loaded, row: BundleFile, after: Run) -> bool:
    labels, controls = _labels(row), _checked_controls(row)
    return any(
        key[0] in controls
        and state[0] == "not-assessed"
        and str(state[1]).startswith(labels)
        and loaded.baseline.states.get(key) != state
        for key, state in after.states.items()
    )


@pytest.mark.parametrize(("provider", "row"), OPTIONAL, ids=[row.file for _, row in OPTIONAL])
def test_an_absent_optional_file_is_not_assessed_and_named(provider: str, row: BundleFile) -> None:
    instances = _instances()[row.file]
    assert instances, f"no test bundle holds a {row.file}: add one to tests/fixtures/{provider}/bundle"
    problems: list[str] = []
    shown = False
    for name, rel in instances:
        loaded = _loaded(name)
        after = loaded.without(rel)
        problems += [f"{name}: without {rel}: {p}" for p in _check(loaded, rel, row, after)]
        shown = shown or _newly_unassessed(loaded, row, after)
    assert not problems, "\n".join(problems)
    if row.facts:
        assert shown, (
            f"no deletion of a {row.file} left a subject of {', '.join(_checked_controls(row))} not assessed for "
            f"{', '.join(row.facts)}: the row's facts are wrong, or no test bundle exercises them"
        )


# --- required files whose absence another file reveals ------------------------------------------------------

NAMED_REQUIRED = [
    (p, row) for p, rows in sorted(TABLES.items()) for row in rows if row.presence == "required" and row.named
]


@pytest.mark.parametrize(("provider", "row"), NAMED_REQUIRED, ids=[row.file for _, row in NAMED_REQUIRED])
def test_an_absent_required_file_that_another_file_names_is_a_gap(provider: str, row: BundleFile) -> None:
    """What such a file lists leaves the scan with it, but the scan says so: partial, with a gap naming it."""
    instances = _instances()[row.file]
    assert instances, f"no test bundle holds a {row.file}: add one to tests/fixtures/{provider}/bundle"
    problems: list[str] = []
    for name, rel in instances:
        after = _loaded(name).without(rel)
        if after.code != EXIT_PARTIAL:
            problems.append(f"{name}: without {rel}: exit code {after.code}")
        if not any(rel in f"{g.what} {g.reason}" for g in after.result.gaps):
            problems.append(f"{name}: without {rel}: no coverage gap names it")
    assert not problems, "\n".join(problems)
