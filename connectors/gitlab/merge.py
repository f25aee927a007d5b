"""How GitLab merges configuration: included files, ``extends:``, ``!reference`` and component inputs. Pure.

GitLab builds a pipeline in this order (``Gitlab::Ci::Config#build_config``): the included files are
deep-merged in order with the including file on top; then ``extends:`` is resolved (each base in list
order, deep-merged, the job's own keys last; up to 11 levels); then every ``!reference`` is replaced
by the value at its path in that extended configuration (nested references up to 10 levels). A deep
merge merges mappings key by key; any other value, lists included, is replaced by the later one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.gitlab.ciyaml import Located, Reference

MAX_EXTENDS_DEPTH = 11
MAX_REFERENCE_DEPTH = 10
#: ``$[[ inputs.name ]]``, with optional functions after ``|`` (``expand_vars``, ``truncate(0,8)``).
INPUT = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*(?:\|[^\]]*)?\]\]")


class MergeError(ValueError):
    """Configuration GitLab would refuse (an unknown ``extends:`` base, a loop, a bad reference)."""


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` merged in: mappings recursively, everything else replaced (Rails' deep_merge).
    (An explicit stack, not recursion: see :meth:`_References.walk`.)"""
    out = dict(base)
    stack: list[tuple[dict[str, Any], Mapping[str, Any]]] = [(out, over)]
    while stack:
        into, src = stack.pop()
        for key, value in src.items():
            old = into.get(key)
            if isinstance(old, Mapping) and isinstance(value, Mapping):
                into[key] = merged = dict(old)
                stack.append((merged, value))
            else:
                into[key] = value
    return out


def _bases(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str)]
    return []


def resolve_extends(config: Mapping[str, Any]) -> tuple[dict[str, Any], list[str], dict[str, tuple[str, ...]]]:
    """Every entry with ``extends:`` merged over its bases; problems are returned, not raised (a job whose
    base is missing keeps what it has, as far as regwarden can tell what it runs), and so are the bases each
    entry names, directly or through its bases, that the configuration does not hold."""
    ext = _Extends(config)
    out: dict[str, Any] = {}
    for key in config:
        try:
            out[key] = ext.build(key, ())
        except MergeError as e:
            ext.problems.append(str(e))
            out[key] = config[key]
    return out, ext.problems, ext.unknown


class _Extends:
    """:func:`resolve_extends`'s memo (a class, not a recursive closure: a closure that calls itself is
    a reference cycle, kept with all it holds until a collector pass; see scanner/heap.py)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.done: dict[str, Any] = {}
        self.problems: list[str] = []
        self.unknown: dict[str, tuple[str, ...]] = {}

    def build(self, name: str, chain: tuple[str, ...]) -> Any:
        config, done = self.config, self.done
        if name in done:
            return done[name]
        body = config.get(name)
        if not isinstance(body, Mapping) or "extends" not in body:
            done[name] = body
            return body
        if len(chain) > MAX_EXTENDS_DEPTH:
            raise MergeError(f"{chain[0]}: extends: nested more than {MAX_EXTENDS_DEPTH} levels")
        merged: dict[str, Any] = {}
        missing: list[str] = []
        for base in _bases(body["extends"]):
            if base in chain or base == name:
                raise MergeError(f"{name}: extends: {base} loops back to itself")
            if not isinstance(config.get(base), Mapping):
                self.problems.append(f"{name}: extends: unknown key {base}")
                missing.append(base)
                continue
            merged = deep_merge(merged, self.build(base, (*chain, name)))
            missing += self.unknown.get(base, ())
        own = {k: v for k, v in body.items() if k != "extends"}
        done[name] = deep_merge(merged, own)
        if missing:
            self.unknown[name] = tuple(dict.fromkeys(missing))
        return done[name]


def resolve_references(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Every ``!reference [key, ...]`` replaced by a copy of the value it names."""
    refs = _References(config)
    return {k: refs.walk(v, 0) for k, v in config.items()}, refs.problems


class _References:
    """:func:`resolve_references`'s walk (a class, not recursive closures: see :class:`_Extends`)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.problems: list[str] = []

    def lookup(self, ref: Reference, depth: int) -> Any:
        if depth > MAX_REFERENCE_DEPTH:
            raise MergeError(f"!reference {list(ref.path)} (line {ref.line}): nested more than {MAX_REFERENCE_DEPTH}")
        value: Any = self.config
        for key in ref.path:
            if not isinstance(value, Mapping) or key not in value:
                raise MergeError(f"!reference {list(ref.path)} (line {ref.line}): {key} not found")
            value = value[key]
        return self.walk(value, depth + 1)  # walk rebuilds every container: the copy is fresh

    def walk(self, value: Any, depth: int) -> Any:
        """A copy of ``value`` with its references replaced, walked in document order. An explicit stack,
        not recursion: a CI file is attacker-influenced, and a value nested as deep as the YAML reader
        accepts (libyaml's 1,000 levels) must not end the analysis with a RecursionError."""
        top: list[Any] = [None]
        # (value, the container its copy goes into, the key or index there)
        stack: list[tuple[Any, Any, Any]] = [(value, top, 0)]
        while stack:
            item, into, at = stack.pop()
            if isinstance(item, Reference):
                try:
                    into[at] = self.lookup(item, depth)
                except MergeError as e:
                    self.problems.append(str(e))
                    into[at] = None
            elif isinstance(item, Mapping):
                into[at] = mapping = dict.fromkeys(item)  # the keys in their order; each value set below
                stack.extend((v, mapping, k) for k, v in reversed(list(item.items())))
            elif isinstance(item, list):
                into[at] = seq = [None] * len(item)
                stack.extend((item[i], seq, i) for i in reversed(range(len(item))))
            else:
                into[at] = item
        return top[0]


def flatten(value: object, depth: int = 10) -> list[Any]:
    """A script-like list with nested lists (from ``!reference``) flattened, as GitLab does."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [value]
    out: list[Any] = []
    for item in value:
        if isinstance(item, list):
            if depth > 0:
                out += flatten(item, depth - 1)
            # deeper than GitLab nests (10 levels, then it refuses the file): left out, not turned into
            # text, which for a list nested ~1,000 deep ended in a RecursionError
        elif item is not None:
            out.append(item)
    return out


def input_values(spec: Mapping[str, Any] | None, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The inputs of an included file: what the include passes, else each input's ``default:``."""
    values: dict[str, Any] = {}
    declared = spec.get("inputs") if isinstance(spec, Mapping) else None
    if isinstance(declared, Mapping):
        for name, decl in declared.items():
            if isinstance(decl, Mapping) and "default" in decl:
                values[str(name)] = decl["default"]
    if isinstance(given, Mapping):
        values.update({str(k): v for k, v in given.items()})
    return values


def interpolate(value: Any, inputs: Mapping[str, Any]) -> Any:
    """``$[[ inputs.x ]]`` replaced through a loaded file (keys and values); a value that is nothing but
    one interpolation takes the input's own type (a list stays a list). An input with no value is ``*``.
    (An explicit stack, not recursion: see :meth:`_References.walk`.)"""
    top: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, top, 0)]  # (value, container of its copy, key there)
    while stack:
        item, into, at = stack.pop()
        if isinstance(item, Mapping):
            pairs = [(_interpolate_key(k, inputs), v) for k, v in item.items()]
            into[at] = mapping = dict.fromkeys(k for k, _ in pairs)
            stack.extend((v, mapping, k) for k, v in reversed(pairs))  # in order: a later duplicate key wins
        elif isinstance(item, list):
            into[at] = seq = [None] * len(item)
            stack.extend((item[i], seq, i) for i in reversed(range(len(item))))
        else:
            into[at] = _interpolate_scalar(item, inputs)
    return top[0]


def _interpolate_scalar(value: Any, inputs: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = INPUT.fullmatch(value.strip())
        if whole is not None and whole.group(1) in inputs:
            return inputs[whole.group(1)]
        if "$[[" not in value:
            return value
        text = INPUT.sub(lambda m: _text(inputs.get(m.group(1), "*")), value)
        return Located(text, value.line) if isinstance(value, Located) else text
    return value


def _interpolate_key(key: Any, inputs: Mapping[str, Any]) -> Any:
    """A mapping key interpolated: a key that is nothing but a list or mapping input becomes its text (a
    key must stay hashable)."""
    out = _interpolate_scalar(key, inputs)
    return _text(out) if isinstance(out, list | Mapping) else out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        return str(value)
    except RecursionError:  # a list or mapping nested too deep to write out: its text is not known
        return "*"
