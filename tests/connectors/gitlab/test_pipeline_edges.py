"""Paths between jobs and projects: another project's CI_JOB_TOKEN admitted by a project's allowlist, child and
multi-project pipelines started by ``trigger:``, a dynamic child pipeline written by another job, and artifacts
a publishing job uses; each with a near-identical case that must not make the path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.gitlab import SPEC
from scanner.bundle import BundleReader
from scanner.model import Action, EdgeKind, Inventory, NodeId
from tests.connectors.gitlab.estate import gaps, pipeline, write

JOB = "gitlab:job:acme/{project}/.gitlab-ci.yml#{name}"


def _edges(inv: Inventory, kind: EdgeKind) -> set[tuple[str, str]]:
    return {(e.src, e.dst) for e in inv.edges() if e.kind is kind}


def _two_projects(root: Path, allowlist: list[dict[str, Any]] | None, scope: dict[str, Any]) -> Inventory:
    files: dict[str, Any] = {
        "gitlab/projects/acme/app/repository/files/.gitlab-ci.yml": "build:\n  script: [make]\n",
        "gitlab/projects/acme/lib/repository/files/.gitlab-ci.yml": "test:\n  script: [make test]\n",
        "gitlab/projects/acme/lib/job_token_scope.json": scope,
    }
    if allowlist is not None:
        files["gitlab/projects/acme/lib/job_token_scope/allowlist.json"] = allowlist
        files["gitlab/projects/acme/lib/job_token_scope/groups_allowlist.json"] = []
    write(root, files)
    return SPEC.inventory(BundleReader(root))


def test_job_token_allowlist_lets_another_project_in(tmp_path: Path) -> None:
    inv = _two_projects(tmp_path / "a", [{"id": 1, "path_with_namespace": "acme/app"}], {"inbound_enabled": True})
    token = NodeId("gitlab:job-token:acme/app")
    assert (JOB.format(project="app", name="build"), token) in _edges(inv, EdgeKind.CAN_READ_SECRET)
    grants = [e for e in inv.edges() if e.src == token and e.kind is EdgeKind.GRANTS]
    assert [(e.dst, e.actions) for e in grants] == [
        (NodeId("gitlab:registry:acme/lib"), frozenset({Action.READ, Action.PUBLISH}))
    ]
    closed = _two_projects(tmp_path / "b", [], {"inbound_enabled": True})
    assert NodeId("gitlab:job-token:acme/app") not in closed
    # with the job token scope off, every project's token gets in
    open_scope = _two_projects(tmp_path / "c", None, {"inbound_enabled": False})
    assert NodeId("gitlab:job-token:acme/app") in open_scope


CHILD = """
trigger-release:
  trigger:
    include: ci/release.yml
    strategy: depend
"""


def test_child_pipeline_jobs_are_started_by_the_trigger_job(tmp_path: Path) -> None:
    inv = pipeline(tmp_path / "a", CHILD, {"ci/release.yml": "release:\n  script: [npm publish]\n"})
    child = NodeId("gitlab:job:acme/app/ci/release.yml#release")
    assert inv.node(child).attrs["publishes"] == ("npm",)
    assert (NodeId(JOB.format(project="app", name="trigger-release")), child) in _edges(inv, EdgeKind.CAN_ASSUME)
    twin = pipeline(tmp_path / "b", CHILD.replace("ci/release.yml", "ci/other.yml"), {"ci/release.yml": "x: {}\n"})
    assert ("child pipeline ci/other.yml of job trigger-release", "not collected") in gaps(twin)


def test_multi_project_pipeline_jobs_are_started_by_the_trigger_job(tmp_path: Path) -> None:
    write(tmp_path / "a", {
        "gitlab/projects/acme/app/repository/files/.gitlab-ci.yml": "deploy:\n  trigger:\n    project: acme/lib\n",
        "gitlab/projects/acme/lib/repository/files/.gitlab-ci.yml": "publish:\n  script: [npm publish]\n",
    })  # fmt: skip
    inv = SPEC.inventory(BundleReader(tmp_path / "a"))
    edge = (NodeId(JOB.format(project="app", name="deploy")), NodeId(JOB.format(project="lib", name="publish")))
    assert edge in _edges(inv, EdgeKind.CAN_ASSUME)
    write(tmp_path / "b", {
        "gitlab/projects/acme/app/repository/files/.gitlab-ci.yml": "deploy:\n  trigger:\n    project: acme/other\n",
        "gitlab/projects/acme/lib/repository/files/.gitlab-ci.yml": "publish:\n  script: [npm publish]\n",
    })  # fmt: skip
    assert not _edges(SPEC.inventory(BundleReader(tmp_path / "b")), EdgeKind.CAN_ASSUME)


def test_dynamic_child_pipeline_is_written_by_its_generator(tmp_path: Path) -> None:
    ci = "generate:\n  script: [./gen.sh > child.yml]\n  artifacts:\n    paths: [child.yml]\n"
    ci += "run-child:\n  trigger:\n    include:\n      - artifact: child.yml\n        job: generate\n"
    inv = pipeline(tmp_path, ci)
    node = NodeId("gitlab:pipeline:acme/app/dynamic:run-child")
    grants = {(e.src, e.dst) for e in inv.edges() if e.kind is EdgeKind.GRANTS and e.dst == node}
    assert grants == {(NodeId(JOB.format(project="app", name="generate")), node),
                      (NodeId(JOB.format(project="app", name="run-child")), node)}  # fmt: skip
    assert ("jobs of the child pipeline started by run-child", "generated at run time by job generate") in gaps(inv)


ARTIFACTS = """
build:
  stage: build
  script: [python -m build]
  artifacts:
    paths: [dist/]
publish:
  stage: deploy
  needs:
    - job: build
      artifacts: {artifacts}
  script: ["twine upload -p $PYPI_TOKEN dist/*"]
"""


def test_artifacts_a_publishing_job_uses_come_from_the_job_that_built_them(tmp_path: Path) -> None:
    edge = (NodeId(JOB.format(project="app", name="build")), NodeId(JOB.format(project="app", name="publish")))
    inv = pipeline(tmp_path / "a", ARTIFACTS.format(artifacts="true"))
    assert edge in _edges(inv, EdgeKind.CAN_ASSUME)
    assert edge not in _edges(pipeline(tmp_path / "b", ARTIFACTS.format(artifacts="false")), EdgeKind.CAN_ASSUME)
    # without needs:, every job of an earlier stage hands its artifacts on
    stages = ARTIFACTS.format(artifacts="true").replace("  needs:\n    - job: build\n      artifacts: true\n", "")
    assert edge in _edges(pipeline(tmp_path / "c", stages), EdgeKind.CAN_ASSUME)
