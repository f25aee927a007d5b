"""Jobs copied from one template into many repositories are analysed once (connectors.ci.publish.Memo), and
that never changes what a job is found to publish: a job that names its own repository is analysed per
repository, and two different jobs never share an answer."""

from __future__ import annotations

from pathlib import Path

from connectors.ci.publish import Memo, StepView, analyse
from connectors.github import SPEC
from connectors.github.refs import GitHubRefs
from scanner.bundle import BundleReader
from scanner.model import Inventory, NodeId

PUSH_OWN = """on: push
jobs:
  j:
    runs-on: x
    permissions: {packages: write}
    steps:
      - run: echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u x --password-stdin
      - run: docker push ghcr.io/${{ github.repository }}:1
"""
PUSH_FIXED = PUSH_OWN.replace("${{ github.repository }}", "acme/shared")


def _inventory(tmp_path: Path, workflow: str, repos: tuple[str, ...] = ("acme/a", "acme/b")) -> Inventory:
    for repo in repos:
        path = tmp_path / f"github/repos/{repo}/contents/.github/workflows/ci.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(workflow, encoding="utf-8")
    return SPEC.inventory(BundleReader(tmp_path))


def _pushes(inv: Inventory, repo: str) -> set[str]:
    job = NodeId(f"github:job:{repo}/.github/workflows/ci.yml#j")
    assert inv.node(job).attrs["publishes"] == ("ghcr",)
    return {e.dst for e in inv.edges() if e.src == job}


def test_a_job_naming_its_repository_is_analysed_per_repository(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, PUSH_OWN)
    assert _pushes(inv, "acme/a") == {"github:image-repository:ghcr.io/acme/a"}
    assert _pushes(inv, "acme/b") == {"github:image-repository:ghcr.io/acme/b"}


def test_the_same_job_in_two_repositories_says_the_same(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, PUSH_FIXED)
    assert _pushes(inv, "acme/a") == _pushes(inv, "acme/b") == {"github:image-repository:ghcr.io/acme/shared"}


def _steps(image: str, line: int = 2) -> list[StepView]:
    login = StepView(0, "login", 1, None, "docker/login-action@v3", {"password": "${{ secrets.HUB }}"}, None, {})
    return [login, StepView(1, "push", line, None, None, {}, f"docker push {image}:1", {})]


def test_the_memo_answers_exactly_what_analyse_answers() -> None:
    memo = Memo()
    cases = [
        (_steps("docker.io/acme/app"), GitHubRefs("acme/a")),
        (_steps("docker.io/acme/app"), GitHubRefs("acme/b")),  # same job, another repository: shared
        (_steps("docker.io/acme/app", line=7), GitHubRefs("acme/b")),  # another line: its own answer
        (_steps("docker.io/${{ github.repository }}"), GitHubRefs("acme/a")),
        (_steps("docker.io/${{ github.repository }}"), GitHubRefs("acme/b")),  # names its repository
        (_steps("docker.io/$GITHUB_REPOSITORY"), GitHubRefs("acme/c")),
    ]
    for steps, refs in cases:
        for oidc in (True, False):
            assert memo.analyse(steps, refs, oidc=oidc) == analyse(steps, refs, oidc=oidc)
    assert (memo.hits, memo.misses) == (2, 10)


def test_fields_never_run_together_into_one_key() -> None:
    memo = Memo()
    refs = GitHubRefs("acme/a")
    one = [StepView(0, "s", 1, None, None, {"a": "b", "c": "d"}, "docker push acme/x:1", {})]
    other = [StepView(0, "s", 1, None, None, {"a": "b"}, "docker push acme/x:1", {"c": "d"})]
    memo.analyse(one, refs, oidc=False)
    memo.analyse(other, refs, oidc=False)
    assert memo.misses == 2
