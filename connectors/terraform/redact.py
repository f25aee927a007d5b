"""Strip secret values out of Terraform state before anything else sees it.

Terraform state keeps secrets in plain text (``aws_iam_access_key.secret``,
``github_actions_secret.plaintext_value``, ``azuread_application_password.value`` …). Every value
the state marks sensitive (``sensitive_attributes`` in state v4, ``sensitive_values`` in
``terraform show -json``) and every attribute on the deny-list below is replaced by its keyed
fingerprint, so reuse of one value in two places stays detectable while the value never reaches
a bundle, report, log or the history database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

#: Attribute names whose values are secret whatever the resource type.
DENY_KEYS = frozenset(
    {
        "secret",
        "plaintext_value",
        "encrypted_value",
        "password",
        "private_key",
        "private_key_pem",
        "token",
        "client_secret",
        "ses_smtp_password_v4",
        "password1",
        "password2",
        "primary_access_key",
        "secondary_access_key",
        "connection_string",
        "primary_connection_string",
        "secondary_connection_string",
        "admin_password",
        "key_material",
    }
)
_DENY_PATTERN = re.compile(r"^encrypted_|(_password|_secret|_token|_private_key|_access_key)$")
#: Attributes that are secret only on some resource types (``value`` is an ordinary word elsewhere).
DENY_BY_TYPE: dict[str, frozenset[str]] = {
    "azuread_application_password": frozenset({"value"}),
    "azuread_service_principal_password": frozenset({"value"}),
    "azurerm_container_registry_token_password": frozenset({"value"}),
    "google_service_account_key": frozenset({"private_key"}),
}
_FP_PREFIX = "hmac-sha256:"


def is_secret_key(rtype: str, key: str) -> bool:
    """True when attribute ``key`` of a ``rtype`` resource holds secret material."""
    k = key.lower()
    return k in DENY_KEYS or bool(_DENY_PATTERN.search(k)) or k in DENY_BY_TYPE.get(rtype, frozenset())


def _already(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_FP_PREFIX) and len(value) == len(_FP_PREFIX) + 32


def _fp(value: Any, fingerprint: Callable[[str], str]) -> str | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    if _already(value):
        return str(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return fingerprint(text)


def _paths_from_sensitive_values(marks: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """``sensitive_values`` mirrors the values with ``true`` where a value is sensitive."""
    out: list[tuple[Any, ...]] = []
    if marks is True:
        out.append(prefix)
    elif isinstance(marks, dict):
        for k, v in marks.items():
            out.extend(_paths_from_sensitive_values(v, (*prefix, k)))
    elif isinstance(marks, list):
        for i, v in enumerate(marks):
            out.extend(_paths_from_sensitive_values(v, (*prefix, i)))
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
            if isinstance(val, dict):  # {"type": "index", "value": {"value": 0, "type": "number"}}
                val = val.get("value")
            parts.append(val)
        if parts:
            out.append(tuple(parts))
    return out


def _redact_path(obj: Any, path: tuple[Any, ...], fingerprint: Callable[[str], str]) -> None:
    for i, step in enumerate(path):
        ok_dict = isinstance(obj, dict) and isinstance(step, str) and step in obj
        ok_list = isinstance(obj, list) and isinstance(step, int) and 0 <= step < len(obj)
        if not (ok_dict or ok_list):
            return
        if i == len(path) - 1:
            obj[step] = _fp(obj[step], fingerprint)
            return
        obj = obj[step]


def _redact_keys(rtype: str, obj: Any, fingerprint: Callable[[str], str]) -> Any:
    if isinstance(obj, dict):
        return {
            k: (_fp(v, fingerprint) if is_secret_key(rtype, k) else _redact_keys(rtype, v, fingerprint))
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_redact_keys(rtype, v, fingerprint) for v in obj]
    return obj


def redact_attributes(
    rtype: str, attributes: Any, sensitive_paths: list[tuple[Any, ...]], fingerprint: Callable[[str], str]
) -> Any:
    """A copy of ``attributes`` with every sensitive path and deny-listed key fingerprinted."""
    copy = json.loads(json.dumps(attributes))
    for path in sensitive_paths:
        _redact_path(copy, path, fingerprint)
    return _redact_keys(rtype, copy, fingerprint)


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
