"""A fake ARM + Microsoft Graph server for pytest-httpserver that serves a bundle folder by API path.

Bundle files are named after the API path that returns them, so the fake needs no table: ARM
``GET /subscriptions/...`` is ``azure/subscriptions/....json`` and Graph ``GET /graph/v1.0/...`` is
``azure/graph/v1.0/....json``. Lists are served one page at a time (ARM ``nextLink``, Graph
``@odata.nextLink``), and answers can be replaced by errors or throttling for chosen paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

GRAPH_PREFIX = "/graph"


@dataclass
class Failure:
    """Answer ``status`` (with headers) the next ``times`` requests for a path (-1: always)."""

    status: int
    times: int = -1
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeAzure:
    """Serves ``root`` (a bundle folder holding ``azure/``) as ARM and Graph."""

    server: HTTPServer
    root: Path
    page_size: int = 1
    edit: Callable[[str, Any], Any] | None = None
    failures: dict[str, Failure] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    auth: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def arm(self) -> str:
        """The ARM endpoint."""
        return self.server.url_for("/").rstrip("/")

    @property
    def graph(self) -> str:
        """The Graph endpoint (``/v1.0`` is added by the collector)."""
        return self.server.url_for(GRAPH_PREFIX)

    def fail(self, path: str, status: int, times: int = -1, retry_after: str | None = None) -> None:
        """Make ``path`` answer ``status``."""
        code = {403: "AuthorizationFailed", 429: "TooManyRequests"}.get(status, "Error")
        body = {"error": {"code": code, "message": f"fake {status}"}}
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.failures[path] = Failure(status, times, headers, body)

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")

    def handle(self, req: Request) -> Response:
        """Answer one request from the bundle."""
        path = req.path
        self.seen.append(path)
        self.auth.add(req.headers.get("Authorization", ""))
        failure = self.failures.get(path)
        if failure is not None and failure.times != 0:
            failure.times -= 1 if failure.times > 0 else 0
            return self._json(failure.body, failure.status, failure.headers)
        graph = path.startswith(GRAPH_PREFIX + "/")
        if path == "/subscriptions":
            data: Any = {"value": self._subscriptions()}
        else:
            rel = "azure/graph/" + path[len(GRAPH_PREFIX) + 1 :] if graph else "azure" + path
            file = self.root / f"{rel}.json"
            if ".." in path or not file.is_file():
                return self._json({"error": {"code": "ResourceNotFound", "message": "not found"}}, 404)
            data = json.loads(file.read_text(encoding="utf-8"))
        if self.edit is not None:
            data = self.edit(path, data)
        if isinstance(data, dict) and isinstance(data.get("value"), list):
            skip = int(req.args.get("$skiptoken", "0"))
            items = data["value"]
            body = {**{k: v for k, v in data.items() if k != "value"}, "value": items[skip : skip + self.page_size]}
            if skip + self.page_size < len(items):
                key = "@odata.nextLink" if graph else "nextLink"
                body[key] = f"{self.server.url_for(path)}?$skiptoken={skip + self.page_size}"
            return self._json(body)
        return self._json(data)

    def _subscriptions(self) -> list[dict[str, Any]]:
        subs = sorted((self.root / "azure" / "subscriptions").glob("*.json"))
        return [json.loads(p.read_text(encoding="utf-8")) for p in subs]
