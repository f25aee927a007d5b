"""Compact many-to-many relations of an AWS account (:class:`scanner.model.Junction`).

Three relations are products of principals and targets, and each is stored through a junction:

* **identity-policy grants** — a principal's grant edges are the union of what each of its policy
  units grants (an attached managed policy, a group, one statement of an inline policy), each
  evaluated with the principal's own denies and permissions boundary. Evaluation distributes over
  that union (``allow_u & ~deny`` per target, boundary intersected per unit; action classes are a
  union of bits), so the union of the units' edges, merged by key as the inventory merges edges, is
  exactly the principal's edges. A unit's edges held by two principals or more become one junction
  (named by a digest of its edges, so equal edge sets share it), held by one edge from each;
* **trust delegates to the account** — principals allowed ``sts:AssumeRole`` on every role → every
  role whose trust names their account: one junction per account;
* **escalation routes** — principals holding a route's permission everywhere → every role the
  route's service may assume: one junction per (account, route).

Edges therefore grow with principals + targets, not their product. See docs/model.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Sequence

from connectors.aws.policy import Statement
from scanner.model import JUNCTION_EDGE, Action, Edge, EdgeKind, Inventory, Junction, NodeId, node_id

PROVIDER = "aws"

#: A policy unit: a key that is the same for the same statements, and its Allow statements.
Unit = tuple[Hashable, tuple[Statement, ...]]
#: A grant edge without its source: (destination, kind, actions, via).
Planned = tuple[NodeId, EdgeKind, frozenset[Action], str]

TRUST_VIA = "sts:AssumeRole (trust delegates to the account)"


def _allows(stmts: Iterable[Statement]) -> tuple[Statement, ...]:
    return tuple(s for s in stmts if s.allow and s.actions)


def managed_unit(arn: str, stmts: Sequence[Statement]) -> list[Unit]:
    """An attached managed policy (or a group's whole set of policies): one unit, shared by whoever holds it."""
    allows = _allows(stmts)
    return [(("policy", arn), allows)] if allows else []


def inline_units(stmts: Sequence[Statement]) -> list[Unit]:
    """An inline policy, one unit per statement, keyed by what the statement says: inline policies are
    each principal's own, but the same statement recurs in many of them."""
    return [(("statement", s.actions, s.resources, s.not_resource, s.conditions), (s,)) for s in _allows(stmts)]


def deny_part(stmts: Sequence[Statement]) -> tuple[Hashable, tuple[Statement, ...]]:
    """The denies evaluation applies (unconditional ones), keyed by content: principals whose policies
    deny the same things share their units' evaluations."""
    denies = tuple(s for s in stmts if not s.allow and s.actions and not s.conditions)
    return frozenset((s.actions, s.resources, s.not_resource) for s in denies), denies


def digest(plan: Sequence[Planned]) -> str:
    """A stable name for an edge set (the same edges give the same junction in every scan)."""
    h = hashlib.sha256()
    for dst, kind, acts, via in plan:
        h.update(f"{dst}\x00{kind.value}\x00{','.join(sorted(acts))}\x00{via}\x01".encode())
    return h.hexdigest()[:24]


class Junctions:
    """Creates the junctions of one inventory, each once, with its edges out."""

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self._made: set[NodeId] = set()
        self._plans: dict[int, tuple[Sequence[Planned], NodeId]] = {}  # by the (interned) plan's identity

    def grants(self, account: str, plan: Sequence[Planned]) -> NodeId:
        """The junction standing for ``plan``'s edges (identity-policy grants shared by several principals)."""
        known = self._plans.get(id(plan))
        if known is not None and known[0] is plan:
            return known[1]
        jid = node_id(PROVIDER, "junction", f"grants/{digest(plan)}")
        self._plans[id(plan)] = (plan, jid)
        if jid not in self._made:
            self._made.add(jid)
            self.inv.add_junction(Junction(jid, PROVIDER, f"identity-policy grants on {len(plan)} targets", account))
            for dst, kind, acts, via in plan:
                self.inv.add_edge(Edge(jid, dst, kind, acts, via=via))
        return jid

    def roles(self, jid: NodeId, name: str, account: str, roles: Iterable[NodeId], via: str) -> NodeId:
        """A junction to ``roles`` (``can_assume`` with ``via``), made on first use."""
        if jid not in self._made:
            self._made.add(jid)
            self.inv.add_junction(Junction(jid, PROVIDER, name, account))
            for role in roles:
                self.inv.add_edge(Edge(jid, role, EdgeKind.CAN_ASSUME, via=via))
        return jid

    def hold(self, src: NodeId, jid: NodeId, via: str) -> None:
        """``src`` holds every edge out of ``jid``."""
        self.inv.add_edge(Edge(src, jid, JUNCTION_EDGE, via=via))


def trust_junction(account: str) -> NodeId:
    """The junction of the roles whose trust policy names ``account`` (its root or its id)."""
    return node_id(PROVIDER, "junction", f"trusts-account/{account}")


def route_junction(account: str, route: str) -> NodeId:
    """The junction of the roles an escalation route reaches in ``account``."""
    return node_id(PROVIDER, "junction", f"route/{account}/{route}")
