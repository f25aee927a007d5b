"""GitLab YAML as GitLab reads it, each with a job that must publish and a near-identical one that must not:
``!reference``, anchors and ``<<:``, multi-level and list ``extends:``, ``default:``/``inherit:``, and a
component's ``spec:`` header with inputs. Malformed pipeline files are a gap of their project, not an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.gitlab.ciyaml import CiFileError, Located, Reference, load_documents, split_documents
from connectors.gitlab.merge import deep_merge, flatten, interpolate, resolve_extends, resolve_references
from scanner.model import NodeId
from tests.connectors.gitlab.estate import gaps, job, pipeline, publishes, routes

TEMPLATES = """
.publish:
  script:
    - twine upload -u __token__ -p "$PYPI_TOKEN" dist/*
.check:
  script:
    - twine check dist/*
"""


def test_reference_tag_loads_and_keeps_lines() -> None:
    (doc,) = load_documents("a:\n  script:\n    - !reference [.t, script]\n    - echo hi\n")
    item, echo = doc["a"]["script"]
    assert item == Reference((".t", "script"), 3)
    assert isinstance(echo, Located)
    assert echo.line == 4


def test_block_scalar_line_is_its_first_text_line() -> None:
    (doc,) = load_documents("a:\n  script:\n    - |\n      echo one\n      echo two\n")
    assert doc["a"]["script"][0].line == 4


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("spec:\n  inputs: {}\n---\nspec: {}\n---\na: {}\n", "3 YAML documents"),
        ("a: 1\n---\nb: 2\n", "header holding only spec"),
        ("- a\n- b\n", "must be a YAML mapping"),
    ],
)
def test_documents_gitlab_refuses(text: str, problem: str) -> None:
    with pytest.raises(CiFileError, match=problem):
        split_documents(load_documents(text))


def test_merge_semantics() -> None:
    assert deep_merge({"v": {"A": "1", "B": "1"}, "s": ["x"]}, {"v": {"B": "2"}, "s": ["y"]}) == {
        "v": {"A": "1", "B": "2"},
        "s": ["y"],  # lists are replaced, not appended
    }
    config = {".a": {"image": "a", "variables": {"X": "a"}}, ".b": {"extends": ".a", "variables": {"Y": "b"}},
              "j": {"extends": [".b", ".c"]}}  # fmt: skip
    merged, problems, unknown = resolve_extends(config)
    assert merged["j"] == {"image": "a", "variables": {"X": "a", "Y": "b"}}
    assert problems == ["j: extends: unknown key .c"]
    assert unknown == {"j": (".c",)}
    _loop, problems, _ = resolve_extends({"a": {"extends": "b"}, "b": {"extends": "a"}})
    assert any("loops back" in p for p in problems)
    refs, problems = resolve_references({".t": {"script": ["x", Reference((".u", "s"), 1)]}, ".u": {"s": ["y"]},
                                         "j": {"script": [Reference((".t", "script"), 2), "z"]}})  # fmt: skip
    assert flatten(refs["j"]["script"]) == ["x", "y", "z"]
    assert problems == []
    assert interpolate(
        {"s": "$[[ inputs.cmd ]]", "t": "go $[[ inputs.n | truncate(0,1) ]]"}, {"cmd": ["a"], "n": 3}
    ) == {
        "s": ["a"],
        "t": "go 3",
    }


def test_reference_publishes_and_its_twin_does_not(tmp_path: Path) -> None:
    ci = TEMPLATES + "release:\n  script:\n    - !reference [.publish, script]\n"
    assert publishes(pipeline(tmp_path / "a", ci), "release") == ("pypi",)
    twin = TEMPLATES + "release:\n  script:\n    - !reference [.check, script]\n"
    assert publishes(pipeline(tmp_path / "b", twin), "release") == ()


def test_reference_to_nothing_is_a_gap_and_the_job_is_still_read(tmp_path: Path) -> None:
    ci = "release:\n  script:\n    - !reference [.nowhere, script]\n    - npm publish\n"
    inv = pipeline(tmp_path, ci)
    assert publishes(inv, "release") == ("npm",)
    assert any(w.startswith("pipeline file") and "!reference ['.nowhere', 'script']" in r for w, r in gaps(inv))


def test_anchor_merge_key_publishes_and_its_twin_does_not(tmp_path: Path) -> None:
    base = ".p: &publish\n  script: [npm publish]\n.c: &check\n  script: [npm pack]\n"
    assert publishes(pipeline(tmp_path / "a", base + "release:\n  <<: *publish\n  stage: deploy\n"), "release") == (
        "npm",
    )
    assert publishes(pipeline(tmp_path / "b", base + "release:\n  <<: *check\n  stage: deploy\n"), "release") == ()


MULTI = """
.base:
  image: docker:27
  before_script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
.push:
  extends: .base
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
.build:
  extends: .base
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
"""


def test_multi_level_extends_publishes_and_its_twin_does_not(tmp_path: Path) -> None:
    inv = pipeline(tmp_path / "a", MULTI + "release-image:\n  extends: .push\n")
    assert routes(inv, "release-image") == ("gitlab-registry:job_token",)
    assert job(inv, "release-image")["image"] == "docker:27"  # from two levels up
    twin = pipeline(tmp_path / "b", MULTI + "release-image:\n  extends: .build\n")
    assert publishes(twin, "release-image") == ()


def test_extends_list_later_base_wins(tmp_path: Path) -> None:
    assert publishes(pipeline(tmp_path / "a", TEMPLATES + "r:\n  extends: [.check, .publish]\n"), "r") == ("pypi",)
    assert publishes(pipeline(tmp_path / "b", TEMPLATES + "r:\n  extends: [.publish, .check]\n"), "r") == ()


def test_default_is_inherited_unless_the_job_opts_out(tmp_path: Path) -> None:
    ci = "default:\n  before_script: [npm publish]\nbuild:\n  script: [make]\n"
    assert publishes(pipeline(tmp_path / "a", ci), "build") == ("npm",)
    twin = ci + "  inherit:\n    default: false\n"
    assert publishes(pipeline(tmp_path / "b", twin), "build") == ()


def test_global_variables_are_inherited_unless_the_job_opts_out(tmp_path: Path) -> None:
    ci = "variables:\n  TWINE_PASSWORD: $PYPI_TOKEN\nr:\n  script: [twine upload dist/*]\n"
    assert routes(pipeline(tmp_path / "a", ci), "r") == ("pypi:secret:PYPI_TOKEN",)
    twin = ci + "  inherit:\n    variables: false\n"
    assert routes(pipeline(tmp_path / "b", twin), "r") == ("pypi:unknown",)


COMPONENT = """spec:
  inputs:
    command:
      default: twine upload dist/*
    stage:
      default: deploy
---
"$[[ inputs.stage ]]-publish":
  stage: $[[ inputs.stage ]]
  script:
    - $[[ inputs.command ]]
"""


def test_component_spec_header_and_inputs(tmp_path: Path) -> None:
    comp = {"gitlab/projects/acme/components/-/raw/1.0/templates/pypi.yml": COMPONENT}
    ci = "include:\n  - component: gitlab.com/acme/components/pypi@1.0\n"
    inv = pipeline(tmp_path / "a", ci, comp)
    assert publishes(inv, "deploy-publish") == ("pypi",)
    twin = ci + "    inputs:\n      command: twine check dist/*\n      stage: test\n"
    inv2 = pipeline(tmp_path / "b", twin, comp)
    assert publishes(inv2, "test-publish") == ()
    # the component is a third party of the pipeline's jobs, not pinned to a SHA
    comp_node = inv.node(NodeId("gitlab:include:gitlab.com/acme/components/pypi@1.0"))
    assert comp_node.attrs["pinned"] is False


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("publish: [unclosed\n", "invalid YAML"),
        ("build:\n  script: !shell echo\n", "could not determine a constructor for the tag '!shell'"),
        ("- a\n- b\n", "a CI file must be a YAML mapping"),
        ("a: 1\n---\nb: 2\n", "header holding only spec"),
    ],
)
def test_unreadable_pipeline_file_is_a_gap_of_its_project(tmp_path: Path, text: str, reason: str) -> None:
    inv = pipeline(tmp_path, text)
    found = [(w, r) for w, r in gaps(inv) if w.startswith("pipeline file")]
    assert len(found) == 1, gaps(inv)
    what, why = found[0]
    assert what == "pipeline file gitlab/projects/acme/app/repository/files/.gitlab-ci.yml"
    assert why.startswith("not interpreted: ")
    assert reason in why
    assert not [n for n in inv.nodes() if n.subtype == "gitlab:job"]
