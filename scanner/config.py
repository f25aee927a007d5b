"""``regwarden.toml``: where reports go, and each source's own settings section.

Credentials are referenced, never written in the file: a key that looks like it holds a secret
value (``token``, ``password``, ``secret``, ``api_key`` …) is refused with a pointer to the
``*_env`` form.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scanner.drift.settings import BaselineSettings, HistorySettings, NotifySettings, ScheduleSettings, Suppression
from scanner.errors import ConfigError
from scanner.owners import OwnerRule, OwnershipSettings
from scanner.plugins import ConnectorSpec
from scanner.textsafe import for_terminal
from scanner.urlpolicy import check_url, check_webhook, has_password, has_userinfo

_SECRETISH = re.compile(r"(^|_)(token|password|passwd|secret|api_key|apikey|private_key|client_secret)$", re.I)


class OutputSettings(BaseModel):
    """``[output]``: where reports are written and in which formats."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dir: Path = Path("regwarden-report")
    formats: list[str] = ["json", "html"]
    fail_on: str = "high"


class CacheSettings(BaseModel):
    """``[cache]``: the HTTP cache of the REST connectors (docs/collection.md). ``dir`` defaults to a
    hidden folder beside the bundle folder (``.regwarden-bundle.cache``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    dir: Path | None = None


class LinkPin(BaseModel):
    """``[[links]]``: pin a CI secret to the registry credential it holds, when usage cannot tell."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    secret: str
    credential: str


class FileConfig(BaseModel):
    """The whole file, with sources kept raw until each connector validates its own section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    output: OutputSettings = OutputSettings()
    bundle_dir: Path = Path("regwarden-bundle")
    workers: int = Field(default=4, ge=1, le=64)
    cache: CacheSettings = CacheSettings()
    sources: dict[str, dict[str, Any]] = {}
    links: list[LinkPin] = []
    history: HistorySettings | None = None
    baseline: BaselineSettings | None = None
    suppress: list[Suppression] = []
    schedule: ScheduleSettings = ScheduleSettings()
    notify: NotifySettings | None = None
    owners: list[OwnerRule] = []
    ownership: OwnershipSettings = Field(default_factory=OwnershipSettings)


@dataclass(frozen=True)
class Config:
    """A validated configuration: file-level settings plus each source's settings object."""

    path: Path | None
    file: FileConfig
    sources: dict[str, BaseModel]


#: Tables nested deeper than this are refused (dotted keys can nest without bound in a small file).
MAX_DEPTH = 32


def _problem(err: ValidationError, prefix: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "")
    return for_terminal(" ".join(f"{loc}: {first['msg']}".split()), 300)


def _refuse_inline_secrets(data: Any, where: str, file: str) -> None:
    # Depth first in file order, without recursion (a deep file must not exhaust the stack).
    def children(node: Any, at: str, depth: int) -> list[tuple[Any, Any, str, int]]:
        if not isinstance(node, Mapping):
            return []
        if depth > MAX_DEPTH:
            raise ConfigError(f"{file}: {for_terminal(at, 80)}: tables nested more than {MAX_DEPTH} deep")
        return [(k, v, at, depth) for k, v in reversed(list(node.items()))]

    stack = children(data, where, 0)
    while stack:
        k, v, at, depth = stack.pop()
        if isinstance(k, str) and _SECRETISH.search(k) and isinstance(v, str):
            raise ConfigError(
                f"{file}: {for_terminal(f'{at}{k}', 200)}: credentials are never written in the config; "
                f'name an environment variable instead ({for_terminal(k, 60)}_env = "VAR") or a profile/role'
            )
        stack.extend(children(v, f"{at}{k}.", depth + 1))


def _strings(node: Any, at: str) -> list[tuple[str, str]]:
    """Every string value under ``node`` with its dotted key (tables and arrays walked without recursion)."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [(at, node)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            out.append((where, item))
        elif isinstance(item, Mapping):
            stack.extend((f"{where}.{k}", v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return out


def _check_urls(data: Mapping[str, Any], specs: Mapping[str, ConnectorSpec[Any]], file: str) -> None:
    """No credential inside a URL anywhere (a user name alone is fine for a database); an https URL
    wherever a source sends a credential (see :mod:`scanner.urlpolicy`). Values are never repeated."""
    if not isinstance(data, Mapping):
        return  # not a table: the file model refuses it, naming the problem
    sources = data.get("sources")
    for name, section in sources.items() if isinstance(sources, Mapping) else []:
        spec = specs.get(name) if isinstance(name, str) else None
        model = spec.collector.settings if spec is not None and spec.collector is not None else None
        sends = bool(getattr(model, "SENDS_CREDENTIALS", True))
        for where, value in _strings(section, f"sources.{for_terminal(str(name), 60)}"):
            key = where.rsplit(".", 1)[-1].lower()
            if has_userinfo(value):
                check_url(value, f"{file}: {where}", sends_credential=False)
            if key.endswith(("url", "endpoint")) and "://" in value:
                check_url(value, f"{file}: {where}", sends_credential=sends)
    history = data.get("history")
    if isinstance(history, Mapping) and isinstance(history.get("url"), str) and has_password(history["url"]):
        raise ConfigError(
            f"{file}: history.url: a password inside the database URL is refused (the value is not shown); "
            'put the whole URL in an environment variable and name it: url_env = "VAR"'
        )
    notify = data.get("notify")
    if isinstance(notify, Mapping) and isinstance(notify.get("webhook_url"), str):
        check_webhook(notify["webhook_url"], f"{file}: notify.webhook_url")


def parse_config(data: dict[str, Any], specs: Mapping[str, ConnectorSpec[Any]], file: str) -> Config:
    """Validate parsed TOML against the file model and each connector's settings model."""
    _refuse_inline_secrets(data, "", file)
    _check_urls(data, specs, file)
    try:
        fc = FileConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{file}: {_problem(e, '')}") from e
    sources: dict[str, BaseModel] = {}
    for name, section in fc.sources.items():
        spec = specs.get(name)
        if spec is None:
            raise ConfigError(
                f"{file}: sources.{for_terminal(name, 60)}: unknown source (known: {', '.join(sorted(specs))})"
            )
        if spec.collector is None:
            raise ConfigError(f"{file}: sources.{name}: {spec.title} has no live collector yet; analyse a bundle")
        try:
            sources[name] = spec.collector.settings.model_validate(section)
        except ValidationError as e:
            raise ConfigError(f"{file}: {_problem(e, f'sources.{name}')}") from e
    return Config(path=None, file=fc, sources=sources)


def load_config(path: Path, specs: Mapping[str, ConnectorSpec[Any]]) -> Config:
    """Read and validate ``regwarden.toml``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: no such file") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {for_terminal(' '.join(str(e).split()), 200)}") from e
    except RecursionError as e:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from e
    except ValueError as e:  # e.g. an integer beyond Python's digit limit
        raise ConfigError(f"{path}: invalid TOML: {for_terminal(' '.join(str(e).split()), 200)}") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from e
    cfg = parse_config(data, specs, str(path))
    return Config(path=path, file=cfg.file, sources=cfg.sources)
