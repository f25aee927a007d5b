"""Policies and bindings → member-level grants in action classes, so declared and live compare.

An IAM policy document, a GCP binding and an Azure role assignment all say "this member may do
these things on that resource". Each becomes ``Grant(member, resource, actions)``; the resource
may be a glob (``aws:ecr-repo:*``) when the policy names a wildcard.

The permission → action-class tables are data. Align them with the live connectors'
``actions.py`` tables when those land (the live side must map the same permission to the same
class, or every grant shows as changed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from connectors.terraform.ids import nid
from scanner.model import Action, NodeId

R, P, PR, A = Action.READ, Action.PUBLISH, Action.PROMOTE, Action.ADMIN

#: AWS IAM actions (lower-case) → action classes. Wildcards in a policy are matched against these.
AWS_ACTIONS: dict[str, frozenset[Action]] = {
    "ecr:batchgetimage": frozenset({R}),
    "ecr:getdownloadurlforlayer": frozenset({R}),
    "ecr:batchchecklayeravailability": frozenset({R}),
    "ecr:putimage": frozenset({P}),
    "ecr:initiatelayerupload": frozenset({P}),
    "ecr:uploadlayerpart": frozenset({P}),
    "ecr:completelayerupload": frozenset({P}),
    "ecr:batchdeleteimage": frozenset({P}),
    "ecr:putimagetagmutability": frozenset({PR}),
    "ecr:replicateimage": frozenset({PR}),
    "ecr:setrepositorypolicy": frozenset({A}),
    "ecr:deleterepository": frozenset({A}),
    "codeartifact:readfromrepository": frozenset({R}),
    "codeartifact:getpackageversionasset": frozenset({R}),
    "codeartifact:publishpackageversion": frozenset({P}),
    "codeartifact:putpackagemetadata": frozenset({P}),
    "codeartifact:copypackageversions": frozenset({PR}),
    "codeartifact:updatepackageversionsstatus": frozenset({PR}),
    "codeartifact:putrepositorypermissionspolicy": frozenset({A}),
    "codeartifact:deleterepository": frozenset({A}),
}
_AWS_SERVICE_KIND = {"ecr": "aws_ecr_repo", "codeartifact": "aws_codeartifact_repo"}

#: GCP roles → action classes (on the resource the binding is attached to).
GCP_ROLES: dict[str, frozenset[Action]] = {
    "roles/artifactregistry.reader": frozenset({R}),
    "roles/artifactregistry.writer": frozenset({R, P, PR}),  # tags.create/update move tags: PROMOTE
    "roles/artifactregistry.createonpushwriter": frozenset({R, P, PR}),
    "roles/artifactregistry.repoadmin": frozenset({R, P, PR}),
    "roles/artifactregistry.createonpushrepoadmin": frozenset({R, P, PR}),
    "roles/artifactregistry.admin": frozenset({A}),
    "roles/storage.objectviewer": frozenset({R}),
    "roles/storage.objectcreator": frozenset({P}),
    "roles/storage.objectuser": frozenset({R, P}),
    "roles/storage.objectadmin": frozenset({R, P}),
    "roles/storage.admin": frozenset({A}),
    "roles/owner": frozenset({A}),
    "roles/editor": frozenset({A}),
}
#: GCP roles on a service account that let the member act as it (a ``can_assume`` edge).
GCP_IMPERSONATION_ROLES = frozenset(
    {
        "roles/iam.serviceaccountuser",
        "roles/iam.serviceaccounttokencreator",
        "roles/iam.workloadidentityuser",
        "roles/owner",
        "roles/editor",
    }
)

#: Azure built-in roles by name and by role-definition GUID.
AZURE_ROLES: dict[str, frozenset[Action]] = {
    "acrpull": frozenset({R}),
    "acrpush": frozenset({R, P}),
    "acrdelete": frozenset({P}),
    "acrimagesigner": frozenset({PR}),
    "owner": frozenset({A}),
    "contributor": frozenset({A}),
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": frozenset({R}),  # AcrPull
    "8311e382-0749-4cb8-b61a-304f252e45ec": frozenset({R, P}),  # AcrPush
    "c2f4ef07-c644-48eb-af81-4b1b4947fb11": frozenset({P}),  # AcrDelete
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": frozenset({A}),  # Owner
    "b24988ac-6180-42a0-ab88-20f7382dd24c": frozenset({A}),  # Contributor
}

#: ACR scope-map actions (``repositories/NAME/content/write``) → action classes.
ACR_SCOPE_ACTIONS: dict[str, frozenset[Action]] = {
    "content/read": frozenset({R}),
    "metadata/read": frozenset({R}),
    "content/write": frozenset({P}),
    "content/delete": frozenset({P}),
    "metadata/write": frozenset({PR}),
}


@dataclass(frozen=True, slots=True)
class Grant:
    """A member may do ``actions`` on ``resource`` (which may be a glob id), created by ``via``."""

    member: NodeId
    resource: NodeId
    actions: frozenset[Action]
    via: str


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_document(value: Any) -> dict[str, Any]:
    """A policy document from a state attribute (a JSON string, or already an object)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            doc = json.loads(value)
        except json.JSONDecodeError:
            return {}
        return doc if isinstance(doc, dict) else {}
    return {}


def aws_action_classes(patterns: Iterable[str]) -> dict[str, frozenset[Action]]:
    """Per AWS service, the action classes a list of (possibly wildcard) IAM actions grants."""
    out: dict[str, set[Action]] = {}
    for pat in patterns:
        p = pat.lower()
        if p == "*":
            for svc in _AWS_SERVICE_KIND:
                out.setdefault(svc, set()).add(A)
            continue
        for action, classes in AWS_ACTIONS.items():
            if fnmatchcase(action, p):
                out.setdefault(action.split(":", 1)[0], set()).update(classes)
        svc = p.split(":", 1)[0]
        if p in (f"{svc}:*",) and svc in _AWS_SERVICE_KIND:
            out.setdefault(svc, set()).add(A)
    return {k: frozenset(v) for k, v in out.items()}


def aws_resource_ids(service: str, resources: Iterable[str]) -> list[NodeId]:
    """Node ids (maybe globs) for the resources of one service named in a statement."""
    fmt = _AWS_SERVICE_KIND[service]
    ids: list[NodeId] = []
    for r in resources:
        if r == "*":
            ids.append(nid(fmt, "*"))
        elif r.startswith(f"arn:aws:{service}:"):
            if service == "codeartifact" and ":repository/" not in r:
                continue  # a domain or package ARN, not a repository
            ids.append(nid(fmt, r))
    return ids


def aws_principal_id(principal: str) -> NodeId | None:
    """The node id of an AWS principal ARN (role, user, account root or bare account id)."""
    if principal.isdigit():
        return nid("aws_account", principal)
    if ":role/" in principal:
        return nid("aws_role", principal)
    if ":user/" in principal:
        return nid("aws_user", principal)
    if principal.endswith(":root"):
        return nid("aws_account", principal.split(":")[4])
    return None


def _allow_statements(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for st in _as_list(doc.get("Statement")):
        if isinstance(st, dict) and st.get("Effect", "Allow") == "Allow":
            yield st


def identity_policy_grants(member: NodeId, document: Any, via: str) -> list[Grant]:
    """Grants an identity policy (inline or attached) gives its principal. Deny and NotAction
    statements are not evaluated: the declared side is what is allowed."""
    grants: list[Grant] = []
    for st in _allow_statements(parse_document(document)):
        classes = aws_action_classes(str(a) for a in _as_list(st.get("Action")))
        for svc, acts in classes.items():
            for res in aws_resource_ids(svc, (str(r) for r in _as_list(st.get("Resource")))):
                grants.append(Grant(member, res, acts, via))
    return grants


def resource_policy_grants(resource: NodeId, service: str, document: Any, via: str) -> list[Grant]:
    """Grants a resource policy (ECR repository policy, CodeArtifact permissions policy) gives
    each principal it names."""
    grants: list[Grant] = []
    for st in _allow_statements(parse_document(document)):
        acts = aws_action_classes(str(a) for a in _as_list(st.get("Action"))).get(service)
        if not acts:
            continue
        principal = st.get("Principal")
        arns: list[str] = []
        if isinstance(principal, dict):
            arns = [str(p) for p in _as_list(principal.get("AWS"))]
        for arn in arns:
            member = aws_principal_id(arn)
            if member is not None:
                grants.append(Grant(member, resource, acts, via))
    return grants


@dataclass(frozen=True, slots=True)
class Trust:
    """Who may assume a role, under which conditions."""

    member: NodeId
    conditions: tuple[tuple[str, str], ...]


def trust_policy(document: Any) -> list[Trust]:
    """The AWS principals an assume-role policy lets in, with string conditions. Federated (OIDC)
    principals are live ``oidc-trust`` credentials, not ``can_assume`` sources; they are not compared."""
    out: list[Trust] = []
    for st in _allow_statements(parse_document(document)):
        conds: list[tuple[str, str]] = []
        cond = st.get("Condition")
        if isinstance(cond, dict):
            for op in ("StringEquals", "StringLike"):
                block = cond.get(op)
                if isinstance(block, dict):
                    for key, val in block.items():
                        conds.extend((str(key), str(v)) for v in _as_list(val))
        principal = st.get("Principal")
        if not isinstance(principal, dict):
            continue
        for arn in (str(p) for p in _as_list(principal.get("AWS"))):
            member = aws_principal_id(arn)
            if member is not None:
                out.append(Trust(member, tuple(sorted(conds))))
    return out


def gcp_member_id(member: str) -> NodeId | None:
    """The node id of a GCP IAM member string."""
    kind, _, value = member.partition(":")
    if kind == "serviceAccount":
        return nid("gcp_service_account", value.lower())
    if kind in ("user", "group", "domain") and not value.startswith("//"):
        return nid(f"gcp_{kind}", value.lower())
    # principal:// and principalSet:// (federated workloads), allUsers, allAuthenticatedUsers,
    # deleted:… are not members drift can name
    return None


def gcp_role_actions(role: str) -> frozenset[Action]:
    """Action classes of a GCP role (empty when it grants nothing on registries)."""
    return GCP_ROLES.get(role.lower(), frozenset())


def azure_role_actions(name: str, definition_id: str) -> frozenset[Action]:
    """Action classes of an Azure role assignment by role name, else by role-definition GUID."""
    if name and name.lower() in AZURE_ROLES:
        return AZURE_ROLES[name.lower()]
    guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower() if definition_id else ""
    return AZURE_ROLES.get(guid, frozenset())


def acr_scope_actions(actions: Iterable[str]) -> frozenset[Action]:
    """Action classes of an ACR scope map's ``repositories/NAME/ACTION`` list."""
    out: set[Action] = set()
    for a in actions:
        parts = a.split("/")
        if len(parts) >= 2:
            out |= ACR_SCOPE_ACTIONS.get("/".join(parts[-2:]).lower(), frozenset())
    return frozenset(out)
