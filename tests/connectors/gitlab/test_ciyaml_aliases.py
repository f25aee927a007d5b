"""A GitLab CI file is read with the same alias bound as every other YAML regwarden reads."""

from __future__ import annotations

import pytest
import yaml

from connectors.gitlab.ciyaml import load_documents
from scanner.yaml12 import MAX_YAML_ALIASES


def _aliased(n: int) -> str:
    return ".base: &b {image: alpine}\n" + "".join(f"job{i}: *b\n" for i in range(n))


def test_aliases_up_to_the_bound_are_read() -> None:
    (doc,) = load_documents(_aliased(MAX_YAML_ALIASES))
    assert doc[f"job{MAX_YAML_ALIASES - 1}"] == {"image": "alpine"}


def test_one_alias_more_is_refused() -> None:
    with pytest.raises(yaml.YAMLError, match=f"more than {MAX_YAML_ALIASES} YAML aliases"):
        load_documents(_aliased(MAX_YAML_ALIASES + 1))


def test_an_anchor_defined_again_names_the_new_node() -> None:
    # framasoft/mobilizon defines `&release-tag-rules` three times; GitLab (libyaml) reads it, as YAML 1.2 says:
    # an alias refers to the most recent node with its anchor. PyYAML alone refused the file.
    text = "a:\n  rules: &r [x]\nb:\n  rules: *r\nc:\n  rules: &r [y]\nd:\n  rules: *r\n"
    (doc,) = load_documents(text)
    assert (doc["b"]["rules"], doc["d"]["rules"]) == (["x"], ["y"])


def test_a_tab_inside_a_plain_scalar_is_read_as_gitlab_reads_it() -> None:
    # Nheko-Reborn/nheko: `- apk add<TAB>…` in a file with anchors (read by PyYAML's Python scanner, which
    # refuses the tab; GitLab's libyaml reads it). Indentation tabs stay an error.
    text = ".base: &b {image: alpine}\njob:\n  <<: *b\n  script:\n    - apk add\t\tgit\n"
    (doc,) = load_documents(text)
    assert doc["job"]["script"] == ["apk add  git"]
    with pytest.raises(yaml.YAMLError):
        load_documents(".base: &b {image: alpine}\njob:\n\tscript: [x]\n")
