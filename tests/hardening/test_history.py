"""History always opens, and never costs a report.

* Upgrading a schema-1 history is one transaction: a process killed (SIGKILL) before any one of its
  statements, or just before it commits, leaves a history that opens afterwards — the old schema,
  upgraded on that open, or the new one — with every scan loading in full. On SQLite and PostgreSQL.
* Concurrent first use of a new database (12 processes at once) creates the schema exactly once.
* A history that is down or corrupt is a warning and exit 3; the reports are written first.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from scanner.cli import main
from scanner.store import HistoryStore, database_url
from tests.drift.test_store import v1_history
from tests.hardening import figures
from tests.hardening.bundles import DEMO

ROOT = Path(__file__).resolve().parents[2]

#: Opens a history, killing itself before statement N (or, N = -1, just before the commit).
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    import sqlalchemy as sa
    from scanner.store import HistoryStore, database_url

    url, stop = sys.argv[1], int(sys.argv[2])
    seen = {"n": 0}

    @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        seen["n"] += 1
        if seen["n"] == stop:
            os.kill(os.getpid(), signal.SIGKILL)

    @sa.event.listens_for(sa.engine.Engine, "commit")
    def _commit(conn):
        if stop == -1:
            os.kill(os.getpid(), signal.SIGKILL)

    HistoryStore.open(database_url(url, None)).close()
    print(seen["n"], flush=True)
    """
)


def _killer(url: str, stop: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", KILLER, url, str(stop)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def _opens_with_every_scan(url: str) -> None:
    store = HistoryStore.open(database_url(url, None))
    try:
        ids = store.latest(10)
        assert ids == [1]
        old = store.load(1)
        assert {r.node for r in old.reach} == {"aws:role:a", "aws:user:u0"}
        a = next(r for r in old.reach if r.node == "aws:role:a")
        assert old.summaries[a.summary].prod == ("env:prod",)
    finally:
        store.close()


def _kill_at_every_statement(fresh: Callable[[], str]) -> dict[str, int]:
    url = fresh()
    v1_history(url)
    done = _killer(url, 10**9)
    assert done.returncode == 0, done.stderr
    total = int(done.stdout.strip())
    assert total > 5
    stops = [*range(1, total + 1), -1]

    def trial(stop: int) -> str:
        u = fresh()
        v1_history(u)
        proc = _killer(u, stop)
        assert proc.returncode == -signal.SIGKILL, (stop, proc.returncode, proc.stderr[-500:])
        _opens_with_every_scan(u)
        return "killed"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(trial, stops))
    return {"statements in the upgrade": total, "kills": len(outcomes), "histories that opened": len(outcomes)}


def test_sqlite_upgrade_killed_at_every_statement_opens_afterwards(tmp_path: Path) -> None:
    def fresh() -> str:
        return f"sqlite:///{tmp_path / f'h{uuid.uuid4().hex[:12]}.db'}"

    counts = _kill_at_every_statement(fresh)
    for db in tmp_path.glob("h*.db"):
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    figures.record("history--upgrade-kill-sqlite", {f"sqlite: {k}": v for k, v in counts.items()})


@pytest.fixture
def pg_base() -> str:
    url = os.environ.get("REGWARDEN_TEST_PG_URL")
    if not url:
        env_file = Path(os.environ.get("REGWARDEN_PG_ENV_FILE", "/tmp/regwarden-pg/env"))
        if env_file.exists():
            for line in env_file.read_text().splitlines():
                if line.startswith("REGWARDEN_TEST_PG_URL="):
                    url = line.split("=", 1)[1].strip()
    if not url:
        pytest.skip("PostgreSQL not available: run .ci/setup-postgres.sh (sets REGWARDEN_TEST_PG_URL)")
    return url


def _pg_schema(base: str, schemas: list[str]) -> str:
    """A new, empty schema of its own (the database is shared with other tests) as a URL."""
    name = f"hardening_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(database_url(base, None))
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    schemas.append(name)
    return f"{base}?options=-csearch_path%3D{name}"


@pytest.fixture
def pg_schemas(pg_base: str) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    engine = sa.create_engine(database_url(pg_base, None))
    with engine.begin() as conn:
        for name in made:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    engine.dispose()


def test_postgresql_upgrade_killed_at_every_statement_opens_afterwards(pg_base: str, pg_schemas: list[str]) -> None:
    lock = threading.Lock()

    def fresh() -> str:
        with lock:
            return _pg_schema(pg_base, pg_schemas)

    counts = _kill_at_every_statement(fresh)
    figures.record("history--upgrade-kill-postgresql", {f"postgresql: {k}": v for k, v in counts.items()})


OPENER = "import sys; from scanner.store import HistoryStore, database_url; HistoryStore.open(database_url(sys.argv[1], None)).close()"


def _open_concurrently(url: str, n: int = 12) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for _ in range(n)
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


def test_concurrent_first_use_of_a_new_database_creates_the_schema_once(
    tmp_path: Path, pg_base: str, pg_schemas: list[str]
) -> None:
    for url in (f"sqlite:///{tmp_path / 'new.db'}", _pg_schema(pg_base, pg_schemas)):
        results = _open_concurrently(url)
        assert [r.returncode for r in results] == [0] * len(results), [r.stderr[-300:] for r in results if r.returncode]
        store = HistoryStore.open(database_url(url, None))
        try:
            with store.engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT key, value FROM regwarden_meta")).all()
            assert rows == [("schema_version", "2")]
        finally:
            store.close()
    figures.record("history--concurrent-first-use", {"processes opening a new database at once (x2 backends)": 12})


# --- history down: the reports are written, exit 3 -----------------------------------------------


@pytest.mark.parametrize("kind", ["postgresql down", "sqlite corrupt", "sqlite folder unwritable"])
def test_a_history_that_is_down_costs_no_report(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if kind == "postgresql down":
        history = '[history]\nurl_env = "HIST_URL"\n'
        monkeypatch.setenv("HIST_URL", "postgresql://regwarden@127.0.0.1:1/nowhere?connect_timeout=2")
    elif kind == "sqlite corrupt":
        db = tmp_path / "history.db"
        db.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
        history = f'[history]\npath = "{db}"\n'
    else:
        locked = tmp_path / "ro"
        locked.mkdir()
        history = f'[history]\npath = "{locked / "sub" / "history.db"}"\n'
        (locked / "sub").write_text("a file where the folder should be", encoding="utf-8")
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(history, encoding="utf-8")
    out = tmp_path / "out"
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    code = main(["analyse", str(DEMO), "-o", str(out), "-f", "json,html", "-c", str(cfg), "--fail-on", "none"])
    assert code == 3, err.getvalue()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["findings"]
    assert (out / "report.html").is_file()
    warnings = [x for x in err.getvalue().splitlines() if "warning: history" in x]
    assert warnings
    assert "Traceback" not in err.getvalue()
    figures.record(f"history--down-{kind.replace(' ', '-')}", {f"{kind}: reports written, exit 3": 1})


def test_an_unknown_history_url_scheme_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text('[history]\nurl = "oracle+nodriver://db.example/x"\n', encoding="utf-8")
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    code = main(["analyse", str(DEMO), "-o", str(tmp_path / "out"), "-c", str(cfg)])
    assert code == 2, err.getvalue()
    assert len(err.getvalue().strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
