"""The seams: what a connector and a report format provide, and how the scanner finds them.

The scanner never imports ``connectors`` or ``reports``; it loads their registry tables through the
``regwarden.connectors`` and ``regwarden.reports`` entry-point groups (the built-in ones are
declared in pyproject.toml, third-party plugins add their own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from scanner.bundle import BundleReader, BundleWriter
from scanner.errors import ConfigError
from scanner.model import Inventory

if TYPE_CHECKING:
    from scanner.result import ScanResult

RawT = TypeVar("RawT")
SettingsT = TypeVar("SettingsT", bound=BaseModel)


@dataclass(frozen=True)
class Collector(Generic[SettingsT]):
    """Live collection for a connector.

    ``settings`` is the pydantic model of its ``[sources.<name>]`` section (credentials only by
    reference). ``scopes`` lists what to collect (accounts, projects, organisations) and may call
    the API to discover them; ``collect`` fetches one scope and writes the provider's native
    responses into the bundle. A scope that fails raises :class:`~scanner.errors.ConnectorError`;
    the engine records it as a coverage gap and goes on with the others.
    """

    settings: type[SettingsT]
    scopes: Callable[[SettingsT], list[str]]
    collect: Callable[[SettingsT, str, BundleWriter], None]


@dataclass(frozen=True)
class ConnectorSpec(Generic[RawT]):
    """One provider. ``load`` reads and validates its bundle folder into typed raw records;
    ``transform`` turns those into an Inventory and is pure; ``collector`` (if any) fetches live;
    ``files`` (if any) is its table of bundle files and what the absence of each means
    (:mod:`scanner.bundle_files`)."""

    name: str  # also the bundle folder name
    title: str
    load: Callable[[BundleReader], RawT]
    transform: Callable[[RawT], Inventory]
    collector: Collector[Any] | None = None
    files: Path | None = None

    def inventory(self, bundle: BundleReader) -> Inventory:
        """Load this provider's part of a bundle and transform it."""
        return self.transform(self.load(bundle))


@dataclass(frozen=True)
class FormatSpec:
    """One report format: ``render(result, out_dir)`` writes ``filename`` into ``out_dir``."""

    name: str
    filename: str
    render: Callable[[ScanResult, Path], None]


def _load_group(group: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        loaded = ep.load()
        if not isinstance(loaded, Mapping):
            raise ConfigError(f"entry point {ep.name!r} in {group} is not a registry table")
        for name, spec in loaded.items():
            if name in table:
                raise ConfigError(f"{group}: {name!r} is registered twice")
            table[name] = spec
    if not table:
        raise ConfigError(f"no {group} plugins are installed (is regwarden installed with pip/make?)")
    return table


def connectors() -> dict[str, ConnectorSpec[Any]]:
    """Every installed connector by name."""
    return _load_group("regwarden.connectors")


def formats() -> dict[str, FormatSpec]:
    """Every installed report format by name."""
    return _load_group("regwarden.reports")
