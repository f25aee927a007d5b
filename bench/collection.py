"""The collection row of ``make bench``: a first scan and an unchanged re-scan of a fake GitHub
organization of 2,000 repositories, served locally with GitHub's rate limit enforced.

The organization is the benchmark generator's GitHub part (:mod:`bench.gen_github_pypi`, one
organization), served by a small HTTP server in its own process that answers like GitHub does: a
strong ``ETag`` on every answer, ``304 Not Modified`` to a matching ``If-None-Match`` (not counted
against the budget), the ``x-ratelimit-*`` headers on every answer, and ``403`` with
``x-ratelimit-remaining: 0`` to any counted call past the budget of the window. Endpoints the
generator has no file for answer what an ordinary repository answers (no deploy keys, no tags, no
runs in the window, the default OIDC subject); one repository in ten has the dependency graph off
(``404``, never cached, counted every time — as GitHub does).

Time: the budget is GitHub's, 5,000 calls an hour. Nobody waits hours for a benchmark, so the clock
is virtual: both processes read ``wall clock + seconds skipped``, and the collector's injected
sleeper adds a pause to the skipped seconds instead of sleeping. A scan's **elapsed** time is its
wall time plus the pauses it would have slept; the wall time alone is reported beside it.

``python -m bench.collection [--repos 2000] [--limit 5000] [--out FILE]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ORG = "acme-0"
WINDOW = 3600.0
TOKEN = "FAKE-BENCH-TOKEN"  # noqa: S105 - an obviously fake value for a local server
SBOM_OFF_EVERY = 10
#: One repository in this many has a CODEOWNERS file (in ``.github/``).
CODEOWNERS_EVERY = 2


def build(root: Path, repos: int, seed: int = 7) -> Path:
    """Generate one organization of ``repos`` repositories into ``root`` (bundle-shaped)."""
    from bench.gen_github_pypi import plan_repos, write_github
    from bench.sizes import Size, Writer

    size = Size("collection", 0, 0, 0, 0, 0, 0, 0, gh_orgs=1, gh_repos=repos, pypi_users=0)
    plans = plan_repos(size, seed, [])
    w = Writer(root)
    write_github(w, size, seed, plans)
    for p in plans[::CODEOWNERS_EVERY]:  # the others have none: three 404s each (GitHub looks in three places)
        w.text(f"github/repos/{p.full_name}/contents/.github/CODEOWNERS", f"* @{p.org}/maintainers\n")
    return root / "github"


def _sbom(full: str) -> dict[str, Any]:
    return {
        "sbom": {
            "SPDXID": "SPDXRef-DOCUMENT",
            "spdxVersion": "SPDX-2.3",
            "creationInfo": {"created": "2026-01-05T10:00:00Z", "creators": ["Tool: GitHub.com-Dependency-Graph"]},
            "name": f"com.github.{full}",
            "dataLicense": "CC0-1.0",
            "documentNamespace": f"https://github.com/{full}/dependency_graph/sbom-0",
            "packages": [],
            "relationships": [],
        }
    }


#: What an ordinary repository answers where the generator wrote no file (path suffix -> body).
REPO_DEFAULTS: dict[str, Callable[[str], Any]] = {
    "keys": lambda _full: [],
    "teams": lambda _full: [],
    "tags": lambda _full: [],
    "actions/runs": lambda _full: {"total_count": 0, "workflow_runs": []},
    "actions/oidc/customization/sub": lambda _full: {"use_default": True},
    "dependency-graph/sbom": _sbom,
    "environments/*/secrets": lambda _full: {"total_count": 0, "secrets": []},
}
ORG_DEFAULTS: dict[str, Any] = {
    "personal-access-tokens": [],
    "installations": {"total_count": 0, "installations": []},
    "actions/oidc/customization/sub": {"include_claim_keys": ["repo", "context"]},
}


class Estate:
    """The answers of the fake API, by path: JSON documents, committed files, directory listings."""

    def __init__(self, root: Path) -> None:
        self.files: dict[str, bytes] = {}
        self.dirs: dict[str, list[str]] = {}
        for p in sorted(root.rglob("*")):
            if p.is_file():
                rel = "/" + p.relative_to(root).as_posix()
                self.files[rel] = p.read_bytes()
                parent, _, name = rel.rpartition("/")
                self.dirs.setdefault(parent, []).append(name)

    def answer(self, path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) of a GET of ``path`` (no query)."""
        if path in self.files:  # a committed file, asked for with the raw media type
            return 200, self.files[path], "text/plain; charset=utf-8"
        if path + ".json" in self.files:
            return 200, self.files[path + ".json"], "application/json; charset=utf-8"
        if path.endswith("/contents/.github/workflows") and path in self.dirs:
            listing = [{"name": n, "path": f".github/workflows/{n}", "type": "file"} for n in sorted(self.dirs[path])]
            return 200, json.dumps(listing).encode(), "application/json; charset=utf-8"
        parts = path.strip("/").split("/")
        if parts[0] == "orgs" and len(parts) > 2:
            rest = "/".join(parts[2:])
            if rest in ORG_DEFAULTS:
                return 200, json.dumps(ORG_DEFAULTS[rest]).encode(), "application/json; charset=utf-8"
        if parts[0] == "repos" and len(parts) > 3:
            full, rest = "/".join(parts[1:3]), "/".join(parts[3:])
            off = (
                rest == "dependency-graph/sbom"
                and int(hashlib.sha256(full.encode()).hexdigest(), 16) % SBOM_OFF_EVERY == 0
            )
            if parts[3] == "environments" and len(parts) == 6 and parts[5] == "secrets":
                rest = "environments/*/secrets"  # an environment without secrets of its own
            if rest in REPO_DEFAULTS and not off:
                return 200, json.dumps(REPO_DEFAULTS[rest](full)).encode(), "application/json; charset=utf-8"
        return 404, b'{"message": "Not Found"}', "application/json; charset=utf-8"


def _serve(root: str, port: Any, skipped: Any, wall0: float, limit: int, stats: Any, ready: Any) -> None:
    """The server process: answers until killed."""
    from connectors.github.owners import CODEOWNERS_PATHS

    estate = Estate(Path(root))
    lock = threading.Lock()
    window = {"reset": 0.0, "used": 0}

    def now() -> float:
        return float(time.time() - wall0 + skipped.value + 1.8e9)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One write per answer: headers and body written apart meet Nagle's algorithm and the
        # client's delayed ACK (~40 ms an answer), which would make bodies look far costlier than 304s.
        wbufsize = 1 << 16

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            """``POST /graphql``: the bulk query of :mod:`connectors.github.graphql`, from the same files
            (GraphQL has its own budget at GitHub; counted here in ``stats[4]``, not in the REST one)."""
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            variables = body["variables"]
            data: dict[str, Any] = {}
            for i in range(len(variables) // 2):
                folder = f"/repos/{variables[f'o{i}']}/{variables[f'n{i}']}/contents/.github/workflows"
                names = sorted(estate.dirs.get(folder, []))
                entries = [
                    {"name": n, "type": "blob", "mode": 0o100644,
                     "object": {"text": estate.files[f"{folder}/{n}"].decode(), "isBinary": False, "isTruncated": False}}
                    for n in names
                ]  # fmt: skip
                repo = f"/repos/{variables[f'o{i}']}/{variables[f'n{i}']}/contents"
                data[f"r{i}"] = {"object": {"__typename": "Tree", "entries": entries} if names else None}
                for j, where in enumerate(CODEOWNERS_PATHS):
                    text = estate.files.get(f"{repo}/{where}")
                    data[f"r{i}"][f"co{j}"] = (
                        None
                        if text is None
                        else {"__typename": "Blob", "text": text.decode(), "isBinary": False, "isTruncated": False}
                    )
            out = json.dumps({"data": data}).encode()
            with lock:
                stats[0] += 1
                stats[4] += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            status, body, ctype = estate.answer(url.path)
            link = None
            if status == 200 and url.path == f"/orgs/{ORG}/repos":
                items = json.loads(body)
                per, page = int(query.get("per_page", ["30"])[0]), int(query.get("page", ["1"])[0])
                body = json.dumps(items[(page - 1) * per : page * per]).encode()
                if page * per < len(items):
                    link = f'<http://{self.headers["Host"]}{url.path}?per_page={per}&page={page + 1}>; rel="next"'
            tag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
            not_modified = status == 200 and self.headers.get("If-None-Match") == tag
            with lock:
                t = now()
                if t >= window["reset"]:
                    # GitHub's reset is a whole second (x-ratelimit-reset is an integer Unix time)
                    window["reset"], window["used"] = float(math.ceil(t + WINDOW)), 0
                stats[0] += 1
                if not_modified:
                    stats[1] += 1
                elif window["used"] >= limit:
                    stats[2] += 1
                    status, body, ctype = 403, b'{"message": "API rate limit exceeded"}', "application/json"
                else:
                    window["used"] += 1
                    stats[3] += 1
                remaining, reset = limit - window["used"], int(window["reset"])
            self.send_response(304 if not_modified and status == 200 else status)
            self.send_header("x-ratelimit-limit", str(limit))
            self.send_header("x-ratelimit-remaining", str(remaining))
            self.send_header("x-ratelimit-reset", str(reset))
            self.send_header("x-ratelimit-resource", "core")
            if status == 200:
                self.send_header("ETag", tag)
            if link and not not_modified:
                self.send_header("Link", link)
            if not_modified and status == 200:
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_address[1]
    ready.set()
    server.serve_forever()


class VirtualClock:
    """Unix time = wall time + the pauses skipped; ``sleep`` skips instead of sleeping."""

    def __init__(self, skipped: Any, wall0: float) -> None:
        self.skipped, self.wall0 = skipped, wall0

    def now(self) -> float:
        """The virtual time."""
        return float(time.time() - self.wall0 + self.skipped.value + 1.8e9)

    def sleep(self, seconds: float) -> None:
        """Skip ``seconds``."""
        with self.skipped.get_lock():
            self.skipped.value += seconds


def _scan(
    base_url: str, bundle: Path, cache: Path, clock: VirtualClock, stats: Any, via: str = "rest"
) -> dict[str, Any]:
    from connectors.github import SPEC
    from connectors.github.fetch import Settings
    from scanner.collect import collect
    from scanner.collect_session import CollectSession

    before = list(stats)
    pauses: list[str] = []
    settings = Settings(
        orgs=[ORG],
        base_url=base_url,
        token_env="REGWARDEN_BENCH_GH_TOKEN",  # noqa: S106
        files_via=via,
    )
    session = CollectSession(cache_dir=cache, clock=clock.now, sleep=clock.sleep, on_event=pauses.append)
    t0, v0, c0 = time.perf_counter(), clock.now(), time.process_time()
    report = collect({"github": settings}, {"github": SPEC}, bundle, workers=1, session=session)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    elapsed = clock.now() - v0
    served = [a - b for a, b in zip(stats, before, strict=True)]
    manifest = json.loads((report.bundle / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["requests"]["github"]
    return {
        "wall_seconds": round(wall, 1),
        "client_cpu_seconds": round(cpu, 1),
        "paused_seconds": round(counts["paced_seconds"], 1),
        "elapsed_seconds": round(elapsed, 1),
        "pauses": len(pauses),
        "requests": served[0],
        "graphql_queries": served[4],
        "counted_calls": served[3] + served[2],
        "not_modified_304": served[1],
        "refused_403": served[2],
        "budget_used": served[3],
        "manifest_requests": counts,
        "failed_calls": sum(1 for c in manifest["calls"] if c["status"] == "failed"),
        "not_assessed": list(report.failed),
        "bundle_files": sum(1 for p in report.bundle.rglob("*") if p.is_file()),
    }


def _same_files(one: Path, two: Path) -> bool:
    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and p.name != "manifest.json"
        }

    return files(one) == files(two)


def run(repos: int = 2000, limit: int = 5000) -> dict[str, Any]:
    """Build the organization, serve it, scan it twice (one cache), return the figures."""
    work = Path(tempfile.mkdtemp(prefix="regwarden-bench-collect-"))
    ctx = mp.get_context("fork")
    skipped, port = ctx.Value("d", 0.0), ctx.Value("i", 0)
    stats = ctx.Array("l", 5)  # requests, 304s, refused, counted-and-answered, GraphQL queries
    ready = ctx.Event()
    wall0 = time.time()
    try:
        root = build(work / "estate", repos)
        proc = ctx.Process(target=_serve, args=(str(root), port, skipped, wall0, limit, stats, ready), daemon=True)
        proc.start()
        try:
            if not ready.wait(60):
                raise SystemExit("bench: the fake GitHub server did not start")
            os.environ["REGWARDEN_BENCH_GH_TOKEN"] = TOKEN
            os.environ["REGWARDEN_INSECURE_HTTP_FOR_LOCAL_TESTS"] = "1"  # a loopback server, for the benchmark only
            base = f"http://127.0.0.1:{port.value}"
            clock = VirtualClock(skipped, wall0)
            cache = work / ".bundle.cache"
            print(f"bench: collection: first scan of {repos:,} repositories …", file=sys.stderr)
            first = _scan(base, work / "first", cache, clock, stats)
            print("bench: collection: unchanged re-scan …", file=sys.stderr)
            again = _scan(base, work / "again", cache, clock, stats)
            print("bench: collection: first scan with files_via = graphql …", file=sys.stderr)
            bulk = _scan(base, work / "bulk", work / ".bulk.cache", clock, stats, "graphql")
            print("bench: collection: unchanged re-scan with files_via = graphql …", file=sys.stderr)
            bulk_again = _scan(base, work / "bulk-again", work / ".bulk.cache", clock, stats, "graphql")
        finally:
            proc.kill()
            proc.join()
        out = {
            "repositories": repos,
            "rate_limit": f"{limit:,} calls per {WINDOW / 3600:g} h (virtual clock: pauses skipped, counted in elapsed)",
            "first_scan": first,
            "rescan": again,
            "first_scan_graphql": bulk,
            "rescan_graphql": bulk_again,
            "rescan_graphql_counted_calls_pct": round(
                100 * bulk_again["counted_calls"] / max(bulk["counted_calls"], 1), 2
            ),
            "graphql_same_bundle_files": _same_files(work / "first", work / "bulk"),
            "same_bundle_files": _same_files(work / "first", work / "again"),
            "rescan_counted_calls_pct": round(100 * again["counted_calls"] / max(first["counted_calls"], 1), 2),
            "rescan_elapsed_pct": round(100 * again["elapsed_seconds"] / max(first["elapsed_seconds"], 1e-9), 2),
            "rescan_wall_pct": round(100 * again["wall_seconds"] / max(first["wall_seconds"], 1e-9), 1),
        }
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(result: dict[str, Any]) -> str:
    """The collection row as text."""
    runs = [result["first_scan"], result["rescan"], result["first_scan_graphql"], result["rescan_graphql"]]

    def row(label: str, fn: Callable[[dict[str, Any]], str]) -> tuple[str, ...]:
        return (label, *(fn(x) for x in runs))

    rows = [
        ("", "first scan", "unchanged re-scan", "first, GraphQL", "re-scan, GraphQL"),
        row("requests sent", lambda x: f"{x['requests']:,}"),
        row("counted REST calls (not 304)", lambda x: f"{x['counted_calls']:,}"),
        row("answered 304 (not counted)", lambda x: f"{x['not_modified_304']:,}"),
        row("GraphQL queries", lambda x: f"{x['graphql_queries']:,}"),
        row("refused for the budget (403)", lambda x: f"{x['refused_403']:,}"),
        row("pauses / paused s", lambda x: f"{x['pauses']} / {x['paused_seconds']:,.0f}"),
        row("wall s", lambda x: f"{x['wall_seconds']:.1f}"),
        row("collector CPU s", lambda x: f"{x['client_cpu_seconds']:.1f}"),
        row("elapsed s (wall + paused)", lambda x: f"{x['elapsed_seconds']:,.0f}"),
        row("failed calls / not assessed", lambda x: f"{x['failed_calls']} / {len(x['not_assessed'])}"),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [f"collection: fake GitHub organization of {result['repositories']:,} repositories, {result['rate_limit']}"]
    lines += [
        "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)) for row in rows
    ]
    lines.append(
        f"re-scan / first scan: counted calls {result['rescan_counted_calls_pct']} %, elapsed "
        f"{result['rescan_elapsed_pct']} %, wall {result['rescan_wall_pct']} %; same bundle files: "
        f"{result['same_bundle_files']}; GraphQL path, same bundle files as REST: {result['graphql_same_bundle_files']}; "
        f"GraphQL re-scan / GraphQL first scan: counted REST calls {result['rescan_graphql_counted_calls_pct']} %"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    ap = argparse.ArgumentParser(prog="python -m bench.collection", description=__doc__)
    ap.add_argument("--repos", type=int, default=2000)
    ap.add_argument("--limit", type=int, default=5000)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("collection-results.json"))
    args = ap.parse_args(argv)
    result = run(args.repos, args.limit)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
