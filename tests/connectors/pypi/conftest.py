"""Shared fixtures: the sample PyPI bundle, and a writable copy of it for malformed-file tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.pypi import SPEC
from connectors.pypi.load import load
from connectors.pypi.raw import PypiRaw
from scanner.bundle import BundleReader
from scanner.model import Inventory

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "pypi" / "bundle"


@pytest.fixture(scope="session")
def raw() -> PypiRaw:
    """The fixture bundle, loaded."""
    return load(BundleReader(BUNDLE))


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    """The fixture bundle, loaded and transformed."""
    return SPEC.inventory(BundleReader(BUNDLE))


@pytest.fixture
def bundle_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture bundle."""
    dst = tmp_path / "bundle"
    shutil.copytree(BUNDLE, dst)
    return dst
