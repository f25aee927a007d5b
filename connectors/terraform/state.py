"""Terraform state v4 and ``terraform show -json`` (state or plan) → resource instances with addresses.

Only managed resources are read (data sources declare nothing). ``count`` and ``for_each``
instances get their index in the address (``aws_iam_user.ci[0]``, ``aws_iam_user.ci["a"]``) and
module resources their module path (``module.ci.aws_iam_role.deploy``), exactly as Terraform
prints them, so a finding names the address a user can ``terraform state show``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.errors import BundleError


@dataclass(frozen=True)
class Instance:
    """One resource instance as declared: its address, type and (already redacted) attributes."""

    state: str  # the state file (bundle path) it came from
    address: str
    type: str
    module: str
    attributes: Mapping[str, Any] = field(hash=False)


def _index_suffix(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise ValueError(f"index_key {key!r} is neither a number nor a string")
    return f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]"


def _v4(doc: Mapping[str, Any], state: str) -> Iterator[Instance]:
    resources = doc.get("resources", [])
    if not isinstance(resources, list):
        raise BundleError(state, "'resources' is not a list")
    for i, res in enumerate(resources):
        try:
            if res.get("mode", "managed") != "managed":
                continue
            rtype, name = str(res["type"]), str(res["name"])
            module = str(res.get("module") or "")
            for inst in res["instances"]:
                addr = f"{module + '.' if module else ''}{rtype}.{name}{_index_suffix(inst.get('index_key'))}"
                attrs = inst["attributes"]
                if not isinstance(attrs, dict):
                    raise ValueError("attributes is not an object")
                yield Instance(state, addr, rtype, module, attrs)
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise BundleError(state, f"resources[{i}]: not a Terraform state v4 resource ({e})") from e


def _list_of(value: Any, state: str, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BundleError(state, f"{where}: expected a list, got {type(value).__name__}")
    return value


def _module(mod: Any, state: str, where: str = "root_module") -> Iterator[Instance]:
    if not isinstance(mod, dict):
        raise BundleError(state, f"{where}: expected an object, got {type(mod).__name__}")
    module = str(mod.get("address") or "")
    for i, res in enumerate(_list_of(mod.get("resources"), state, f"{where}.resources")):
        try:
            if res.get("mode", "managed") != "managed":
                continue
            values = res.get("values")
            if not isinstance(values, dict):
                continue  # a planned resource whose values are all unknown until apply
            yield Instance(state, str(res["address"]), str(res["type"]), module, values)
        except (KeyError, TypeError, AttributeError) as e:
            raise BundleError(state, f"{module or 'root_module'}.resources[{i}]: not a resource ({e})") from e
    for j, child in enumerate(_list_of(mod.get("child_modules"), state, f"{where}.child_modules")):
        yield from _module(child, state, f"{where}.child_modules[{j}]")


def instances(doc: Any, state: str) -> list[Instance]:
    """Every managed resource instance of a state v4 file or a ``terraform show -json`` document.

    For a plan, ``planned_values`` is what the configuration declares once applied.
    """
    if not isinstance(doc, dict):
        raise BundleError(state, "not a JSON object")
    if "version" in doc and "resources" in doc:
        if doc["version"] != 4:
            raise BundleError(state, f"state version {doc['version']!r} is not supported (expected 4)")
        return list(_v4(doc, state))
    if "format_version" in doc:
        section = doc.get("planned_values") or doc.get("values")
        if section is None:
            return []  # an empty state: `terraform show -json` prints no values
        root = section.get("root_module") if isinstance(section, dict) else None
        if not isinstance(root, dict):
            raise BundleError(state, "no root_module in terraform show -json output")
        return list(_module(root, state))
    raise BundleError(state, "neither a Terraform state v4 file nor `terraform show -json` output")
