"""The README's CLI section is the real ``--help`` output of every command.

Regenerate it after changing the CLI: ``.venv/bin/python -m tests.cli.test_readme --write``.
"""

from __future__ import annotations

import io
import re
import sys
from contextlib import redirect_stdout
from pathlib import Path

from scanner.cli import app, main

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- cli-help:begin -->", "<!-- cli-help:end -->"


def help_text(command: str | None) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        main([command, "--help"] if command else ["--help"])
    return "\n".join(line.rstrip() for line in buf.getvalue().strip().splitlines())


def commands() -> list[str]:
    return [c.name or "" for c in app.registered_commands]


def cli_section() -> str:
    parts = []
    for cmd in [None, *commands()]:
        title = f"regwarden {cmd} --help" if cmd else "regwarden --help"
        parts.append(f"#### `{title}`\n\n```text\n{help_text(cmd)}\n```\n")
    return "\n".join(parts)


def current_section() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.DOTALL)
    assert m, f"README.md has no {BEGIN} … {END} section"
    return m.group(1)


def test_readme_cli_section_matches_help() -> None:
    assert current_section().strip() == cli_section().strip(), (
        "README's CLI section is out of date: run .venv/bin/python -m tests.cli.test_readme --write"
    )


def test_every_command_is_documented() -> None:
    section = current_section()
    for cmd in commands():
        assert f"`regwarden {cmd} --help`" in section


if __name__ == "__main__" and "--write" in sys.argv:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + cli_section() + "\n" + text[end:], encoding="utf-8")
    print("README.md CLI section updated")
