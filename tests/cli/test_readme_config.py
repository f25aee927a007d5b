"""The README's example regwarden.toml is valid for the installed connectors."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from scanner.config import parse_config
from scanner.plugins import connectors

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_example_config_validates() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks, "README has no toml example"
    data = tomllib.loads(blocks[0])
    cfg = parse_config(data, connectors(), "README.md")
    assert set(cfg.sources) == {
        "github",
        "gitlab",
        "pypi",
        "npm",
        "dockerhub",
        "jfrog",
        "aws",
        "gcp",
        "azure",
        "terraform",
    }
