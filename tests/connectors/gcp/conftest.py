"""Shared fixtures: the fake GCP APIs on a local HTTP server, and settings pointing at it."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from connectors.gcp.settings import Settings
from tests.connectors.gcp.fake import FakeGcp


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeGcp:
    """The fixture bundle served as the GCP REST APIs."""
    f = FakeGcp()
    f.install(httpserver)
    return f


@pytest.fixture
def settings(httpserver: HTTPServer) -> Settings:
    """Anonymous credentials, every API at the fake, no real waiting between retries."""
    return Settings(
        projects=["acme-prod"],
        credentials="anonymous",
        endpoint=httpserver.url_for("").rstrip("/"),
        backoff=0,
        max_wait=5,
        max_retries=2,
        timeout=10,
    )
