"""A local server that answers like GitHub does to conditional requests: every answer carries a strong
``ETag`` (and, if asked, ``Last-Modified``); a request whose ``If-None-Match`` (or
``If-Modified-Since``) matches is answered ``304 Not Modified`` with no body and no ``Link`` header,
and is not counted against the rate-limit budget (docs.github.com, "Use conditional requests if
appropriate"; RFC 9110 §13.1)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

LAST_MODIFIED = "Mon, 05 Jan 2026 10:00:00 GMT"


@dataclass
class Conditional:
    """Counts what was served: 200s (counted by the budget) and 304s (not counted)."""

    served: list[tuple[str, int]] = field(default_factory=list)

    @property
    def counted(self) -> int:
        """Answers a provider counts against the primary rate limit."""
        return sum(1 for _, s in self.served if s != 304)

    def handler(
        self,
        body: Any,
        *,
        raw: bool = False,
        headers: dict[str, str] | None = None,
        etag: bool = True,
        last_modified: bool = False,
        extra: dict[str, str] | None = None,
    ) -> Any:
        """A werkzeug handler answering ``body`` (JSON, or text when ``raw``) conditionally."""
        data = body.encode() if raw else json.dumps(body).encode()
        tag = '"' + hashlib.sha256(data).hexdigest()[:40] + '"'

        def answer(req: Request) -> Response:
            validators = {}
            if etag:
                validators["ETag"] = tag
            if last_modified:
                validators["Last-Modified"] = LAST_MODIFIED
            same = (etag and req.headers.get("If-None-Match") == tag) or (
                not etag and last_modified and req.headers.get("If-Modified-Since") == LAST_MODIFIED
            )
            if same:
                self.served.append((req.full_path, 304))
                return Response(status=304, headers={**validators, **(extra or {})})
            self.served.append((req.full_path, 200))
            ctype = "text/plain; charset=utf-8" if raw else "application/json; charset=utf-8"
            return Response(
                data, status=200, content_type=ctype, headers={**validators, **(headers or {}), **(extra or {})}
            )

        return answer

    def serve(self, server: HTTPServer, path: str, body: Any, **kw: Any) -> None:
        """Serve ``body`` at ``path`` conditionally (any query string)."""
        server.expect_request(path).respond_with_handler(self.handler(body, **kw))
