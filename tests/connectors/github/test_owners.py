"""GitHub owners: CODEOWNERS (the rule matching a workflow's path) and repository teams with admin or
maintain permission (everything else of a repository, and a file no rule owns). Must / must-not pairs on
the test estate (fail-tag has .github/CODEOWNERS, pass-tag docs/CODEOWNERS, the others none), and
CODEOWNERS's pattern rules one by one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.github import SPEC
from connectors.github.owners import parse_codeowners
from scanner.bundle import BundleReader
from scanner.model import Evidence, Inventory, NodeId
from scanner.owners import OwnerIndex, resolve
from tests.connectors.github import estate

JOB = "github:job:acme/{}/.github/workflows/release.yml#publish"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return estate.write_bundle(tmp_path_factory.mktemp("owners") / "bundle")


def _index(bundle: Path) -> tuple[Inventory, OwnerIndex]:
    inv = SPEC.inventory(BundleReader(bundle))
    return inv, resolve(inv)


def _owners(index: OwnerIndex, nid: str) -> set[tuple[str, str]]:
    return {(o.name, o.source) for o in index.of(NodeId(nid))}


def test_a_workflow_belongs_to_its_codeowners_rule_not_to_an_earlier_one(bundle: Path) -> None:
    _, index = _index(bundle)
    job = JOB.format("fail-tag")
    assert _owners(index, job) == {("@acme/release-eng", "codeowners"), ("octocat", "codeowners")}
    (first, _) = index.of(NodeId(job))
    rel = "github/repos/acme/fail-tag/contents/.github/CODEOWNERS"
    assert first.evidence == (Evidence(rel, 3),)
    wf = "github:workflow:acme/fail-tag/.github/workflows/release.yml"
    assert _owners(index, wf) == _owners(index, job)


def test_codeowners_in_docs_is_read_when_github_and_the_root_have_none(bundle: Path) -> None:
    _, index = _index(bundle)
    assert _owners(index, JOB.format("pass-tag")) == {("security@acme.example", "codeowners")}


def test_without_codeowners_the_admin_team_owns_the_workflow_and_a_read_team_does_not(bundle: Path) -> None:
    _, index = _index(bundle)
    assert _owners(index, JOB.format("fail-tag-b")) == {("@acme/fail-tag-b-admins", "repository_team")}


def test_secrets_and_the_repository_belong_to_the_admin_team_whatever_codeowners_says(bundle: Path) -> None:
    _, index = _index(bundle)
    admins = {("@acme/fail-tag-admins", "repository_team")}
    assert _owners(index, "github:secret:acme/fail-tag/PYPI_TOKEN") == admins
    assert _owners(index, "github:repo:acme/fail-tag") == admins


def test_a_third_party_action_and_an_organisation_secret_have_no_repository_owner(bundle: Path) -> None:
    _, index = _index(bundle)
    assert index.of(NodeId("github:action:tj-actions/changed-files@v45")) == ()
    assert index.of(NodeId("github:org-secret:acme/ORG_PYPI_TOKEN")) == ()


def test_without_the_teams_file_the_repositorys_owners_are_not_collected(bundle: Path, tmp_path: Path) -> None:
    """No owner, and not "unknown" either: the report names the file that would have said."""
    copy = shutil.copytree(bundle, tmp_path / "b")
    missing = "github/repos/acme/fail-tag-b/teams.json"
    (copy / missing).unlink()
    _, index = _index(copy)
    for nid in (JOB.format("fail-tag-b"), "github:secret:acme/fail-tag-b/PYPI_TOKEN"):
        assert index.of(NodeId(nid)) == ()
        assert index.not_collected.get(NodeId(nid)) == missing
    # a file a CODEOWNERS rule owns keeps that owner, and another repository's teams were collected
    assert _owners(index, JOB.format("fail-tag")) == {("@acme/release-eng", "codeowners"), ("octocat", "codeowners")}
    assert NodeId("github:secret:acme/fail-tag/PYPI_TOKEN") not in index.not_collected


def test_a_codeowners_file_that_is_not_text_is_a_gap(bundle: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(bundle, tmp_path / "b")
    (copy / "github/repos/acme/fail-tag/contents/.github/CODEOWNERS").write_bytes(b"\xff\xfe*\x00")
    inv, index = _index(copy)
    assert any("CODEOWNERS" in g.what for g in inv.gaps)
    assert _owners(index, JOB.format("fail-tag")) == {("@acme/fail-tag-admins", "repository_team")}


# -- CODEOWNERS patterns (GitHub's about-code-owners examples) --------------------------------------------

RULES = """\
# comment
*                       @org/default
*.js                    @js-owner #This is an inline comment.
/build/logs/            @doctocat
docs/*                  docs@example.com
apps/                   @octocat
/docs/                  @doctocat
/scripts/               @doctocat @octocat
**/logs                 @octocat
/apps/github
/.github/workflows/release.yml @org/release
!negated                @nobody
[ab].txt                @nobody
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ("@org/default",)),
        ("src/app.js", ("@js-owner",)),  # the comment is not an owner
        ("build/logs/a.txt", ("@octocat",)),  # /build/logs/ matches, but **/logs comes later
        ("build/a.txt", ("@org/default",)),
        ("x/scripts/deploy.sh", ("@org/default",)),  # /scripts/ is anchored at the root
        ("docs/getting-started.md", ("@doctocat",)),  # /docs/ comes later than docs/*
        ("x/docs/a/b.md", ("@org/default",)),  # docs/* is anchored (a slash in the middle) and not nested
        ("x/apps/a.py", ("@octocat",)),  # apps/ anywhere
        ("apps/github/a.py", ()),  # a later rule with no owner: no owner
        ("scripts/deploy.sh", ("@doctocat", "@octocat")),
        ("deeply/nested/logs/x", ("@octocat",)),
        (".github/workflows/release.yml", ("@org/release",)),
        (".github/workflows/ci.yml", ("@org/default",)),
        ("negated", ("@org/default",)),  # ! is not supported by GitHub: that line matches nothing
        ("a.txt", ("@org/default",)),
    ],
)
def test_codeowners_patterns(path: str, owners: tuple[str, ...]) -> None:
    rule = parse_codeowners("f", "CODEOWNERS", RULES).match(path)
    assert rule is not None
    assert rule.owners == owners


def test_a_path_no_rule_matches_has_no_rule() -> None:
    assert parse_codeowners("f", "CODEOWNERS", "/src/ @a\n").match(".github/workflows/x.yml") is None
