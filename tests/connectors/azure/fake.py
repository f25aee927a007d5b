"""A fake ARM + Microsoft Graph + Azure Resource Graph server for pytest-httpserver that serves a bundle
folder by API path.

Bundle files are named after the API path that returns them, so the fake needs no table: ARM
``GET /subscriptions/...`` is ``azure/subscriptions/....json`` and Graph ``GET /graph/v1.0/...`` is
``azure/graph/v1.0/....json``. Lists are served one page at a time (ARM ``nextLink``, Graph
``@odata.nextLink``), and answers can be replaced by errors or throttling for chosen paths.

Resource Graph (``POST /providers/Microsoft.ResourceGraph/resources``) answers from the same
per-subscription files, so that both ways of collecting see one estate: role assignments are the
union of the subscriptions' lists (a management-group or root assignment listed for a subscription
sits above it, which also gives each subscription's ancestor chain), built-in role definitions are
tenant-level rows as Resource Graph has them, and pages are cut by ``$top`` with an opaque
``$skipToken`` bound to the query and scopes. The documented limits are enforced (at most 1,000
subscriptions and 1,000 rows a request) and the ``x-ms-user-quota-*`` headers are sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

GRAPH_PREFIX = "/graph"
RG_PATH = "/providers/Microsoft.ResourceGraph/resources"
_RG_QUERY = re.compile(r"^(\w+) \| where type =~ '([^']+)' \| project id, name, type, properties$")
_ABOVE = {"AtScopeAndAbove", "AtScopeAboveAndBelow"}
_MG = "/providers/microsoft.management/managementgroups/"


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
    #: Resource Graph: request bodies received, failures by predicate on the body, queries left in the quota.
    rg_requests: list[dict[str, Any]] = field(default_factory=list)
    rg_failures: list[tuple[Callable[[dict[str, Any]], bool], Failure]] = field(default_factory=list)
    quota: int | None = None
    _model: _RgModel | None = field(default=None, init=False, repr=False)

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

    def fail_query(
        self, match: Callable[[dict[str, Any]], bool], status: int, times: int = -1, retry_after: str | None = None
    ) -> None:
        """Make Resource Graph requests whose body ``match``es answer ``status``."""
        code = {403: "AuthorizationFailed", 429: "RateLimiting"}.get(status, "Error")
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {"error": {"code": code, "message": f"fake {status}"}}
        self.rg_failures.append((match, Failure(status, times, headers, body)))

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
        if path == RG_PATH and req.method == "POST":
            return self._resource_graph(req)
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

    # --- Resource Graph ---------------------------------------------------------------------------------

    def _bad(self, message: str) -> Response:
        return self._json({"error": {"code": "BadRequest", "message": message}}, 400)

    def _resource_graph(self, req: Request) -> Response:
        try:
            body = json.loads(req.data)
        except json.JSONDecodeError:
            return self._bad("body is not JSON")
        self.rg_requests.append(body)
        for match, failure in self.rg_failures:
            if failure.times != 0 and match(body):
                failure.times -= 1 if failure.times > 0 else 0
                return self._json(failure.body, failure.status, failure.headers)
        subs, query, options = body.get("subscriptions"), body.get("query", ""), body.get("options", {})
        if req.args.get("api-version") != "2022-10-01":
            return self._bad("unsupported api-version")
        if not isinstance(subs, list) or not 1 <= len(subs) <= 1000:
            return self._bad("between 1 and 1000 subscriptions a request")
        top = options.get("$top", 100)
        if not 1 <= top <= 1000 or options.get("resultFormat", "objectArray") != "objectArray":
            return self._bad("$top is 1..1000 and this fake answers objectArray only")
        m = _RG_QUERY.match(query)
        if m is None:
            return self._bad(f"this fake does not know the query {query!r}")
        rows = self._rg_model().rows(m.group(1).lower(), m.group(2).lower(), subs, options)
        offset = 0
        if "$skipToken" in options:
            try:
                _, at = base64.b64decode(options["$skipToken"]).decode().rsplit(":", 1)
                offset = int(at)
            except ValueError:
                return self._bad("invalid $skipToken")
            if options["$skipToken"] != self.skip_token(query, subs, offset):
                return self._bad("$skipToken used with another query or scopes")
        page = rows[offset : offset + top]
        out: dict[str, Any] = {
            "totalRecords": len(rows),
            "count": len(page),
            "resultTruncated": "false",
            "facets": [],
            "data": page,
        }
        if offset + top < len(rows):
            out["$skipToken"] = self.skip_token(query, subs, offset + top)
        headers = {}
        if self.quota is not None:
            left = max(0, self.quota - len(self.rg_requests))
            headers = {"x-ms-user-quota-remaining": str(left), "x-ms-user-quota-resets-after": "00:00:02"}
        if self.edit is not None:
            out = self.edit(RG_PATH, out)
        return self._json(out, headers=headers)

    @staticmethod
    def skip_token(query: str, subs: list[str], offset: int) -> str:
        """The fake's opaque ``$skipToken``: an offset bound to the query and the subscriptions."""
        bound = hashlib.sha256(json.dumps([query, subs]).encode()).hexdigest()[:12]
        return base64.b64encode(f"{bound}:{offset}".encode()).decode()

    def _rg_model(self) -> _RgModel:
        if self._model is None:
            self._model = _RgModel.read(self.root)
        return self._model


def _type(row: dict[str, Any], row_type: str) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "type": row_type, "properties": row["properties"]}


@dataclass
class _RgModel:
    """The estate as Resource Graph holds it, read from the per-subscription files."""

    subscriptions: dict[str, dict[str, Any]]
    assignments: list[dict[str, Any]]
    definitions: list[dict[str, Any]]
    chains: dict[str, list[str]]

    @classmethod
    def read(cls, root: Path) -> _RgModel:
        base = root / "azure" / "subscriptions"
        subs = {p.stem.lower(): json.loads(p.read_text(encoding="utf-8")) for p in sorted(base.glob("*.json"))}
        assignments: dict[str, dict[str, Any]] = {}
        definitions: dict[str, dict[str, Any]] = {}
        chains: dict[str, list[str]] = {}
        for sub in subs:
            authz = base / sub / "providers" / "Microsoft.Authorization"
            ras = authz / "roleAssignments.json"
            for ra in json.loads(ras.read_text(encoding="utf-8"))["value"] if ras.is_file() else []:
                assignments.setdefault(ra["id"].lower(), _type(ra, "microsoft.authorization/roleassignments"))
                scope = ra["properties"]["scope"].lower()
                if scope.startswith(_MG):
                    group = scope[len(_MG) :].split("/")[0]
                    if group not in chains.setdefault(sub, []):
                        chains[sub].append(group)
            rds = authz / "roleDefinitions.json"
            for rd in json.loads(rds.read_text(encoding="utf-8"))["value"] if rds.is_file() else []:
                row = _type(rd, "microsoft.authorization/roledefinitions")
                if rd["properties"].get("type") == "BuiltInRole":  # built-in roles are tenant-level rows
                    row["id"] = f"/providers/Microsoft.Authorization/roleDefinitions/{rd['name']}"
                definitions.setdefault(rd["name"].lower(), row)
        return cls(
            subs, sorted(assignments.values(), key=lambda r: r["id"].lower()), list(definitions.values()), chains
        )

    def rows(self, table: str, row_type: str, subs: list[str], options: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows of one query over ``subs``, sorted by id (the order $skipToken paging keeps)."""
        wanted = {s.lower() for s in subs}
        above = options.get("authorizationScopeFilter", "AtScopeAndBelow") in _ABOVE
        groups = {g for s in wanted for g in self.chains.get(s, [])}
        out: list[dict[str, Any]] = []
        if (table, row_type) == ("authorizationresources", "microsoft.authorization/roleassignments"):
            for ra in self.assignments:
                scope = ra["properties"]["scope"].lower().rstrip("/")
                if scope.startswith("/subscriptions/"):
                    keep = scope.split("/")[2] in wanted
                elif scope.startswith(_MG):
                    keep = above and scope[len(_MG) :].split("/")[0] in groups
                else:
                    keep = above and scope == ""
                if keep:
                    out.append(ra)
        elif (table, row_type) == ("authorizationresources", "microsoft.authorization/roledefinitions"):
            for rd in self.definitions:
                rid = rd["id"].lower()
                keep = rid.split("/")[2] in wanted if rid.startswith("/subscriptions/") else above
                if keep:
                    out.append(rd)
        elif (table, row_type) == ("resourcecontainers", "microsoft.resources/subscriptions"):
            for sub in sorted(wanted & self.subscriptions.keys()):
                info = self.subscriptions[sub]
                chain = [{"name": g, "displayName": g} for g in self.chains.get(sub, [])]
                props = {"state": info.get("state", "Enabled"), "managementGroupAncestorsChain": chain}
                row = {"id": f"/subscriptions/{sub}", "name": info.get("displayName", sub), "properties": props}
                out.append({**row, "type": row_type})
        return sorted(out, key=lambda r: str(r["id"]).lower())
