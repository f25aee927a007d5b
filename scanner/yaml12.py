"""YAML as the bundle reads it: YAML 1.2's core schema on PyYAML's safe loader, with bounds.

PyYAML implements YAML 1.1, where ``on:`` is a boolean, ``2024-13-45`` a (refused) date, ``1:20`` the
number 80 and ``017`` an octal 15. GitHub Actions and GitLab read YAML 1.2, so the resolvers here
are 1.2's: ``true``/``false`` only, no timestamps, decimal ``017``, ``0o17`` octal, ``0x1f`` hex.
Alias expansion is bounded ("billion laughs" bombs are small on disk and explode when walked).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

#: YAML aliases per document, and the size of the document once aliases are expanded, beyond which
#: the file is refused.
MAX_YAML_ALIASES = 1000
MAX_YAML_EXPANDED = 1_000_000

_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
#: YAML 1.1 tags whose resolvers 1.2 drops or replaces.
_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
             "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"}  # fmt: skip


def _resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    kept = {
        k: [(tag, rx) for tag, rx in v if tag not in _REPLACED]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
    }
    for tag, rx, first in (
        ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
        ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
        ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
        ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ):
        for ch in first:
            kept.setdefault(ch, []).append((tag, rx))
    return kept


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    value = str(loader.construct_scalar(node))
    if value.startswith("0o"):
        return int(value[2:], 8)
    if value.startswith("0x"):
        return int(value[2:], 16)
    return int(value, 10)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = str(loader.construct_scalar(node)).lower()
    if value.endswith(".inf"):
        return float("-inf") if value.startswith("-") else float("inf")
    return float("nan") if value == ".nan" else float(value)


class AliasBoundedLoader(yaml.SafeLoader):
    """SafeLoader refusing a document with more than MAX_YAML_ALIASES aliases (a billion-laughs
    file); the base of every YAML dialect regwarden reads. Add constructors to subclasses only."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_YAML_ALIASES} YAML aliases")
        else:
            # An anchor defined again names the new node from here on (YAML 1.2, 3.2.2.2: an alias refers
            # to the most recent node with its anchor), as libyaml and GitLab read it; PyYAML refuses it.
            anchor = getattr(self.peek_event(), "anchor", None)  # type: ignore[no-untyped-call]
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


class _Yaml12Loader(AliasBoundedLoader):
    """YAML 1.2 core-schema resolvers over the alias bound."""


_Yaml12Loader.yaml_implicit_resolvers = _resolvers()
_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)

#: libyaml's parser (same resolvers and constructors, parsing in C) when PyYAML was built with it.
_CLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _Yaml12CLoader(yaml.CSafeLoader):
        """The C-parsing twin of :class:`_Yaml12Loader`, used only on text without anchors (so
        there is no alias to count); any error is re-raised by the Python loader for the same message."""

    _Yaml12CLoader.yaml_implicit_resolvers = _Yaml12Loader.yaml_implicit_resolvers
    _Yaml12CLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _Yaml12CLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    _CLoader = _Yaml12CLoader

#: An anchor (``&name``) at the start of a node: text without one cannot hold a working alias.
ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s&]", re.MULTILINE)


#: A tab after other characters on its line (not in the indentation).
_INNER_TAB = re.compile(r"(?<=\S)[ \t]*\t[ \t]*")


def tab_refused(error: yaml.YAMLError) -> bool:
    """PyYAML's Python scanner refused a tab inside a plain scalar (``apk add<TAB>pkg``), which YAML allows and
    libyaml (what GitLab and GitHub parse with) reads."""
    return isinstance(error, yaml.scanner.ScannerError) and "'\\t'" in str(error.problem)


def inner_tabs_as_spaces(text: str) -> str:
    """``text`` with each tab that follows other characters on its line made a space: what PyYAML's Python
    scanner reads of a file libyaml reads as is (a tab in a command is a separator either way)."""
    return _INNER_TAB.sub(lambda m: m.group(0).replace("\t", " "), text)


def load_yaml(text: str) -> Any:
    """Parse with libyaml when the text has no anchor, else (or on any error) with the Python loader."""
    return load_yaml_node(text)[0]


def load_yaml_node(text: str) -> tuple[Any, yaml.Node | None]:
    """:func:`load_yaml`, with the composed node as well (its marks give each value's line): one parse
    for both, composed then constructed as ``yaml.load`` does."""
    if _CLoader is not None and not ANCHOR.search(text):
        try:
            return _load_node(_CLoader, text)
        except Exception:  # noqa: BLE001, S110 - the Python loader below reports the same problem in its words
            pass
    try:
        return _load_node(_Yaml12Loader, text)
    except yaml.YAMLError as e:
        if not tab_refused(e):
            raise
        return _load_node(_Yaml12Loader, inner_tabs_as_spaces(text))


def _load_node(loader_class: type[Any], text: str) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return (None if node is None else loader.construct_document(node)), node
    finally:
        loader.dispose()


def expanded_size(data: Any) -> int:
    """Number of values in ``data`` with shared (aliased) containers counted at every use;
    memoised per container, so it costs the document's size on disk, not its expanded size."""
    memo: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        item, done = stack.pop()
        if not isinstance(item, dict | list) or id(item) in memo:
            continue
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        if done:
            memo[id(item)] = min(
                MAX_YAML_EXPANDED + 1,
                1 + sum(memo.get(id(c), 1) if isinstance(c, dict | list) else 1 for c in children),
            )
            continue
        stack.append((item, True))
        stack.extend((c, False) for c in children if isinstance(c, dict | list) and id(c) not in memo)
    return memo.get(id(data), 1)
