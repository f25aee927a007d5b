"""The README lists every bundle file the connectors read, with the command that produces it: the same rows
as the tables of docs/bundle.md (where each is explained), so the two cannot drift apart.

Regenerate it after changing docs/bundle.md: ``.venv/bin/python -m tests.cli.test_readme_bundle --write``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BUNDLE_DOC = ROOT / "docs" / "bundle.md"
BEGIN, END = "<!-- bundle-files:begin -->", "<!-- bundle-files:end -->"
_CELL = re.compile(r"(?<!\\)\|")


def rows() -> list[tuple[str, str, str]]:
    """(provider section, file, command) of every file row of docs/bundle.md's tables."""
    out: list[tuple[str, str, str]] = []
    # (not the tables of what each file's absence means, rendered from connectors/*/bundle_files.yaml)
    text = re.sub(r"<!-- absent-files:begin.*?<!-- absent-files:end -->", "", BUNDLE_DOC.read_text(encoding="utf-8"),
                  flags=re.DOTALL)  # fmt: skip
    for sec in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title = sec.splitlines()[0].strip()
        for line in sec.splitlines():
            if line.startswith("| `"):
                cells = [c.strip() for c in _CELL.split(line)[1:-1]]
                out.append((title, cells[0], cells[-1]))
    return out


def bundle_section() -> str:
    parts: list[str] = []
    section = None
    for title, file, command in rows():
        if title != section:
            parts.append(f"\n**{title}**\n\n| file | produced by |\n|---|---|")
            section = title
        parts.append(f"| {file} | {command} |")
    return "\n".join(parts).strip() + "\n"


def current_section() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.DOTALL)
    assert m, f"README.md has no {BEGIN} … {END} section"
    return m.group(1)


def test_readme_lists_every_bundle_file_of_docs_bundle_md() -> None:
    assert current_section().strip() == bundle_section().strip(), (
        "README's bundle file list is out of date: run .venv/bin/python -m tests.cli.test_readme_bundle --write"
    )


def test_the_files_of_this_work_are_listed() -> None:
    section = current_section()
    for needle in (
        "dependency-graph/sbom.json",
        "tags.json",
        "actions/runs.json",
        "dockerhub/regwarden-settings.json",
        "dockerhub/v2/namespaces/<namespace>/repositories.json",
        "npm/-/npm/v1/tokens.json",
    ):
        assert needle in section, needle


if __name__ == "__main__" and "--write" in sys.argv:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + bundle_section() + text[end:], encoding="utf-8")
