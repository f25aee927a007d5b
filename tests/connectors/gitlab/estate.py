"""Small GitLab bundles written from pipeline text, for must-report / must-not-report twins."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.gitlab import SPEC
from scanner.bundle import BundleReader
from scanner.model import AttrValue, Inventory, NodeId

PROJECT = "acme/app"


def write(root: Path, files: Mapping[str, str | Any]) -> Path:
    """Write ``files`` (bundle path → text, or JSON for ``.json``) under ``root``; return ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content)
        path.write_text(text, encoding="utf-8")
    return root


def pipeline(
    root: Path, ci: str, files: Mapping[str, Any] | None = None, project: str = PROJECT, **extra: Any
) -> Inventory:
    """A bundle holding one project's CI file and its other repository files (a path starting with
    ``gitlab/`` is a bundle path: any other file of the bundle); ``extra`` adds the project's files
    (``variables=[...]`` → ``gitlab/projects/{project}/variables.json``, ``a__b=`` → ``a/b.json``)."""
    base = f"gitlab/projects/{project}"
    written: dict[str, Any] = {f"{base}/repository/files/.gitlab-ci.yml": ci}
    for path, text in (files or {}).items():
        written[path if path.startswith("gitlab/") else f"{base}/repository/files/{path}"] = text
    for name, doc in extra.items():
        written[f"{base}/{name.replace('__', '/')}.json"] = doc
    write(root, written)
    return SPEC.inventory(BundleReader(root))


def job(inv: Inventory, name: str, project: str = PROJECT, ci: str = ".gitlab-ci.yml") -> Mapping[str, AttrValue]:
    """The attributes of one job node."""
    return inv.node(NodeId(f"gitlab:job:{project}/{ci}#{name}")).attrs


def publishes(inv: Inventory, name: str, project: str = PROJECT) -> tuple[str, ...]:
    """The registries a job publishes to (certain and probable)."""
    value = job(inv, name, project)["publishes"]
    assert isinstance(value, tuple)
    return tuple(str(v) for v in value)


def routes(inv: Inventory, name: str, project: str = PROJECT) -> tuple[str, ...]:
    """``registry:route`` of each of a job's publishes."""
    value = job(inv, name, project)["publish_routes"]
    assert isinstance(value, tuple)
    return tuple(str(v) for v in value)


def gaps(inv: Inventory) -> set[tuple[str, str]]:
    """(what, reason) of every coverage gap."""
    return {(g.what, g.reason) for g in inv.gaps}


def var(key: str, scope: str = "*", protected: bool = False, masked: bool = True) -> dict[str, Any]:
    """One item of ``GET …/variables`` as collected (no value)."""
    return {"variable_type": "env_var", "key": key, "protected": protected, "masked": masked,
            "environment_scope": scope, "value_fingerprint": "hmac-sha256:FAKE"}  # fmt: skip
