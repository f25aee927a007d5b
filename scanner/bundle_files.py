"""What a connector reads from its bundle folder, and what the absence of each file means.

Each connector keeps its table beside its code (``connectors/<provider>/bundle_files.yaml``, named by
:attr:`scanner.plugins.ConnectorSpec.files`): one row per kind of file, with a path pattern, whether the
file is ``optional`` or ``required``, the facts (rows of ``scanner/knowledge/facts.yaml``) it supplies,
and what regwarden does without it. An **optional** file that is absent leaves the facts it supplies
*not assessed* and is named by a coverage gap (or the ``not_assessed`` entry of each subject it leaves
unjudged), unless ``manifest.json`` records the call as ``not_found`` (a 404 that is an answer). A
**required** file is one whose absence removes what it lists from the scan (a listing) or the scope it
describes; ``gap`` says whether its absence is still noticed (another collected file names it) and named
by a coverage gap. An **extra** file is read when present, and its absence is no gap: the check it feeds
is skipped (what a hand-made bundle usually lacks: tags, workflow runs, SBOMs). ``tests/hardening/test_absence.py`` deletes every optional file of every test bundle in turn
and holds each connector to its table; docs/bundle.md's section "When a file is absent" is rendered
from these tables (``python -m scanner.bundle_files`` rewrites it).

Patterns: ``{name}`` stands for one path segment (or part of one), ``{name...}`` for one or more
segments; everything else is literal. A file is of the first row whose pattern it matches.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_ ]*)(\.\.\.)?\}")
DOCS_BEGIN = "<!-- absent-files:begin (rendered from connectors/*/bundle_files.yaml) -->"
DOCS_END = "<!-- absent-files:end -->"


class BundleFile(BaseModel):
    """One kind of bundle file: its path pattern, whether it may be absent, and what its absence means."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(description="path pattern from the bundle root ({name}: one segment; {name...}: several)")
    presence: Literal["optional", "required", "extra"]
    facts: tuple[str, ...] = Field(default=(), description="the facts.yaml rows left not assessed without it")
    gap: bool = Field(default=True, description="whether its absence is named by a coverage gap (always when optional)")
    instead: str | None = Field(
        default=None, description="a file that supplies the same facts: when the bundle has it, the absence is no gap"
    )
    absent: str = Field(description="what regwarden does when the file is absent")

    @model_validator(mode="after")
    def _consistent(self) -> BundleFile:
        if self.presence == "optional" and not self.gap:
            raise ValueError(f"{self.file}: the absence of an optional file is always named by a coverage gap")
        if self.presence == "extra" and (self.facts or "gap" in self.model_fields_set):
            raise ValueError(f"{self.file}: an extra file supplies no fact, and its absence is never a gap")
        return self

    @property
    def named(self) -> bool:
        """Whether its absence is named by a coverage gap."""
        return self.presence == "optional" or (self.presence == "required" and self.gap)

    def regex(self) -> re.Pattern[str]:
        """The pattern as a regular expression (full match)."""
        return _compile(self.file)

    def matches(self, rel: str) -> bool:
        """Whether bundle path ``rel`` is a file of this kind."""
        return self.regex().fullmatch(rel) is not None


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    files: tuple[BundleFile, ...]


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(".+?" if m.group(2) else "[^/]+?")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out))


@cache
def load_table(path: Path) -> tuple[BundleFile, ...]:
    """The validated table at ``path`` (a connector's ``bundle_files.yaml``)."""
    return _Table.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).files


def row_of(table: Iterable[BundleFile], rel: str) -> BundleFile | None:
    """The first row of ``table`` whose pattern bundle path ``rel`` matches (a table lists a file before a
    pattern that would also match it: ``…/variables.json`` before ``gitlab/groups/{group...}.json``)."""
    return next((row for row in table if row.matches(rel)), None)


def render_markdown(tables: Mapping[str, tuple[BundleFile, ...]]) -> str:
    """The section of docs/bundle.md that lists, per connector, each file and what its absence means."""
    lines = [DOCS_BEGIN, ""]
    for provider, rows in sorted(tables.items()):
        lines += [
            f"### {provider}",
            "",
            "| file | presence | facts not assessed | when it is absent |",
            "|---|---|---|---|",
        ]
        for row in rows:
            facts = ", ".join(row.facts) or "—"
            presence = row.presence if row.named or row.presence == "extra" else f"{row.presence} (no gap)"
            absent = row.absent + (f" (no gap when the bundle has {row.instead})" if row.instead else "")
            absent = absent.replace("|", "\\|")
            lines.append(f"| `{row.file}` | {presence} | {facts} | {absent} |")
        lines.append("")
    lines.append(DOCS_END)
    return "\n".join(lines)


def rewrite_docs(doc: Path, tables: Mapping[str, tuple[BundleFile, ...]]) -> bool:
    """Replace the rendered section of ``doc``; True when the file changed."""
    text = doc.read_text(encoding="utf-8")
    start, end = text.index(DOCS_BEGIN), text.index(DOCS_END) + len(DOCS_END)
    new = text[:start] + render_markdown(tables) + text[end:]
    if new == text:
        return False
    doc.write_text(new, encoding="utf-8")
    return True


def installed_tables() -> dict[str, tuple[BundleFile, ...]]:
    """The table of every installed connector that has one, by connector name."""
    from scanner.plugins import connectors

    return {name: load_table(spec.files) for name, spec in connectors().items() if spec.files is not None}


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/bundle.md")
    print("rewrote" if rewrite_docs(target, installed_tables()) else "unchanged", target)
