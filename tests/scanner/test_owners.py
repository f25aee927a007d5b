"""Owners read by the core (scanner/owners.py): one must / must-not pair per source it reads itself (the
configuration, tags and labels, IAM paths, Terraform module addresses), the order of the sources, the
``owned_by`` edges connectors add, and the rule that gives a finding its owners. The connectors' own
sources (CODEOWNERS, repository teams, GitLab maintainers, package maintainers) are tested with each
connector."""

from __future__ import annotations

import pytest

from scanner.config import parse_config
from scanner.errors import ConfigError
from scanner.findings import Finding, PathStep, Severity
from scanner.knowledge import owners as table
from scanner.model import Edge, EdgeKind, Evidence, Inventory, Node, NodeId, NodeKind
from scanner.owners import OWNERS_NOT_COLLECTED_ATTR, OwnerRule, OwnershipSettings, resolve

ROLE = NodeId("aws:role:arn:aws:iam::111111111111:role/fail-release")
TWIN = NodeId("aws:role:arn:aws:iam::111111111111:role/pass-release")


def _inv(*nodes: Node, edges: tuple[Edge, ...] = ()) -> Inventory:
    inv = Inventory()
    for n in nodes:
        inv.add_node(n)
    for e in edges:
        inv.add_edge(e)
    return inv


def _role(nid: NodeId = ROLE, *, tags: tuple[tuple[str, str], ...] = (), path: str | None = None) -> Node:
    attrs = {"iam_path": path} if path is not None else {}
    return Node(nid, NodeKind.IDENTITY, nid.rsplit("/", 1)[-1], "aws", "aws:iam-role", scope="111111111111",
                attrs=attrs, tags=tags, evidence=(Evidence("aws/111111111111/auth.json"),))  # fmt: skip


def _names(inv: Inventory, nid: NodeId, **kw: object) -> tuple[str, ...]:
    return resolve(inv, **kw).names(nid)  # type: ignore[arg-type]


# -- the table ---------------------------------------------------------------------------------------


def test_table_lists_the_configuration_first_and_every_source_once() -> None:
    ids = [s.id for s in table.table().sources]
    assert ids == [
        "config", "tag", "codeowners", "token_owner", "repository_team", "project_member", "package_maintainer",
        "iam_path", "terraform_module", "secret_holder",
    ]  # fmt: skip
    assert table.source_of_edge("CODEOWNERS") == "codeowners"
    assert table.source_of_edge("package role Owner") == "package_maintainer"
    assert table.source_of_edge("package role Maintainer") is None


@pytest.mark.parametrize("pattern", ["^/teams/([^/]+)/", "^/teams/(?P<owner>[^/]+/"])
def test_a_pattern_without_an_owner_group_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"owner|regular expression"):
        OwnershipSettings(iam_path_patterns=[pattern])


# -- [[owners]] in regwarden.toml ----------------------------------------------------------------------


def test_config_owns_the_nodes_its_pattern_matches_and_no_other() -> None:
    inv = _inv(_role(), _role(TWIN))
    rules = [OwnerRule(owner="release-eng", match="aws:role:*/FAIL-*")]  # case-insensitive
    assert _names(inv, ROLE, rules=rules) == ("release-eng",)
    assert _names(inv, TWIN, rules=rules) == ()


def test_config_by_scope_and_by_both() -> None:
    other = Node(NodeId("aws:role:arn:aws:iam::222222222222:role/x"), NodeKind.IDENTITY, "x", "aws", "aws:iam-role",
                 scope="222222222222")  # fmt: skip
    inv = _inv(_role(), other)
    by_scope = [OwnerRule(owner="platform", scope="1111*")]
    assert _names(inv, ROLE, rules=by_scope) == ("platform",)
    assert _names(inv, other.id, rules=by_scope) == ()
    both = [OwnerRule(owner="platform", scope="2222*", match="*fail-*")]
    assert _names(inv, ROLE, rules=both) == ()


def test_config_wins_over_every_other_source() -> None:
    inv = _inv(_role(tags=(("team", "payments"),), path="/teams/payments/"))
    found = resolve(inv, rules=[OwnerRule(owner="security", match=ROLE, reason="audited 2026")]).of(ROLE)
    assert [(o.name, o.source) for o in found] == [("security", "config")]
    assert found[0].via == f"[[owners]] match {ROLE}: audited 2026"


def test_config_file_sections_are_validated() -> None:
    cfg = parse_config(
        {"owners": [{"owner": "platform", "scope": "acme/*"}], "ownership": {"tag_keys": ["cost-center"]}},
        {},
        "regwarden.toml",
    )
    assert cfg.file.owners[0].owner == "platform"
    assert cfg.file.ownership.tag_keys == ["cost-center"]
    with pytest.raises(ConfigError, match=r"^regwarden.toml: owners.0: .*match.*scope"):
        parse_config({"owners": [{"owner": "platform"}]}, {}, "regwarden.toml")
    with pytest.raises(ConfigError, match=r"^regwarden.toml: ownership.iam_path_patterns.*owner"):
        parse_config({"ownership": {"iam_path_patterns": ["^/x/"]}}, {}, "regwarden.toml")


# -- cloud tags and labels -----------------------------------------------------------------------------


def test_a_tag_naming_an_owner_owns_and_another_tag_does_not() -> None:
    inv = _inv(_role(tags=(("Team", "payments"), ("env", "prod"))), _role(TWIN, tags=(("environment", "prod"),)))
    found = resolve(inv).of(ROLE)
    assert [(o.name, o.source, o.via) for o in found] == [("payments", "tag", "tag Team")]
    assert _names(inv, TWIN) == ()


def test_the_first_configured_tag_key_wins_and_keys_are_configurable() -> None:
    inv = _inv(_role(tags=(("team", "payments"), ("owner", "alice"), ("cost-center", "cc-42"))))
    assert _names(inv, ROLE) == ("alice",)  # owner before team (owners.yaml)
    assert _names(inv, ROLE, settings=OwnershipSettings(tag_keys=["cost-center"])) == ("cc-42",)
    assert _names(inv, ROLE, settings=OwnershipSettings(tag_keys=[])) == ()


def test_an_empty_tag_value_names_nobody() -> None:
    assert _names(_inv(_role(tags=(("owner", " "),))), ROLE) == ()


# -- IAM paths ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("/teams/payments/", "payments"),
        ("/team/ml-platform/ci/", "ml-platform"),
        ("/owner/alice/", "alice"),
        ("/", None),
        ("/service-role/", None),
        ("/aws-service-role/ecs.amazonaws.com/", None),
        ("/application/ci/", None),
    ],
)
def test_iam_path(path: str, owner: str | None) -> None:
    inv = _inv(_role(path=path))
    assert _names(inv, ROLE) == ((owner,) if owner else ())


def test_a_tag_is_stronger_than_the_iam_path() -> None:
    inv = _inv(_role(tags=(("team", "billing"),), path="/teams/payments/"))
    assert [(o.name, o.source) for o in resolve(inv).of(ROLE)] == [("billing", "tag")]


# -- Terraform module addresses ---------------------------------------------------------------------------


def _declared(nid: str, address: str) -> Node:
    return Node(NodeId(nid), NodeKind.IDENTITY, "r", "aws", "aws:iam-role", attrs={"tf_address": address},
                evidence=(Evidence("terraform/ci.tfstate"),))  # fmt: skip


def test_a_module_named_for_a_team_owns_what_it_declares_and_another_module_does_not() -> None:
    live = _inv(_role(), _role(TWIN))
    declared = _inv(
        _declared(ROLE, "module.team_payments.module.ci.aws_iam_role.this"),
        _declared(TWIN, "module.ci.aws_iam_role.this"),
    )
    found = resolve(live, declared=declared).of(ROLE)
    assert [(o.name, o.source, o.via) for o in found] == [("payments", "terraform_module", "module.team_payments")]
    assert resolve(live, declared=declared).names(TWIN) == ()


def test_the_innermost_owner_module_wins_and_globbed_ids_reach_every_live_node() -> None:
    live = _inv(_role(), _role(TWIN))
    declared = _inv(
        _declared("aws:role:arn:aws:iam::*:role/*-release", 'module.team_a["x"].module.owner-b[0].aws_iam_role.r')
    )
    index = resolve(live, declared=declared)
    assert index.names(ROLE) == index.names(TWIN) == ("b",)


def test_a_declared_node_that_is_not_live_owns_nothing() -> None:
    declared = _inv(_declared("aws:role:arn:aws:iam::111111111111:role/gone", "module.team_a.aws_iam_role.r"))
    assert resolve(_inv(_role()), declared=declared).by_node == {}


# -- edges connectors add, and the order of sources --------------------------------------------------------


def _owned(src: NodeId, who: str, via: str) -> tuple[Node, Edge]:
    person = Node(NodeId(f"github:team:{who}"), NodeKind.PERSON, who, "github", "github:team")
    return person, Edge(src, person.id, EdgeKind.OWNED_BY, via=via, evidence=(Evidence(f"{via}.json", 3),))


def test_the_strongest_source_of_a_node_is_kept_with_all_its_owners() -> None:
    job = NodeId("github:job:acme/app/.github/workflows/release.yml#publish")
    a, ea = _owned(job, "@acme/release", "CODEOWNERS")
    b, eb = _owned(job, "@acme/sre", "CODEOWNERS")
    c, ec = _owned(job, "@acme/admins", "repository team")
    node = Node(job, NodeKind.IDENTITY, "publish", "github", "github:job")
    found = resolve(_inv(node, a, b, c, edges=(ea, eb, ec))).of(job)
    assert [(o.name, o.source) for o in found] == [("@acme/release", "codeowners"), ("@acme/sre", "codeowners")]
    assert found[0].evidence == (Evidence("CODEOWNERS.json", 3),)


def test_an_edge_of_a_via_the_table_does_not_list_is_the_weakest_source() -> None:
    x, ex = _owned(ROLE, "someone", "a plugin's record")
    index = resolve(_inv(_role(path="/teams/payments/"), x, edges=(ex,)))
    assert [(o.name, o.source) for o in index.of(ROLE)] == [("payments", "iam_path")]
    index = resolve(_inv(_role(), x, edges=(ex,)))
    assert [(o.name, o.source) for o in index.of(ROLE)] == [("someone", "owned_by")]


# -- a finding's owners -------------------------------------------------------------------------------------


def _finding(subject: NodeId, *hops: NodeId) -> Finding:
    path = tuple(PathStep(a, b, EdgeKind.GRANTS) for a, b in zip((subject, *hops), hops, strict=False))
    return Finding(id="RB01-x", rule="RB01", severity=Severity.HIGH, subject=subject, message="m", path=path)


def test_a_finding_is_its_subjects_else_the_first_path_node_with_an_owner() -> None:
    action = NodeId("github:action:evil/scan@v1")
    job = NodeId("github:job:acme/app/.github/workflows/release.yml#publish")
    repo = NodeId("aws:ecr-repository:billing")
    nodes = [
        Node(action, NodeKind.THIRD_PARTY, "evil/scan@v1", "github", "github:action"),
        Node(job, NodeKind.IDENTITY, "publish", "github", "github:job"),
        Node(repo, NodeKind.RESOURCE, "billing", "aws", "aws:ecr-repository", tags=(("team", "billing"),)),
    ]
    t, e = _owned(job, "@acme/release", "CODEOWNERS")
    index = resolve(_inv(*nodes, t, edges=(e,)))
    got = index.for_finding(_finding(action, job, repo))
    assert got is not None
    assert (got.node, got.names) == (job, ("@acme/release",))
    got = index.for_finding(_finding(repo))
    assert got is not None
    assert (got.node, got.names) == (repo, ("billing",))
    assert index.for_finding(_finding(action)) is None


# -- a credential held in a secret, and owners not collected -------------------------------------------------


def _held(*, token_tags: tuple[tuple[str, str], ...] = ()) -> tuple[Inventory, NodeId, NodeId]:
    secret = NodeId("github:secret:acme/edge/DOCKERHUB_TOKEN")
    token = NodeId("dockerhub:token:github/acme/edge/DOCKERHUB_TOKEN")
    nodes = [
        Node(secret, NodeKind.SECRET, "DOCKERHUB_TOKEN", "github", "github:secret"),
        Node(token, NodeKind.CREDENTIAL, "DOCKERHUB_TOKEN", "dockerhub", "dockerhub:token", tags=token_tags),
    ]
    t, e = _owned(secret, "@acme/platform", "repository team")
    return _inv(*nodes, t, edges=(e, Edge(secret, token, EdgeKind.EXPOSES))), secret, token


def test_a_credential_without_owners_belongs_to_the_owners_of_the_secret_holding_it() -> None:
    inv, _, token = _held()
    assert [(o.name, o.source, o.via) for o in resolve(inv).of(token)] == [
        ("@acme/platform", "secret_holder", "held in DOCKERHUB_TOKEN")
    ]


def test_a_credential_with_owners_of_its_own_keeps_them() -> None:
    inv, _, token = _held(token_tags=(("owner", "edge-team"),))
    assert [(o.name, o.source) for o in resolve(inv).of(token)] == [("edge-team", "tag")]


def test_owners_not_collected_name_the_missing_file_only_when_no_owner_is_known() -> None:
    missing = "github/repos/acme/app/teams.json"
    job = NodeId("github:job:acme/app/.github/workflows/release.yml#publish")
    twin = NodeId("github:job:acme/app/.github/workflows/ci.yml#test")
    attrs = {OWNERS_NOT_COLLECTED_ATTR: missing}
    t, e = _owned(twin, "@acme/release", "CODEOWNERS")
    nodes = [
        Node(job, NodeKind.IDENTITY, "publish", "github", "github:job", attrs=attrs),
        Node(twin, NodeKind.IDENTITY, "test", "github", "github:job", attrs=attrs),
    ]
    index = resolve(_inv(*nodes, t, edges=(e,)))
    assert dict(index.not_collected) == {job: missing}
    assert index.for_finding(_finding(job)) is None
    assert index.not_collected_for(_finding(job)) == missing
    assert index.for_finding(_finding(twin)) is not None
