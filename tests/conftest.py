"""Suite-wide settings: in CI (CI=true) a skipped test is a failure — a missing part must be installed
by the project's own scripts, not silently skipped."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# In CI the property tests run a fixed, reproducible set of examples (a red CI run can be replayed
# exactly); on a developer's machine they keep exploring new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("REGWARDEN_KEY_FILE", str(config.rootpath / ".pytest_cache" / "fingerprint.key"))
    # The wire tests serve provider answers from local http servers; tokens may go there in clear text
    # (loopback only). tests/hardening/test_credentials.py removes it to hold the https rule.
    os.environ.setdefault("REGWARDEN_INSECURE_HTTP_FOR_LOCAL_TESTS", "1")
    # Compiled report templates go to the project's cache, not the developer's home (reports/_bccache.py).
    os.environ.setdefault("REGWARDEN_TEMPLATE_CACHE", str(config.rootpath / ".pytest_cache" / "templates"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(
                f"CI: {skipped} test(s) skipped — a required part is missing; failing the run", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
