"""A fake of the GCP REST APIs, served by pytest-httpserver from the fixture bundle.

Each bundle file is the answer of the REST path it is named after (``gcp/projects/p/triggers.json`` is
``GET /v1/projects/p/triggers``; ``.../getIamPolicy.json`` is ``:getIamPolicy``), so one fake serves
Resource Manager v3, Artifact Registry, IAM and Cloud Build on one port. List answers are paged
``page_size`` items at a time with ``nextPageToken``; ``fail`` injects error answers per path.

The same files are the one data model behind the derived answers: ``folders.list`` and
``projects.list`` (``?parent=``) come from the folder and project files, and Cloud Asset Inventory
``GET /v1/{scope}:searchAllIamPolicies`` returns an ``IamPolicySearchResult`` for every
``getIamPolicy.json`` with a binding under the scope (bindings only, as the search returns them),
filtered by ``assetTypes`` and sorted by resource.
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
    "results",
)
CRM = "//cloudresourcemanager.googleapis.com"
SEARCH = ":searchAllIamPolicies"
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
    # name service accounts in search results by unique id (``.../serviceAccounts/1000…``) instead of email
    sa_unique_ids: bool = False
    # the query parameters of every search request, in order
    searches: list[dict[str, list[str]]] = field(default_factory=list)

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
        if path.startswith("/v1/") and path.endswith(SEARCH):
            return self._json(self._search(request, path.removeprefix("/v1/").removesuffix(SEARCH)))
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
        if rel in ("folders", "projects") and "parent" in request.args and not file.is_file():
            children = [d for d in self._metas(rel) if d.get("parent") == request.args["parent"]]
            return self._json(self._page({rel: children}, request.args.get("pageToken", "")))
        if not file.is_file():
            return self._error(404, f"Requested entity was not found: {rel}")
        data = json.loads(file.read_text())
        return self._json(self._page(data, request.args.get("pageToken", "")))

    # --- the derived answers ------------------------------------------------------------------------

    def _metas(self, kind: str) -> list[dict[str, Any]]:
        return [json.loads(f.read_text()) for f in sorted((self.root / "gcp" / kind).glob("*.json"))]

    def _chain(self, parent: str | None) -> list[str]:
        """``parent`` and the containers above it."""
        parents = {d["name"]: d.get("parent") for d in self._metas("folders") + self._metas("organizations")}
        chain: list[str] = []
        while parent:
            chain.append(parent)
            parent = parents.get(parent)
        return chain

    def _results(self) -> list[tuple[set[str], dict[str, Any]]]:
        """Every non-empty policy as (the scopes it is under, its ``IamPolicySearchResult``)."""
        projects = {d["projectId"]: d for d in self._metas("projects")}
        out = []
        for f in sorted((self.root / "gcp").rglob("getIamPolicy.json")):
            bindings = json.loads(f.read_text()).get("bindings")
            if not bindings:
                continue
            parts = f.relative_to(self.root / "gcp").parts[:-1]
            if parts[0] in ("organizations", "folders"):
                name = f"{parts[0]}/{parts[1]}"
                meta = json.loads((self.root / "gcp" / f"{name}.json").read_text())
                chain = [name, *self._chain(meta.get("parent"))]
                kind = "Organization" if parts[0] == "organizations" else "Folder"
                result = {"resource": f"{CRM}/{name}", "assetType": f"cloudresourcemanager.googleapis.com/{kind}"}
                under = set(chain)
            else:
                meta = projects[parts[1]]
                chain = self._chain(meta.get("parent"))
                result = self._project_resource(parts) | {"project": meta["name"]}
                under = {f"projects/{parts[1]}", meta["name"], *chain}
            folders = [c for c in chain if c.startswith("folders/")]
            orgs = [c for c in chain if c.startswith("organizations/")]
            extra: dict[str, Any] = {"folders": folders} if folders else {}
            if orgs:
                extra["organization"] = orgs[0]
            out.append((under, {**result, **extra, "policy": {"bindings": bindings}}))
        return out

    def _project_resource(self, parts: tuple[str, ...]) -> dict[str, str]:
        pid = parts[1]
        if len(parts) == 2:
            return {"resource": f"{CRM}/projects/{pid}", "assetType": "cloudresourcemanager.googleapis.com/Project"}
        if parts[2] == "serviceAccounts":
            sa = parts[3]
            if self.sa_unique_ids:
                listed = json.loads((self.root / "gcp" / "projects" / pid / "serviceAccounts.json").read_text())
                sa = next(a["uniqueId"] for a in listed["accounts"] if a["email"] == sa)
            return {
                "resource": f"//iam.googleapis.com/projects/{pid}/serviceAccounts/{sa}",
                "assetType": "iam.googleapis.com/ServiceAccount",
            }
        return {
            "resource": f"//artifactregistry.googleapis.com/projects/{pid}/{'/'.join(parts[2:])}",
            "assetType": "artifactregistry.googleapis.com/Repository",
        }

    def search(self, scope: str, types: list[str] | None = None) -> list[dict[str, Any]]:
        """Every result ``searchAllIamPolicies`` gives on ``scope`` (all pages), sorted by resource."""
        found = [r for under, r in self._results() if scope in under and (not types or r["assetType"] in types)]
        return sorted(found, key=lambda r: str(r["resource"]))

    def _search(self, request: Request, scope: str) -> Any:
        self.searches.append({k: request.args.getlist(k) for k in request.args})
        results = self.search(scope, request.args.getlist("assetTypes"))
        return self._page({"results": results}, request.args.get("pageToken", ""))

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
