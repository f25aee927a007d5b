"""``report.json``: the versioned, machine-readable report, with its JSON Schema.

The document is built from frozen pydantic models whose field order is the output order, and every
list in it is sorted, so two renders of the same scan differ only in ``generated_at``. The schema
is generated from the same models and committed at ``reports/schema/report-v2.schema.json``;
regenerate it with ``python -m reports --schema`` (or :func:`write_schema`).

Version 2 stores each distinct blast radius once: identities that reach exactly the same
(resource, action) pairs — a fleet of roles with the same policies — refer to one entry of
``reach_sets``, and ``resources`` carries per-action counts of who can reach them (the lists are a
join of ``identities`` and ``reach_sets``; docs/report.md shows it). Version 1 repeated every
blast radius per identity and its inverse per resource: 3.8 GB on the benchmark's large estate
(90k identities and 1.36M grants then), where version 2 wrote 0.5 GB.
"""

from __future__ import annotations

import argparse
import json
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from reports._atomic import write_atomic, write_atomic_bytes
from scanner.findings import Fact, Finding, PathStep, Severity, Status
from scanner.model import ACTIONS, WRITE_ACTIONS, Action, EdgeKind, Evidence, Inventory, NodeId, NodeKind
from scanner.owners import FindingOwners, OwnerIndex
from scanner.reach import Reached, ReachIndex
from scanner.result import ScanResult, verdict
from scanner.rules.base import Coverage, Rule
from scanner.rules.controls import CONTROLS, Control

SCHEMA_VERSION: Literal["2.0"] = "2.0"
SCHEMA_PATH = Path(__file__).parent / "schema" / "report-v2.schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: Node kinds whose blast radius is reported (people and resources reach nothing by themselves).
SOURCE_KINDS: tuple[NodeKind, ...] = (
    NodeKind.CREDENTIAL,
    NodeKind.IDENTITY,
    NodeKind.SECRET,
    NodeKind.THIRD_PARTY,
)
#: Actions that make a resource part of the production trust boundary when someone holds them.
_WRITE_OR_DEPLOY = WRITE_ACTIONS | {Action.DEPLOY}
_SEVERITIES = sorted(Severity, key=lambda s: -s.rank)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_M = TypeVar("_M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__


def constructor(cls: type[_M]) -> Callable[..., _M]:
    """``cls.model_construct`` for values already typed, at a fraction of its cost: a big scan builds
    half a million entries. Every field must be passed, by name, with no alias; anything else
    (a missing or unknown name) goes through ``model_construct`` itself. The instance is the one
    ``model_construct`` makes: the same ``__dict__`` (field order), fields set, no extra and no private
    values (``tests/reports/test_json.py`` holds them equal)."""
    fields = cls.model_fields
    names = tuple(fields)
    if (
        any(f.alias is not None or f.validation_alias is not None for f in fields.values())
        or cls.__pydantic_post_init__
        or cls.__pydantic_root_model__
        or cls.model_config.get("extra") == "allow"
    ):
        return cls.model_construct
    wanted = frozenset(names)
    slow = cls.model_construct

    def make(**values: Any) -> _M:
        # keyword arguments keep the caller's order: in field order (as every caller here passes
        # them) the fresh dict is the instance's; in another order it is rearranged
        if tuple(values) != names:
            if values.keys() != wanted:
                return slow(**values)
            values = {k: values[k] for k in names}
        m = _new(cls)
        _set(m, "__dict__", values)
        _set(m, "__pydantic_fields_set__", set(wanted))
        _set(m, "__pydantic_extra__", None)
        _set(m, "__pydantic_private__", None)
        return m

    return make


class Tool(_Model):
    """The program that wrote the report."""

    name: str
    version: str


class Gap(_Model):
    """A scope or call that was not assessed."""

    provider: str
    scope: str
    what: str
    reason: str


class Summary(_Model):
    """Counts over the whole scan; every enum key is present, zero counts included."""

    not_assessed: int = Field(ge=0, description="subjects of controls that could not be judged")
    not_collected: int = Field(ge=0, description="of those, the ones whose missing fact is a file or call")
    nodes_by_kind: dict[NodeKind, int]
    edges_by_kind: dict[EdgeKind, int]
    findings_by_severity: dict[Severity, int]
    findings_by_status: dict[Status, int]
    findings_by_control: dict[str, int]


class Subject(_Model):
    """The node a finding is about (``kind`` is null only if the node is missing from the inventory)."""

    id: str
    name: str
    kind: NodeKind | None
    provider: str


class PathStepOut(_Model):
    """One edge of an evidence path, in the direction reach walked it."""

    src: str
    dst: str
    kind: EdgeKind = Field(description="runs_code_of steps are walked backwards: src is the third party, dst the job")
    actions: tuple[Action, ...] = Field(description="in the fixed order READ, PUBLISH, PROMOTE, DEPLOY, ADMIN")
    via: str


class Location(_Model):
    """The bundle file (and line) the subject was read from."""

    file: str
    line: int | None


class FactOut(_Model):
    """A fact that makes a finding true, and the bundle files it was read from."""

    text: str
    files: tuple[str, ...] = Field(description="bundle files (with :line where known)")


class OwnerOut(_Model):
    """Who owns what a finding is about, and how regwarden knows (docs/owners.md)."""

    name: str = Field(description="a person, team or account, as the source names it")
    source: str = Field(
        description="config, tag, codeowners, token_owner, repository_team, project_member, package_maintainer, "
        "iam_path or terraform_module (scanner/knowledge/owners.yaml)"
    )
    via: str = Field(description="what says so: the tag key, the CODEOWNERS rule, the module address …")
    node: str = Field(description="the node owned: the subject, else the first node of the path that has an owner")
    files: tuple[str, ...] = Field(description="bundle files it was read from (with :line where known)")


class FindingOut(_Model):
    """A rule's verdict on one subject, with its control, mappings, evidence path and remediation."""

    id: str
    rule: str
    rule_title: str
    control_title: str
    severity: Severity
    status: Status
    subject: Subject
    message: str
    blast_radius: int = Field(ge=0, description="(resource, action) pairs the subject reaches")
    path: tuple[PathStepOut, ...]
    owasp_nhi: tuple[str, ...]
    nist_csf: tuple[str, ...]
    remediation: str
    location: Location | None
    suppression: str | None
    facts: tuple[FactOut, ...] = Field(description="what makes it true, each with its evidence files")
    owners: tuple[OwnerOut, ...] = Field(
        default=(), description="who fixes it: the subject's owners, else the first path node's; empty: unknown"
    )
    owners_not_collected: str | None = Field(
        default=None,
        description="when owners is empty: the bundle file that would have named them but was not collected "
        "(the owners are not collected rather than unknown)",
    )


class NotAssessedOut(_Model):
    """A subject a control applies to that it could not judge, and the fact that was missing."""

    subject: str
    name: str
    missing: str = Field(description="the fact, and the bundle file it is read from (or why it is not read)")
    collectable: bool = Field(description="true: a file or call was missing from the bundle (the scan is partial)")


class ControlOut(_Model):
    """A control, its verdict, how many of its subjects were judged, and what kept the others from it."""

    id: str
    title: str
    owasp_nhi: tuple[str, ...]
    nist_csf: tuple[str, ...]
    verdict: Literal["pass", "fail", "not-assessed"] = Field(
        description="fail: an open finding; pass: every subject judged and none failed; not-assessed: no "
        "subject, or a subject could not be judged"
    )
    assessed: bool = Field(description="a rule for it ran and judged at least one subject")
    findings: int = Field(ge=0, description="findings of the control, open and suppressed")
    subjects: int = Field(ge=0, description="what the control applies to in this estate")
    judged: int = Field(ge=0, description="subjects judged with every fact the control needs")
    needs: str = Field(description="what the control reads (why it has no subject when none was collected)")
    not_assessed: tuple[NotAssessedOut, ...] = Field(description="subjects not judged, by subject id")


class ReachedOut(_Model):
    """A resource and the action classes reached on it."""

    resource: str
    actions: tuple[Action, ...]


class IdentityOut(_Model):
    """A credential, identity, secret or third party with a non-empty blast radius."""

    id: str
    name: str
    kind: NodeKind
    provider: str
    subtype: str
    blast_radius: int = Field(ge=1, description="(resource, action) pairs reached")
    reach_set: str = Field(description="id of the entry of reach_sets that lists them")


class ReachSetOut(_Model):
    """A blast radius shared by every identity whose ``reach_set`` names it."""

    id: str = Field(description="R1, R2, … in the order of the first identity (by id) that holds it")
    holders: int = Field(ge=1, description="identities with this reach set")
    blast_radius: tuple[ReachedOut, ...] = Field(description="sorted by resource id")


class ResourceOut(_Model):
    """A resource someone can write or deploy, and how many identities can reach it with each action."""

    id: str
    name: str
    who_can: dict[Action, int] = Field(
        description="identities per action; which ones: those whose reach set reaches the resource with it"
    )


class Report(_Model):
    """regwarden's report document, version 1."""

    model_config = ConfigDict(title="regwarden report")

    schema_version: Literal["2.0"]
    generated_at: AwareDatetime = Field(description="UTC; the only field that differs between two runs")
    tool: Tool
    source: str
    scopes: tuple[str, ...]
    partial: bool
    coverage_gaps: tuple[Gap, ...]
    summary: Summary
    findings: tuple[FindingOut, ...] = Field(
        description="most severe first, then by blast radius (largest first), then by id"
    )
    controls: tuple[ControlOut, ...]
    identities: tuple[IdentityOut, ...]
    reach_sets: tuple[ReachSetOut, ...]
    resources: tuple[ResourceOut, ...]


# -- building the document ------------------------------------------------------------------------


#: Constructors of the entries a big document holds many of (see :func:`constructor`).
_Subject = constructor(Subject)
_PathStepOut = constructor(PathStepOut)
_Location = constructor(Location)
_FactOut = constructor(FactOut)
_OwnerOut = constructor(OwnerOut)
_FindingOut = constructor(FindingOut)
_ReachedOut = constructor(ReachedOut)
_IdentityOut = constructor(IdentityOut)
_ReachSetOut = constructor(ReachSetOut)
_ResourceOut = constructor(ResourceOut)


def _tool_version() -> str:
    try:
        return version("regwarden")
    except PackageNotFoundError:
        return "0+unknown"


_ACTIONS_CACHE: dict[frozenset[Action], tuple[Action, ...]] = {}


def _actions(actions: Iterable[Action]) -> tuple[Action, ...]:
    acts = actions if isinstance(actions, frozenset) else frozenset(actions)
    found = _ACTIONS_CACHE.get(acts)
    if found is None:
        found = _ACTIONS_CACHE[acts] = tuple(a for a in ACTIONS if a in acts)
    return found


def _utc(ts: datetime) -> datetime:
    # A naive timestamp from the scanner means UTC (the scanner never uses local time).
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def finding_sort_key(f: Finding) -> tuple[int, int, str]:
    """Most severe first, then largest blast radius, then id."""
    return (-f.severity.rank, -f.blast_radius, f.id)


def _control_for(rule_id: str, rules: dict[str, Rule]) -> Control:
    known = CONTROLS.get(rule_id)
    if known is not None:
        return known
    rule = rules.get(rule_id)
    return Control(rule_id, rule.title if rule else rule_id, (), ())


def _subject(inv: Inventory, nid: NodeId) -> Subject:
    node = inv.get(nid)
    if node is None:
        return _Subject(id=nid, name=nid, kind=None, provider="")
    return _Subject(id=nid, name=node.name, kind=node.kind, provider=node.provider)


def _owners(found: FindingOwners | None) -> tuple[OwnerOut, ...]:
    if found is None:
        return ()
    out = _OwnerOut
    return tuple(
        out(name=o.name, source=o.source, via=o.via, node=found.node, files=_files(o.evidence)) for o in found.owners
    )


class _Shared:
    """Path steps and facts of the findings, each converted once: the rules share them between
    findings (paths through the same group, role or registry), and so does the document (its models
    are frozen). By the source object's id; ``_kept`` holds each, so no id is reused meanwhile."""

    def __init__(self) -> None:
        self._steps: dict[int, PathStepOut] = {}
        self._facts: dict[int, FactOut] = {}
        self._kept: list[object] = []

    def step(self, s: PathStep) -> PathStepOut:
        found = self._steps.get(id(s))
        if found is None:
            self._kept.append(s)
            found = self._steps[id(s)] = _PathStepOut(
                src=s.src, dst=s.dst, kind=s.kind, actions=_actions(s.actions), via=s.via
            )
        return found

    def fact(self, x: Fact) -> FactOut:
        found = self._facts.get(id(x))
        if found is None:
            self._kept.append(x)
            found = self._facts[id(x)] = _FactOut(text=x.text, files=_files(x.evidence))
        return found


def _finding(f: Finding, inv: Inventory, rules: dict[str, Rule], owners: OwnerIndex, shared: _Shared) -> FindingOut:
    # Typed values from the scan result: constructed without re-validating tens of thousands of
    # findings (the schema test validates the written document).
    control = _control_for(f.rule, rules)
    rule = rules.get(f.rule)
    found = owners.for_finding(f)
    return _FindingOut(
        id=f.id,
        rule=f.rule,
        rule_title=rule.title if rule else control.title,
        control_title=control.title,
        severity=f.severity,
        status=f.status,
        subject=_subject(inv, f.subject),
        message=f.message,
        blast_radius=f.blast_radius,
        path=tuple([shared.step(s) for s in f.path]),
        owasp_nhi=tuple(control.owasp_nhi),
        nist_csf=tuple(control.nist_csf),
        remediation=rule.remediation if rule else "",
        location=_Location(file=f.location.file, line=f.location.line) if f.location else None,
        suppression=f.suppression,
        facts=tuple([shared.fact(x) for x in f.facts]),
        owners=_owners(found),
        owners_not_collected=None if found else owners.not_collected_for(f),
    )


def _files(evidence: Iterable[Evidence]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{e.file}:{e.line}" if e.line else e.file for e in evidence))


def _summary(result: ScanResult) -> Summary:
    inv = result.inventory
    nodes = Counter(n.kind for n in inv.nodes())
    # as stored: an edge out of a junction once, none into one (docs/model.md, compact relations)
    edges = Counter(e.kind for e in inv.edges() if not inv.is_junction(e.dst))
    sev = Counter(f.severity for f in result.findings)
    status = Counter(f.status for f in result.findings)
    by_rule = Counter(f.rule for f in result.findings)
    controls = sorted(set(CONTROLS) | {r.id for r in result.rules} | set(by_rule))
    return Summary(
        not_assessed=len(result.unjudged),
        not_collected=result.uncollected,
        nodes_by_kind={k: nodes[k] for k in NodeKind},
        edges_by_kind={k: edges[k] for k in EdgeKind},
        findings_by_severity={s: sev[s] for s in _SEVERITIES},
        findings_by_status={s: status[s] for s in Status},
        findings_by_control={c: by_rule[c] for c in controls},
    )


def _controls(result: ScanResult, rules: dict[str, Rule]) -> tuple[ControlOut, ...]:
    by_rule = Counter(f.rule for f in result.findings)
    open_ = Counter(f.rule for f in result.findings if f.status is Status.OPEN)
    ids = sorted(set(CONTROLS) | set(rules) | set(by_rule))
    inv = result.inventory
    out = []
    for cid in ids:
        c = _control_for(cid, rules)
        # A rule that ran without saying what it applies to counts as one judged subject (Rule.coverage).
        cov = result.coverage.get(cid, Coverage(1)) if cid in rules else None
        subjects = cov.subjects if cov is not None else 0
        judged = cov.judged if cov is not None else 0
        unjudged = cov.unjudged if cov is not None else ()
        out.append(
            ControlOut(
                id=cid,
                title=c.title,
                owasp_nhi=c.owasp_nhi,
                nist_csf=c.nist_csf,
                verdict=verdict(open_[cid], cov),
                # A rule that ran over no subject carrying its facts assessed nothing: never a pass.
                assessed=cid in rules and (judged > 0 or by_rule[cid] > 0),
                findings=by_rule[cid],
                subjects=subjects,
                judged=judged,
                needs=rules[cid].needs if cid in rules else "no rule for this control ran",
                not_assessed=tuple(
                    NotAssessedOut(
                        subject=u.subject,
                        name=inv.node(u.subject).name if u.subject in inv else u.subject,
                        missing=u.missing,
                        collectable=u.collectable,
                    )
                    for u in unjudged
                ),
            )
        )
    return tuple(out)


def _identities(inv: Inventory, reach: ReachIndex) -> tuple[tuple[IdentityOut, ...], tuple[ReachSetOut, ...]]:
    # Every identity with its reach set's id; each distinct set is decoded once (ReachIndex shares
    # equal sets), and one (resource, actions) entry is shared by every set that reaches it. Values
    # come from the typed inventory and reach index, so models are constructed without re-validation.
    out = []
    reached = _ReachedOut
    # By the decoded entry's id: ReachIndex makes one object per distinct (resource, actions), so an id
    # stands for the pair (``kept`` holds each object, so no id is reused while this runs).
    shared: dict[int, ReachedOut] = {}
    kept: list[Reached] = []

    def entry(r: Reached) -> ReachedOut:
        kept.append(r)
        made = shared[id(r)] = reached(resource=r.resource, actions=_actions(r.actions))
        return made

    set_ids: dict[int, str] = {}
    radii: list[tuple[ReachedOut, ...]] = []
    holders: list[int] = []
    for node in sorted(inv.nodes(), key=lambda n: n.id):
        if node.kind not in SOURCE_KINDS:
            continue
        size = reach.size(node.id)
        if size == 0:
            continue
        key = reach.shared_key(node.id)
        sid = set_ids.get(key)
        if sid is None:
            sid = set_ids[key] = f"R{len(set_ids) + 1}"
            radii.append(tuple([shared.get(id(r)) or entry(r) for r in reach.blast_radius(node.id)]))
            holders.append(0)
        holders[int(sid[1:]) - 1] += 1
        out.append(
            _IdentityOut(
                id=node.id,
                name=node.name,
                kind=node.kind,
                provider=node.provider,
                subtype=node.subtype,
                blast_radius=size,
                reach_set=sid,
            )
        )
    sets = tuple(
        _ReachSetOut(id=f"R{i + 1}", holders=holders[i], blast_radius=radius) for i, radius in enumerate(radii)
    )
    return tuple(out), sets


def _resources(inv: Inventory, reach: ReachIndex, counted: frozenset[str]) -> tuple[ResourceOut, ...]:
    out = []
    count = reach.count_who_can_each
    for node in sorted(inv.nodes(), key=lambda n: n.id):
        if node.kind is not NodeKind.RESOURCE:
            continue
        who = count(node.id, counted)
        if not any(who[a] for a in _WRITE_OR_DEPLOY):
            continue
        out.append(_ResourceOut(id=node.id, name=node.name, who_can={a: n for a, n in who.items() if n}))
    return tuple(out)


#: The last document built, by its scan result: report.json, the HTML page and the exports of one
#: scan share it (the result is frozen; a ``dataclasses.replace`` copy is a new key). It is dropped
#: when its result is freed: a scheduler's process does not hold a large estate's document (millions
#: of objects) between scans, and no collector pass walks it after the analysis.
_LAST: tuple[weakref.ref[ScanResult], Report] | None = None


def _forget(ref: weakref.ref[ScanResult]) -> None:
    global _LAST, _DATA
    if _LAST is not None and _LAST[0] is ref:
        if _DATA is not None and _DATA[0] is _LAST[1]:  # its serialised head (document_data) goes too
            _DATA = None
        _LAST = None


def build_document(result: ScanResult) -> Report:
    """The report document for a scan (also the view model of the HTML report); built once per result."""
    global _LAST
    if _LAST is not None and _LAST[0]() is result:
        return _LAST[1]
    doc = _build_document(result)
    _LAST = (weakref.ref(result, _forget), doc)
    return doc


def _build_document(result: ScanResult) -> Report:
    inv = result.inventory
    rules = {r.id: r for r in result.rules}
    gaps = sorted(set(result.gaps), key=lambda g: (g.provider, g.scope, g.what, g.reason))
    identities, reach_sets = _identities(inv, result.reach)
    shared = _Shared()
    return Report(
        schema_version=SCHEMA_VERSION,
        generated_at=_utc(result.generated_at),
        tool=Tool(name="regwarden", version=_tool_version()),
        source=result.source,
        scopes=tuple(sorted(set(result.scopes))),
        partial=result.partial,
        coverage_gaps=tuple(Gap(provider=g.provider, scope=g.scope, what=g.what, reason=g.reason) for g in gaps),
        summary=_summary(result),
        findings=tuple(
            _finding(f, inv, rules, result.owners, shared) for f in sorted(result.findings, key=finding_sort_key)
        ),
        controls=_controls(result, rules),
        identities=identities,
        reach_sets=reach_sets,
        resources=_resources(inv, result.reach, frozenset(k.value for k in SOURCE_KINDS)),
    )


_DATA: tuple[Report, dict[str, Any]] | None = None
#: The sections serialised entry by entry from the models (findings, identities, the distinct blast
#: radii, resources: all but a few kilobytes of a big document), in document order.
STREAMED = ("findings", "identities", "reach_sets", "resources")


def document_data(doc: Report) -> dict[str, Any]:
    """``doc.model_dump(mode="json")`` without the :data:`STREAMED` sections (see :func:`identity_data`
    and :func:`resource_data`), computed once for the last document (report.json and the HTML page
    both use it). Callers must not modify it."""
    global _DATA
    if _DATA is not None and _DATA[0] is doc:
        return _DATA[1]
    data = doc.model_dump(mode="json", exclude=set(STREAMED))
    _DATA = (doc, data)
    return data


def finding_data(f: FindingOut) -> dict[str, Any]:
    """One entry of ``findings`` as ``model_dump(mode="json")`` writes it (field order included)."""
    subject = f.subject
    return {
        "id": f.id,
        "rule": f.rule,
        "rule_title": f.rule_title,
        "control_title": f.control_title,
        "severity": str(f.severity),
        "status": str(f.status),
        "subject": {
            "id": subject.id,
            "name": subject.name,
            "kind": None if subject.kind is None else str(subject.kind),
            "provider": subject.provider,
        },
        "message": f.message,
        "blast_radius": f.blast_radius,
        "path": [
            {"src": s.src, "dst": s.dst, "kind": str(s.kind), "actions": _names(s.actions), "via": s.via}
            for s in f.path
        ],
        "owasp_nhi": list(f.owasp_nhi),
        "nist_csf": list(f.nist_csf),
        "remediation": f.remediation,
        "location": None if f.location is None else {"file": f.location.file, "line": f.location.line},
        "suppression": f.suppression,
        "facts": [{"text": x.text, "files": list(x.files)} for x in f.facts],
        "owners": [
            {"name": o.name, "source": o.source, "via": o.via, "node": o.node, "files": list(o.files)} for o in f.owners
        ],
        "owners_not_collected": f.owners_not_collected,
    }


def identity_data(identity: IdentityOut) -> dict[str, Any]:
    """One entry of ``identities`` as ``model_dump(mode="json")`` writes it (field order included)."""
    return {
        "id": identity.id,
        "name": identity.name,
        "kind": identity.kind.value,
        "provider": identity.provider,
        "subtype": identity.subtype,
        "blast_radius": identity.blast_radius,
        "reach_set": identity.reach_set,
    }


_NAMES: dict[tuple[Action, ...], list[str]] = {}


def _names(actions: tuple[Action, ...]) -> list[str]:
    # A fresh list each time (callers may hold it), built from a cached one.
    found = _NAMES.get(actions)
    if found is None:
        found = _NAMES[actions] = [str(a) for a in actions]
    return list(found)


def resource_data(resource: ResourceOut) -> dict[str, Any]:
    """One entry of ``resources`` as ``model_dump(mode="json")`` writes it (field order included)."""
    return {"id": resource.id, "name": resource.name, "who_can": {a.value: n for a, n in resource.who_can.items()}}


_INDENT = orjson.OPT_INDENT_2
_CHUNK = 512  # entries serialised per write


def _section(entries: tuple[Any, ...], text_of: Callable[[Any], bytes]) -> Iterator[bytes]:
    # The entries of a top-level list, at indent 4, comma-separated (orjson escapes newlines in
    # strings, so every raw newline is structure and can be re-indented).
    for start in range(0, len(entries), _CHUNK):
        parts = []
        for i, entry in enumerate(entries[start : start + _CHUNK], start):
            parts.append((b"\n    " if i == 0 else b",\n    ") + text_of(entry).replace(b"\n", b"\n    "))
        yield b"".join(parts)


def _dumped(data: Callable[[Any], dict[str, Any]]) -> Callable[[Any], bytes]:
    return lambda entry: orjson.dumps(data(entry), option=_INDENT)


class _ReachSetText:
    """One entry of ``reach_sets`` as ``orjson.dumps(rs.model_dump(mode="json"), option=OPT_INDENT_2)``
    writes it, with each distinct (resource, actions) entry serialised once: entries are shared objects, and a big scan's reach sets hold a
    million of them (a test holds the result to ``json.dumps`` of the model dump)."""

    def __init__(self) -> None:
        self._entries: dict[int, bytes] = {}

    def __call__(self, rs: ReachSetOut) -> bytes:
        done = self._entries
        parts = []
        for r in rs.blast_radius:
            text = done.get(id(r))
            if text is None:
                entry = {"resource": r.resource, "actions": _names(r.actions)}
                text = done[id(r)] = b"    " + orjson.dumps(entry, option=_INDENT).replace(b"\n", b"\n    ")
            parts.append(text)
        head = orjson.dumps({"id": rs.id, "holders": rs.holders}, option=_INDENT)[:-2]  # without "\n}"
        if not parts:
            return head + b',\n  "blast_radius": []\n}'
        return head + b',\n  "blast_radius": [\n' + b",\n".join(parts) + b"\n  ]\n}"


def chunks(doc: Report) -> Iterator[bytes]:
    """The document as UTF-8 pieces: model field order, indent 2, trailing newline (byte for byte
    what ``json.dumps(doc.model_dump(mode="json"), indent=2, ensure_ascii=False)`` writes, at
    orjson's speed). The big sections are written a chunk of entries at a time, so neither the
    whole text nor those sections as plain data are ever held in memory."""
    data = document_data(doc)
    # Everything but the streamed sections, with an empty list where each goes (in field order).
    skeleton = orjson.dumps({k: (data[k] if k not in STREAMED else []) for k in Report.model_fields}, option=_INDENT)
    sections: dict[str, tuple[tuple[Any, ...], Callable[[Any], bytes]]] = {
        "findings": (doc.findings, _dumped(finding_data)),
        "identities": (doc.identities, _dumped(identity_data)),
        "reach_sets": (doc.reach_sets, _ReachSetText()),  # entries shared by many sets: written once
        "resources": (doc.resources, _dumped(resource_data)),
    }
    rest = skeleton
    for name in STREAMED:
        key = b'\n  "' + name.encode() + b'": ['
        head, sep, rest = rest.partition(key + b"]")
        if not sep:  # cannot happen: every streamed section is a top-level field
            raise AssertionError(f"{name} not found in the report skeleton")
        entries, to_data = sections[name]
        yield head + key
        if entries:
            yield from _section(entries, to_data)
            yield b"\n  ]"
        else:
            yield b"]"
    yield rest + b"\n"


def dumps(doc: Report) -> str:
    """Serialise the document: model field order, indent 2, UTF-8 text, trailing newline (byte for
    byte what ``json.dumps(..., indent=2, ensure_ascii=False)`` writes, at orjson's speed)."""
    return b"".join(chunks(doc)).decode("utf-8")


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``report.json`` into ``out_dir`` atomically, streamed piece by piece."""
    write_atomic_bytes(out_dir / "report.json", chunks(build_document(result)))


# -- schema ---------------------------------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document, generated from the models."""
    generated = Report.model_json_schema(mode="serialization")
    return {"$schema": JSON_SCHEMA_DIALECT, **generated}


def schema_text() -> str:
    """The schema as committed: indent 2, trailing newline."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> None:
    """Regenerate the committed schema file."""
    write_atomic(path, schema_text())


def main(argv: list[str] | None = None) -> int:
    """``python -m reports --schema [PATH]``: write the JSON Schema (default: the committed file)."""
    parser = argparse.ArgumentParser(prog="python -m reports", description="Write the report JSON Schema.")
    parser.add_argument("--schema", action="store_true", help="write the report JSON Schema")
    parser.add_argument("path", nargs="?", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)
    if not args.schema:
        parser.error("nothing to do (use --schema)")
    write_schema(args.path)
    return 0
