"""The workflow parser: triggers, permissions, environments, images and secret references."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from connectors.github.actions import action_name, registry_host
from connectors.github.workflows import Permissions, job_lines, node_positions, parse_workflow, positions, secret_refs
from scanner.bundle import BundleReader
from scanner.errors import BundleError
from scanner.yaml12 import ANCHOR, _Yaml12Loader, load_yaml, load_yaml_node

F = "github/repos/o/r/contents/.github/workflows/x.yml"


def _parse(tmp_path: Path, text: str) -> object:
    """Parse text the way the loader does (YAML 1.2 through BundleReader)."""
    (tmp_path / "x.yml").write_text(text, encoding="utf-8")
    return BundleReader(tmp_path).yaml("x.yml")


@pytest.mark.parametrize(
    ("on", "triggers"),
    [
        ("on: push", ("push",)),
        ("on: [push, pull_request_target, push]", ("pull_request_target", "push")),
        ("on:\n  workflow_run:\n    workflows: [x]\n  push:", ("push", "workflow_run")),
        ("name: no triggers", ()),
    ],
)
def test_triggers(tmp_path: Path, on: str, triggers: tuple[str, ...]) -> None:
    # YAML 1.2: the key "on" stays a string, it does not become True
    wf = parse_workflow(F, _parse(tmp_path, f"{on}\njobs: {{}}\n"))
    assert wf.triggers == triggers


def test_permissions_forms(tmp_path: Path) -> None:
    text = """
permissions: read-all
jobs:
  a: {permissions: write-all}
  b: {permissions: {}}
  c: {permissions: {id-token: write, contents: read}}
  d: {}
"""
    wf = parse_workflow(F, _parse(tmp_path, text))
    assert wf.permissions == Permissions(all="read")
    a, b, c, d = wf.jobs
    assert a.permissions is not None
    assert a.permissions.level("id-token") == "write"
    assert b.permissions is not None
    assert b.permissions.level("contents") == "none"
    assert c.permissions is not None
    assert (c.permissions.level("id-token"), c.permissions.level("contents")) == ("write", "read")
    assert c.permissions.level("actions") == "none"
    assert d.permissions is None


def test_repository_default_token() -> None:
    write = Permissions.default("write")
    assert (write.level("contents"), write.level("actions"), write.level("id-token")) == ("write", "write", "none")
    read = Permissions.default("read")
    assert (read.level("contents"), read.level("actions"), read.level("id-token")) == ("read", "none", "none")


def test_job_shapes(tmp_path: Path) -> None:
    text = """
env:
  TOP: ${{ secrets.TOP_LEVEL }}
jobs:
  deploy:
    environment: {name: prod, url: "https://example.invalid"}
    container: node:20
    services:
      db: {image: "postgres@sha256:abc"}
      other: {ports: ["80"]}
    steps:
      - uses: docker://alpine:3
      - run: echo ${{ secrets.A }} ${{ secrets [ "B" ] }} ${{ github.token }} secrets.NOT_AN_EXPRESSION
        with: {flag: true, n: 3, none: null}
  call:
    uses: o/r/.github/workflows/w.yml@v1
    secrets: inherit
  named:
    environment: staging
    secrets:
      token: ${{ secrets.C || secrets.D }}
"""
    wf = parse_workflow(F, _parse(tmp_path, text))
    deploy, call, named = wf.jobs
    assert wf.secret_refs == frozenset({"TOP_LEVEL"})
    assert (deploy.environment, deploy.container, deploy.services) == (
        "prod",
        "node:20",
        (("db", "postgres@sha256:abc"),),
    )
    assert deploy.secret_refs == frozenset({"A", "B"})
    assert deploy.steps[0].uses == "docker://alpine:3"
    assert deploy.steps[1].with_ == {"flag": "true", "n": "3", "none": ""}
    assert (call.uses, call.secrets_inherit, call.steps) == ("o/r/.github/workflows/w.yml@v1", True, ())
    assert (named.environment, named.secret_refs, named.secrets_inherit) == ("staging", frozenset({"C", "D"}), False)


def test_secret_refs_walks_nested_values() -> None:
    value = {"a": ["${{ secrets.X }}", {"b": "${{ format('{0}', secrets['Y-1']) }}"}], "c": 3}
    assert sorted(secret_refs(value)) == ["X", "Y-1"]


def test_job_lines() -> None:
    text = (
        "name: x\n"
        "jobs:  # comment\n"
        "  # a comment\n"
        "  build:\n"
        "    steps:\n"
        "      - run: echo\n"
        '  "quoted-job":\n'
        "    runs-on: x\n"
        "other:\n"
        "  notajob:\n"
    )
    assert job_lines(text) == {"build": 4, "quoted-job": 7}


def test_step_label() -> None:
    wf = parse_workflow(F, {"jobs": {"a": {"steps": [{"run": "x"}, {"id": "s", "run": "y"}]}}})
    assert [s.label for s in wf.jobs[0].steps] == ["step 1", "s"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"jobs": {"a": {"environment": ["x"]}}}, "jobs.a.environment: expected a string, got a list"),
        ({"jobs": {"a": {"steps": [{"with": "x"}]}}}, "jobs.a.steps[0].with: expected a mapping, got a scalar (str)"),
        ({"jobs": {"a": "not a job"}}, "jobs.a: expected a mapping, got a scalar (str)"),
        ({"permissions": "admin-all", "jobs": {}}, "permissions: unknown permissions shorthand 'admin-all'"),
    ],
)
def test_errors_name_the_key(data: object, problem: str) -> None:
    with pytest.raises(BundleError) as info:
        parse_workflow(F, data)
    assert str(info.value) == f"{F}: {problem}"


def test_action_table_helpers() -> None:
    assert action_name("PyPA/gh-action-pypi-publish/sub@v1") == "pypa/gh-action-pypi-publish"
    assert registry_host("https://test.pypi.org/legacy/") == "test.pypi.org"
    assert registry_host("ghcr.io") == "ghcr.io"


def _real_workflow_texts() -> list[tuple[str, str]]:
    root = Path(__file__).parents[3]
    found = sorted(root.glob("tests/fixtures/**/.github/workflows/*.y*ml")) + sorted(
        (root / "tests" / "fixtures" / "github" / "workflows").glob("*.y*ml")
    )
    found += sorted((root / "bench" / "fidelity" / "github" / "corpus").rglob("*.y*ml"))
    return [(str(p.relative_to(root)), p.read_text(encoding="utf-8", errors="replace")) for p in found]


def test_one_parse_gives_the_document_and_the_lines_two_parses_gave() -> None:
    # The loader composes each workflow once and hands the node over for the lines of jobs and
    # steps: on every real workflow here (the fixtures and the fidelity corpus of public repositories),
    # the document and the lines are those of a separate load and compose.
    texts = _real_workflow_texts()
    assert len(texts) > 900
    anchored = 0
    for name, text in texts:
        try:
            want = yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - the Python twin of the loader
        except yaml.YAMLError:
            continue
        data, node = load_yaml_node(text)
        assert data == want, name
        assert load_yaml(text) == want, name
        assert node_positions(node) == positions(text), name
        anchored += bool(ANCHOR.search(text))
    assert anchored  # the Python loader's path is taken too


def test_matrix_combinations_follow_githubs_expansion() -> None:
    """GitHub's documented example of ``include`` (docs: "Expanding or adding matrix configurations"):
    an entry extends every combination whose listed values it keeps, else it is a combination of its own."""
    from connectors.github.workflows import MAX_MATRIX, matrix_combinations

    strategy = {
        "matrix": {
            "fruit": ["apple", "pear"],
            "animal": ["cat", "dog"],
            "include": [
                {"color": "green"},
                {"color": "pink", "animal": "cat"},
                {"fruit": "apple", "shape": "circle"},
                {"fruit": "banana"},
                {"fruit": "banana", "animal": "cat"},
            ],
        }
    }
    assert matrix_combinations(strategy) == (
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    )
    exclude = {"matrix": {"os": ["a", "b"], "v": [1, True], "exclude": [{"os": "a", "v": 1}]}}
    assert matrix_combinations(exclude) == ({"os": "a", "v": "true"}, {"os": "b", "v": "1"}, {"os": "b", "v": "true"})
    assert matrix_combinations({"matrix": {"t": [{"name": "x", "n": 2}]}}) == ({"t.name": "x", "t.n": "2"},)
    assert matrix_combinations({"matrix": "${{ fromJSON(needs.a.outputs.m) }}"}) == ()
    assert matrix_combinations(None) == ()
    assert len(matrix_combinations({"matrix": {"a": list(range(10)), "b": list(range(10))}})) == MAX_MATRIX
