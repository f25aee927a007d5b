"""When a GitLab job runs: ``workflow:rules``, ``rules:``, ``only:``/``except:`` judged in a few kinds of
pipeline (a push to a protected or unprotected branch or tag, a merge request from the project or from a
fork, a schedule, a manual or API run). Pure.

Conditions are judged with three values: a CI/CD variable regwarden cannot know (anything but the
predefined ref and source variables) makes a comparison *unknown*, and a job that may run counts as
running. Protected variables reach only jobs that can run on a protected ref; merge-request pipelines of
forks run in the fork's project, with none of this project's variables.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from connectors.gitlab.merge import flatten

Tri = bool | None  # True, False, or unknown


@dataclass(frozen=True)
class RunContext:
    """One kind of pipeline a job might run in."""

    label: str
    source: str  # CI_PIPELINE_SOURCE
    branch: str | None = None
    tag: str | None = None
    protected: bool = False
    fork: bool = False
    default_branch: str | None = None
    named: bool = True  # the branch or tag is a real one (the default branch, a protected name), not a sample

    def value(self, name: str) -> str | _Unknown | None:
        """A predefined variable in this kind of pipeline (None: not set; UNKNOWN: regwarden cannot tell)."""
        mr = self.source == "merge_request_event"
        ref = self.tag or self.branch
        known: dict[str, str | None] = {
            "CI_PIPELINE_SOURCE": self.source,
            "CI_COMMIT_BRANCH": None if mr or self.tag else self.branch,
            "CI_COMMIT_TAG": self.tag,
            "CI_COMMIT_REF_NAME": ref,
            "CI_COMMIT_REF_SLUG": ref.lower().replace("/", "-") if ref else None,
            "CI_COMMIT_REF_PROTECTED": "true" if self.protected else "false",
            "CI_DEFAULT_BRANCH": self.default_branch,
            "CI_MERGE_REQUEST_ID": "1" if mr else None,
            "CI_MERGE_REQUEST_IID": "1" if mr else None,
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": self.branch if mr else None,
            "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result" if mr else None,
            "CI_EXTERNAL_PULL_REQUEST_IID": None,
            "CI_PIPELINE_TRIGGERED": "true" if self.source == "trigger" else None,
        }
        if name in known:
            return known[name]
        if name == "CI_MERGE_REQUEST_TARGET_BRANCH_NAME" and mr:
            return self.default_branch if self.default_branch else UNKNOWN
        if name.startswith("CI_MERGE_REQUEST_") and not mr:
            return None
        return UNKNOWN


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
_TOKEN = re.compile(
    r"\s*(?:(?P<op>==|!=|=~|!~|&&|\|\||\(|\))|(?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)"
    r"|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')|(?P<re>/(?:[^/\\]|\\.)*/[a-z]*)|(?P<null>null\b))"
)


@cache
def _tokens(expr: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot read {expr[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return tuple(out)


class _Expr:
    """A recursive-descent evaluator of a rules ``if:`` expression in one context."""

    def __init__(self, tokens: tuple[tuple[str, str], ...], ctx: RunContext) -> None:
        self.t, self.i, self.ctx = tokens, 0, ctx

    def peek(self) -> tuple[str, str] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self) -> tuple[str, str]:
        tok = self.t[self.i]
        self.i += 1
        return tok

    def or_(self) -> Tri:
        left = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            left = True if left is True or right is True else (None if left is None or right is None else False)
        return left

    def and_(self) -> Tri:
        left = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.unary()
            left = False if left is False or right is False else (None if left is None or right is None else True)
        return left

    def unary(self) -> Tri:
        if self.peek() == ("op", "("):
            self.take()
            value = self.or_()
            if self.peek() == ("op", ")"):
                self.take()
            return value
        left = self.operand()
        nxt = self.peek()
        if nxt is not None and nxt[0] == "op" and nxt[1] in ("==", "!=", "=~", "!~"):
            op = self.take()[1]
            right = self.operand()
            return _compare(left, op, right)
        if left is UNKNOWN:
            return None
        return bool(left)

    def operand(self) -> Any:
        kind, text = self.take()
        if kind == "var":
            return self.ctx.value(text.strip("${}"))
        if kind == "str":
            return text[1:-1]
        if kind == "null":
            return None
        if kind == "re":
            return _Regex(text)
        raise ValueError(f"unexpected {text!r}")


@dataclass(frozen=True)
class _Regex:
    text: str

    def search(self, value: str) -> Tri:
        body, _, flags = self.text[1:].rpartition("/")
        try:
            rx = re.compile(body, re.IGNORECASE if "i" in flags else 0)
        except re.error:
            return None
        return rx.search(value) is not None


def _compare(left: Any, op: str, right: Any) -> Tri:
    if left is UNKNOWN or right is UNKNOWN:
        return None
    if op in ("=~", "!~"):
        regex, value = (right, left) if isinstance(right, _Regex) else (left, right)
        if not isinstance(regex, _Regex):
            return None
        found = False if value is None else regex.search(str(value))
        if found is None:
            return None
        return found if op == "=~" else not found
    if isinstance(left, _Regex) or isinstance(right, _Regex):
        return None
    same = left == right
    return same if op == "==" else not same


def condition(expr: object, ctx: RunContext) -> Tri:
    """A rules ``if:`` in ``ctx``: true, false, or unknown (also for an expression regwarden cannot read)."""
    if not isinstance(expr, str):
        return None
    return _condition(str(expr), ctx)


@lru_cache(maxsize=65536)
def _condition(expr: str, ctx: RunContext) -> Tri:
    # the same few conditions recur in every job of a pipeline (templates, !reference [.rules, …])
    try:
        tokens = _tokens(expr)
        parser = _Expr(tokens, ctx)
        value = parser.or_()
        return value if parser.i == len(tokens) else None
    except (ValueError, IndexError):
        return None


def never_added(body: Mapping[str, Any]) -> bool:
    """Whether a job's ``rules:`` keep it out of every pipeline: each rule says ``when: never``, and a job no rule
    matches is not added either (rodauth-oauth's release job, whose one rule is `if: $CI_COMMIT_TAG, when: never`)."""
    rules = [r for r in flatten(body.get("rules")) if r is not None] if isinstance(body.get("rules"), list) else []
    return bool(rules) and all(isinstance(r, Mapping) and str(r.get("when", "on_success")) == "never" for r in rules)


def rules_decide(rules: object, ctx: RunContext, no_match: bool = False) -> Tri:
    """Whether ``rules:`` let the job (or pipeline) run: the first rule that matches decides; no match
    means ``no_match`` (False for a job, ``workflow:rules`` too)."""
    outcomes: set[bool] = set()
    for rule in flatten(rules):
        if not isinstance(rule, Mapping):
            continue
        match: Tri = True
        if "if" in rule:
            match = condition(rule["if"], ctx)
        if match is not False and ("changes" in rule or "exists" in rule):
            match = None  # which files a push changes is not known
        if match is False:
            continue
        outcomes.add(str(rule.get("when", "on_success")) != "never")
        if match is True:
            break
    else:
        outcomes.add(no_match)
    return outcomes.pop() if len(outcomes) == 1 else None


_SOURCES = {"merge_requests": "merge_request_event", "schedules": "schedule", "web": "web", "api": "api",
            "triggers": "trigger", "pipelines": "pipeline", "pushes": "push", "external": "external",
            "external_pull_requests": "external_pull_request_event", "chat": "chat"}  # fmt: skip


def _ref_matches(ref: str, ctx: RunContext) -> Tri:
    ref = ref.split("@", 1)[0]  # `main@group/project`: the project is judged elsewhere
    if ref == "branches":
        return ctx.branch is not None and ctx.tag is None and ctx.source != "merge_request_event"
    if ref == "tags":
        return ctx.tag is not None
    if ref in _SOURCES:
        return ctx.source == _SOURCES[ref]
    name = ctx.tag or ctx.branch
    if name is None:
        return False
    if ref.startswith("/") and ref.rstrip("i").endswith("/"):
        return _Regex(ref).search(name)
    return ref == name


def _refs_clause(value: object, ctx: RunContext) -> Tri:
    """``only:``/``except:`` (a list of refs, or ``refs:``/``variables:``): whether it matches."""
    refs: object = value
    variables: object = None
    if isinstance(value, Mapping):
        refs = value.get("refs")
        variables = value.get("variables")
        if "changes" in value or "kubernetes" in value:
            return None
    results: list[Tri] = []
    if refs is not None:
        matched = [_ref_matches(str(r), ctx) for r in flatten(refs)]
        results.append(True if True in matched else (None if None in matched else False))
    if variables is not None:
        vals = [condition(v, ctx) for v in flatten(variables)]
        results.append(True if True in vals else (None if None in vals else False))
    if not results:
        return True
    return False if False in results else (None if None in results else True)


def job_runs(body: Mapping[str, Any], workflow_rules: object, ctx: RunContext) -> Tri:
    """Whether a job runs in ``ctx``: the pipeline is created (``workflow:rules``) and the job is added."""
    flow: Tri = True if workflow_rules is None else rules_decide(workflow_rules, ctx, no_match=False)
    if flow is False:
        return False
    if "rules" in body:
        mine = rules_decide(body["rules"], ctx)
    elif "only" in body or "except" in body:
        only = _refs_clause(body["only"], ctx) if "only" in body else _refs_clause(["branches", "tags"], ctx)
        exc = _refs_clause(body["except"], ctx) if "except" in body else False
        mine = False if only is False or exc is True else (None if only is None or exc is None else True)
    else:
        # no rules: GitLab's default is `only: [branches, tags]` (not merge-request pipelines)
        mine = _refs_clause(["branches", "tags"], ctx)
    if mine is False:
        return False
    return None if mine is None or flow is None else True


def _sample(pattern: str) -> str:
    return pattern.replace("*", "x")


def run_contexts(
    default_branch: str | None, branches: list[str] | None, tags: list[str] | None
) -> list[tuple[RunContext, Tri]]:
    """The kinds of pipeline a project's jobs are judged in, with whether each runs on a protected ref."""
    default = default_branch or "main"

    def protected(name: str, patterns: list[str] | None) -> Tri:
        if patterns is None:
            return None
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)

    out: list[tuple[RunContext, Tri]] = []
    dprot = protected(default, branches)
    for source in ("push", "schedule", "web", "api", "trigger", "pipeline"):
        out.append((RunContext(f"{source} on {default}", source, branch=default, protected=dprot is True,
                               default_branch=default), dprot))  # fmt: skip
    for pattern in branches or []:
        name = _sample(pattern)
        if name != default:
            ctx = RunContext(f"push to {name}", "push", branch=name, protected=True, default_branch=default,
                             named="*" not in pattern)  # fmt: skip
            out.append((ctx, True))
    feature = "regwarden-feature"
    fprot = protected(feature, branches) if branches is not None else False
    out.append((RunContext("push to a feature branch", "push", branch=feature, protected=fprot is True,
                           default_branch=default, named=False), fprot))  # fmt: skip
    for pattern in tags or []:
        name = _sample(pattern)
        out.append((RunContext(f"tag {name}", "push", tag=name, protected=True, default_branch=default,
                               named="*" not in pattern), True))  # fmt: skip
    tag = "v1.2.3"
    tprot = protected(tag, tags)
    out.append((RunContext("a tag", "push", tag=tag, protected=tprot is True, default_branch=default, named=False),
                tprot))  # fmt: skip
    for fork in (False, True):
        label = "merge request from a fork" if fork else "merge request"
        out.append((RunContext(label, "merge_request_event", branch=feature, fork=fork, default_branch=default), False))
    return out
