"""Issue 19, "Owners": no finding of the demo report says "Owner: unknown" where the estate states an owner,
and each source of ownership shows on the findings (or, for IAM paths and Terraform modules, on the nodes) the
estate gives it. What the estate states is read here from its bundle files (teams.json, CODEOWNERS), not from
regwarden's resolver, wherever a plain reading suffices."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.analyse import load_bundle
from scanner.cli import main
from scanner.demo_estate import BUNDLE
from scanner.model import NodeId
from scanner.owners import resolve
from scanner.plugins import connectors

ORG = "acme-corp"
#: The CODEOWNERS rules of the demo that match its workflow files (the monolith's match only Python files).
WORKFLOW_CODEOWNERS = {
    "llm-gateway": {"@acme-corp/release-managers"},
    "payments-api": {"@acme-corp/platform", "mkowalski@acme-corp.example"},
}


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo-owners")
    assert main(["demo", "--out", str(out), "--format", "json"]) == 0
    found: list[dict[str, Any]] = json.loads((out / "report.json").read_text(encoding="utf-8"))["findings"]
    return found


def _names(f: dict[str, Any]) -> set[str]:
    return {o["name"] for o in f["owners"]}


def _sources(f: dict[str, Any]) -> set[str]:
    return {o["source"] for o in f["owners"]}


def test_no_finding_says_owner_unknown(findings: list[dict[str, Any]]) -> None:
    assert len(findings) > 40
    assert [f["id"] for f in findings if not f["owners"]] == []
    assert [f["id"] for f in findings if f["owners_not_collected"]] == []


def _repo_teams(repo: str) -> set[str]:
    teams = json.loads((BUNDLE / "github" / "repos" / ORG / repo / "teams.json").read_text(encoding="utf-8"))
    return {f"@{ORG}/{t['slug']}" for t in teams if t["permission"] in ("admin", "maintain")}


def _github_node(nid: str) -> tuple[str, str | None] | None:
    """(repository, file inside it or None) of a node of a demo repository."""
    kind, _, rest = nid.removeprefix("github:").partition(":")
    if kind in ("action", "org-secret") or not rest.startswith(f"{ORG}/"):
        return None
    repo, _, tail = rest.removeprefix(f"{ORG}/").partition("/")
    file = tail.split("#", 1)[0].split(":", 1)[0] if kind in ("job", "plaintext", "workflow") else None
    return repo, file


def test_every_github_finding_shows_its_repositorys_codeowners_or_teams(findings: list[dict[str, Any]]) -> None:
    """The node a finding is owned through (its subject, else the first path node with an owner: an action's
    job) is of a repository whose teams.json names a maintaining team: its workflow files belong to the
    CODEOWNERS rule matching them, everything else to the team."""
    checked = 0
    for f in findings:
        node = f["owners"][0]["node"]
        where = _github_node(node)
        if where is None or f["subject"]["provider"] != "github":
            continue
        repo, file = where
        if file and file.startswith(".github/workflows/") and repo in WORKFLOW_CODEOWNERS:
            assert (_names(f), _sources(f)) == (WORKFLOW_CODEOWNERS[repo], {"codeowners"}), f["id"]
        else:
            assert (_names(f), _sources(f)) == (_repo_teams(repo), {"repository_team"}), f["id"]
        checked += 1
    assert checked >= 15


#: One finding per source of ownership: (rule, subject id) -> (owners, source).
PER_SOURCE = [
    ("RB05", f"github:job:{ORG}/llm-gateway/.github/workflows/ci-release.yml#scan-and-publish",
     {"@acme-corp/release-managers"}, "codeowners"),
    ("RB11", "github:action:aquasecurity/trivy-action@master", {"@acme-corp/release-managers"}, "codeowners"),
    ("RB05", f"github:job:{ORG}/billing-worker/.github/workflows/release.yml#push-image",
     {"@acme-corp/payments"}, "repository_team"),
    ("RB12", f"github:plaintext:{ORG}/monolith/.github/workflows/ci.yml:15:secret-key-value",
     {"@acme-corp/sre"}, "repository_team"),  # docs/CODEOWNERS has no rule for workflows
    ("RB05", f"gitlab:job:{ORG}/ml/model-server/.gitlab-ci.yml#push-image", {"lnguyen"}, "project_member"),
    ("RB06", f"gitlab:variable:{ORG}/ml/feature-store/GCP_SA_KEY/*", {"mkowalski"}, "project_member"),
    ("RB02", "pypi:project:acme-llm-gateway", {"acme-release-bot"}, "package_maintainer"),  # jdoe: Maintainer
    ("RB02", "npm:package:@acme-corp/icons", {"acme-corp-bot"}, "package_maintainer"),
    ("RB01", "aws:access-key:AKIANBWRLIPPVEXAMPLE", {"ops"}, "tag"),
    ("RB05", "aws:ecr-repository:arn:aws:ecr:eu-west-1:210987654321:repository/billing-worker", {"payments"}, "tag"),
    ("RB05", "gcp:ar-repository:projects/acme-ml-prod/locations/europe-west4/repositories/models",
     {"ml-platform"}, "tag"),
    ("RB01", "dockerhub:token:7e08cb5e-96ab-4f55-ac04-87522a961372", {"acmecorpbot"}, "token_owner"),
    ("RB01", "jfrog:token:2fd6675d-e52a-4e5a-a112-d4cedbd46a78", {"ci-deployer"}, "token_owner"),
    ("RB01", f"dockerhub:token:github/{ORG}/edge-proxy/DOCKERHUB_TOKEN", {"@acme-corp/platform"}, "secret_holder"),
    ("RB02", "jfrog:repository:npm-remote", {"artifact-platform"}, "config"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "subject", "owners", "source"), PER_SOURCE)
def test_each_source_shows_on_a_finding(
    findings: list[dict[str, Any]], rule: str, subject: str, owners: set[str], source: str
) -> None:
    (f,) = [f for f in findings if f["rule"] == rule and f["subject"]["id"] == subject]
    assert (_names(f), _sources(f)) == (owners, {source})


def test_azure_tag_owns_its_registry(findings: list[dict[str, Any]]) -> None:
    (f,) = [f for f in findings if f["rule"] == "RB07" and f["subject"]["provider"] == "azure"]
    assert (_names(f), _sources(f)) == ({"web"}, {"tag"})


def test_iam_paths_and_terraform_modules_own_the_demo_roles() -> None:
    """No finding is about these roles; their owners are the estate's all the same: the CodePipeline roles'
    IAM path (/teams/payments/) wins over the Terraform module that declares them, the GitHub roles' module
    (module.team_payments) names theirs, and the unmanaged user's tag names its own."""
    loaded = load_bundle(BUNDLE, connectors())
    index = resolve(loaded.inventory, declared=loaded.declared)
    arn = "aws:role:arn:aws:iam::210987654321:role/"

    def owners(nid: str) -> set[tuple[str, str]]:
        return {(o.name, o.source) for o in index.of(NodeId(nid))}

    assert owners(arn + "teams/payments/codepipeline-payments-api-prod") == {("payments", "iam_path")}
    assert owners(arn + "gha-billing-worker-push") == {("payments", "terraform_module")}
    assert owners(arn + "gha-payments-api-deploy") == {("payments", "terraform_module")}
    assert owners("aws:user:arn:aws:iam::210987654321:user/jenkins-legacy") == {("ops", "tag")}
