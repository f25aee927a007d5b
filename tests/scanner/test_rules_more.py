"""RB02, RB04, RB06–RB10, RB12: pass-* and fail-* objects, exact sets of findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scanner.analyse import analyse
from scanner.model import Action, CredentialInfo, Edge, EdgeKind, Evidence, Inventory, Lifetime, Node, NodeId, NodeKind
from scanner.rules import RULES
from tests.scanner.graphs import add, link

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def cred(inv: Inventory, name: str, **kw: object) -> None:
    attrs = kw.pop("attrs", {})
    info = CredentialInfo(**{"lifetime": Lifetime.STATIC, **kw})  # type: ignore[arg-type]
    inv.add_node(
        Node(NodeId(name), NodeKind.CREDENTIAL, name, "test", "test:token", attrs=attrs, credential=info)  # type: ignore[arg-type]
    )


def subjects(inv: Inventory, rule: str) -> set[str]:
    result = analyse(inv, source="t", as_of=NOW, rules=[r for r in RULES if r.id == rule])
    return {f.subject for f in result.findings}


def test_rb02_provenance() -> None:
    inv = Inventory()
    add(
        inv,
        "fail-pkg-tp-unattested",
        NodeKind.RESOURCE,
        category="package",
        trusted_publisher="gh",
        latest_attested=False,
    )
    add(inv, "fail-pkg-token-no-provenance", NodeKind.RESOURCE, category="package", latest_attested=False)
    add(inv, "pass-pkg-attested", NodeKind.RESOURCE, category="package", trusted_publisher="gh", latest_attested=True)
    add(inv, "pass-pkg-not-assessed", NodeKind.RESOURCE, category="package", latest_attested=None)
    add(inv, "pass-pkg-no-token", NodeKind.RESOURCE, category="package", latest_attested=False)
    cred(inv, "tok")
    link(inv, "tok", "fail-pkg-token-no-provenance", EdgeKind.GRANTS, {Action.PUBLISH})
    link(inv, "tok", "pass-pkg-attested", EdgeKind.GRANTS, {Action.PUBLISH})
    add(inv, "fail-mirror", NodeKind.RESOURCE, category="registry", mirror=True, upstream_verification=False)
    add(inv, "pass-mirror-verified", NodeKind.RESOURCE, category="registry", mirror=True, upstream_verification=True)
    add(inv, "pass-mirror-unused", NodeKind.RESOURCE, category="registry", mirror=True, upstream_verification=False)
    add(inv, "prod", NodeKind.RESOURCE, category="pipeline")
    link(inv, "prod", "fail-mirror", EdgeKind.CONSUMES)
    link(inv, "prod", "pass-mirror-verified", EdgeKind.CONSUMES)
    assert subjects(inv, "RB02") == {"fail-pkg-tp-unattested", "fail-pkg-token-no-provenance", "fail-mirror"}


def test_rb04_rb07_registry_settings() -> None:
    inv = Inventory()
    add(inv, "fail-unlogged", NodeKind.RESOURCE, category="registry", audit_logging=False)
    add(inv, "pass-logged", NodeKind.RESOURCE, category="registry", audit_logging=True)
    add(inv, "pass-unknown", NodeKind.RESOURCE, category="registry")
    add(inv, "fail-exposed", NodeKind.RESOURCE, category="registry", exposures=("anonymous-push", "admin-user-enabled"))
    add(inv, "pass-closed", NodeKind.RESOURCE, category="registry", exposures=())
    assert subjects(inv, "RB04") == {"fail-unlogged"}
    result = analyse(inv, source="t", as_of=NOW, rules=[r for r in RULES if r.id == "RB07"])
    assert [(f.subject, f.severity.value) for f in result.findings] == [("fail-exposed", "critical")]


def test_rb06_federation() -> None:
    inv = Inventory()
    add(inv, "repo", NodeKind.RESOURCE, category="registry")
    add(inv, "role", NodeKind.IDENTITY)
    link(inv, "role", "repo", EdgeKind.GRANTS, {Action.PUBLISH})
    for name, broad in [("fail-trust-any-repo", True), ("pass-trust-pinned", False)]:
        cred(inv, name, lifetime=Lifetime.SHORT_LIVED, attrs={"subject_too_broad": broad, "issuer": "gh"})
        link(inv, name, "role", EdgeKind.AUTHENTICATES_AS)
    add(inv, "fail-secret-static-key", NodeKind.SECRET, static_cloud_credential=True)
    add(inv, "pass-secret", NodeKind.SECRET)
    assert subjects(inv, "RB06") == {"fail-trust-any-repo", "fail-secret-static-key"}


def test_rb08_shared_credentials() -> None:
    inv = Inventory()
    add(inv, "pkg", NodeKind.RESOURCE, category="package")
    for repo in ("a", "b"):
        add(inv, f"job-{repo}", NodeKind.IDENTITY, "test:job", repo=f"acme/{repo}")
    add(inv, "org-secret", NodeKind.SECRET)
    add(inv, "repo-secret", NodeKind.SECRET)
    cred(inv, "fail-shared-token")
    cred(inv, "pass-own-token")
    for c, s in (("fail-shared-token", "org-secret"), ("pass-own-token", "repo-secret")):
        link(inv, s, c, EdgeKind.EXPOSES)
        link(inv, c, "pkg", EdgeKind.GRANTS, {Action.PUBLISH})
    link(inv, "job-a", "org-secret", EdgeKind.CAN_READ_SECRET)
    link(inv, "job-b", "org-secret", EdgeKind.CAN_READ_SECRET)
    link(inv, "job-a", "repo-secret", EdgeKind.CAN_READ_SECRET)
    cred(inv, "fail-same-value-1", fingerprint="hmac-sha256:aa")
    cred(inv, "same-value-2", fingerprint="hmac-sha256:aa")
    cred(inv, "pass-unique-value", fingerprint="hmac-sha256:bb")
    assert subjects(inv, "RB08") == {"fail-shared-token", "fail-same-value-1"}


def test_rb09_rb10_offboarding_and_human_use() -> None:
    inv = Inventory()
    cred(inv, "fail-idle-key", last_used=NOW - timedelta(days=200))
    cred(inv, "pass-recent-key", last_used=NOW - timedelta(days=5))
    cred(inv, "fail-never-used", created=NOW - timedelta(days=120), attrs={"never_used": True})
    cred(inv, "pass-never-used-new", created=NOW - timedelta(days=3), attrs={"never_used": True})
    cred(inv, "pass-idle-but-inactive", last_used=NOW - timedelta(days=300), attrs={"active": False})
    add(inv, "fail-disabled-user", NodeKind.IDENTITY, disabled=True)
    add(inv, "pass-disabled-no-keys", NodeKind.IDENTITY, disabled=True)
    add(inv, "fail-console-bot", NodeKind.IDENTITY, interactive_login=True)
    add(inv, "pass-console-human", NodeKind.IDENTITY, interactive_login=True)
    link(inv, "pass-recent-key", "fail-disabled-user", EdgeKind.AUTHENTICATES_AS)
    link(inv, "pass-recent-key", "fail-console-bot", EdgeKind.AUTHENTICATES_AS)
    assert subjects(inv, "RB09") == {"fail-idle-key", "fail-never-used", "fail-disabled-user"}
    assert subjects(inv, "RB10") == {"fail-console-bot"}


def test_rb12_plaintext() -> None:
    inv = Inventory()
    add(inv, "fail-plaintext-var", NodeKind.SECRET, plaintext=True, detector="AWS access key")
    add(inv, "pass-managed-secret", NodeKind.SECRET, plaintext=False)
    assert subjects(inv, "RB12") == {"fail-plaintext-var"}


def test_facts_follow_each_path_step_when_paths_share_their_tail() -> None:
    # Several identities reach the same registry through the same role: their paths share the
    # later steps (facts are computed once per step) and differ in the first. Each finding's facts
    # must be its own path's, step by step, with that edge's files.
    inv = Inventory()
    add(inv, "reg", NodeKind.RESOURCE, category="registry")
    add(inv, "grp", NodeKind.IDENTITY, "test:group")
    inv.add_edge(
        Edge(
            src=NodeId("grp"),
            dst=NodeId("reg"),
            kind=EdgeKind.GRANTS,
            actions=frozenset({Action.PUBLISH, Action.PROMOTE, Action.READ}),
            via="group policy",
            evidence=(Evidence("aws/group.json", 7),),
        )
    )
    for i in range(4):
        add(inv, f"user-{i}", NodeKind.IDENTITY, "test:user")
        inv.add_edge(
            Edge(
                src=NodeId(f"user-{i}"),
                dst=NodeId("grp"),
                kind=EdgeKind.CAN_ASSUME,
                via=f"membership {i}",
                evidence=(Evidence(f"aws/user-{i}.json", i + 1),),
            )
        )
    result = analyse(inv, source="t", as_of=NOW, rules=[r for r in RULES if r.id == "RB03"])
    users = [f for f in result.findings if f.subject.startswith("user-")]
    assert len(users) == 4
    for f in users:
        k = f.subject.removeprefix("user-")
        assert [(s.src, s.dst) for s in f.path] == [(f.subject, "grp"), ("grp", "reg")]
        assert [(x.text, x.evidence) for x in f.facts] == [
            (f"{f.subject} can assume grp: membership {k}", (Evidence(f"aws/user-{k}.json", int(k) + 1),)),
            ("grp grants (READ/PUBLISH/PROMOTE) reg: group policy", (Evidence("aws/group.json", 7),)),
        ]
