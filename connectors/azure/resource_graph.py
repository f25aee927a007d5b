"""Role assignments and definitions of every subscription at once, through Azure Resource Graph.

``POST /providers/Microsoft.ResourceGraph/resources`` answers up to 1,000 rows a page for up to 1,000
subscriptions a request (the API's limits), so the calls grow with the rows, not with subscriptions
times list calls. Three queries: role assignments and role definitions (``authorizationresources``,
asked for what lies above the subscriptions too — the management-group and root assignments ARM
lists for each subscription) and the subscriptions' management-group ancestor chains
(``resourcecontainers``), with which the loader hands each inherited assignment to the subscriptions
below it.

Each page is one recorded call. A query that fails for a batch of subscriptions is one failed call
naming them (a coverage gap) and stores none of that batch's rows; each stored answer lists the
subscriptions it covers. An answer cut short (``resultTruncated`` without a ``$skipToken``) keeps
the rows that came and is recorded as a failed call too, never dropped in silence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from connectors._http import RestClient, decode_json
from connectors.azure.load import RG_ASSIGNMENTS, RG_DEFINITIONS, RG_SUBSCRIPTIONS, RG_TABLES, resource_graph_file
from scanner.bundle import BundleWriter
from scanner.errors import ConnectorError

PROVIDER = "azure"
SCOPE = "resource-graph"
PATH = "/providers/Microsoft.ResourceGraph/resources"
API_VERSION = "2022-10-01"
MAX_SUBSCRIPTIONS = 1000  # per request
PAGE_ROWS = 1000  # options.$top maximum
QUERIES = (RG_ASSIGNMENTS, RG_DEFINITIONS, RG_SUBSCRIPTIONS)


def query_text(name: str) -> str:
    """The Kusto query of one stored answer (also what docs/bundle.md gives for ``az graph query``)."""
    table, row_type = RG_TABLES[name]
    return f"{table} | where type =~ '{row_type}' | project id, name, type, properties"


def request_body(name: str, subscriptions: Sequence[str], skip_token: str | None = None) -> dict[str, Any]:
    """The request for one page of one query over one batch of subscriptions."""
    options: dict[str, Any] = {"$top": PAGE_ROWS, "resultFormat": "objectArray"}
    if RG_TABLES[name][0] == "authorizationresources":
        # Default is AtScopeAndBelow, which leaves out the management-group and root assignments above.
        options["authorizationScopeFilter"] = "AtScopeAboveAndBelow"
    if skip_token is not None:
        options["$skipToken"] = skip_token
    return {"subscriptions": list(subscriptions), "query": query_text(name), "options": options}


def _duration(value: str | None) -> float | None:
    """``x-ms-user-quota-resets-after`` is ``hh:mm:ss``."""
    parts = (value or "").strip().split(":")
    if len(parts) != 3:
        return None
    try:
        h, m, s = (float(p) for p in parts)
    except ValueError:
        return None
    return h * 3600 + m * 60 + s


@dataclass
class _Quota:
    """Resource Graph's per-user quota: when an answer says none is left, wait (at most ``max_wait``)
    for it to reset before the next request, rather than walk into a 429."""

    sleep: Callable[[float], None]
    max_wait: float
    pending: float = 0.0

    def before(self) -> None:
        if self.pending > 0:
            self.sleep(self.pending)
        self.pending = 0.0

    def after(self, resp: httpx.Response) -> None:
        if resp.headers.get("x-ms-user-quota-remaining", "").strip() == "0":
            reset = _duration(resp.headers.get("x-ms-user-quota-resets-after"))
            self.pending = min(reset, self.max_wait) if reset is not None else 0.0


@dataclass(frozen=True)
class _Page:
    rows: list[dict[str, Any]]
    skip_token: str | None
    truncated: bool


def _parse(body: Any, what: str) -> _Page:
    """One page in the documented shape, or a one-line error naming the call."""
    if not isinstance(body, dict):
        raise ConnectorError(f"{what}: malformed answer (not a JSON object)")
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in data):
        raise ConnectorError(f"{what}: malformed answer ('data' is not a list of rows with an id)")
    token = body.get("$skipToken")
    if token is not None and not isinstance(token, str):
        raise ConnectorError(f"{what}: malformed answer ('$skipToken' is not a string)")
    truncated = body.get("resultTruncated", "false")  # a string enum in the spec; tolerate a boolean
    if isinstance(truncated, str) and truncated.lower() in ("true", "false"):
        truncated = truncated.lower() == "true"
    if not isinstance(truncated, bool):
        raise ConnectorError(f"{what}: malformed answer ('resultTruncated' is {truncated!r})")
    return _Page(data, token or None, truncated)


def _not_assessed(batch: Sequence[str]) -> str:
    return f"not assessed for {len(batch)} subscription(s): {', '.join(batch)}"


@dataclass
class _Query:
    """One query over every batch: pages fetched, recorded and merged."""

    client: RestClient
    writer: BundleWriter
    quota: _Quota
    name: str

    def _given_up(self) -> None:
        """Count a call given up here, on what its answer said, in the run's tally; the client counts
        the calls it gives up itself (HTTP errors, retries spent)."""
        if self.client.session is not None:
            self.client.session.count(PROVIDER, failed=1)

    @property
    def call(self) -> str:
        return f"POST {PATH} {self.name}"

    def batch(self, batch: Sequence[str], where: str) -> tuple[list[dict[str, Any]], bool]:
        """Every page for one batch: its rows, and whether the answer was cut short."""
        rows: list[dict[str, Any]] = []
        tokens: set[str] = set()
        token: str | None = None
        page_no = 0
        while True:
            page_no += 1
            what = f"azure POST {PATH} ({self.name}, {where}, page {page_no})"
            self.quota.before()
            resp = self.client.post(PATH, request_body(self.name, batch, token), {"api-version": API_VERSION})
            self.quota.after(resp)
            try:
                page = _parse(decode_json(resp, PROVIDER), what)
            except ConnectorError:
                self._given_up()
                raise
            rows.extend(page.rows)
            if page.skip_token is None and page.truncated:
                self._given_up()
                self.writer.record(
                    PROVIDER,
                    SCOPE,
                    self.call,
                    "failed",
                    f"{what}: resultTruncated without a $skipToken after {len(rows)} row(s); "
                    f"the rest are missing: {_not_assessed(batch)}",
                )
                return rows, True
            self.writer.record(PROVIDER, SCOPE, self.call, "ok", f"{where}, page {page_no}")
            if page.skip_token is None:
                return rows, False
            if page.skip_token in tokens:
                self._given_up()
                raise ConnectorError(f"{what}: pagination loop ($skipToken repeated)")
            tokens.add(page.skip_token)
            token = page.skip_token

    def run(self, batches: Sequence[Sequence[str]]) -> None:
        """Query every batch and store the merged answer with the subscriptions it covers."""
        rows: dict[str, dict[str, Any]] = {}  # by id: rows above the subscriptions come back for every batch
        covered: list[str] = []
        cut_short = False
        for i, batch in enumerate(batches, start=1):
            where = f"batch {i}/{len(batches)}"
            try:
                got, truncated = self.batch(batch, where)
            except ConnectorError as e:
                said = str(e) if where in str(e) else f"{e} ({where})"
                self.writer.record(PROVIDER, SCOPE, self.call, "failed", f"{said}; {_not_assessed(batch)}")
                continue
            cut_short = cut_short or truncated
            for row in got:
                rows.setdefault(row["id"].lower(), row)
            covered.extend(batch)
        if not covered:
            return
        data = list(rows.values())
        self.writer.put_json(
            resource_graph_file(self.name),
            {
                "subscriptions": covered,
                "query": query_text(self.name),
                "totalRecords": len(data),
                "count": len(data),
                "resultTruncated": "true" if cut_short else "false",
                "data": data,
            },
        )


def collect(
    client: RestClient,
    subscriptions: Sequence[str],
    writer: BundleWriter,
    *,
    sleep: Callable[[float], None],
    max_wait: float,
) -> None:
    """Run the three queries over ``subscriptions`` in batches of :data:`MAX_SUBSCRIPTIONS`."""
    batches = [subscriptions[i : i + MAX_SUBSCRIPTIONS] for i in range(0, len(subscriptions), MAX_SUBSCRIPTIONS)]
    quota = _Quota(sleep, max_wait)
    for name in QUERIES:
        _Query(client, writer, quota, name).run(batches)
