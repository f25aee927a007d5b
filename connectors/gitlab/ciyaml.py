"""GitLab CI YAML as GitLab reads it: ``!reference`` tags, a component's ``spec:`` header document before
``---``, anchors and ``<<:`` merge keys, YAML 1.1 scalars (GitLab parses with Ruby's Psych). Pure: no I/O.

Every string keeps the line it was written on (:class:`Located`), so a command found in a script
inherited through ``extends:`` or ``!reference`` is still reported at its own line. Aliases are
bounded as in :mod:`scanner.bundle`; read files through :meth:`BundleReader.yaml` with
``load=load_documents`` so that a malformed file is a :class:`~scanner.errors.BundleError` naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from scanner.yaml12 import AliasBoundedLoader, inner_tabs_as_spaces, tab_refused

REFERENCE_TAG = "!reference"


class Located(str):
    """A YAML string with the (1-based) line its text starts on."""

    __slots__ = ("line",)
    line: int

    def __new__(cls, value: str, line: int) -> Located:
        """A string ``value`` written on ``line``."""
        obj = super().__new__(cls, value)
        obj.line = line
        return obj

    def __reduce__(self) -> tuple[type[Located], tuple[str, int]]:
        """Copied and pickled with its line."""
        return (Located, (str(self), self.line))


@dataclass(frozen=True)
class Reference:
    """``!reference [.job, key, ...]``: the value at that path of the merged configuration."""

    path: tuple[str, ...]
    line: int


def line_of(value: object) -> int | None:
    """The line a loaded value was written on, when it is a string that knows it."""
    return value.line if isinstance(value, Located) else None


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # a block scalar (`|`, `>`) starts on the line after its indicator
    first = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
    return Located(str(loader.construct_scalar(node)), first)


def _construct_reference(loader: yaml.SafeLoader, node: yaml.Node) -> Reference:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise yaml.constructor.ConstructorError(
            None, None, "!reference needs a non-empty sequence of keys", node.start_mark
        )
    keys: list[str] = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "!reference keys must be scalars", item.start_mark)
        keys.append(str(loader.construct_scalar(item)))
    return Reference(tuple(keys), node.start_mark.line + 1)


class _Loader(AliasBoundedLoader):
    """SafeLoader + ``!reference`` + located strings, with at most MAX_YAML_ALIASES aliases."""


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor(REFERENCE_TAG, _construct_reference)

_CLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _GitLabCLoader(yaml.CSafeLoader):
        """The C-parsing twin of :class:`_Loader`, used only on text without anchors (no alias to count)."""

    _GitLabCLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
    _GitLabCLoader.add_constructor(REFERENCE_TAG, _construct_reference)
    _CLoader = _GitLabCLoader


_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s&]", re.MULTILINE)


def _has_anchor(text: str) -> bool:
    return _ANCHOR.search(text) is not None


def load_documents(text: str) -> list[Any]:
    """Every YAML document of a GitLab CI file (one, or a ``spec:`` header and the configuration)."""
    loader: type[Any] = _CLoader if _CLoader is not None and not _has_anchor(text) else _Loader
    try:
        return list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError as e:
        if loader is not _Loader or not tab_refused(e):
            raise
        # a tab inside a plain scalar: GitLab's libyaml reads it, PyYAML's Python scanner (used to bound
        # aliases) does not; the tab is a separator in the command it is part of
        return list(yaml.load_all(inner_tabs_as_spaces(text), Loader=loader))


class CiFileError(ValueError):
    """A CI file GitLab would refuse: the message says why, in one line."""


@dataclass(frozen=True)
class CiDocument:
    """A loaded CI file: the component ``spec:`` header (if any) and the configuration."""

    spec: dict[str, Any] | None
    config: dict[str, Any]


def split_documents(docs: list[Any]) -> CiDocument:
    """The header and configuration of a loaded file, as GitLab accepts them."""
    docs = [d for d in docs if d is not None] if len(docs) > 1 else docs
    if not docs or docs == [None]:
        return CiDocument(None, {})
    if len(docs) == 1:
        only = docs[0]
        if not isinstance(only, dict):
            raise CiFileError("a CI file must be a YAML mapping")
        if set(only) == {"spec"}:
            return CiDocument(_mapping(only["spec"], "spec"), {})
        return CiDocument(None, only)
    if len(docs) > 2:
        raise CiFileError(f"{len(docs)} YAML documents: GitLab accepts a spec: header and one configuration")
    head, body = docs
    if not isinstance(head, dict) or set(head) != {"spec"}:
        raise CiFileError("the first of two YAML documents must be a header holding only spec:")
    if not isinstance(body, dict):
        raise CiFileError("the configuration after the spec: header must be a YAML mapping")
    return CiDocument(_mapping(head["spec"], "spec"), body)


def _mapping(value: object, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CiFileError(f"{what}: must be a mapping")
    return value
