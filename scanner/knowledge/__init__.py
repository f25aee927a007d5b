"""What regwarden knows about the world, kept as data: one YAML table per subject, validated here.

Each table is a file beside this module (documented field by field in docs/knowledge.md) and is
read once, on first use, into frozen pydantic models: a contributor adds a registry, a publish form
or a token format by adding a row, not by editing code. A table that does not validate is a bug in
regwarden itself, so it raises at once (tests load every table).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def read_table(name: str) -> Any:
    """The parsed YAML of the knowledge table ``name`` (a file in this package)."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    # libyaml's parser when PyYAML has it (the same safe constructor and resolver, ~8x faster on the
    # publish catalogue, which every GitHub or GitLab scan reads)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders only
