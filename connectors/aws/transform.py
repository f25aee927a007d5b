"""AWS records -> Inventory. Pure: no I/O.

IAM users and roles are identities; access keys and OIDC trusts are credentials. Identity policies
(inline, attached managed, group, bounded by a permissions boundary), resource policies (ECR,
CodeArtifact, Secrets Manager) and trust policies are evaluated by :mod:`connectors.aws.policy`
into ``grants`` (with action classes), ``can_read_secret`` and ``can_assume`` edges. Anyone who can
change IAM permissions (``iam:Put*Policy``, ``iam:Attach*Policy`` …, or ``iam:PassRole`` /
``iam:CreateAccessKey`` on every resource) controls the whole account: they ``can_assume`` one
"account control" node per account, which holds ADMIN over everything the account contains.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime

from connectors.aws import raw
from connectors.aws.account_wide import account_wide
from connectors.aws.actions import ASSUME, ESCALATION, READ_SECRET, TAKEOVER_ROLE, TAKEOVER_USER
from connectors.aws.junctions import (
    TRUST_VIA,
    Junctions,
    Planned,
    Unit,
    deny_part,
    inline_units,
    managed_unit,
    route_junction,
    trust_junction,
)
from connectors.aws.load import name_part
from connectors.aws.oidc import add_oidc_trust
from connectors.aws.policy import (
    RESTRICTING_KEYS,
    Effective,
    Statement,
    Target,
    TargetIndex,
    bits,
    classes,
    compile_document,
    evaluate,
    forget_documents,
    intersect,
    service_mask,
    union,
)
from connectors.aws.resources import PROVIDER, RegionBuilder, RegionResult, role_node
from connectors.aws.routes import ROUTES, Route
from scanner.model import (
    WRITE_ACTIONS,
    Action,
    AttrValue,
    CoverageGap,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    Node,
    NodeId,
    NodeKind,
    node_id,
)
from scanner.owners import IAM_PATH_ATTR

_ASSUME = bits([ASSUME])
_TAKE_ROLE = bits(TAKEOVER_ROLE)
_TAKE_USER = bits(TAKEOVER_USER)
_ESCALATE = bits(ESCALATION)
_READ_SECRET = bits(READ_SECRET)
_IAM_SERVICES = frozenset({"iam-role", "iam-user"})
_Planned = Planned
_USEFUL: dict[tuple[int, str], bool] = {}


def _route_bits(actions: tuple[str, ...]) -> int:
    """Bits of a route's actions; 0 when one of them is not catalogued (the route cannot be judged)."""
    masks = [bits([a]) for a in actions]
    return 0 if not all(masks) else sum(masks)


def _useful(mask: int, service: str) -> bool:
    """Whether ``mask`` on a target of ``service`` makes an edge (what ``_Builder._grant`` checks)."""
    key = (mask, service)
    found = _USEFUL.get(key)
    if found is None:
        m = mask & service_mask(service)
        found = bool(m & _READ_SECRET) if service == "secretsmanager" else bool(m and classes(m))
        if len(_USEFUL) < 100_000:
            _USEFUL[key] = found
    return found


def parse_date(value: str | None) -> datetime | None:
    """An AWS timestamp (ISO-8601, or the credential report's forms); None for N/A and the like."""
    if not value or value in ("N/A", "no_information", "not_supported"):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class _Principal:
    node: NodeId
    account: str
    statements: tuple[Statement, ...]
    boundary: tuple[Statement, ...] | None
    units: tuple[Unit, ...] = ()  # the policies the statements come from (connectors.aws.junctions)


class _UnitPlans:
    """The grant edges of each principal as its policy units' edge sets (connectors.aws.junctions): each
    unit evaluated once with a given set of denies and boundary, equal edge sets interned."""

    def __init__(self, b: _Builder, index: TargetIndex, own_by_service: dict[str, dict[str, list[int]]]) -> None:
        self.b, self.index, self.own = b, index, own_by_service
        self.plans: dict[tuple[Hashable, ...], tuple[_Planned, ...]] = {}
        self.interned: dict[tuple[_Planned, ...], tuple[_Planned, ...]] = {}
        self.by_principal: dict[tuple[Hashable, ...], tuple[Effective, list[tuple[_Planned, ...]]]] = {}
        self.effective: dict[tuple[Hashable, ...], Effective] = {}  # each unit with some denies and boundary
        self.boundaries: dict[tuple[int, ...], Effective] = {}
        self.by_target_mask: dict[tuple[int, int], list[_Planned]] = {}  # one mask on one target: the same edges

    def of(
        self, p: _Principal, key: tuple[tuple[int, ...], tuple[int, ...] | None]
    ) -> tuple[Effective, list[tuple[_Planned, ...]]]:
        """What ``p``'s policies allow, and the non-empty edge sets of its units: evaluation distributes
        over the units, so the union of theirs is ``p``'s (merged by edge key, the edge sets are ``p``'s
        grants) — each unit is evaluated once for every principal with the same denies and boundary."""
        pkey = (*key, p.account)
        found = self.by_principal.get(pkey)
        if found is not None:
            return found
        dkey, denies = deny_part(p.statements)
        bkey = key[1]
        beff: Effective | None = None
        if p.boundary is not None and bkey is not None:
            beff = self.boundaries.get(bkey)
            if beff is None:
                beff = self.boundaries[bkey] = evaluate(p.boundary, self.index, self.b.as_of)
        effs: list[Effective] = []
        out: list[tuple[_Planned, ...]] = []
        for ukey, stmts in p.units:
            full = (ukey, dkey, bkey, p.account)
            plan = self.plans.get(full)
            eff = self.effective.get(full[:3])
            if eff is None:
                eff = self.effective[full[:3]] = intersect(evaluate(stmts + denies, self.index, self.b.as_of), beff)
            if plan is None:
                made = tuple(
                    e for t in self.b._granted_targets(eff, p.account, self.own) for e in self.plan_of(t, eff.on(t))
                )
                plan = self.plans[full] = self.interned.setdefault(made, made)
            effs.append(eff)
            if plan and all(plan is not o for o in out):
                out.append(plan)
        whole = union(effs) if effs else intersect(evaluate(p.statements, self.index, self.b.as_of), beff)
        self.by_principal[pkey] = (whole, out)
        return whole, out

    def plan_of(self, t: int, mask: int) -> list[_Planned]:
        found = self.by_target_mask.get((t, mask))
        if found is None:
            found = self.by_target_mask[(t, mask)] = self.b._plan(t, mask)
        return found


class _Builder:
    def __init__(self, raw_: raw.AwsRaw, compact: bool = True) -> None:
        self.raw = raw_
        self.compact = compact
        self.inv = Inventory()
        self.targets: list[Target] = []
        self.resource_policies: list[tuple[NodeId, tuple[Statement, ...], str]] = []
        self.readable: dict[NodeId, list[NodeId]] = {}
        self.principals: list[_Principal] = []
        self.arn_nodes: dict[str, NodeId] = {}
        self.trusts_account: dict[str, list[int]] = {}  # account id -> role targets whose trust names its root
        self.exposures: dict[NodeId, set[str]] = {}
        self.unknown_use: dict[str, str] = {}  # access key id -> the file that would say when it was used
        self.admin_nodes: set[str] = set()
        self.collected = {a.account_id for a in raw_.accounts}
        # each principal's evaluated identity policies, for the identity side of cross-account grants
        self.effective: dict[NodeId, Effective] = {}
        self.as_of = parse_date(raw_.collected_at)
        # roles each service may assume, by (account, service principal); route edges to aim at them
        self.service_roles: dict[tuple[str, str], list[raw.RoleDetail]] = {}
        self.pending_routes: list[tuple[_Principal, Route]] = []
        # trusts naming a principal of another collected account: (principal, role, role target, conditions, ev)
        self.pending_trusts: list[tuple[NodeId, NodeId, int, tuple[tuple[str, str], ...], tuple[Evidence, ...]]] = []
        self.junctions = Junctions(self.inv)

    # --- IAM ---------------------------------------------------------------------------------------

    def iam(self, acct: raw.Account) -> None:
        auth = acct.auth
        if auth is None:
            self.inv.add_gap(
                CoverageGap(
                    PROVIDER,
                    acct.account_id,
                    f"{acct.folder}/iam-get-account-authorization-details.json",
                    "IAM not collected",
                )
            )
            return
        ev = (Evidence(f"{acct.folder}/iam-get-account-authorization-details.json"),)
        managed = {p.Arn: p for p in auth.Policies}
        missing: set[str] = set()

        compiled: dict[str, tuple[Statement, ...] | None] = {}

        def managed_doc(arn: str) -> tuple[Statement, ...] | None:
            # A managed policy is attached to many principals: its document is compiled once.
            if arn not in compiled:
                pol = managed.get(arn)
                doc = pol.default_document() if pol else None
                compiled[arn] = None if doc is None else compile_document(doc)
            return compiled[arn]

        def docs(
            attached: Iterable[raw.AttachedPolicy], inline: Iterable[raw.InlinePolicy], units: list[Unit]
        ) -> list[Statement]:
            out: list[Statement] = []
            for a in attached:
                stmts = managed_doc(a.PolicyArn)
                if stmts is None:
                    missing.add(a.PolicyArn)
                    continue
                out.extend(stmts)
                units.extend(managed_unit(a.PolicyArn, stmts))
            for i in inline:
                stmts = compile_document(i.PolicyDocument)
                out.extend(stmts)
                units.extend(inline_units(stmts))
            return out

        def boundary(b: raw.Boundary | None) -> tuple[Statement, ...] | None:
            if b is None:
                return None
            stmts = managed_doc(b.PermissionsBoundaryArn)
            if stmts is None:
                missing.add(b.PermissionsBoundaryArn)
            return stmts

        groups: dict[str, tuple[list[Statement], list[Unit]]] = {}
        for grp in auth.GroupDetailList:
            g_stmts = docs(grp.AttachedManagedPolicies, grp.GroupPolicyList, [])
            groups[grp.GroupName] = (g_stmts, managed_unit(grp.Arn, g_stmts))
        report = {row["arn"]: row for row in acct.credential_report or ()}
        if acct.credential_report is None and auth.UserDetailList and not acct.answered("iam get-credential-report"):
            self.inv.add_gap(
                CoverageGap(
                    PROVIDER,
                    acct.account_id,
                    f"{acct.folder}/iam-get-credential-report.csv",
                    "not collected: the users' console passwords and MFA (RB10) are unknown",
                )
            )
        for u in auth.UserDetailList:
            nid = node_id(PROVIDER, "user", u.Arn)
            row = report.get(u.Arn)
            attrs: dict[str, AttrValue] = {
                "account": acct.account_id,
                "arn": u.Arn,
                "created": u.CreateDate,
                "groups": tuple(u.GroupList),
            }
            if row is not None:
                attrs["interactive_login"] = row.get("password_enabled") == "true"
                attrs["password_last_used"] = row.get("password_last_used") or None
                attrs["mfa_active"] = row.get("mfa_active") == "true"
            attrs[IAM_PATH_ATTR] = u.Path  # tags and the IAM path may name an owner (docs/owners.md)
            self.inv.add_node(
                Node(nid, NodeKind.IDENTITY, u.UserName, PROVIDER, "aws:iam-user", acct.account_id, attrs,
                     tags=raw.tag_pairs(u.Tags), evidence=ev)
            )  # fmt: skip
            self.arn_nodes[u.Arn] = nid
            units: list[Unit] = []
            stmts = docs(u.AttachedManagedPolicies, u.UserPolicyList, units)
            for g in u.GroupList:
                g_stmts, g_units = groups.get(g, ([], []))
                stmts.extend(g_stmts)
                units.extend(g_units)
            self.principals.append(
                _Principal(nid, acct.account_id, tuple(stmts), boundary(u.PermissionsBoundary), tuple(units))
            )
            self.targets.append(Target(nid, acct.account_id, "iam-user", (u.Arn,)))
            self._keys(acct, u, row)
        for r in auth.RoleDetailList:
            nid = role_node(r.Arn)
            last = r.RoleLastUsed.LastUsedDate if r.RoleLastUsed else None
            attrs = {"account": acct.account_id, "arn": r.Arn, "created": r.CreateDate, "last_used": last,
                     IAM_PATH_ATTR: r.Path}  # fmt: skip
            self.inv.add_node(
                Node(nid, NodeKind.IDENTITY, r.RoleName, PROVIDER, "aws:iam-role", acct.account_id, attrs,
                     tags=raw.tag_pairs(r.Tags), evidence=ev)
            )  # fmt: skip
            self.arn_nodes[r.Arn] = nid
            units = []
            r_stmts = tuple(docs(r.AttachedManagedPolicies, r.RolePolicyList, units))
            self.principals.append(
                _Principal(nid, acct.account_id, r_stmts, boundary(r.PermissionsBoundary), tuple(units))
            )
            self.targets.append(Target(nid, acct.account_id, "iam-role", (r.Arn,)))
        for arn in sorted(missing):
            self.inv.add_gap(
                CoverageGap(PROVIDER, acct.account_id, arn, "policy attached but its document is not in the export")
            )

    def _keys(self, acct: raw.Account, u: raw.UserDetail, row: dict[str, str] | None) -> None:
        listed = acct.access_keys.get(u.UserName)
        user = node_id(PROVIDER, "user", u.Arn)
        if listed is not None:
            for k in listed.AccessKeyMetadata:
                lu = acct.key_last_used.get(k.AccessKeyId)
                last = parse_date(lu.AccessKeyLastUsed.LastUsedDate) if lu else None
                never: bool | None = lu is not None and last is None
                if lu is None:
                    # Its own answer was not collected: the credential report's row for the key (same creation
                    # time) says the same; without either, when it was last used is unknown, not "used".
                    last, never = _report_use(row, parse_date(k.CreateDate))
                    if never is None:
                        self._unknown_use(acct, k.AccessKeyId)
                rel = f"{acct.folder}/iam-list-access-keys/{name_part(u.UserName)}.json"
                self._key(
                    acct.account_id,
                    user,
                    u.UserName,
                    k.AccessKeyId,
                    k.Status == "Active",
                    parse_date(k.CreateDate),
                    last,
                    never,
                    rel,
                )
            return
        if acct.auth is not None and not acct.answered(f"iam list-access-keys {u.UserName}"):
            self.inv.add_gap(
                CoverageGap(
                    PROVIDER,
                    acct.account_id,
                    f"{acct.folder}/iam-list-access-keys/{name_part(u.UserName)}.json",
                    "not collected: the user's access keys are known only from the credential report"
                    if row is not None
                    else "not collected: the user's access keys are not in the scan",
                )
            )
        for slot in ("1", "2"):
            if row is None or row.get(f"access_key_{slot}_active") not in ("true", "false"):
                continue
            created = parse_date(row.get(f"access_key_{slot}_last_rotated"))
            if created is None:
                continue
            last = parse_date(row.get(f"access_key_{slot}_last_used_date"))
            self._key(
                acct.account_id,
                user,
                u.UserName,
                f"{u.Arn}#key{slot}",
                row[f"access_key_{slot}_active"] == "true",
                created,
                last,
                last is None,
                f"{acct.folder}/iam-get-credential-report.csv",
            )

    def _unknown_use(self, acct: raw.Account, key_id: str) -> None:
        """The key's last-use answer is not in the bundle: a gap naming it (unless the manifest says why), and
        the key says which file would have told (RB09 lists it as not assessed)."""
        rel = f"{acct.folder}/iam-get-access-key-last-used/{name_part(key_id)}.json"
        self.unknown_use[key_id] = f"{rel} not collected"
        if not acct.answered(f"iam get-access-key-last-used {key_id}"):
            self.inv.add_gap(
                CoverageGap(
                    PROVIDER, acct.account_id, rel, "not collected: when the access key was last used is unknown"
                )
            )

    def _key(
        self,
        account: str,
        user: NodeId,
        user_name: str,
        key_id: str,
        active: bool,
        created: datetime | None,
        last: datetime | None,
        never: bool | None,
        rel: str,
    ) -> None:
        kid = node_id(PROVIDER, "access-key", key_id)
        use: dict[str, AttrValue] = {"never_used": never} if never is not None else {}
        if key_id in self.unknown_use:
            use = {"unknown": ("last_used",), "unknown_why": self.unknown_use[key_id]}
        self.inv.add_node(
            Node(
                kid,
                NodeKind.CREDENTIAL,
                f"{user_name} access key {key_id.rsplit('#', 1)[-1]}",
                PROVIDER,
                "aws:access-key",
                account,
                {"active": active, "user": user_name, **use},
                credential=CredentialInfo(Lifetime.STATIC, created=created, last_used=last),
                evidence=(Evidence(rel),),
            )
        )
        self.inv.add_edge(Edge(kid, user, EdgeKind.AUTHENTICATES_AS, via="access key", evidence=(Evidence(rel),)))

    # --- trust policies ----------------------------------------------------------------------------

    def trust(self, acct: raw.Account, index: TargetIndex, role_targets: dict[str, int]) -> None:
        if acct.auth is None:
            return
        for r in acct.auth.RoleDetailList:
            role = role_node(r.Arn)
            ev = (Evidence(f"{acct.folder}/iam-get-account-authorization-details.json"),)
            for n, s in enumerate(compile_document(r.AssumeRolePolicyDocument)):
                if (
                    not s.allow
                    or not s.raw_actions
                    or not any(
                        a.casefold().startswith("sts:assumerole") or a == "*" or a.casefold() == "sts:*"
                        for a in s.raw_actions
                    )
                ):
                    continue
                conds = tuple((f"{op}:{key}", ",".join(vals)) for op, key, vals in s.conditions)
                for typ, value in s.principals:
                    if typ == "*":
                        if not self._restricted(s):
                            self.inv.add_edge(
                                Edge(
                                    self._public(),
                                    role,
                                    EdgeKind.CAN_ASSUME,
                                    via="trust policy Principal *",
                                    conditions=conds,
                                    evidence=ev,
                                )
                            )
                    elif typ == "AWS":
                        account = _account_of(value)
                        if value == account or value.endswith(":root"):
                            if account in self.collected:
                                self.trusts_account.setdefault(account, []).append(role_targets[r.Arn])
                            else:
                                self.inv.add_edge(
                                    Edge(
                                        self._external(account),
                                        role,
                                        EdgeKind.CAN_ASSUME,
                                        via="trust policy",
                                        conditions=conds,
                                        evidence=ev,
                                    )
                                )
                        elif account != acct.account_id and account in self.collected:
                            # Cross-account: the principal's own identity policies must allow sts:AssumeRole
                            # too, judged once they are evaluated (see assume_cross_account).
                            if (src_node := self.arn_nodes.get(value)) is not None:
                                self.pending_trusts.append((src_node, role, role_targets[r.Arn], conds, ev))
                        else:
                            src = self.arn_nodes.get(value) or self._external(value)
                            self.inv.add_edge(
                                Edge(src, role, EdgeKind.CAN_ASSUME, via="trust policy", conditions=conds, evidence=ev)
                            )
                    elif typ == "Service":
                        self.service_roles.setdefault((acct.account_id, value.casefold()), []).append(r)
                    elif typ == "Federated" and ":oidc-provider/" in value:
                        add_oidc_trust(self.inv, acct, r, n, s, value, ev)

    def _restricted(self, s: Statement) -> bool:
        return any(key.casefold() in RESTRICTING_KEYS for _, key, _ in s.conditions)

    def _public(self) -> NodeId:
        nid = node_id(PROVIDER, "principal", "*")
        self.inv.add_node(
            Node(nid, NodeKind.IDENTITY, 'any AWS principal (Principal "*")', PROVIDER, "aws:public-principal")
        )
        return nid

    def _external(self, value: str) -> NodeId:
        nid = node_id(PROVIDER, "external-principal", value)
        self.inv.add_node(
            Node(
                nid,
                NodeKind.IDENTITY,
                value,
                PROVIDER,
                "aws:external-principal",
                _account_of(value),
                {"external": True},
            )
        )
        return nid

    def _admin(self, account: str) -> NodeId:
        nid = node_id(PROVIDER, "account-control", account)
        if account not in self.admin_nodes:
            self.admin_nodes.add(account)
            self.inv.add_node(
                Node(
                    nid,
                    NodeKind.IDENTITY,
                    f"full control of account {account}",
                    PROVIDER,
                    "aws:account-control",
                    account,
                )
            )
            for t in self.targets:
                if t.account != account:
                    continue
                if t.service == "iam-role":
                    self.inv.add_edge(Edge(nid, t.node, EdgeKind.CAN_ASSUME, via="iam:PassRole/UpdateAssumeRolePolicy"))
                elif t.service == "secretsmanager":
                    self.inv.add_edge(Edge(nid, t.node, EdgeKind.CAN_READ_SECRET, via="account control"))
                elif t.service != "iam-user":
                    self.inv.add_edge(
                        Edge(nid, t.node, EdgeKind.GRANTS, frozenset({Action.ADMIN}), via="account control")
                    )
        return nid

    # --- identity policies -------------------------------------------------------------------------

    def grants(self, index: TargetIndex) -> None:
        # The account's own non-IAM targets, by service, in target order.
        own_by_service: dict[str, dict[str, list[int]]] = {}
        for i, tgt in enumerate(self.targets):
            if tgt.service not in _IAM_SERVICES:
                own_by_service.setdefault(tgt.account, {}).setdefault(tgt.service, []).append(i)
        # Principals with the same policies (the same groups, the same attachments) share one evaluation;
        # compiled statements are shared objects, so their identities are the key.
        seen: dict[tuple[tuple[int, ...], tuple[int, ...] | None], Effective] = {}
        units = _UnitPlans(self, index, own_by_service)
        # Each principal's grants as its units' edge sets (connectors.aws.junctions); a set held by
        # several principals becomes one junction.
        held: list[tuple[_Principal, Effective, list[tuple[_Planned, ...]]]] = []
        holders: dict[int, int] = {}
        for p in self.principals:
            key = (tuple(map(id, p.statements)), None if p.boundary is None else tuple(map(id, p.boundary)))
            plans: list[tuple[_Planned, ...]] = []
            if self.compact:
                eff, plans = units.of(p, key)
            else:
                found = seen.get(key)
                if found is None:
                    found = evaluate(p.statements, index, self.as_of)
                    if p.boundary is not None:
                        found = intersect(found, evaluate(p.boundary, index, self.as_of))
                    seen[key] = found
                eff = found
                if eff.anywhere:  # every edge of the principal's whole evaluation, stored as is
                    targets = self._granted_targets(eff, p.account, own_by_service)
                    plans = [tuple(e for t in targets for e in units.plan_of(t, eff.on(t)))]
            self.effective[p.node] = eff
            for route in ROUTES:
                need = _route_bits(route.actions)
                if need and eff.everywhere & need == need:
                    self.pending_routes.append((p, route))
            if not eff.anywhere:
                plans = []
            for plan in plans:
                holders[id(plan)] = holders.get(id(plan), 0) + 1
            held.append((p, eff, plans))
        add = self.inv.add_edge
        for p, eff, plans in held:
            if not eff.anywhere:
                continue
            if eff.anywhere & _ESCALATE or eff.everywhere & (_TAKE_ROLE | _TAKE_USER):
                add(
                    Edge(
                        p.node,
                        self._admin(p.account),
                        EdgeKind.CAN_ASSUME,
                        via="iam permission management (privilege escalation)",
                    )
                )
            for plan in plans:
                if self.compact and len(plan) > 1 and holders[id(plan)] > 1:
                    self.junctions.hold(p.node, self.junctions.grants(p.account, plan), via="identity policy")
                    continue
                for dst, kind, acts, via in plan:
                    add(Edge(p.node, dst, kind, acts, via=via))
            self._assume(p, eff)
            for t, m in eff.per_target.items():
                tg = self.targets[t]
                if tg.account != p.account or tg.node == p.node:
                    continue
                if (tg.service == "iam-role" and m & _TAKE_ROLE) or (tg.service == "iam-user" and m & _TAKE_USER):
                    add(Edge(p.node, tg.node, EdgeKind.CAN_ASSUME, via="iam credential or trust takeover"))

    def _assume(self, p: _Principal, eff: Effective) -> None:
        """``sts:AssumeRole`` on the roles whose trust delegates to the principal's account: through the
        account's trust junction when the principal may assume every one of them, else one edge each."""
        roles = self._assumable(eff, p.account)
        trusting = self.trusts_account.get(p.account, ())
        if self.compact and len(trusting) > 1 and len(roles) == len(trusting):
            jid = self.junctions.roles(
                trust_junction(p.account),
                f"roles whose trust delegates to account {p.account}",
                p.account,
                (self.targets[t].node for t in trusting),
                TRUST_VIA,
            )
            self.junctions.hold(p.node, jid, via="sts:AssumeRole (identity policy, every role)")
            return
        for t in roles:
            if self.targets[t].node != p.node:
                self.inv.add_edge(Edge(p.node, self.targets[t].node, EdgeKind.CAN_ASSUME, via=TRUST_VIA))

    def _assumable(self, eff: Effective, account: str) -> list[int]:
        """The roles trusting ``account`` that ``eff`` may assume, in trust order: all of them when the
        account-wide mask allows sts:AssumeRole (but those a per-target entry denies), else only those
        named per target — a principal costs what it may assume, not the number of trusting roles."""
        if not eff.anywhere & _ASSUME:
            return []
        trusting = self.trusts_account.get(account, ())
        if eff.everywhere & _ASSUME:
            per = eff.per_target
            return [t for t in trusting if t not in per or per[t] & _ASSUME]
        named = {t for t, m in eff.per_target.items() if m & _ASSUME}
        return [t for t in trusting if t in named] if named else []

    def _granted_targets(
        self, eff: Effective, account: str, own_by_service: dict[str, dict[str, list[int]]]
    ) -> list[int]:
        """The account's own non-IAM targets on which ``eff`` may grant something, ascending: every target
        of a service the account-wide mask reaches, plus the targets named per target. The others
        would yield no edge, so a principal costs what it grants, not the number of targets."""
        services = own_by_service.get(account)
        if not services:
            return []
        out: set[int] = set()
        if eff.everywhere:
            for service, ts in services.items():
                if _useful(eff.everywhere, service):
                    out.update(ts)
        targets = self.targets
        for t in eff.per_target:
            tg = targets[t]
            if tg.account == account and tg.service not in _IAM_SERVICES:
                out.add(t)
        return sorted(out)

    def _plan(self, t: int, mask: int, via: str = "identity policy") -> list[_Planned]:
        """The edges ``mask`` on target ``t`` gives its holder (destination, kind, actions, via)."""
        tg = self.targets[t]
        m = mask & service_mask(tg.service)
        if not m:
            return []
        if tg.service == "secretsmanager":
            return [(tg.node, EdgeKind.CAN_READ_SECRET, frozenset(), via)] if m & _READ_SECRET else []
        acts = classes(m)
        if not acts:
            return []
        out: list[_Planned] = [(tg.node, EdgeKind.GRANTS, acts, via)]
        if Action.READ in acts or Action.ADMIN in acts:
            out += [
                (sid, EdgeKind.CAN_READ_SECRET, frozenset(), "codebuild:BatchGetProjects")
                for sid in self.readable.get(tg.node, ())
            ]
        return out

    def _grant(self, src: NodeId, t: int, mask: int, via: str = "identity policy") -> frozenset[Action]:
        acts: frozenset[Action] = frozenset()
        for dst, kind, a, v in self._plan(t, mask, via):
            self.inv.add_edge(Edge(src, dst, kind, a, via=v))
            if kind is EdgeKind.GRANTS:
                acts = a
            elif dst == self.targets[t].node:  # a secret read
                acts = frozenset({Action.READ})
        return acts

    # --- resource policies -------------------------------------------------------------------------

    def resource_grants(self) -> None:
        pos = {t.node: i for i, t in enumerate(self.targets)}
        for node, stmts, rel in self.resource_policies:
            t = pos[node]
            tg = self.targets[t]
            for s in stmts:
                if not s.allow or s.not_principal:
                    continue
                if s.resources is not None and s.resources != ("*",):
                    index = TargetIndex([tg])
                    if index.match(s.resources, s.not_resource) == frozenset():
                        continue
                for typ, value in s.principals:
                    if typ == "*":
                        if self._restricted(s):
                            continue
                        acts = self._grant(self._public(), t, s.actions, via=f"resource policy {rel}")
                        if acts:
                            self.exposures.setdefault(node, set()).add("public-principal")
                    elif typ == "AWS":
                        account = _account_of(value)
                        whole = value in (account, f"arn:aws:iam::{account}:root")
                        if whole and account == tg.account:
                            continue  # delegates to the account's own IAM policies
                        if account != tg.account and account in self.collected:
                            acts = self._cross_account(t, s.actions, value, whole, f"resource policy {rel}")
                        else:
                            src = self.arn_nodes.get(value) or self._external(value)
                            acts = self._grant(src, t, s.actions, via=f"resource policy {rel}")
                        if account != tg.account and acts & WRITE_ACTIONS:
                            self.exposures.setdefault(node, set()).add("cross-account-write")

    def routes(self) -> None:
        """Escalation routes through a service (connectors.aws.routes): an edge to each role the service may
        assume in the principal's account, with the route as its reason — through one junction per
        (account, route) when it reaches several roles."""
        reached: dict[tuple[str, str], list[NodeId]] = {}
        for p, route in self.pending_routes:
            key = (p.account, route.name)
            roles = reached.get(key)
            if roles is None:
                roles = reached[key] = self._route_roles(p.account, route)
            via = f"{route.name}: {route.reason}"
            if self.compact and len(roles) > 1:
                jid = self.junctions.roles(
                    route_junction(p.account, route.name),
                    f"roles {route.name} reaches in account {p.account}",
                    p.account,
                    roles,
                    via,
                )
                self.junctions.hold(p.node, jid, via=f"{route.name}: holds {', '.join(route.actions)} everywhere")
                continue
            for role in roles:
                if role != p.node:
                    self.inv.add_edge(Edge(p.node, role, EdgeKind.CAN_ASSUME, via=via))

    def _route_roles(self, account: str, route: Route) -> list[NodeId]:
        """The roles ``route`` reaches in ``account`` (whoever holds the route's permission)."""
        out: list[NodeId] = []
        for r in self.service_roles.get((account, route.service), ()):
            if route.instance_profile and not r.InstanceProfileList:
                continue
            role = role_node(r.Arn)
            if route.target_needs:
                need = _route_bits(route.target_needs)
                eff = self.effective.get(role)
                if eff is None or eff.everywhere & need != need:
                    continue
            out.append(role)
        return out

    def assume_cross_account(self) -> None:
        """Trusts naming a principal of another collected account hold only if that principal may call
        sts:AssumeRole on the role (both sides)."""
        for src, role, t, conds, ev in self.pending_trusts:
            eff = self.effective.get(src)
            if eff is not None and eff.on(t) & _ASSUME:
                self.inv.add_edge(
                    Edge(src, role, EdgeKind.CAN_ASSUME, via="trust policy + identity policy", conditions=conds,
                         evidence=ev)
                )  # fmt: skip

    def _cross_account(self, t: int, allowed: int, value: str, whole: bool, via: str) -> frozenset[Action]:
        """A resource policy letting in a principal of another collected account grants only what that
        principal's own identity policies also allow on the resource: both sides are needed. ``whole``: the
        policy names the account, so every principal of it whose identity policies allow it is let in."""
        account = _account_of(value)
        if whole:
            principals = [p.node for p in self.principals if p.account == account]
        else:
            known = self.arn_nodes.get(value)
            principals = [known] if known is not None else []
        out: frozenset[Action] = frozenset()
        for src in principals:
            eff = self.effective.get(src)
            mask = allowed & eff.on(t) if eff is not None else 0
            if mask:
                out |= self._grant(src, t, mask, via=f"{via} + identity policy")
        return out

    def finish(self) -> None:
        for node, found in self.exposures.items():
            old = self.inv.node(node)
            self.inv.add_node(
                Node(
                    old.id,
                    old.kind,
                    old.name,
                    old.provider,
                    old.subtype,
                    old.scope,
                    {"exposures": tuple(sorted(found))},
                )
            )


def _report_use(row: dict[str, str] | None, created: datetime | None) -> tuple[datetime | None, bool | None]:
    """When the credential report's key slot created at ``created`` was last used: (time, False), (None, True)
    for never, (None, None) when the report does not say."""
    for slot in ("1", "2"):
        if row is None or created is None or parse_date(row.get(f"access_key_{slot}_last_rotated")) != created:
            continue
        value = row.get(f"access_key_{slot}_last_used_date") or ""
        last = parse_date(value) if value not in ("N/A", "no_information") else None
        if last is not None:
            return last, False
        return (None, True) if value == "N/A" else (None, None)
    return None, None


def _account_of(value: str) -> str:
    if value.isdigit():
        return value
    parts = value.split(":")
    return parts[4] if len(parts) > 4 else ""


def transform(raw_: raw.AwsRaw, *, compact: bool = True) -> Inventory:
    """Build the AWS inventory: identities, credentials, registries, pipelines and the edges policies imply.
    ``compact=False`` stores every edge itself, without junctions (the tests compare both)."""
    try:
        return _transform(raw_, compact)
    finally:
        # The compiled documents are the transform's own: kept, they held ~117 MB for the rest of the
        # large benchmark estate's analysis (42k documents), and a scheduler's process would keep
        # every scan's.
        forget_documents()


def _transform(raw_: raw.AwsRaw, compact: bool) -> Inventory:
    b = _Builder(raw_, compact)
    results: list[RegionResult] = []
    for acct in raw_.accounts:
        b.iam(acct)
        for region in acct.regions:
            results.append(RegionBuilder(b.inv, acct.account_id, region, acct).build())
    for acct in raw_.accounts:
        if acct.auth is not None:
            b.targets.extend(account_wide(b.inv, acct.account_id, acct.folder))
    for res in results:
        b.targets.extend(res.targets)
        b.resource_policies.extend(res.resource_policies)
        b.readable.update(res.readable)
    index = TargetIndex(b.targets)
    role_targets = {t.arns[0]: i for i, t in enumerate(b.targets) if t.service == "iam-role"}
    for acct in raw_.accounts:
        b.trust(acct, index, role_targets)
    b.grants(index)
    b.routes()
    b.assume_cross_account()
    b.resource_grants()
    b.finish()
    _drop_dangling(b.inv)
    return b.inv


def _drop_dangling(inv: Inventory) -> None:
    """Service roles named by builds/pipelines whose IAM was not collected become placeholder nodes."""
    for e in inv.dangling():
        for end in (e.src, e.dst):
            if end not in inv:
                arn = end.split(":", 2)[2]
                inv.add_node(
                    Node(
                        end,
                        NodeKind.IDENTITY,
                        arn.rsplit("/", 1)[-1],
                        PROVIDER,
                        "aws:iam-role",
                        _account_of(arn),
                        {"arn": arn},
                    )
                )
