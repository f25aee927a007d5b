"""Who owns each node, and so who fixes each finding.

Owners come from the sources of ``scanner/knowledge/owners.yaml``, strongest first: ``[[owners]]`` in
regwarden.toml, cloud tags and labels, CODEOWNERS, a token's account, repository teams, GitLab maintainers,
package maintainers, IAM paths, Terraform module addresses. Connectors record what the provider states as
``owned_by`` edges (the edge's ``via`` names the source); tags, IAM paths, Terraform addresses and the
configuration are read here from the nodes. A node's owners are those of the strongest source that names any.

A finding's owners are its subject's, else those of the first node of its evidence path that has any
(a third-party action is nobody's here, the job that runs it is). docs/owners.md describes both rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import translate

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scanner.findings import Finding
from scanner.knowledge import owners as table
from scanner.model import EdgeKind, Evidence, Inventory, Node, NodeId

#: The attribute of an AWS user or role that holds its IAM path (``/teams/payments/``).
IAM_PATH_ATTR = "iam_path"
#: The attribute of a declared (Terraform) node that holds its resource address.
TF_ADDRESS_ATTR = "tf_address"
#: The attribute a connector sets on a node whose owners a bundle file would have named, but that file was not
#: collected (its value names the file): the node's owners are "not collected", not unknown.
OWNERS_NOT_COLLECTED_ATTR = "owners_not_collected"
#: Source id of the owners a credential takes from the secrets that hold it (the weakest of the table's).
HOLDER_SOURCE = "secret_holder"
#: Source id of an ``owned_by`` edge whose ``via`` the table does not list (a plugin's, say): weakest.
OTHER_EDGE = "owned_by"
_MODULE = re.compile(r"module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?")


class OwnerRule(BaseModel):
    """``[[owners]]``: nodes whose id matches ``match`` and/or whose scope matches ``scope`` (globs,
    case-insensitive) are owned by ``owner``, whatever else says so."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str = Field(min_length=1, max_length=200)
    match: str | None = Field(default=None, min_length=1)
    scope: str | None = Field(default=None, min_length=1)
    reason: str = ""

    @model_validator(mode="after")
    def _target(self) -> OwnerRule:
        if self.match is None and self.scope is None:
            raise ValueError("give a node id pattern (match) and/or a scope pattern (scope)")
        return self


def _default_tag_keys() -> list[str]:
    return list(table.table().tag_keys)


def _default_iam() -> list[str]:
    return list(table.table().iam_path_patterns)


def _default_modules() -> list[str]:
    return list(table.table().terraform_module_patterns)


class OwnershipSettings(BaseModel):
    """``[ownership]``: the conventions owners are read from (defaults: ``owners.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tag_keys: list[str] = Field(default_factory=_default_tag_keys)
    iam_path_patterns: list[str] = Field(default_factory=_default_iam)
    terraform_module_patterns: list[str] = Field(default_factory=_default_modules)

    @field_validator("iam_path_patterns", "terraform_module_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        return [table.owner_pattern(p) for p in value]


@dataclass(frozen=True, slots=True)
class Owner:
    """One owner of a node: a person, team or account name, the source that says so and how."""

    name: str
    source: str  # an id of owners.yaml's sources (or OTHER_EDGE)
    via: str  # "tag team", "CODEOWNERS rule /.github/", "module.team_payments", "[[owners]] aws:*" …
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class FindingOwners:
    """A finding's owners and the node they own: its subject, or the first node of its path that has any."""

    node: NodeId
    owners: tuple[Owner, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The owners' names, sorted, each once."""
        return tuple(sorted({o.name for o in self.owners}))


@dataclass(frozen=True)
class OwnerIndex:
    """Every node's owners (only nodes that have any)."""

    by_node: Mapping[NodeId, tuple[Owner, ...]] = field(default_factory=dict)
    #: Nodes without owners whose owner source was not collected: the bundle file that would name them.
    not_collected: Mapping[NodeId, str] = field(default_factory=dict)

    def of(self, node: NodeId) -> tuple[Owner, ...]:
        """A node's owners (empty: unknown)."""
        return self.by_node.get(node, ())

    def names(self, node: NodeId) -> tuple[str, ...]:
        """A node's owners' names, sorted, each once."""
        return tuple(sorted({o.name for o in self.by_node.get(node, ())}))

    def for_finding(self, f: Finding) -> FindingOwners | None:
        """The owners of the finding's subject, else of the first node of its path that has any
        (in the order the path is walked); None when no node of it has an owner."""
        found = self.by_node.get(f.subject)
        if found:
            return FindingOwners(f.subject, found)
        for step in f.path:
            for nid in (step.src, step.dst):
                found = self.by_node.get(nid)
                if found:
                    return FindingOwners(nid, found)
        return None

    def not_collected_for(self, f: Finding) -> str | None:
        """For a finding without owners: the first bundle file (subject first, then the path in order) that
        would have named the owners of one of its nodes but was not collected; None when none is missing."""
        for nid in (f.subject, *(n for step in f.path for n in (step.src, step.dst))):
            missing = self.not_collected.get(nid)
            if missing:
                return missing
        return None


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(translate(pattern.casefold()))


class _Resolver:
    def __init__(self, inv: Inventory, settings: OwnershipSettings) -> None:
        self.inv = inv
        self.rank = table.rank()
        self.tag_keys = [k.casefold() for k in settings.tag_keys]
        self.iam = [re.compile(p) for p in settings.iam_path_patterns]
        self.modules = [re.compile(p) for p in settings.terraform_module_patterns]
        self.found: dict[NodeId, list[Owner]] = {}

    def add(self, nid: NodeId, owner: Owner) -> None:
        self.found.setdefault(nid, []).append(owner)

    def edges(self) -> None:
        inv = self.inv
        for e in inv.edges():
            if e.kind is not EdgeKind.OWNED_BY or e.src not in inv:
                continue
            person = inv.get(e.dst)
            source = table.source_of_edge(e.via) or OTHER_EDGE
            self.add(e.src, Owner(person.name if person else e.dst, source, e.via, e.evidence))

    def node_facts(self, n: Node) -> None:
        if n.tags and self.tag_keys:
            tags = {k.casefold(): (k, v) for k, v in n.tags}
            for key in self.tag_keys:
                hit = tags.get(key)
                if hit is not None and hit[1].strip():
                    self.add(n.id, Owner(hit[1].strip(), "tag", f"tag {hit[0]}", n.evidence[:1]))
                    break
        path = n.attrs.get(IAM_PATH_ATTR)
        if isinstance(path, str) and path != "/":
            for rx in self.iam:
                m = rx.search(path)
                if m and m.group("owner"):
                    self.add(n.id, Owner(m.group("owner"), "iam_path", f"IAM path {path}", n.evidence[:1]))
                    break

    def declared(self, declared: Inventory) -> None:
        live_ids: list[NodeId] | None = None
        for d in declared.nodes():
            address = d.attrs.get(TF_ADDRESS_ATTR)
            if not isinstance(address, str):
                continue
            owner = self.module_owner(address)
            if owner is None:
                continue
            if "*" in d.id:  # Terraform could not know part of the id: every live node it stands for
                live_ids = live_ids if live_ids is not None else [n.id for n in self.inv.nodes()]
                rx = re.compile(translate(d.id))
                targets = [x for x in live_ids if rx.match(x)]
            else:
                targets = [d.id] if d.id in self.inv else []
            for t in targets:
                self.add(t, Owner(owner[0], "terraform_module", owner[1], d.evidence[:1]))

    def module_owner(self, address: str) -> tuple[str, str] | None:
        """(owner, ``module.NAME``) of the innermost module of the address whose name names an owner."""
        for name in reversed(_MODULE.findall(address)):
            for rx in self.modules:
                m = rx.match(name)
                if m and m.group("owner"):
                    return m.group("owner"), f"module.{name}"
        return None

    def config(self, rules: Sequence[OwnerRule]) -> None:
        compiled = [(r, _glob(r.match) if r.match else None, _glob(r.scope) if r.scope else None) for r in rules]
        for n in self.inv.nodes():
            for r, by_id, by_scope in compiled:
                if by_id is not None and not by_id.match(n.id.casefold()):
                    continue
                if by_scope is not None and not by_scope.match(n.scope.casefold()):
                    continue
                what = " ".join(
                    x for x in (f"match {r.match}" if r.match else "", f"scope {r.scope}" if r.scope else "") if x
                )
                self.add(n.id, Owner(r.owner, "config", f"[[owners]] {what}" + (f": {r.reason}" if r.reason else "")))

    def holders(self, out: dict[NodeId, tuple[Owner, ...]]) -> None:
        """A credential no source gives an owner: the owners of the secrets that expose it (one step only)."""
        held: dict[NodeId, dict[tuple[str, str], Owner]] = {}
        for e in self.inv.edges():
            if e.kind is not EdgeKind.EXPOSES or e.dst in out or not out.get(e.src):
                continue
            holder = self.inv.get(e.src)
            via = f"held in {holder.name if holder else e.src}"
            for o in out[e.src]:
                held.setdefault(e.dst, {})[(o.name, via)] = Owner(o.name, HOLDER_SOURCE, via, o.evidence)
        for nid, owners in held.items():
            out[nid] = tuple(owners[k] for k in sorted(owners))

    def index(self) -> OwnerIndex:
        out: dict[NodeId, tuple[Owner, ...]] = {}
        weakest = len(self.rank)
        for nid, owners in self.found.items():
            best = min(self.rank.get(o.source, weakest) for o in owners)
            kept = {(o.name, o.source, o.via): o for o in owners if self.rank.get(o.source, weakest) == best}
            out[nid] = tuple(kept[k] for k in sorted(kept))
        self.holders(out)
        missing = {
            n.id: str(n.attrs[OWNERS_NOT_COLLECTED_ATTR])
            for n in self.inv.nodes()
            if n.id not in out and n.attrs.get(OWNERS_NOT_COLLECTED_ATTR)
        }
        return OwnerIndex(out, missing)


def resolve(
    inv: Inventory,
    *,
    declared: Inventory | None = None,
    rules: Iterable[OwnerRule] = (),
    settings: OwnershipSettings | None = None,
) -> OwnerIndex:
    """Every node's owners from every source, the strongest source that names any kept per node."""
    r = _Resolver(inv, settings or OwnershipSettings())
    r.edges()
    for n in inv.nodes():
        if n.tags or IAM_PATH_ATTR in n.attrs:
            r.node_facts(n)
    if declared is not None:
        r.declared(declared)
    rules = list(rules)
    if rules:
        r.config(rules)
    return r.index()
