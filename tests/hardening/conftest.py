"""Print the hardening figures at the end of a run that loads this conftest (``pytest tests/hardening``);
``python -m tests.hardening.figures`` prints the last stored figures after any run."""

from __future__ import annotations

import pytest

from tests.hardening import figures


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    found = figures.collected()
    if found:
        terminalreporter.section("hardening figures")
        for line in figures.lines(found):
            terminalreporter.write_line(line)
