"""The seams: what a connector and a report format provide, and how the scanner finds them.

The scanner never imports ``connectors`` or ``reports``; it loads their registry tables through the
``regwarden.connectors`` and ``regwarden.reports`` entry-point groups (the built-in ones are
declared in pyproject.toml, third-party plugins add their own).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from scanner.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from scanner.bundle import BundleReader, BundleWriter
    from scanner.model import Inventory
    from scanner.result import ScanResult

RawT = TypeVar("RawT")
SettingsT = TypeVar("SettingsT", bound="BaseModel")
SpecT = TypeVar("SpecT")


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
    scopes: Callable[..., list[str]]  # (settings) -> scopes; with ``tally=`` too when counts_discovery
    collect: Callable[[SettingsT, str, BundleWriter], None]
    #: ``scopes`` takes ``tally=`` (the run's :class:`~scanner.collect_session.CollectSession`): the
    #: requests it makes to discover scopes are counted and paced with the rest of the run's.
    counts_discovery: bool = False


@dataclass(frozen=True)
class Deferred:
    """Function ``name`` of ``module``, imported on the first call: a connector's collector (its SDK or
    HTTP client) is loaded when collection runs, never when a bundle is read. An instance pickles by
    its two names, so a spec holding it can still be sent to a reading worker."""

    module: str
    name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)


def deferred_collector(
    settings: type[SettingsT],
    module: str,
    scopes: str = "scopes",
    collect: str = "collect",
    *,
    counts_discovery: bool = False,
) -> Collector[SettingsT]:
    """The collector whose ``scopes`` and ``collect`` are those functions of ``module``, imported on
    first use (see :class:`Deferred`)."""
    return Collector(
        settings=settings,
        scopes=Deferred(module, scopes),
        collect=Deferred(module, collect),
        counts_discovery=counts_discovery,
    )


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


class LazyTable(Mapping[str, SpecT]):
    """A registry table whose entries are imported when first looked up: ``{"aws": "connectors.aws:SPEC"}``.

    Listing the names costs nothing, so a command imports only the connectors and report formats it
    uses (an AWS bundle never imports the GitHub workflow parser, ``--help`` imports none)."""

    def __init__(self, refs: Mapping[str, str]) -> None:
        self._refs = dict(refs)
        self._loaded: dict[str, SpecT] = {}

    def __getitem__(self, name: str) -> SpecT:
        if name not in self._loaded:
            module, _, attr = self._refs[name].partition(":")
            self._loaded[name] = getattr(importlib.import_module(module), attr)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._refs)

    def __len__(self) -> int:
        return len(self._refs)


class _Registry(Mapping[str, SpecT]):
    """The tables of every entry point of a group, merged by name; each entry is looked up in its own
    table (lazily, when that table is a :class:`LazyTable`) only when it is asked for."""

    def __init__(self, tables: Mapping[str, Mapping[str, SpecT]]) -> None:
        self._tables = tables

    def __getitem__(self, name: str) -> SpecT:
        return self._tables[name][name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


_GROUPS: dict[str, _Registry[Any]] = {}


@cache
def _installed() -> Any:
    """Every installed entry point, listed once per process for every group: a scan asks for
    connectors and for formats, and each listing reads every distribution's metadata."""
    from importlib.metadata import entry_points

    return entry_points()


def _entry_points(group: str) -> Any:
    """The installed entry points of ``group``."""
    return _installed().select(group=group)


def _load_group(group: str) -> _Registry[Any]:
    if group in _GROUPS:  # entry points are scanned once per process (a scan asks several times)
        return _GROUPS[group]
    tables: dict[str, Mapping[str, Any]] = {}
    for ep in sorted(_entry_points(group), key=lambda e: e.name):
        loaded = ep.load()
        if not isinstance(loaded, Mapping):
            raise ConfigError(f"entry point {ep.name!r} in {group} is not a registry table")
        for name in loaded:
            if name in tables:
                raise ConfigError(f"{group}: {name!r} is registered twice")
            tables[name] = loaded
    if not tables:
        raise ConfigError(f"no {group} plugins are installed (is regwarden installed with pip/make?)")
    _GROUPS[group] = _Registry(tables)
    return _GROUPS[group]


def connectors() -> Mapping[str, ConnectorSpec[Any]]:
    """Every installed connector by name (each imported when first looked up)."""
    return _load_group("regwarden.connectors")


def formats() -> Mapping[str, FormatSpec]:
    """Every installed report format by name (each imported when first looked up)."""
    return _load_group("regwarden.reports")
