"""IAM policy evaluation into action-class bit masks, fast enough for thousands of principals.

Actions are bits over :func:`connectors.aws.actions.catalogue` (botocore's operations). A pattern
(``ecr:Put*``, ``*``) is expanded once and cached; a policy document is compiled once (managed
policies are shared by many principals) and a resource pattern is matched against the estate's
targets once. Evaluating a principal is then a few integer ORs per statement.

Semantics (documented over-approximations, in the auditor's favour of *seeing* a path):
- Allow statements count whatever their conditions — except a date condition that could only hold before
  the bundle was collected (``DateLessThan aws:CurrentTime/aws:TokenIssueTime`` a past date): such a
  statement never applies. A Deny counts only when unconditional.
- A permission on AWS-managed policies only (``arn:aws:iam::aws:…``) changes nothing a customer can change,
  so it is no escalation.
- Policy variables (``${aws:username}``) in resources match anything.
- Service control policies and session policies are not evaluated.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

from connectors.aws.actions import ACTION_CLASSES, catalogue, classify
from scanner.model import Action, NodeId

#: Condition keys that restrict a ``Principal: "*"`` statement to an organisation, account or network.
RESTRICTING_KEYS = frozenset(
    k.casefold()
    for k in (
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:userid",
    )
)


# --- actions ---------------------------------------------------------------------------------------


@cache
def _index() -> dict[str, int]:
    return {a.casefold(): i for i, a in enumerate(catalogue())}


@cache
def _by_service() -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for name, i in _index().items():
        out.setdefault(name.partition(":")[0], []).append((name, i))
    return out


def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


@cache
def action_mask(pattern: str) -> int:
    """Bits of every catalogued action an IAM action pattern matches (case-insensitive)."""
    p = pattern.casefold().strip()
    if p == "*":
        return (1 << len(_index())) - 1
    prefix, _, op = p.partition(":")
    if "*" not in prefix and "?" not in prefix:
        candidates = _by_service().get(prefix, [])
        if "*" not in op and "?" not in op:
            return sum(1 << i for name, i in candidates if name == p)
    else:
        candidates = list(_index().items())
    rx = _wildcard_regex(p)
    return sum(1 << i for name, i in candidates if rx.fullmatch(name))


def mask_of(patterns: Iterable[str]) -> int:
    """The union of several patterns' bits."""
    m = 0
    for p in patterns:
        m |= action_mask(p)
    return m


def bits(actions: Iterable[str]) -> int:
    """Bits of named actions (exact names)."""
    return mask_of(actions)


@cache
def service_mask(prefix: str) -> int:
    """Bits of every action of one service."""
    return sum(1 << i for _, i in _by_service().get(prefix, []))


@cache
def _class_bits() -> dict[Action, int]:
    out: dict[Action, int] = {a: 0 for a in Action}
    for i, name in enumerate(catalogue()):
        cls = classify(name)
        if cls is not None:
            out[cls] |= 1 << i
    return out


_CLASS_CACHE: dict[int, frozenset[Action]] = {}


def classes(mask: int) -> frozenset[Action]:
    """The action classes present in a mask."""
    found = _CLASS_CACHE.get(mask)
    if found is None:
        found = frozenset(a for a, b in _class_bits().items() if mask & b)
        if len(_CLASS_CACHE) < 100_000:
            _CLASS_CACHE[mask] = found
    return found


def names(mask: int) -> list[str]:
    """The catalogued action names in a mask (for explanations and tests)."""
    cat = catalogue()
    return [cat[i] for i in range(len(cat)) if mask >> i & 1]


# --- documents -------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_document(doc: str | Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The statements of a policy document given as JSON text or already parsed."""
    if doc is None:
        return []
    data = json.loads(doc) if isinstance(doc, str) else doc
    if not isinstance(data, Mapping):
        raise ValueError("policy document is not a JSON object")
    stmts = data.get("Statement")
    return [s for s in _as_list(stmts) if isinstance(s, Mapping)]


Conditions = tuple[tuple[str, str, tuple[str, ...]], ...]


def conditions_of(stmt: Mapping[str, Any]) -> Conditions:
    """A statement's conditions as (operator, key, values), keys as written."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for op, block in (stmt.get("Condition") or {}).items():
        if isinstance(block, Mapping):
            for key, vals in block.items():
                out.append((str(op), str(key), tuple(str(v) for v in _as_list(vals))))
    return tuple(sorted(out))


@dataclass(frozen=True, slots=True)
class Statement:
    """One compiled statement: effect, action bits, resource patterns and principals (resource policies)."""

    allow: bool
    actions: int
    resources: tuple[str, ...] | None  # None: no Resource element (resource policies) = this resource
    not_resource: bool
    conditions: Conditions
    principals: tuple[tuple[str, str], ...] = ()  # (type, value): ("AWS", arn), ("Federated", ...), ("*", "*")
    not_principal: bool = False
    sid: str = ""
    raw_actions: tuple[str, ...] = ()


def _principals(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if value == "*":
        return (("*", "*"),)
    out: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for typ, vals in value.items():
            for v in _as_list(vals):
                out.append(("*", "*") if typ == "AWS" and v == "*" else (str(typ), str(v)))
    return tuple(out)


def compile_statement(stmt: Mapping[str, Any]) -> Statement:
    """Compile one statement (``NotAction`` becomes the complement of its bits)."""
    full = (1 << len(_index())) - 1
    if "NotAction" in stmt:
        raw = tuple(str(a) for a in _as_list(stmt["NotAction"]))
        actions = full & ~mask_of(raw)
    else:
        raw = tuple(str(a) for a in _as_list(stmt.get("Action")))
        actions = mask_of(raw)
    if "NotResource" in stmt:
        resources: tuple[str, ...] | None = tuple(str(r) for r in _as_list(stmt["NotResource"]))
        not_resource = True
    elif "Resource" in stmt:
        resources, not_resource = tuple(str(r) for r in _as_list(stmt["Resource"])), False
    else:
        resources, not_resource = None, False
    not_principal = "NotPrincipal" in stmt
    return Statement(
        allow=str(stmt.get("Effect", "")).casefold() == "allow",
        actions=actions,
        resources=resources,
        not_resource=not_resource,
        conditions=conditions_of(stmt),
        principals=_principals(stmt.get("NotPrincipal") if not_principal else stmt.get("Principal")),
        not_principal=not_principal,
        sid=str(stmt.get("Sid") or ""),
        raw_actions=raw,
    )


_DOC_CACHE: dict[str | bytes, tuple[Statement, ...]] = {}


def _doc_key(doc: str | Mapping[str, Any] | None) -> str | bytes:
    """The cache key of a document: its text, or its canonical JSON (keys sorted). orjson writes it
    ~10x faster than ``json.dumps``; it writes NaN and Infinity as ``null`` and refuses integers
    beyond 64 bits, so a document holding ``null`` or such a number is keyed by ``json.dumps`` (the
    two kinds of key never compare equal: bytes and text)."""
    if isinstance(doc, str):
        return doc
    try:
        key = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(doc, sort_keys=True)
    return json.dumps(doc, sort_keys=True) if b"null" in key else key


def compile_document(doc: str | Mapping[str, Any] | None) -> tuple[Statement, ...]:
    """Compile a document once; identical documents (managed policies, copies) share the result until
    :func:`forget_documents`."""
    key = _doc_key(doc)
    found = _DOC_CACHE.get(key)
    if found is None:
        found = tuple(compile_statement(s) for s in parse_document(doc))
        _DOC_CACHE[key] = found
    return found


def forget_documents() -> None:
    """Empty :func:`compile_document`'s cache (the end of a transform: nothing built keeps a compiled
    statement, the inventory holds nodes and edges)."""
    _DOC_CACHE.clear()


# --- resources -------------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{[^}]*\}")


@cache
def resource_regex(pattern: str) -> re.Pattern[str]:
    """An ARN pattern as a regex: ``*`` and ``?`` wildcards, policy variables match anything."""
    p = _VARIABLE.sub("*", pattern)
    return _wildcard_regex(p)


@dataclass(frozen=True, slots=True)
class Target:
    """A resource or identity policies can name: its node, service, the ARNs that stand for it,
    and literal prefixes (a pattern naming something under a prefix, e.g. one package of a
    CodeArtifact repository, grants on the target too)."""

    node: NodeId
    account: str
    service: str
    arns: tuple[str, ...]
    prefixes: tuple[str, ...] = ()


_WILDCARD = re.compile(r"[*?]|\$\{")


@cache
def _literal(pattern: str) -> str:
    """The literal head of a resource pattern: everything before its first wildcard or variable."""
    return _WILDCARD.split(pattern, maxsplit=1)[0]


@dataclass
class TargetIndex:
    """The estate's targets, indexed so a resource pattern is matched once against the few targets it
    can cover: ARNs sorted for a prefix range (a pattern can only match ARNs that start with its
    literal head), a dict for exact ARNs, and the targets' literal prefixes by length. Results are
    cached per distinct pattern and per Resource element."""

    targets: list[Target]
    by_account: dict[str, list[int]] = field(default_factory=dict)
    _cache: dict[tuple[tuple[str, ...], bool], frozenset[int] | None] = field(default_factory=dict)
    _one: dict[str, frozenset[int]] = field(default_factory=dict)
    _keys: list[str] = field(default_factory=list)
    _owners: list[int] = field(default_factory=list)
    _exact: dict[str, list[int]] = field(default_factory=dict)
    _prefixes: dict[str, list[int]] = field(default_factory=dict)
    _prefix_lengths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        pairs: list[tuple[str, int]] = []
        lengths: set[int] = set()
        for i, t in enumerate(self.targets):
            self.by_account.setdefault(t.account, []).append(i)
            for a in t.arns:
                pairs.append((a, i))
                self._exact.setdefault(a, []).append(i)
            for p in t.prefixes:
                self._prefixes.setdefault(p, []).append(i)
                lengths.add(len(p))
        pairs.sort()
        self._keys = [a for a, _ in pairs]
        self._owners = [i for _, i in pairs]
        self._prefix_lengths = tuple(sorted(lengths))

    def match(self, resources: tuple[str, ...] | None, not_resource: bool) -> frozenset[int] | None:
        """Target indexes a Resource/NotResource element covers; None means every target."""
        if resources is None:
            return None
        key = (resources, not_resource)
        if key in self._cache:
            return self._cache[key]
        found: frozenset[int] | None
        if not not_resource and "*" in resources:
            found = None
        else:
            hit: set[int] = set()
            for r in resources:
                hit.update(self.covered(r))
            found = frozenset(set(range(len(self.targets))) - hit) if not_resource else frozenset(hit)
        self._cache[key] = found
        return found

    def covered(self, pattern: str) -> frozenset[int]:
        """Target indexes one resource pattern covers (an ARN of the target matches it, or the
        pattern names something under one of the target's prefixes)."""
        found = self._one.get(pattern)
        if found is not None:
            return found
        literal = _literal(pattern)
        hit: set[int] = set()
        if literal == pattern:
            hit.update(self._exact.get(pattern, ()))
        else:
            lo = bisect.bisect_left(self._keys, literal)
            hi = bisect.bisect_left(self._keys, literal + "\U0010ffff", lo)
            if hi > lo:
                rx = resource_regex(pattern)
                keys, owners = self._keys, self._owners
                hit.update(owners[k] for k in range(lo, hi) if owners[k] not in hit and rx.fullmatch(keys[k]))
        for n in self._prefix_lengths:
            if n > len(literal):
                break
            hit.update(self._prefixes.get(literal[:n], ()))
        found = frozenset(hit)
        self._one[pattern] = found
        return found


#: ARNs in AWS's own namespace (AWS-managed policies): nobody but AWS can change them.
AWS_OWNED = "arn:aws:iam::aws:"
#: Date conditions that only hold before a point in time, on keys that are "now" for any request.
_BEFORE_OPS = frozenset({"datelessthan", "datelessthanequals"})
_NOW_KEYS = frozenset({"aws:currenttime", "aws:tokenissuetime"})


def _date(value: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def never_holds(conditions: Conditions, as_of: datetime | None) -> bool:
    """Whether a condition block can no longer be met as of ``as_of`` (a "before <past date>" on the request
    time or the token's issue time). Without ``as_of`` nothing is judged."""
    if as_of is None:
        return False
    for op, key, values in conditions:
        if op.casefold() in _BEFORE_OPS and key.casefold() in _NOW_KEYS:
            dates = [_date(v) for v in values]
            if dates and all(d is not None and d < as_of for d in dates):
                return True
    return False


def only_aws_owned(s: Statement) -> bool:
    """A statement whose resources are all in AWS's own namespace (it can change nothing of the customer's)."""
    return s.resources is not None and not s.not_resource and all(r.startswith(AWS_OWNED) for r in s.resources)


@dataclass(frozen=True, slots=True)
class Effective:
    """What a principal's identity policies allow: on targets without an entry (``everywhere``),
    per target (final: already includes ``everywhere`` minus that target's denies), and on at least
    one resource (``anywhere``, for escalation checks)."""

    everywhere: int
    per_target: Mapping[int, int]
    anywhere: int

    def on(self, target: int) -> int:
        """Bits allowed on one target."""
        return self.per_target.get(target, self.everywhere)


def evaluate(statements: Sequence[Statement], index: TargetIndex, as_of: datetime | None = None) -> Effective:
    """Evaluate identity statements: Allow minus unconditional Deny, per target (``as_of``: see
    :func:`never_holds`)."""
    allow_all = deny_all = anywhere = 0
    allow: dict[int, int] = {}
    deny: dict[int, int] = {}
    for s in statements:
        if not s.actions or (not s.allow and s.conditions):
            continue
        if s.allow and s.conditions and never_holds(s.conditions, as_of):
            continue
        covered = index.match(s.resources, s.not_resource)
        if s.allow:
            if not only_aws_owned(s):
                anywhere |= s.actions
            if covered is None:
                allow_all |= s.actions
            else:
                for t in covered:
                    allow[t] = allow.get(t, 0) | s.actions
        elif covered is None:
            deny_all |= s.actions
        else:
            for t in covered:
                deny[t] = deny.get(t, 0) | s.actions
    everywhere = allow_all & ~deny_all
    per: dict[int, int] = {}
    for t in allow.keys() | deny.keys():
        per[t] = (everywhere | (allow.get(t, 0) & ~deny_all)) & ~deny.get(t, 0)
    return Effective(everywhere, per, anywhere & ~deny_all)


def intersect(a: Effective, b: Effective | None) -> Effective:
    """Identity permissions limited by a permissions boundary."""
    if b is None:
        return a
    per = {t: a.on(t) & b.on(t) for t in a.per_target.keys() | b.per_target.keys()}
    return Effective(a.everywhere & b.everywhere, per, a.anywhere & b.anywhere)


def union(effs: Sequence[Effective]) -> Effective:
    """What several groups of Allow statements allow together, each evaluated with the same denies (and
    boundary): evaluation distributes over Allow statements (``(allow | ...) & ~deny`` per target), so
    this is the evaluation of all of them at once."""
    if len(effs) == 1:
        return effs[0]
    everywhere = anywhere = 0
    per: dict[int, int] = {}
    for e in effs:
        everywhere |= e.everywhere
        anywhere |= e.anywhere
        for t, m in e.per_target.items():
            per[t] = per.get(t, 0) | m
    if everywhere:
        # A target some group has no entry for is not denied or bounded (those targets have an entry in
        # every group): there that group allows its ``everywhere``, which each entry already includes.
        common = set(effs[0].per_target).intersection(*(e.per_target for e in effs[1:]))
        for t in per.keys() - common:
            per[t] |= everywhere
    return Effective(everywhere, per, anywhere)


def statement_classes(stmt: Mapping[str, Any]) -> frozenset[Action]:
    """The action classes one statement's actions reach (any resource) — used by tests and explanations."""
    return classes(compile_statement(stmt).actions)


__all__ = [
    "ACTION_CLASSES",
    "Effective",
    "Statement",
    "Target",
    "TargetIndex",
    "action_mask",
    "bits",
    "classes",
    "compile_document",
    "compile_statement",
    "evaluate",
    "forget_documents",
    "intersect",
    "names",
    "service_mask",
    "union",
]
