"""``.gitlab-ci.yml`` → jobs: images, services, environment, ``id_tokens`` (OIDC), includes and the
variables a job's scripts name. Pure: no I/O. Local includes are the project's own code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Top-level keys that are not jobs.
RESERVED = frozenset(
    {
        "stages",
        "variables",
        "include",
        "default",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "pages_deploy",
    }
)
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Include:
    """A file or component pulled into the pipeline from elsewhere: whose code it is, and its ref."""

    ref: str  # "group/ci-templates:templates/release.yml@v1", "https://…", "gitlab.com/comp/x@1.0"
    pinned: bool


@dataclass(frozen=True)
class CiJob:
    """One job of the pipeline."""

    name: str
    image: str | None
    services: tuple[str, ...]
    environment: str | None
    id_tokens: tuple[tuple[str, str], ...]  # (name, audience)
    variables: frozenset[str]  # $NAMES its scripts and variables mention


def _image(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("name")
    return str(value) if isinstance(value, str) and value else None


def _vars(value: object) -> set[str]:
    if isinstance(value, str):
        return set(_VAR.findall(value))
    if isinstance(value, Mapping):
        return {n for v in value.values() for n in _vars(v)}
    if isinstance(value, list):
        return {n for v in value for n in _vars(v)}
    return set()


def includes(doc: Mapping[str, Any]) -> tuple[Include, ...]:
    """Every non-local include, with whether it is pinned to a commit SHA."""
    raw = doc.get("include")
    items = raw if isinstance(raw, list) else [raw] if raw else []
    out: list[Include] = []
    for item in items:
        if isinstance(item, str):
            if item.startswith(("http://", "https://")):
                out.append(Include(item, False))
            continue  # a string path is a local include
        if not isinstance(item, Mapping):
            continue
        if "project" in item:
            ref = str(item.get("ref") or "HEAD")
            files = item.get("file")
            for f in files if isinstance(files, list) else [files]:
                out.append(Include(f"{item['project']}:{f}@{ref}", bool(_SHA.fullmatch(ref))))
        elif "remote" in item:
            out.append(Include(str(item["remote"]), False))
        elif "component" in item:
            comp = str(item["component"])
            out.append(Include(comp, bool(_SHA.fullmatch(comp.rpartition("@")[2]))))
        elif "template" in item:
            out.append(Include(f"template:{item['template']}", False))
    return tuple(out)


def jobs(doc: Mapping[str, Any]) -> tuple[CiJob, ...]:
    """The jobs of a pipeline document, with ``default:`` and top-level image/services applied."""
    default = doc.get("default") if isinstance(doc.get("default"), Mapping) else {}
    assert isinstance(default, Mapping)
    top_image = _image(default.get("image", doc.get("image")))
    top_services = default.get("services", doc.get("services")) or []
    global_vars = _vars(doc.get("variables"))
    out: list[CiJob] = []
    for name, body in doc.items():
        if name in RESERVED or name.startswith(".") or not isinstance(body, Mapping):
            continue
        env = body.get("environment")
        env_name = env.get("name") if isinstance(env, Mapping) else env
        tokens = body.get("id_tokens") or default.get("id_tokens") or {}
        services = body.get("services", top_services) or []
        out.append(
            CiJob(
                name=name,
                image=_image(body.get("image")) or top_image,
                services=tuple(s for s in (_image(v) for v in services) if s),
                environment=str(env_name) if isinstance(env_name, str) and "$" not in env_name else None,
                id_tokens=tuple(
                    (str(k), str(v.get("aud", "")) if isinstance(v, Mapping) else "")
                    for k, v in (tokens.items() if isinstance(tokens, Mapping) else ())
                ),
                variables=frozenset(
                    global_vars
                    | _vars(body.get("script"))
                    | _vars(body.get("before_script"))
                    | _vars(body.get("after_script"))
                    | _vars(body.get("variables"))
                ),
            )
        )
    return tuple(out)
