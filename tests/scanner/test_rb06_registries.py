"""RB06 on registry tokens: a stored token is a finding only where the registry accepts OIDC publishing from
that CI (scanner/knowledge/registries.yaml), never otherwise. Vulnerable and fixed twins side by side."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scanner.analyse import analyse
from scanner.knowledge.registries import registries_for_secret_name, registry_for_credential, registry_for_target
from scanner.model import Action, CredentialInfo, Edge, EdgeKind, Inventory, Lifetime, Node, NodeId, NodeKind
from scanner.rules import RULES

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _secret(inv: Inventory, ci: str, name: str, **attrs: object) -> NodeId:
    nid = NodeId(f"{ci}:secret:acme/app/{name}")
    inv.add_node(Node(nid, NodeKind.SECRET, name, ci, f"{ci}:secret", "acme/app", attrs=dict(attrs)))  # type: ignore[arg-type]
    return nid


def _token(inv: Inventory, secret: NodeId, provider: str, subtype: str, target: tuple[str, str] | None) -> None:
    cid = NodeId(f"{provider}:token:{secret}")
    inv.add_node(
        Node(
            cid,
            NodeKind.CREDENTIAL,
            f"token in {secret}",
            provider,
            subtype,
            credential=CredentialInfo(Lifetime.STATIC),
        )
    )
    inv.add_edge(Edge(secret, cid, EdgeKind.EXPOSES, via="env"))
    if target is not None:
        tid = NodeId(f"{target[0]}:{target[1]}:{secret}")
        inv.add_node(Node(tid, NodeKind.RESOURCE, "pkg", target[0], target[1], attrs={"category": "package"}))
        inv.add_edge(Edge(cid, tid, EdgeKind.GRANTS, frozenset({Action.PUBLISH}), via="token"))


def _rb06(inv: Inventory) -> set[str]:
    result = analyse(inv, source="t", as_of=NOW, rules=[r for r in RULES if r.id == "RB06"])
    return {f.subject for f in result.findings}


def test_registry_tokens_in_ci_secrets() -> None:
    inv = Inventory()
    # PyPI and npm accept Trusted Publishing from GitHub Actions and GitLab CI/CD.
    fail_pypi = _secret(inv, "github", "PYPI_TOKEN")
    _token(inv, fail_pypi, "pypi", "pypi:api-token", ("pypi", "pypi:project"))
    fail_npm = _secret(inv, "gitlab", "NPM_TOKEN")
    _token(inv, fail_npm, "npm", "npm:token", None)  # the package was not collected: the credential kind tells
    # Docker Hub has no OIDC publishing: its stored token is not an RB06 finding, by use or by name.
    pass_hub = _secret(inv, "github", "REGISTRY_SECRET")
    _token(inv, pass_hub, "dockerhub", "dockerhub:token", ("dockerhub", "dockerhub:repository"))
    pass_hub_name = _secret(inv, "github", "DOCKERHUB_TOKEN", static_cloud_credential=True, oidc_available=True)
    # A cloud key recognised by the CI connector: AWS accepts GitHub's OIDC token (federation to a role).
    fail_aws = _secret(inv, "github", "AWS_SECRET_ACCESS_KEY", static_cloud_credential=True, oidc_available=True)
    # A conventional name alone, never used by a job, is not judged.
    pass_unused = _secret(inv, "github", "PYPI_API_TOKEN")
    found = _rb06(inv)
    assert found == {fail_pypi, fail_npm, fail_aws}
    assert not found & {pass_hub, pass_hub_name, pass_unused}


def test_the_message_names_the_registry_and_its_documentation() -> None:
    inv = Inventory()
    s = _secret(inv, "github", "PYPI_TOKEN")
    _token(inv, s, "pypi", "pypi:api-token", ("pypi", "pypi:project"))
    [f] = analyse(inv, source="t", as_of=NOW, rules=[r for r in RULES if r.id == "RB06"]).findings
    assert "PyPI API token" in f.message
    assert "GitHub Actions" in f.message
    assert "https://docs.pypi.org/trusted-publishers/" in f.message


@pytest.mark.parametrize(
    ("name", "registry"),
    [("PYPI_TOKEN", "pypi"), ("NODE_AUTH_TOKEN", "npm"), ("DOCKERHUB_TOKEN", "dockerhub"), ("GCP_SA_KEY", "gar")],
)
def test_secret_names(name: str, registry: str) -> None:
    assert [r.id for r in registries_for_secret_name(name)] == [registry]


def test_credential_and_target_lookups() -> None:
    assert registry_for_credential("pypi", "pypi:api-token").id == "pypi"  # type: ignore[union-attr]
    assert registry_for_credential("github", "github:token") is None  # no connector row with that provider
    assert registry_for_target("aws", "aws:ecr-registry").id == "ecr"  # type: ignore[union-attr]
    assert registry_for_target("dockerhub", "dockerhub:repository").id == "dockerhub"  # type: ignore[union-attr]
