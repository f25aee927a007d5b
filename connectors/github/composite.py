"""Composite actions: parsed from their ``action.yml`` and expanded into the job that runs them.

A composite action's steps run in the calling job, with the job's secrets and token: a ``run:``
inside it is the job's ``run:``. Expanding them (with the caller's ``with:`` values put in place of
``inputs.X``) lets the publish catalogue and the outsider checks see what really runs. Local actions
(``./path``, ``$/path``) come from the repository's contents; others from ``github/action-refs/``
when collected. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from connectors.github.refs import EXPR
from connectors.github.workflows import Step, _Parser

#: How deep composite actions may nest before expansion stops (GitHub allows 10).
MAX_DEPTH = 10


@dataclass(frozen=True)
class Composite:
    """An action as its ``action.yml`` defines it."""

    file: str  # bundle path
    using: str  # composite, node20, docker...
    inputs: Mapping[str, str] = field(default_factory=dict)  # name -> default
    steps: tuple[Step, ...] = ()
    name: str = ""  # its `name:` (a vendored copy of a published action keeps the original's)


def parse_action(file: str, data: object) -> Composite:
    """Parse an ``action.yml`` document (a :class:`~scanner.errors.BundleError` when not an action)."""
    p = _Parser(file)
    doc = p.mapping(data, "")
    runs = p.mapping(doc.get("runs"), "runs")
    using = str(runs.get("using") or "")
    inputs: dict[str, str] = {}
    for name, decl in p.mapping(doc.get("inputs"), "inputs").items():
        default = decl.get("default") if isinstance(decl, Mapping) else None
        inputs[name] = "" if default is None else str(default)
    steps: tuple[Step, ...] = ()
    if using == "composite":
        flat = p.flat_steps(runs.get("steps") or [], "runs.steps")
        steps = tuple(p.step(i, st, at) for i, (at, st) in enumerate(flat))
    title = doc.get("name")
    return Composite(file=file, using=using, inputs=inputs, steps=steps, name=title if isinstance(title, str) else "")


#: A job looks up each of its ``uses:`` values several times, and a bundle has few distinct ones: the
#: two key functions below are pure, so their answers are remembered (bounded, per process).
_KEYS = 16_384


@lru_cache(maxsize=_KEYS)
def local_key(uses: str) -> str | None:
    """The repository path of a local action (``./.github/actions/x`` or ``$/.github/actions/x``)."""
    u = uses.strip()
    if u.startswith("$/"):
        u = u[2:]
    elif not u.startswith("./"):
        return None
    u = u.removeprefix("./").strip("/")
    return re.sub(r"/action\.ya?ml$", "", u)


@lru_cache(maxsize=_KEYS)
def remote_key(uses: str) -> tuple[str, str, str] | None:
    """``(owner/repo, path, ref)`` of a remote action reference."""
    u = uses.strip()
    if u.startswith(("./", "$/", "docker://")) or "@" not in u or "${{" in u:
        return None
    path, _, ref = u.partition("@")
    parts = path.split("/")
    if len(parts) < 2:
        return None
    return f"{parts[0]}/{parts[1]}".lower(), "/".join(parts[2:]), ref


def _as_expression(value: str) -> str:
    """A caller's ``with:`` value as an expression operand: its own expressions, else a quoted literal."""
    inner = [m.strip() for m in EXPR.findall(value)]
    if inner:
        return "(" + " || ".join(inner) + ")"
    return "'" + value.replace("'", "''") + "'"


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Put a caller's input values in place of ``inputs.X`` in every expression of ``text``."""
    if "inputs" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        body = m.group(1)
        stripped = body.strip()
        whole = re.fullmatch(r"inputs\s*(?:\.\s*([\w-]+)|\[\s*['\"]([\w-]+)['\"]\s*\])", stripped)
        if whole:
            name = whole.group(1) or whole.group(2)
            return values.get(name, "")  # the caller's text as written, expressions included
        body = re.sub(
            r"\binputs\s*(?:\.\s*([\w-]+)|\[\s*['\"]([\w-]+)['\"]\s*\])",
            lambda n: _as_expression(values.get(n.group(1) or n.group(2), "")),
            body,
        )
        return "${{" + body + "}}"

    return EXPR.sub(one, text)


_MATRIX_REF = re.compile(r"\bmatrix\s*(?:\.\s*([\w-]+(?:\.[\w-]+)*)|\[\s*['\"]([\w-]+)['\"]\s*\])")


def matrix_keys(text: str | None) -> set[str]:
    """The ``matrix.X`` keys the expressions of ``text`` read."""
    if not text or "matrix" not in text:
        return set()
    return {a or b for expr in EXPR.findall(text) for a, b in _MATRIX_REF.findall(expr)}


def _matrix_sub(text: str, values: Mapping[str, str]) -> str:
    """``matrix.X`` replaced by one combination's value in every expression of ``text``: the whole
    expression by the value itself, inside a larger one by a quoted literal (``secrets[matrix.pat]``
    → ``secrets['NPM_TOKEN']``); a key the combination lacks is left as written."""
    if "matrix" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        body = m.group(1)
        whole = _MATRIX_REF.fullmatch(body.strip())
        if whole:
            key = whole.group(1) or whole.group(2)
            return values[key] if key in values else m.group(0)

        def inner(n: re.Match[str]) -> str:
            key = n.group(1) or n.group(2)
            return "'" + values[key].replace("'", "''") + "'" if key in values else n.group(0)

        return "${{" + _MATRIX_REF.sub(inner, body) + "}}"

    return EXPR.sub(one, text)


def _rewritten(step: Step, sub: Callable[[str], str], condition: bool) -> Step:
    """``step`` with ``sub`` applied to its script, inputs and variables (and its ``if:`` when ``condition``)."""
    return replace(
        step,
        run=sub(step.run) if step.run else step.run,
        with_={k: sub(v) for k, v in step.with_.items()},
        env={k: sub(v) for k, v in step.env.items()},
        if_=sub(step.if_) if condition and step.if_ else step.if_,
    )


def with_matrix(step: Step, values: Mapping[str, str]) -> Step:
    """``step`` as one combination of its job's matrix runs it (``matrix.X`` in place)."""
    return _rewritten(step, lambda text: _matrix_sub(text, values), condition=False)


def with_inputs(step: Step, values: Mapping[str, str]) -> Step:
    """``step`` with a caller's values in place of ``inputs.X`` (composite actions, reusable workflows)."""
    return _rewritten(step, lambda text: substitute(text, values), condition=True)


@dataclass
class Expander:
    """Expands composite actions into a job's steps."""

    local: Mapping[str, Composite]
    remote: Mapping[tuple[str, str, str], Composite]
    missing: set[str] = field(default_factory=set)  # local actions referenced but not collected

    def find(self, uses: str) -> Composite | None:
        """The collected definition of an action reference."""
        key = local_key(uses)
        if key is not None:
            found = self.local.get(key)
            if found is None:
                self.missing.add(key)
            return found
        rk = remote_key(uses)
        return self.remote.get(rk) if rk is not None else None

    def expand(self, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        """The job's steps with every collected composite action's steps inserted after the step
        that runs it (which stays, for its ``uses:``), renumbered in order."""
        out: list[Step] = []
        self._into(out, steps, 0, None, None)
        return tuple(s if s.index == i else replace(s, index=i) for i, s in enumerate(out))

    def _into(self, out: list[Step], steps: tuple[Step, ...], depth: int, line: int | None, via: str | None) -> None:
        for s in steps:
            here = s if via is None else replace(s, line=line, via=via)
            out.append(here)
            if s.uses is None or depth >= MAX_DEPTH:
                continue
            action = self.find(s.uses)
            if action is None or action.using != "composite":
                continue
            values = {**action.inputs, **{k: v for k, v in s.with_.items()}}
            inner = tuple(with_inputs(x, values) for x in action.steps)
            if s.env:
                # the calling step's environment is the composite's steps' environment too (their own wins)
                inner = tuple(replace(x, env={**s.env, **x.env}) for x in inner)
            self._into(out, inner, depth + 1, here.line, s.uses)
