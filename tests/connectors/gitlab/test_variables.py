"""Which CI/CD variables a GitLab job receives: protected ones only on protected branches and tags, scoped ones
only in a matching environment, one value per name (project before group before instance); merge requests from
forks get none. Each with a job that must read and a near-identical one that must not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.analyse import analyse
from scanner.model import EdgeKind, Inventory, NodeId
from tests.connectors.gitlab.estate import job, pipeline, var

PROTECTED_MAIN: dict[str, Any] = {"protected_branches": [{"id": 1, "name": "main"}], "protected_tags": [{"name": "v*"}]}
META = {"gitlab/groups/acme/projects.json": [{"id": 7, "path_with_namespace": "acme/app", "default_branch": "main"}]}


def _reads(inv: Inventory, name: str) -> dict[str, tuple[tuple[str, str], ...]]:
    src = NodeId(f"gitlab:job:acme/app/.gitlab-ci.yml#{name}")
    return {e.dst: e.conditions for e in inv.edges() if e.src == src and e.kind is EdgeKind.CAN_READ_SECRET}


def _job(rules: str, env: str = "") -> str:
    return f"publish:\n  script: [make]\n{env}  rules:\n{rules}"


ON_MAIN = "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"
ON_MR = '    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n'
ON_TAGS = "    - if: $CI_COMMIT_TAG\n"
TOKEN = "gitlab:variable:acme/app/PYPI_TOKEN/*"


def test_protected_variable_reaches_a_job_on_the_protected_default_branch(tmp_path: Path) -> None:
    variables = [var("PYPI_TOKEN", protected=True)]
    inv = pipeline(tmp_path / "a", _job(ON_MAIN), META, variables=variables, **PROTECTED_MAIN)
    assert _reads(inv, "publish") == {TOKEN: ()}
    assert job(inv, "publish")["protected_refs"] is True
    twin = pipeline(tmp_path / "b", _job(ON_MR), META, variables=variables, **PROTECTED_MAIN)
    assert _reads(twin, "publish") == {}
    assert job(twin, "publish")["protected_refs"] is False


def test_protected_variable_reaches_a_job_on_protected_tags_only(tmp_path: Path) -> None:
    variables = [var("PYPI_TOKEN", protected=True)]
    inv = pipeline(tmp_path / "a", _job(ON_TAGS), META, variables=variables, **PROTECTED_MAIN)
    assert _reads(inv, "publish") == {TOKEN: ()}
    unprotected_tags: dict[str, Any] = {**PROTECTED_MAIN, "protected_tags": []}
    twin = pipeline(tmp_path / "b", _job(ON_TAGS), META, variables=variables, **unprotected_tags)
    assert _reads(twin, "publish") == {}


def test_protection_unknown_keeps_the_read_with_its_condition(tmp_path: Path) -> None:
    inv = pipeline(tmp_path, _job(ON_MAIN), META, variables=[var("PYPI_TOKEN", protected=True)])
    assert _reads(inv, "publish") == {TOKEN: (("protected_ref_only", "true"),)}
    assert job(inv, "publish")["protected_refs"] is None


def test_environment_scope_matches_the_jobs_environment(tmp_path: Path) -> None:
    variables = [var("DEPLOY_KEY", scope="production"), var("REVIEW_KEY", scope="review/*")]
    prod = pipeline(tmp_path / "a", _job(ON_MAIN, "  environment: production\n"), META, variables=variables)
    assert set(_reads(prod, "publish")) == {"gitlab:variable:acme/app/DEPLOY_KEY/production"}
    review = "  environment:\n    name: review/$CI_COMMIT_REF_SLUG\n"
    rev = pipeline(tmp_path / "b", _job(ON_MAIN, review), META, variables=variables)
    assert set(_reads(rev, "publish")) == {"gitlab:variable:acme/app/REVIEW_KEY/review/*"}
    staging = pipeline(tmp_path / "c", _job(ON_MAIN, "  environment: staging\n"), META, variables=variables)
    assert _reads(staging, "publish") == {}
    none = pipeline(tmp_path / "d", _job(ON_MAIN), META, variables=variables)
    assert _reads(none, "publish") == {}


def test_one_value_per_name_project_before_group_before_instance(tmp_path: Path) -> None:
    files = {
        **META,
        "gitlab/groups/acme/variables.json": [var("NPM_TOKEN"), var("GROUP_ONLY")],
        "gitlab/admin/ci/variables.json": [var("NPM_TOKEN"), var("INSTANCE_ONLY")],
    }
    inv = pipeline(tmp_path / "a", _job(ON_MAIN), files, variables=[var("NPM_TOKEN")])
    assert set(_reads(inv, "publish")) == {
        "gitlab:variable:acme/app/NPM_TOKEN/*",
        "gitlab:group-variable:acme/GROUP_ONLY/*",
        "gitlab:instance-variable:instance/INSTANCE_ONLY/*",
    }
    # the project's value is protected and this job never runs on a protected ref: the group's value is the one
    twin = pipeline(tmp_path / "b", _job(ON_MR), files, variables=[var("NPM_TOKEN", protected=True)], **PROTECTED_MAIN)
    assert "gitlab:group-variable:acme/NPM_TOKEN/*" in _reads(twin, "publish")
    assert "gitlab:variable:acme/app/NPM_TOKEN/*" not in _reads(twin, "publish")


def test_a_registry_variable_is_held_by_every_job_it_reaches(tmp_path: Path) -> None:
    """GitLab hands every job its CI/CD variables: a job that never names the PyPI token still holds it, and an
    unpinned image beside it can publish with it (RB11)."""
    ci = "lint:\n  image: python:latest\n  script: [ruff check]\n"
    inv = pipeline(tmp_path / "a", ci, META, variables=[var("PYPI_TOKEN")], **PROTECTED_MAIN)
    assert job(inv, "lint")["holds_credentials"] == ("pypi",)
    result = analyse(inv, source="gitlab", as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert {f.subject for f in result.findings if f.rule == "RB11"} == {"gitlab:image:python:latest"}
    pinned = ci.replace("python:latest", "python@sha256:" + "0" * 64)
    inv2 = pipeline(tmp_path / "b", pinned, META, variables=[var("PYPI_TOKEN")], **PROTECTED_MAIN)
    result2 = analyse(inv2, source="gitlab", as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert [f for f in result2.findings if f.rule == "RB11"] == []


def test_merge_requests_from_forks(tmp_path: Path) -> None:
    """A fork's merge request runs in the fork's project, with none of this project's variables, unless a
    maintainer runs its pipeline here: the job says so; it is not an outsider-controlled job by itself."""
    mr = job(pipeline(tmp_path / "a", _job(ON_MR), META), "publish")
    assert (mr["outsider_events"], mr["outsider_gated"], mr["untrusted_trigger"]) == (
        ("merge_request_event (fork)",),
        True,
        False,
    )
    main = job(pipeline(tmp_path / "b", _job(ON_MAIN), META), "publish")
    assert (main["outsider_events"], main["outsider_gated"]) == ((), False)


def test_workflow_rules_and_only_except(tmp_path: Path) -> None:
    flow = 'workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n      when: never\n    - when: always\n'
    no_mr = job(pipeline(tmp_path / "a", flow + _job(ON_MR + ON_MAIN), META), "publish")
    assert no_mr["outsider_events"] == ()
    only = "publish:\n  script: [make]\n  only: [tags]\n"
    attrs = job(pipeline(tmp_path / "b", only, META, **PROTECTED_MAIN), "publish")
    assert attrs["refs"] == ("refs/tags/*",)
    assert attrs["protected_refs"] is True
    exc = "publish:\n  script: [make]\n  except: [tags, main]\n"
    attrs = job(pipeline(tmp_path / "c", exc, META, **PROTECTED_MAIN), "publish")
    assert attrs["protected_refs"] is False


def test_a_name_no_collected_list_shows(tmp_path: Path) -> None:
    """With the project's and groups' lists collected but not the instance's (an administrator's), a name none
    shows may be an instance variable: still a credential, with a gap. With every list collected it is empty
    at run time: nothing publishes with it."""
    ci = "publish:\n  script: ['twine upload -u __token__ -p \"$PYPI_API_TOKEN\" dist/*']\n"
    groups = {**META, "gitlab/groups/acme/variables.json": []}
    inv = pipeline(tmp_path / "a", ci, groups, variables=[])
    assert job(inv, "publish")["publish_routes"] == ("pypi:secret:PYPI_API_TOKEN",)
    assert NodeId("gitlab:variable:acme/app/PYPI_API_TOKEN/*") in inv
    everything = {**groups, "gitlab/admin/ci/variables.json": []}
    inv2 = pipeline(tmp_path / "b", ci, everything, variables=[])
    assert job(inv2, "publish")["publish_routes"] == ("pypi:unknown",)
