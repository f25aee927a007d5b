"""The terminal console every command prints through."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console


class _Console(Console):
    """rich's console, except that a reader who leaves (``regwarden analyse … | head -1``) ends the printing,
    not the program: rich's default raises ``SystemExit(1)``, which would replace the scan's exit code."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail either
            os.close(devnull)
        except (OSError, ValueError):  # stdout without a file descriptor: nothing left to flush
            pass


def console(**kwargs: Any) -> Console:
    """A console for the command line: no highlighting, no soft wrap, quiet once stdout is closed."""
    return _Console(**{"highlight": False, "soft_wrap": False, **kwargs})
