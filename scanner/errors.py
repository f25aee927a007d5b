"""The error tree. Each seam raises its own kind; the CLI turns them into one-line messages and exit codes."""

from __future__ import annotations


class RegwardenError(Exception):
    """Base of every error regwarden reports to the user as one line (never a traceback)."""

    exit_code = 2


class BundleError(RegwardenError):
    """A bundle file is missing, unreadable or not in the provider's shape. The message names the file."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem

    def __reduce__(self) -> tuple[type[BundleError], tuple[str, str]]:
        # raised in a reader process, re-raised here: rebuilt from its two parts, not its message
        return (BundleError, (self.file, self.problem))


class ConfigError(RegwardenError):
    """The configuration or a command-line option is wrong."""


class HistoryError(RegwardenError):
    """The history database cannot be opened, read or written (raised by :mod:`scanner.store`)."""


class ConnectorError(RegwardenError):
    """A provider call failed in a way that makes a scope unassessable."""

    exit_code = 3


class AuthError(ConnectorError):
    """The provider refused the credentials (401/403 on the whole scope)."""


class ThrottledError(ConnectorError):
    """The provider kept throttling after the bounded retries."""
