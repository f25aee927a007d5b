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
from scanner.plugins import ConnectorSpec

_SECRETISH = re.compile(r"(^|_)(token|password|passwd|secret|api_key|apikey|private_key|client_secret)$", re.I)


class OutputSettings(BaseModel):
    """``[output]``: where reports are written and in which formats."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dir: Path = Path("regwarden-report")
    formats: list[str] = ["json", "html"]
    fail_on: str = "high"


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
    sources: dict[str, dict[str, Any]] = {}
    links: list[LinkPin] = []
    history: HistorySettings | None = None
    baseline: BaselineSettings | None = None
    suppress: list[Suppression] = []
    schedule: ScheduleSettings = ScheduleSettings()
    notify: NotifySettings | None = None


@dataclass(frozen=True)
class Config:
    """A validated configuration: file-level settings plus each source's settings object."""

    path: Path | None
    file: FileConfig
    sources: dict[str, BaseModel]


def _problem(err: ValidationError, prefix: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "")
    return f"{loc}: {first['msg']}"


def _refuse_inline_secrets(data: Any, where: str, file: str) -> None:
    if isinstance(data, Mapping):
        for k, v in data.items():
            if isinstance(k, str) and _SECRETISH.search(k) and isinstance(v, str):
                raise ConfigError(
                    f"{file}: {where}{k}: credentials are never written in the config; "
                    f'name an environment variable instead ({k}_env = "VAR") or a profile/role'
                )
            _refuse_inline_secrets(v, f"{where}{k}.", file)


def parse_config(data: dict[str, Any], specs: Mapping[str, ConnectorSpec[Any]], file: str) -> Config:
    """Validate parsed TOML against the file model and each connector's settings model."""
    _refuse_inline_secrets(data, "", file)
    try:
        fc = FileConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{file}: {_problem(e, '')}") from e
    sources: dict[str, BaseModel] = {}
    for name, section in fc.sources.items():
        spec = specs.get(name)
        if spec is None:
            raise ConfigError(f"{file}: sources.{name}: unknown source (known: {', '.join(sorted(specs))})")
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
        raise ConfigError(f"{path}: invalid TOML: {e}") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from e
    cfg = parse_config(data, specs, str(path))
    return Config(path=path, file=cfg.file, sources=cfg.sources)
