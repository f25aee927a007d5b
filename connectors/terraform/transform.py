"""Declared Terraform resources → an Inventory of what the states declare. Pure: no I/O.

Every node carries ``tf_state`` (the state file) and ``tf_address`` (``module.ci.aws_iam_user.x[0]``)
so drift can say where an object is declared. Policies, bindings and role assignments become
member-level ``grants`` edges (see :mod:`connectors.terraform.policy`); trust policies and
service-account bindings become ``can_assume`` edges. Secret values never get here: the state was
redacted on load and only fingerprints remain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors._types import iso_time
from connectors.terraform import policy
from connectors.terraform.ids import ID_FORMATS, manageable_subtypes, nid
from connectors.terraform.state import Instance
from scanner.model import (
    Action,
    AttrValue,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    Node,
    NodeId,
    NodeKind,
    expand_actions,
)

#: Id of the one bookkeeping node that tells the drift comparison which live subtypes should be
#: declared (so the core needs no provider table). Drift removes it before comparing.
MANAGEABLE_NODE = NodeId("terraform:manageable:subtypes")


@dataclass(frozen=True)
class TerraformRaw:
    """Every managed resource instance of every state file in the bundle."""

    instances: tuple[Instance, ...]
    states: tuple[str, ...]


def _s(attrs: Mapping[str, Any], key: str) -> str:
    v = attrs.get(key)
    return "" if v is None else str(v)


def _app_object_id(attrs: Mapping[str, Any]) -> str:
    # azuread v3: application_id = "/applications/OBJECT-ID"; v2: application_object_id
    app = _s(attrs, "application_id") or _s(attrs, "application_object_id")
    return app.rsplit("/", 1)[-1]


class _Builder:
    def __init__(self, raw: TerraformRaw) -> None:
        self.raw = raw
        self.inv = Inventory()
        self.by_type: dict[str, list[Instance]] = {}
        for i in raw.instances:
            self.by_type.setdefault(i.type, []).append(i)
        self.user_arn = {_s(i.attributes, "name"): _s(i.attributes, "arn") for i in self.of("aws_iam_user")}
        self.role_arn = {_s(i.attributes, "name"): _s(i.attributes, "arn") for i in self.of("aws_iam_role")}
        self.policy_doc = {_s(i.attributes, "arn"): i.attributes.get("policy") for i in self.of("aws_iam_policy")}
        self.ecr_arn = {_s(i.attributes, "name"): _s(i.attributes, "arn") for i in self.of("aws_ecr_repository")}
        self.scope_maps = {_s(i.attributes, "id").lower(): i for i in self.of("azurerm_container_registry_scope_map")}
        self.opaque: dict[NodeId, set[str]] = {}

    def of(self, rtype: str) -> list[Instance]:
        return self.by_type.get(rtype, [])

    # -- helpers -------------------------------------------------------------------------------

    def node(
        self,
        inst: Instance,
        fmt: str,
        native: str,
        name: str,
        attrs: Mapping[str, AttrValue] | None = None,
        credential: CredentialInfo | None = None,
    ) -> NodeId:
        f = ID_FORMATS[fmt]
        node_id = nid(fmt, native)
        base: dict[str, AttrValue] = {"tf_state": inst.state, "tf_address": inst.address, "tf_type": inst.type}
        self.inv.add_node(
            Node(
                id=node_id,
                kind=f.node_kind,
                name=name,
                provider=f.provider,
                subtype=f.subtype,
                attrs={**base, **(attrs or {})},
                credential=credential,
                evidence=(Evidence(inst.state),),
            )
        )
        return node_id

    def grant(self, g: policy.Grant, inst: Instance) -> None:
        if g.actions:
            self.inv.add_edge(
                Edge(g.member, g.resource, EdgeKind.GRANTS, expand_actions(g.actions), via=g.via,
                     evidence=(Evidence(inst.state),))
            )  # fmt: skip

    def assume(self, member: NodeId, target: NodeId, via: str, conditions: tuple[tuple[str, str], ...] = ()) -> None:
        self.inv.add_edge(Edge(member, target, EdgeKind.CAN_ASSUME, via=via, conditions=conditions))

    def link(self, src: NodeId, dst: NodeId, kind: EdgeKind, via: str) -> None:
        self.inv.add_edge(Edge(src, dst, kind, via=via))

    def principal(self, kind: str, name: str) -> NodeId:
        """An AWS user/role by the name an attachment uses; the ARN when the state declares it."""
        table = self.user_arn if kind == "user" else self.role_arn
        arn = table.get(name) or f"arn:aws:iam::*:{kind}/{name}"
        return nid(f"aws_{kind}", arn)

    # -- AWS -----------------------------------------------------------------------------------

    def aws(self) -> None:
        for i in self.of("aws_iam_user"):
            a = i.attributes
            self.node(i, "aws_user", _s(a, "arn"), _s(a, "name"))
        for i in self.of("aws_iam_role"):
            a = i.attributes
            role = self.node(i, "aws_role", _s(a, "arn"), _s(a, "name"))
            for t in policy.trust_policy(a.get("assume_role_policy")):
                self.assume(t.member, role, f"{i.address} assume_role_policy", t.conditions)
            for inline in a.get("inline_policy") or []:
                if isinstance(inline, dict) and inline.get("policy"):
                    for g in policy.identity_policy_grants(role, inline["policy"], f"{i.address} inline_policy"):
                        self.grant(g, i)
        for i in self.of("aws_iam_access_key"):
            a = i.attributes
            user = self.principal("user", _s(a, "user"))
            secret_fp = a.get("secret")
            key = self.node(
                i,
                "aws_access_key",
                _s(a, "id"),
                _s(a, "id"),
                {"active": (_s(a, "status") or "Active") == "Active", "user": _s(a, "user")},
                CredentialInfo(
                    Lifetime.STATIC,
                    created=iso_time(a.get("create_date")),
                    fingerprint=secret_fp if isinstance(secret_fp, str) else None,
                ),
            )
            self.link(key, user, EdgeKind.AUTHENTICATES_AS, i.address)
        for kind, rtype in (("user", "aws_iam_user_policy"), ("role", "aws_iam_role_policy")):
            for i in self.of(rtype):
                member = self.principal(kind, _s(i.attributes, kind))
                for g in policy.identity_policy_grants(member, i.attributes.get("policy"), i.address):
                    self.grant(g, i)
        for kind in ("user", "role"):
            for i in self.of(f"aws_iam_{kind}_policy_attachment"):
                self.attach([self.principal(kind, _s(i.attributes, kind))], _s(i.attributes, "policy_arn"), i)
        for i in self.of("aws_iam_policy_attachment"):
            a = i.attributes
            members = [self.principal("user", str(u)) for u in a.get("users") or []]
            members += [self.principal("role", str(r)) for r in a.get("roles") or []]
            self.attach(members, _s(a, "policy_arn"), i)
        for i in self.of("aws_ecr_repository_policy"):
            a = i.attributes
            name = _s(a, "repository")
            arn = self.ecr_arn.get(name) or f"arn:aws:ecr:*:{_s(a, 'registry_id') or '*'}:repository/{name}"
            for g in policy.resource_policy_grants(nid("aws_ecr_repo", arn), "ecr", a.get("policy"), i.address):
                self.grant(g, i)
        for i in self.of("aws_codeartifact_repository_permissions_policy"):
            a = i.attributes
            arn = _s(a, "resource_arn") or (
                f"arn:aws:codeartifact:*:{_s(a, 'domain_owner') or '*'}:repository/{_s(a, 'domain')}/{_s(a, 'repository')}"
            )
            repo = nid("aws_codeartifact_repo", arn)
            for g in policy.resource_policy_grants(repo, "codeartifact", a.get("policy_document"), i.address):
                self.grant(g, i)

    def attach(self, members: list[NodeId], policy_arn: str, inst: Instance) -> None:
        doc = self.policy_doc.get(policy_arn)
        for m in members:
            if doc is None:
                # An AWS-managed (or other-stack) policy: its grants are declared but unknown here;
                # live grants through it are accepted as declared.
                self.opaque.setdefault(m, set()).add(policy_arn)
                continue
            for g in policy.identity_policy_grants(m, doc, policy_arn):
                self.grant(g, inst)

    # -- GCP -----------------------------------------------------------------------------------

    def gcp(self) -> None:
        for i in self.of("google_service_account"):
            a = i.attributes
            self.node(i, "gcp_service_account", _s(a, "email").lower(), _s(a, "email"),
                      {"disabled": a.get("disabled") if isinstance(a.get("disabled"), bool) else None})  # fmt: skip
        for i in self.of("google_service_account_key"):
            a = i.attributes
            name = _s(a, "name") or _s(a, "id")
            sa_email = name.split("/serviceAccounts/", 1)[-1].split("/", 1)[0] if "/serviceAccounts/" in name else ""
            key = self.node(
                i,
                "gcp_sa_key",
                name,
                name.rsplit("/", 1)[-1],
                credential=CredentialInfo(
                    Lifetime.STATIC,
                    created=iso_time(a.get("valid_after")),
                    expires=iso_time(a.get("valid_before")),
                    fingerprint=a["private_key"] if isinstance(a.get("private_key"), str) else None,
                ),
            )
            if sa_email:
                self.link(key, nid("gcp_service_account", sa_email.lower()), EdgeKind.AUTHENTICATES_AS, i.address)
        for i in self.of("google_iam_workload_identity_pool_provider"):
            a = i.attributes
            oidc = a.get("oidc") if isinstance(a.get("oidc"), list) else []
            issuer = oidc[0].get("issuer_uri") if oidc and isinstance(oidc[0], dict) else None
            self.node(
                i,
                "gcp_wif_provider",
                _s(a, "name"),
                _s(a, "workload_identity_pool_provider_id") or _s(a, "name"),
                {"issuer": issuer, "condition": _s(a, "attribute_condition") or None},
                CredentialInfo(Lifetime.SHORT_LIVED),
            )
        for i in self.instances_matching(
            lambda t: t.startswith("google_") and t.endswith(("_iam_member", "_iam_binding", "_iam_policy"))
        ):
            self.gcp_binding(i)

    def instances_matching(self, pred: Callable[[str], bool]) -> Iterable[Instance]:
        for t in sorted(self.by_type):
            if pred(t):
                yield from self.by_type[t]

    def gcp_target(self, inst: Instance) -> tuple[str, NodeId] | None:
        a = inst.attributes
        t = inst.type.rsplit("_iam_", 1)[0]
        if t == "google_artifact_registry_repository":
            repo = _s(a, "repository")
            if not repo.startswith("projects/"):
                repo = f"projects/{_s(a, 'project') or '*'}/locations/{_s(a, 'location') or '*'}/repositories/{repo}"
            return "resource", nid("gcp_ar_repo", repo)
        if t == "google_project":
            # a project-level role reaches every repository of the project
            return "resource", nid("gcp_ar_repo", f"projects/{_s(a, 'project')}/locations/*/repositories/*")
        if t == "google_storage_bucket":
            return "resource", nid("gcp_bucket", _s(a, "bucket").removeprefix("b/"))
        if t == "google_service_account":
            sa = _s(a, "service_account_id").rsplit("/", 1)[-1].lower()
            return "identity", nid("gcp_service_account", sa)
        return None

    def gcp_binding(self, inst: Instance) -> None:
        target = self.gcp_target(inst)
        if target is None:
            return
        what, tid = target
        a = inst.attributes
        pairs: list[tuple[str, str]] = []
        if inst.type.endswith("_iam_member"):
            pairs.append((_s(a, "role"), _s(a, "member")))
        elif inst.type.endswith("_iam_binding"):
            pairs.extend((_s(a, "role"), str(m)) for m in a.get("members") or [])
        else:
            for b in policy.parse_document(a.get("policy_data")).get("bindings") or []:
                if isinstance(b, dict):
                    pairs.extend((str(b.get("role", "")), str(m)) for m in b.get("members") or [])
        for role, member in pairs:
            mid = policy.gcp_member_id(member)
            if mid is None:
                continue
            if what == "identity":
                if role.lower() in policy.GCP_IMPERSONATION_ROLES:
                    self.assume(mid, tid, f"{inst.address} {role}")
            else:
                self.grant(policy.Grant(mid, tid, policy.gcp_role_actions(role), f"{inst.address} {role}"), inst)

    # -- Azure ---------------------------------------------------------------------------------

    def azure(self) -> None:
        for i in self.of("azurerm_role_assignment"):
            a = i.attributes
            ptype = _s(a, "principal_type").lower()
            fmt = {"user": "azure_user", "group": "azure_group"}.get(ptype, "azure_service_principal")
            member = nid(fmt, _s(a, "principal_id").lower())
            scope = _s(a, "scope").lower()
            if "/providers/microsoft.containerregistry/registries/" in scope:
                target = nid("azure_acr", scope)
            else:  # a subscription or resource-group scope reaches every registry under it
                target = nid("azure_acr", f"{scope}/*")
            acts = policy.azure_role_actions(_s(a, "role_definition_name"), _s(a, "role_definition_id"))
            self.grant(policy.Grant(member, target, acts, f"{i.address} {_s(a, 'role_definition_name')}"), i)
        for i in self.of("azurerm_container_registry_token"):
            a = i.attributes
            tid = _s(a, "id").lower().rstrip("/")
            token = self.node(
                i,
                "azure_acr_token",
                f"{tid}/*",
                _s(a, "name"),
                {"token_enabled": a.get("enabled") if isinstance(a.get("enabled"), bool) else None},
                CredentialInfo(Lifetime.STATIC),
            )
            registry = tid.split("/tokens/", 1)[0]
            sm = self.scope_maps.get(_s(a, "scope_map_id").lower())
            if sm is not None:
                acts = policy.acr_scope_actions(str(x) for x in sm.attributes.get("actions") or [])
                self.grant(policy.Grant(token, nid("azure_acr", registry), acts, sm.address), i)
        for i in self.of("azuread_application_password"):
            a = i.attributes
            app = _app_object_id(a)
            value = a.get("value")
            self.node(
                i,
                "azure_client_secret",
                f"{app}/{_s(a, 'key_id')}".lower(),
                _s(a, "display_name") or _s(a, "key_id"),
                credential=CredentialInfo(
                    Lifetime.STATIC,
                    created=iso_time(a.get("start_date")),
                    expires=iso_time(a.get("end_date")),
                    fingerprint=value if isinstance(value, str) else None,
                ),
            )
        for i in self.of("azuread_application_federated_identity_credential"):
            a = i.attributes
            app = _app_object_id(a)
            self.node(
                i,
                "azure_federated_credential",
                f"{app}/{_s(a, 'credential_id')}".lower(),
                _s(a, "display_name"),
                {
                    "issuer": _s(a, "issuer") or None,
                    "subject": _s(a, "subject") or None,
                    "audience": ",".join(sorted(str(x) for x in a.get("audiences") or [])) or None,
                },
                CredentialInfo(Lifetime.SHORT_LIVED),
            )

    # -- GitHub --------------------------------------------------------------------------------

    def github(self) -> None:
        # The GitHub provider's owner is provider configuration, not state: "*" is resolved
        # against the live ids by the drift comparison.
        for i in self.of("github_actions_secret"):
            a = i.attributes
            self.secret(i, "github_secret", f"*/{_s(a, 'repository')}/{_s(a, 'secret_name')}", a)
        for i in self.of("github_actions_environment_secret"):
            a = i.attributes
            native = f"*/{_s(a, 'repository')}/{_s(a, 'environment')}/{_s(a, 'secret_name')}"
            self.secret(i, "github_env_secret", native, a)
        for i in self.of("github_actions_organization_secret"):
            a = i.attributes
            self.secret(i, "github_org_secret", f"*/{_s(a, 'secret_name')}", a, {"visibility": _s(a, "visibility")})
        for i in self.of("github_repository_environment"):
            a = i.attributes
            reviewers = a.get("reviewers") or []
            protected = any(isinstance(r, dict) and (r.get("users") or r.get("teams")) for r in reviewers)
            env = _s(a, "environment")
            self.node(i, "github_environment", f"*/{_s(a, 'repository')}/{env}", env, {"protected": protected})

    def secret(
        self, inst: Instance, fmt: str, native: str, a: Mapping[str, Any], extra: Mapping[str, AttrValue] | None = None
    ) -> None:
        fp = a.get("plaintext_value") or a.get("encrypted_value")
        attrs: dict[str, AttrValue] = {"value_fingerprint": fp if isinstance(fp, str) else None, **(extra or {})}
        self.node(inst, fmt, native, _s(a, "secret_name"), attrs)

    # -- cross-links ---------------------------------------------------------------------------

    def exposes(self) -> None:
        """A secret whose value fingerprint equals a declared credential's holds that credential."""
        creds: dict[str, list[NodeId]] = {}
        for n in self.inv.nodes():
            if n.credential is not None and n.credential.fingerprint:
                creds.setdefault(n.credential.fingerprint, []).append(n.id)
        for n in list(self.inv.nodes()):
            fp = n.attr("value_fingerprint")
            if n.kind is NodeKind.SECRET and isinstance(fp, str):
                for c in creds.get(fp, []):
                    self.link(n.id, c, EdgeKind.EXPOSES, str(n.attr("tf_address")))

    def build(self) -> Inventory:
        self.aws()
        self.gcp()
        self.azure()
        self.github()
        self.exposes()
        for member, arns in self.opaque.items():
            node = self.inv.get(member)
            if node is not None:
                self.inv.add_node(
                    Node(member, node.kind, node.name, node.provider, node.subtype,
                         attrs={"tf_opaque_policies": tuple(sorted(arns))})
                )  # fmt: skip
        self.inv.add_node(
            Node(
                MANAGEABLE_NODE,
                NodeKind.RESOURCE,
                "subtypes Terraform can declare",
                "terraform",
                "terraform:meta",
                attrs={"subtypes": manageable_subtypes(), "states": self.raw.states},
            )
        )
        return self.inv


def transform(raw: TerraformRaw) -> Inventory:
    """Build the declared inventory of every state in the bundle."""
    return _Builder(raw).build()


__all__ = ["MANAGEABLE_NODE", "Action", "TerraformRaw", "transform"]
