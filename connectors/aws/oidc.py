"""OIDC federation trusts (GitHub Actions, GitLab CI, others) -> ``aws:oidc-trust`` credentials.

A trust statement on ``sts:AssumeRoleWithWebIdentity`` from an OIDC provider becomes one short-lived
credential that ``authenticates_as`` the role, keeping issuer, subject pattern(s) and audience. It is
``subject_too_broad`` when there is no ``sub`` condition, or when a subject is wildcarded beyond one
repository (project) and one ref or environment:

- GitHub ``repo:OWNER/REPO:environment:NAME`` / ``repo:OWNER/REPO:ref:refs/heads/BRANCH`` (or tags) /
  ``repo:OWNER/REPO:pull_request``: OWNER/REPO must be literal; the ref or environment must be named
  (a wildcard is accepted only after a literal prefix of the name, such as ``refs/tags/v*``).
- GitLab ``project_path:GROUP/PROJECT:ref_type:TYPE:ref:NAME``: the same, for project and ref.
- Any other issuer: a subject with a wildcard is too broad.

When the repository is pinned, a LinkHint gives every matching GitHub job (same repository and
environment, with ``id-token: write``) a ``can_assume`` edge to the role, the trust conditions on it.
"""

from __future__ import annotations

import re

from connectors.aws import raw
from connectors.aws.policy import Statement
from connectors.aws.resources import PROVIDER, role_node
from scanner.model import (
    AttrValue,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    LinkHint,
    Node,
    NodeKind,
    Selector,
    node_id,
)

GITHUB = "token.actions.githubusercontent.com"
_WILD = re.compile(r"[*?]")
_GH = re.compile(r"^repo:(?P<repo>[^:]+):(?P<kind>environment|ref|pull_request)(?::(?P<value>.*))?$")
_GL = re.compile(r"^project_path:(?P<repo>[^:]+):ref_type:(?P<type>[^:]+):ref:(?P<value>.+)$")


def _named(value: str, generic_prefixes: tuple[str, ...] = ()) -> bool:
    """A ref/environment value names something: no wildcard, or one after a literal, specific prefix."""
    m = _WILD.search(value)
    if m is None:
        return True
    literal = value[: m.start()]
    return bool(literal) and literal not in generic_prefixes


def judge_subject(issuer: str, subject: str) -> tuple[str | None, str | None, str | None]:
    """(reason it is too broad or None, pinned repository or None, pinned environment or None)."""
    if "gitlab" in issuer:
        m = _GL.match(subject)
        if m is None:
            return (
                f"subject {subject!r} does not pin a project and ref" if _WILD.search(subject) else None,
                None,
                None,
            )
        if _WILD.search(m["repo"]):
            return (f"subject {subject!r} matches several projects", None, None)
        if _WILD.search(m["type"]) or not _named(m["value"]):
            return (f"subject {subject!r} matches any ref of {m['repo']}", m["repo"], None)
        return (None, m["repo"], None)
    if issuer == GITHUB:
        m = _GH.match(subject)
        if m is None:
            repo = subject.removeprefix("repo:").split(":", 1)[0]
            if _WILD.search(repo) or not subject.startswith("repo:"):
                return (f"subject {subject!r} matches several repositories", None, None)
            return (f"subject {subject!r} matches any ref or environment of {repo}", repo, None)
        repo = m["repo"]
        if _WILD.search(repo):
            return (f"subject {subject!r} matches several repositories", None, None)
        kind, value = m["kind"], m["value"] or ""
        if kind == "pull_request":
            return (None, repo, None)
        generic = ("refs/", "refs/heads/", "refs/tags/") if kind == "ref" else ()
        if not value or not _named(value, generic):
            return (f"subject {subject!r} matches any {kind} of {repo}", repo, None)
        return (None, repo, value if kind == "environment" and not _WILD.search(value) else None)
    if _WILD.search(subject):
        return (f"subject {subject!r} contains a wildcard", None, None)
    return (None, None, None)


def add_oidc_trust(
    inv: Inventory,
    acct: raw.Account,
    role: raw.RoleDetail,
    n: int,
    s: Statement,
    provider_arn: str,
    ev: tuple[Evidence, ...],
) -> None:
    """Add the trust credential, its edge to the role, and the link hint to pinned CI jobs."""
    issuer = provider_arn.split(":oidc-provider/", 1)[1]
    host = issuer.split("/", 1)[0]
    subjects: list[str] = []
    audiences: list[str] = []
    for op, key, vals in s.conditions:
        k = key.casefold()
        if k == f"{issuer}:sub".casefold() and "not" not in op.casefold():
            subjects.extend(vals)
        elif k in (f"{issuer}:aud".casefold(), f"{issuer}:azp".casefold()):
            audiences.extend(vals)
    reasons: list[str] = []
    pinned: list[tuple[str, str | None]] = []
    if not subjects:
        reasons.append("no sub condition: any workload of the issuer can assume the role")
    for subject in subjects:
        reason, repo, env = judge_subject(host, subject)
        if reason:
            reasons.append(reason)
        elif repo:
            pinned.append((repo, env))
    conds = tuple((f"{op}:{key}", ",".join(vals)) for op, key, vals in s.conditions)
    attrs: dict[str, AttrValue] = {
        "issuer": issuer,
        "subject": ", ".join(subjects) or None,
        "audience": ", ".join(audiences) or None,
        "subject_too_broad": bool(reasons),
        "broad_reason": "; ".join(reasons) or None,
        "role": role.Arn,
        "provider_arn": provider_arn,
    }
    cid = node_id(PROVIDER, "oidc-trust", f"{role.Arn}#{n}")
    inv.add_node(
        Node(
            cid,
            NodeKind.CREDENTIAL,
            f"{host} -> {role.RoleName}",
            PROVIDER,
            "aws:oidc-trust",
            acct.account_id,
            attrs,
            credential=CredentialInfo(Lifetime.SHORT_LIVED),
            evidence=ev,
        )
    )
    rid = role_node(role.Arn)
    inv.add_edge(
        Edge(cid, rid, EdgeKind.AUTHENTICATES_AS, via="sts:AssumeRoleWithWebIdentity", conditions=conds, evidence=ev)
    )
    if host != GITHUB:
        return
    for repo, env in pinned:
        sel_attrs: tuple[tuple[str, AttrValue], ...] = (("repo", repo), ("oidc", True))
        if env is not None:
            sel_attrs += (("environment", env),)
        inv.add_hint(
            LinkHint(
                src=Selector(provider="github", kind=NodeKind.IDENTITY, subtype="github:job", attrs=sel_attrs),
                dst=rid,
                kind=EdgeKind.CAN_ASSUME,
                via=f"OIDC trust {issuer}",
                conditions=conds,
                evidence=ev,
            )
        )
