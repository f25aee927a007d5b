"""A fake of the GCP REST APIs, served by pytest-httpserver from the fixture bundle.

Each bundle file is the answer of the REST path it is named after (``gcp/projects/p/triggers.json`` is
``GET /v1/projects/p/triggers``; ``.../getIamPolicy.json`` is ``:getIamPolicy``), so one fake serves
Resource Manager v3, Artifact Registry, IAM and Cloud Build on one port. List answers are paged
``page_size`` items at a time with ``nextPageToken``; ``fail`` injects error answers per path.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gcp" / "bundle"
LIST_KEYS = (
    "accounts",
    "repositories",
    "workloadIdentityPools",
    "workloadIdentityPoolProviders",
    "triggers",
    "locations",
    "projects",
    "folders",
)
_STATUS = {403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def error_body(code: int, message: str) -> str:
    """Google's JSON error shape (google.rpc.Status over HTTP)."""
    return json.dumps({"error": {"code": code, "message": message, "status": _STATUS.get(code, "UNKNOWN")}})


@dataclass
class FakeGcp:
    """Serves the files under ``root/gcp`` at their REST paths."""

    root: Path = FIXTURE
    page_size: int = 2
    numbers: dict[str, str] = field(default_factory=dict)  # project number -> id
    # path -> error answers to give (in order) before the real one; a negative count repeats forever
    failures: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=lambda: defaultdict(list))
    forbidden: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # bundle-relative path (without .json) -> a function of the request giving the answer
    handlers: dict[str, Callable[[Request], Any]] = field(default_factory=dict)
    # request path -> a raw body to answer with (for malformed pages)
    raw: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in (self.root / "gcp" / "projects").glob("*.json"):
            data = json.loads(f.read_text())
            self.numbers[data["name"].removeprefix("projects/")] = data["projectId"]

    def install(self, server: HTTPServer) -> None:
        """Answer every request on ``server``."""
        server.expect_request(re.compile(r"/.*")).respond_with_handler(self.handle)

    def fail(self, path: str, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer ``path`` with ``status`` ``times`` times before the real answer."""
        self.failures[path] += [(status, headers or {})] * times

    def handle(self, request: Request) -> Response:
        """Route one request."""
        path = request.path
        self.requests.append((request.method, path))
        if any(path.startswith(p) for p in self.forbidden):
            return self._error(403, f"Permission denied on resource {path} (or it may not exist).")
        if self.failures.get(path):
            status, headers = self.failures[path].pop(0)
            return self._error(status, "Quota exceeded" if status == 429 else "backend error", headers)
        if path in self.raw:
            return Response(self.raw[path], status=200, content_type="application/json")
        m = re.match(r"^/v[13]/(.+?)(:getIamPolicy)?$", path)
        if not m:
            return self._error(404, f"no route for {path}")
        rel = m.group(1)
        pm = re.match(r"projects/(\d+)/(.*)$", rel)
        if pm and pm.group(1) in self.numbers:
            rel = f"projects/{self.numbers[pm.group(1)]}/{pm.group(2)}"
        rel += "/getIamPolicy" if m.group(2) else ""
        if rel in self.handlers:
            return self._json(self.handlers[rel](request))
        file = self.root / "gcp" / f"{rel}.json"
        if not file.is_file():
            return self._error(404, f"Requested entity was not found: {rel}")
        data = json.loads(file.read_text())
        return self._json(self._page(data, request.args.get("pageToken", "")))

    def _page(self, data: Any, token: str) -> Any:
        if not isinstance(data, dict):
            return data
        key = next((k for k in LIST_KEYS if k in data), None)
        if key is None:
            return data
        start = int(token.removeprefix("p")) if token else 0
        items = data[key][start : start + self.page_size]
        out = {k: v for k, v in data.items() if k != key}
        if items:
            out[key] = items
        if start + self.page_size < len(data[key]):
            out["nextPageToken"] = f"p{start + self.page_size}"
        return out

    @staticmethod
    def _json(data: Any) -> Response:
        return Response(json.dumps(data), status=200, content_type="application/json")

    @staticmethod
    def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return Response(error_body(status, message), status=status, headers=headers, content_type="application/json")
