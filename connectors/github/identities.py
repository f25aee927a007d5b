"""Organization-level non-human identities: deploy keys, fine-grained tokens granted to the
organization, GitHub App installations, and credentials committed in workflow files. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from connectors._types import iso_time
from connectors.github.actions import REPO_PERMISSION_ACTIONS
from connectors.github.jobs import PROVIDER
from connectors.github.raw import DeployKey, Installation, Loaded, PatGrant, WorkflowFile
from scanner.fingerprint import fingerprint
from scanner.model import (
    Action,
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


def repo_actions(permissions: Mapping[str, str]) -> frozenset[Action]:
    """Action classes a set of repository permissions (``contents: write``...) gives."""
    acts: set[Action] = set()
    for scope, level in permissions.items():
        levels = ("read", "write") if level in ("write", "admin") else (level,)
        acts |= {a for lv in levels if (a := REPO_PERMISSION_ACTIONS.get((scope, lv))) is not None}
    return frozenset(acts)


def _perm_tuple(permissions: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(f"{k}:{v}" for k, v in sorted(permissions.items()))


def _person(inv: Inventory, login: str) -> NodeId:
    pid = node_id(PROVIDER, "user", login.lower())
    inv.add_node(Node(id=pid, kind=NodeKind.PERSON, name=login, provider=PROVIDER, subtype="github:user"))
    return pid


def deploy_keys(inv: Inventory, repo: str, loaded: Loaded[list[DeployKey]]) -> None:
    """Each deploy key: a static SSH credential reading or writing one repository."""
    ev = (Evidence(loaded.file),)
    repo_id = node_id(PROVIDER, "repo", repo)
    for k in loaded.data:
        cid = node_id(PROVIDER, "deploy-key", f"{repo}/{k.id}")
        inv.add_node(
            Node(
                id=cid,
                kind=NodeKind.CREDENTIAL,
                name=f"deploy key {k.title!r} of {repo}",
                provider=PROVIDER,
                subtype="github:deploy-key",
                scope=repo,
                attrs={
                    "repo": repo,
                    "read_only": k.read_only,
                    "verified": k.verified,
                    "enabled": k.enabled,
                    "added_by": k.added_by,
                    "never_used": k.last_used is None,
                },
                # The public half identifies the key pair: the same key on two repositories is reuse.
                credential=CredentialInfo(
                    lifetime=Lifetime.STATIC,
                    created=iso_time(k.created_at),
                    last_used=iso_time(k.last_used),
                    fingerprint=fingerprint(k.key.strip()) if k.key else None,
                ),
                evidence=ev,
            )
        )
        acts = frozenset({Action.READ}) if k.read_only else frozenset({Action.READ, Action.PUBLISH})
        inv.add_edge(Edge(cid, repo_id, EdgeKind.GRANTS, acts, via="deploy key", evidence=ev))
        if k.added_by:
            inv.add_edge(Edge(cid, _person(inv, k.added_by), EdgeKind.OWNED_BY, via="added_by", evidence=ev))


def pat_grants(inv: Inventory, org: str, loaded: Loaded[list[PatGrant]], repos: Iterable[str]) -> None:
    """Fine-grained personal access tokens the organization has granted access to."""
    ev = (Evidence(loaded.file),)
    all_repos = sorted(repos)
    for g in loaded.data:
        native = f"{org}/{g.token_id if g.token_id is not None else g.id}"
        cid = node_id(PROVIDER, "fine-grained-pat", native)
        inv.add_node(
            Node(
                id=cid,
                kind=NodeKind.CREDENTIAL,
                name=f"fine-grained token {g.token_name or g.id!s} of {g.owner.login}",
                provider=PROVIDER,
                subtype="github:fine-grained-pat",
                scope=org,
                attrs={
                    "owner": g.owner.login,
                    "repository_selection": g.repository_selection,
                    "repository_permissions": _perm_tuple(g.permissions.repository),
                    "organization_permissions": _perm_tuple(g.permissions.organization),
                    "token_expired": g.token_expired,
                    "never_used": g.token_last_used_at is None,
                },
                credential=CredentialInfo(
                    lifetime=Lifetime.STATIC,
                    created=iso_time(g.access_granted_at),
                    expires=iso_time(g.token_expires_at),
                    last_used=iso_time(g.token_last_used_at),
                ),
                evidence=ev,
            )
        )
        inv.add_edge(Edge(cid, _person(inv, g.owner.login), EdgeKind.OWNED_BY, via="token owner", evidence=ev))
        acts = repo_actions(g.permissions.repository)
        if acts and g.repository_selection == "all":
            for r in all_repos:
                inv.add_edge(Edge(cid, node_id(PROVIDER, "repo", r), EdgeKind.GRANTS, acts, via="all repositories"))


def installations(inv: Inventory, org: str, loaded: Loaded[list[Installation]], repos: Iterable[str]) -> None:
    """GitHub App installations: an identity per installation with the app's permissions."""
    ev = (Evidence(loaded.file),)
    all_repos = sorted(repos)
    for inst in loaded.data:
        iid = node_id(PROVIDER, "app-installation", f"{org}/{inst.id}")
        inv.add_node(
            Node(
                id=iid,
                kind=NodeKind.IDENTITY,
                name=f"GitHub App {inst.app_slug} on {org}",
                provider=PROVIDER,
                subtype="github:app-installation",
                scope=org,
                attrs={
                    "app_slug": inst.app_slug,
                    "app_id": inst.app_id,
                    "repository_selection": inst.repository_selection,
                    "permissions": _perm_tuple(inst.permissions),
                    "suspended": inst.suspended_at is not None,
                    "created_at": inst.created_at,
                },
                evidence=ev,
            )
        )
        acts = repo_actions(inst.permissions)
        if acts and inst.repository_selection == "all" and inst.suspended_at is None:
            for r in all_repos:
                inv.add_edge(Edge(iid, node_id(PROVIDER, "repo", r), EdgeKind.GRANTS, acts, via="all repositories"))


def plaintext(inv: Inventory, repo: str, wf: WorkflowFile) -> None:
    """A credential committed in a workflow file: a plaintext secret exposing a credential known
    only by its keyed fingerprint."""
    for hit in wf.hits:
        ev = (Evidence(wf.file, hit.line),)
        sid = node_id(PROVIDER, "plaintext", f"{repo}/{wf.path}:{hit.line}:{hit.detector}")
        cid = node_id(PROVIDER, "committed-credential", hit.fingerprint)
        inv.add_node(
            Node(
                id=sid,
                kind=NodeKind.SECRET,
                name=f"{repo} {wf.path} line {hit.line}",
                provider=PROVIDER,
                subtype="github:workflow-file",
                scope=repo,
                attrs={"plaintext": True, "detector": hit.detector, "repo": repo, "path": wf.path},
                evidence=ev,
            )
        )
        inv.add_node(
            Node(
                id=cid,
                kind=NodeKind.CREDENTIAL,
                name=f"{hit.detector} committed in {repo}",
                provider=PROVIDER,
                subtype="github:committed-credential",
                scope=repo,
                attrs={"detector": hit.detector},
                credential=CredentialInfo(lifetime=Lifetime.STATIC, fingerprint=hit.fingerprint),
                evidence=ev,
            )
        )
        inv.add_edge(Edge(sid, cid, EdgeKind.EXPOSES, via=hit.detector, evidence=ev))
