"""Strip secret values out of Terraform state before anything else sees it.

Terraform state keeps secrets in plain text (``aws_iam_access_key.secret``,
``github_actions_secret.plaintext_value``, ``random_password.result`` …). Every value the state
marks sensitive (``sensitive_attributes`` in state v4 — set elements included — and
``sensitive_values`` in ``terraform show -json``) and every attribute the secrets table names
(``scanner/knowledge/terraform_secrets.yaml``: by name on any type, by path per resource type, for
states that mark nothing) is replaced by its keyed fingerprint, so reuse of one value in two places
stays detectable while the value never reaches a bundle, report, log or the history database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from scanner.knowledge.terraform_secrets import is_secret_name, secret_paths

_FP_PREFIX = "hmac-sha256:"


def is_secret_key(rtype: str, key: str) -> bool:
    """True when attribute ``key`` (at any depth) of a ``rtype`` resource holds secret material by its name,
    or is a top-level secret path of that type."""
    return is_secret_name(key) or (key.lower(),) in secret_paths(rtype)


def _already(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_FP_PREFIX) and len(value) == len(_FP_PREFIX) + 32


def _fp(value: Any, fingerprint: Callable[[str], str]) -> str | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    if _already(value):
        return str(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return fingerprint(text)


def _paths_from_sensitive_values(marks: Any) -> list[tuple[Any, ...]]:
    """``sensitive_values`` mirrors the values with ``true`` where a value is sensitive. (An explicit
    stack, not recursion, as :func:`_redact_keys`.)"""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(marks, ())]
    while stack:
        node, prefix = stack.pop()
        if node is True:
            out.append(prefix)
        elif isinstance(node, dict):
            stack.extend((v, (*prefix, k)) for k, v in node.items() if v is True or isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, (*prefix, i)) for i, v in enumerate(node) if v is True or isinstance(v, dict | list))
    return out


def _paths_from_state(sensitive: Any) -> list[tuple[Any, ...]]:
    """State v4 ``sensitive_attributes``: a list of paths, each a list of get_attr/index steps."""
    out: list[tuple[Any, ...]] = []
    if not isinstance(sensitive, list):
        return out
    for path in sensitive:
        steps = path if isinstance(path, list) else [path]
        parts: list[Any] = []
        for step in steps:
            if not isinstance(step, dict):
                break
            val = step.get("value")
            if step.get("type") == "index" and isinstance(val, dict) and "value" in val:
                # {"type": "index", "value": {"value": 0, "type": "number"}}; for a set element the
                # inner value is the element itself (an object or list), matched by equality.
                val = _SetElement(val["value"]) if isinstance(val["value"], dict | list) else val["value"]
            parts.append(val)
        if parts:
            out.append(tuple(parts))
    return out


class _SetElement:
    """An index step naming a set element by its whole value (Terraform's path into a set)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _has(node: Any, step: Any) -> bool:
    if isinstance(node, dict):
        return isinstance(step, str) and step in node
    return isinstance(node, list) and isinstance(step, int) and not isinstance(step, bool) and 0 <= step < len(node)


def _targets(obj: Any, path: tuple[Any, ...]) -> list[tuple[Any, Any]]:
    """(container, key) pairs a path names in ``obj``: ``*`` and set elements may name several."""
    found: list[tuple[Any, Any]] = []
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        node, i = stack.pop()
        step = path[i]
        if isinstance(step, _SetElement):
            keys: list[Any] = [k for k, v in enumerate(node) if v == step.value] if isinstance(node, list) else []
        elif step == "*":
            keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        else:
            keys = [step] if _has(node, step) else []
        for k in keys:
            if i == len(path) - 1:
                found.append((node, k))
            else:
                stack.append((node[k], i + 1))
    return found


def _redact_keys(obj: Any, fingerprint: Callable[[str], str]) -> Any:
    """``obj`` (a fresh copy, changed in place) with the value of every secret-named key, at any depth,
    fingerprinted. An explicit stack, not recursion: a state is attacker-influenced, and an attribute
    nested as deep as the JSON reader accepts must not end the analysis with a RecursionError."""
    stack: list[Any] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if is_secret_name(k):
                    node[k] = _fp(v, fingerprint)  # an existing key: the dict's size does not change
                elif isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return obj


def redact_attributes(
    rtype: str, attributes: Any, sensitive_paths: list[tuple[Any, ...]], fingerprint: Callable[[str], str]
) -> Any:
    """A copy of ``attributes`` with every sensitive path, every path of ``rtype`` in the secrets table
    and every secret-named key fingerprinted. Paths are resolved on the values as stored, before any
    is replaced (a set element is named by its whole value)."""
    copy = json.loads(json.dumps(attributes))
    paths = [*sensitive_paths, *secret_paths(rtype)]
    targets = [t for path in paths if path for t in _targets(copy, tuple(path))]
    for container, key in targets:
        container[key] = _fp(container[key], fingerprint)
    return _redact_keys(copy, fingerprint)


def _redact_marks(sensitive: Any, fingerprint: Callable[[str], str]) -> Any:
    """``sensitive_attributes`` with each set element's value (which holds the secret itself) replaced
    by its fingerprint."""
    if not isinstance(sensitive, list):
        return sensitive
    out = json.loads(json.dumps(sensitive))
    for path in out:
        for step in path if isinstance(path, list) else []:
            val = step.get("value") if isinstance(step, dict) else None
            if isinstance(val, dict) and isinstance(val.get("value"), dict | list):
                step["value"] = {"value": _fp(val["value"], fingerprint), "type": "string"}
    return out


def _list(value: Any) -> list[Any]:
    """``value`` when it is a list, else nothing to walk: redaction runs before the shape is validated,
    and a malformed file is refused afterwards by the loader, naming the file."""
    return value if isinstance(value, list) else []


def _redact_state_resources(resources: Any, fingerprint: Callable[[str], str]) -> None:
    if not isinstance(resources, list):
        return
    for res in resources:
        if not isinstance(res, dict):
            continue
        rtype = str(res.get("type", ""))
        for inst in _list(res.get("instances")):
            if not isinstance(inst, dict):
                continue
            paths = _paths_from_state(inst.get("sensitive_attributes"))
            if "attributes" in inst:
                inst["attributes"] = redact_attributes(rtype, inst["attributes"], paths, fingerprint)
            if "sensitive_attributes" in inst:
                inst["sensitive_attributes"] = _redact_marks(inst["sensitive_attributes"], fingerprint)
            inst.pop("attributes_flat", None)  # state v3 leftovers: flat copies of the same values
            inst.pop("private", None)  # provider-private blob (base64), may embed secrets


def _redact_module(module: Any, fingerprint: Callable[[str], str]) -> None:
    if not isinstance(module, dict):
        return
    for res in _list(module.get("resources")):
        if isinstance(res, dict) and "values" in res:
            paths = _paths_from_sensitive_values(res.get("sensitive_values"))
            res["values"] = redact_attributes(str(res.get("type", "")), res["values"], paths, fingerprint)
    for child in _list(module.get("child_modules")):
        _redact_module(child, fingerprint)


def redact_document(doc: Any, fingerprint: Callable[[str], str]) -> Any:
    """A copy of a state v4 or ``terraform show -json`` (state or plan) document without secret values.

    Outputs are dropped whole: their values are often the very secrets (``sensitive = true``) and
    drift never needs them. Idempotent: a fingerprint is never fingerprinted again.
    """
    if not isinstance(doc, dict):
        return doc
    out: dict[str, Any] = json.loads(json.dumps(doc))
    out.pop("outputs", None)
    _redact_state_resources(out.get("resources"), fingerprint)
    for key in ("values", "planned_values"):
        section = out.get(key)
        if isinstance(section, dict):
            section.pop("outputs", None)
            _redact_module(section.get("root_module"), fingerprint)
    prior = out.get("prior_state")
    if isinstance(prior, dict):
        out["prior_state"] = redact_document(prior, fingerprint)
    # Plans also carry before/after copies of every changed resource and the configuration's
    # variable values; neither is needed to know what is declared.
    for key in ("resource_changes", "resource_drift", "variables", "configuration", "output_changes"):
        out.pop(key, None)
    return out
