"""Collection on a Dask cluster writes the same bundle as local threads; failed tasks are retried,
then recorded as coverage gaps.

The connector here is a small in-test one whose collector writes provider-shaped files without a
network, so the test is about the engine: scheduling, part-bundles, merging, retries.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from scanner.bundle import BundleReader, BundleWriter
from scanner.collect import Tick, collect
from scanner.errors import ConfigError, ConnectorError
from scanner.executors import DaskExecutor, LocalExecutor, parse_executor
from scanner.model import Inventory
from scanner.plugins import Collector, ConnectorSpec

distributed = pytest.importorskip("distributed")

FIXED = __import__("datetime").datetime(2026, 11, 20, 6, 0, tzinfo=__import__("datetime").UTC)


class Settings(BaseModel):
    """Which scopes the fake provider has and how some of them misbehave."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scopes: tuple[str, ...]
    denied: tuple[str, ...] = ()  # answer 403: a ConnectorError
    flaky: tuple[str, ...] = ()  # raise once, then work (a lost worker, say)
    broken: tuple[str, ...] = ()  # always raise


_attempts: dict[str, int] = {}
_lock = threading.Lock()


def _scopes(s: Settings) -> list[str]:
    return list(s.scopes)


def _collect(s: Settings, scope: str, writer: BundleWriter) -> None:
    with _lock:
        _attempts[scope] = _attempts.get(scope, 0) + 1
        attempt = _attempts[scope]
    if scope in s.broken or (scope in s.flaky and attempt == 1):
        raise RuntimeError(f"worker lost while collecting {scope}")
    items = [{"name": f"{scope}-item-{i}", "id": i} for i in range(3)]
    writer.put_json(f"fake/{scope}/items.json", {"total_count": len(items), "items": items})
    writer.record("fake", scope, f"GET /{scope}/items")
    if scope in s.denied:
        writer.record("fake", scope, f"GET /{scope}/secrets", "failed", "403 Forbidden")
        raise ConnectorError(f"GET /{scope}/secrets: 403 Forbidden")
    writer.put_text(f"fake/{scope}/README.txt", f"scope {scope} — ünïcode kept\n")
    writer.record("fake", scope, f"GET /{scope}/secrets")


def _load(bundle: BundleReader) -> None:
    return None


def _transform(raw: None) -> Inventory:
    return Inventory()


SPEC: ConnectorSpec[None] = ConnectorSpec(
    "fake", "Fake", _load, _transform, collector=Collector(settings=Settings, scopes=_scopes, collect=_collect)
)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None, protocol="inproc://"
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(autouse=True)
def _reset() -> None:
    _attempts.clear()


SCOPES = tuple(f"org-{i:02d}" for i in range(12))


def test_dask_bundle_equals_local_bundle(tmp_path: Path, client: Any) -> None:
    settings = {"fake": Settings(scopes=SCOPES, denied=("org-03",))}
    specs = {"fake": SPEC}
    local = collect(settings, specs, tmp_path / "local", executor=LocalExecutor(3), now=FIXED)
    ticks: list[Tick] = []
    dask = collect(
        settings, specs, tmp_path / "dask", executor=DaskExecutor(client=client), now=FIXED, on_tick=ticks.append
    )
    assert _tree(local.bundle) == _tree(dask.bundle)
    assert len(_tree(dask.bundle)) == 12 + 11 + 1  # items everywhere, README where not denied, manifest
    assert local.failed == dask.failed == ("fake:org-03",)
    assert local.calls == dask.calls == 25  # two calls a scope, and the failed scope's own record
    assert [t.done for t in ticks] == list(range(1, 13))
    assert (ticks[-1].calls, ticks[-1].errors, ticks[-1].total) == (25, 1, 12)
    manifest = BundleReader(dask.bundle).manifest
    assert [c.call for c in manifest.failed()] == ["GET /org-03/secrets", "collect scope"]


def test_a_failed_task_is_retried_then_recorded_as_a_gap(tmp_path: Path, client: Any) -> None:
    settings = {"fake": Settings(scopes=SCOPES[:4], flaky=("org-01",), broken=("org-02",))}
    report = collect(
        settings, {"fake": SPEC}, tmp_path / "b", executor=DaskExecutor(client=client, retries=2), now=FIXED
    )
    assert _attempts["org-01"] == 2  # failed once, retried, collected
    assert _attempts["org-02"] == 3  # one attempt and two retries
    assert report.failed == ("fake:org-02",)
    tree = _tree(report.bundle)
    assert "fake/org-01/items.json" in tree
    assert "fake/org-02/items.json" not in tree
    manifest = BundleReader(report.bundle).manifest
    (gap,) = manifest.failed()
    assert (gap.scope, gap.call) == ("org-02", "collect scope")
    assert "after 3 attempt(s)" in gap.detail
    assert "worker lost while collecting org-02" in gap.detail
    assert "fake:org-02" in manifest.scopes


def test_parse_executor() -> None:
    assert parse_executor("local", 7) == LocalExecutor(7)
    dask = parse_executor("dask://scheduler.example:8786", 4)
    assert isinstance(dask, DaskExecutor)
    assert dask.address == "tcp://scheduler.example:8786"
    other = parse_executor("dask://tls://scheduler.example:8786", 4)
    assert isinstance(other, DaskExecutor)
    assert other.address == "tls://scheduler.example:8786"
    for bad in ("threads", "dask://", "tcp://x:1"):
        with pytest.raises(ConfigError):
            parse_executor(bad, 4)


def test_an_unreachable_scheduler_is_a_config_error(tmp_path: Path) -> None:
    settings = {"fake": Settings(scopes=SCOPES[:1])}
    executor = DaskExecutor(address="tcp://127.0.0.1:1", connect_timeout="1s")
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        collect(settings, {"fake": SPEC}, tmp_path / "b", executor=executor, now=FIXED)
    assert not (tmp_path / "b").exists()
