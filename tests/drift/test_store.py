"""The history database: round trip, retention, first/last seen, a scan killed mid-write, PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scanner.drift.history import CredentialRow, FindingRow, NodeReach, ReachSummary, Snapshot, summary_key
from scanner.store import HistoryStore, database_url

SUMMARIES = (
    ReachSummary((("aws:ecr:r", 0b0001), ("aws:ecr:s", 0b1111)), ("env:prod",)),
    ReachSummary((), ()),
)
KEYS = [summary_key(s) for s in SUMMARIES]

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def snap(i: int, findings: int = 3) -> Snapshot:
    return Snapshot(
        time=T0 + timedelta(hours=6 * i),
        source=f"scan {i}",
        counts={"high": findings, "nodes": 10},
        findings=tuple(FindingRow(f"RB01-{n:04d}", "RB01", "high", f"aws:user:u{n}", "open") for n in range(findings)),
        reach=(
            NodeReach("aws:role:a", "a", "identity", "aws:iam-role", "ab" * 32, 6, KEYS[0]),
            NodeReach("aws:role:b", "b", "identity", "aws:iam-role", "ab" * 32, 6, KEYS[0]),  # shares a's reach
            NodeReach("aws:user:u0", "u0", "identity", "aws:iam-user", "cd" * 32, 1, KEYS[1]),
        ),
        credentials=(CredentialRow("aws:access-key:k", "k", T0 + timedelta(days=3), None),),
        summaries=dict(zip(KEYS, SUMMARIES, strict=True)),
    )


def check_store(store: HistoryStore) -> None:
    a = store.save(snap(0))
    b = store.save(snap(1, findings=2))
    assert store.latest(2) == [b, a]
    loaded = store.load(a)
    assert loaded.findings == snap(0).findings
    assert loaded.reach == snap(0).reach
    assert dict(loaded.summaries) == dict(snap(0).summaries)
    assert loaded.credentials == snap(0).credentials
    assert loaded.time == T0
    assert loaded.id == a
    seen = store.seen(["RB01-0000", "RB01-0002"])
    assert seen["RB01-0000"] == (T0, T0 + timedelta(hours=6))
    assert seen["RB01-0002"] == (T0, T0)
    assert [s.counts["high"] for s in store.scans()] == [2, 3]


def test_sqlite_round_trip_and_seen(tmp_path: Path) -> None:
    store = HistoryStore.open(database_url(None, tmp_path / "h" / "history.db"))
    try:
        check_store(store)
    finally:
        store.close()


def v1_history(url: str) -> None:
    """A history as regwarden wrote it with schema 1 (the table definitions of that version)."""
    import sqlalchemy as sa

    md = sa.MetaData()
    scans = sa.Table(
        "scans", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scanned_at", sa.String(40), nullable=False), sa.Column("source", sa.Text, nullable=False),
        sa.Column("counts", sa.Text, nullable=False), sa.Column("partial", sa.Boolean, nullable=False),
    )  # fmt: skip
    sa.Table(
        "findings", md,
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("finding_id", sa.String(120), primary_key=True), sa.Column("rule", sa.String(60), nullable=False),
        sa.Column("severity", sa.String(12), nullable=False), sa.Column("subject", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
    )  # fmt: skip
    reach = sa.Table(
        "reach", md,
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("node_id", sa.String(700), primary_key=True), sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False), sa.Column("subtype", sa.String(80), nullable=False),
        sa.Column("reach_hash", sa.String(64), nullable=False), sa.Column("reach_size", sa.Integer, nullable=False),
        sa.Column("writes", sa.Text, nullable=False), sa.Column("prod", sa.Text, nullable=False),
    )  # fmt: skip
    sa.Table(
        "credentials", md,
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("node_id", sa.String(700), primary_key=True), sa.Column("name", sa.Text, nullable=False),
        sa.Column("due", sa.String(40)), sa.Column("expires", sa.String(40)),
    )  # fmt: skip
    meta = sa.Table(
        "regwarden_meta", md, sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )  # fmt: skip
    engine = sa.create_engine(database_url(url, None))
    with engine.begin() as conn:
        md.create_all(conn)
        conn.execute(meta.insert().values(key="schema_version", value="1"))
        conn.execute(scans.insert().values(id=1, scanned_at="2026-11-01T00:00:00+00:00", source="v1", counts="{}",
                                           partial=False))  # fmt: skip
        writes = ["aws:ecr:r|PUBLISH", "aws:ecr:s|PUBLISH", "aws:ecr:s|PROMOTE", "aws:ecr:s|DEPLOY", "aws:ecr:s|ADMIN"]
        conn.execute(reach.insert(), [
            {"scan_id": 1, "node_id": "aws:role:a", "name": "a", "kind": "identity", "subtype": "aws:iam-role",
             "reach_hash": "x", "reach_size": 6, "writes": json.dumps(writes), "prod": '["env:prod"]'},
            {"scan_id": 1, "node_id": "aws:user:u0", "name": "u0", "kind": "identity", "subtype": "aws:iam-user",
             "reach_hash": "y", "reach_size": 1, "writes": "[]", "prod": "[]"},
        ])  # fmt: skip
        if engine.dialect.name == "postgresql":  # rows inserted with explicit ids: move the sequence on
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('scans', 'id'), 1)"))
    engine.dispose()


def check_migration(store_url: str) -> None:
    """A schema-1 history opens as schema 2: every node keeps its write-set, and drift against it works."""
    import sqlalchemy as sa

    v1_history(store_url)
    store = HistoryStore.open(database_url(store_url, None))
    try:
        old = store.load(1)
        assert [(r.node, r.summary) for r in old.reach] == [("aws:role:a", KEYS[0]), ("aws:user:u0", KEYS[1])]
        assert old.summaries[KEYS[0]] == SUMMARIES[0]
        assert old.summaries[KEYS[1]] == SUMMARIES[1]
        new = store.save(snap(1))
        assert store.latest(2) == [new, 1]
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT value FROM regwarden_meta")).scalar() == "2"
            cols = {c["name"] for c in sa.inspect(conn).get_columns("reach")}
        assert "writes" not in cols
        assert "summary" in cols
    finally:
        store.close()


def test_schema_1_history_is_migrated(tmp_path: Path) -> None:
    check_migration(f"sqlite:///{tmp_path / 'v1.db'}")


def test_keep_prunes_old_scans(tmp_path: Path) -> None:
    store = HistoryStore.open(database_url(None, tmp_path / "history.db"))
    try:
        ids = [store.save(snap(i), keep=2) for i in range(4)]
        assert store.latest(10) == [ids[3], ids[2]]
    finally:
        store.close()


KILLER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    import sqlalchemy as sa
    from scanner.drift.history import FindingRow, Snapshot
    from scanner.store import HistoryStore, database_url

    store = HistoryStore.open(database_url(None, __import__("pathlib").Path(sys.argv[1])))
    count = {"n": 0}

    @sa.event.listens_for(store.engine, "after_cursor_execute")
    def _signal(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO findings"):
            count["n"] += 1
            if count["n"] == 2:  # two batches of findings written, transaction still open
                print("MIDWRITE", flush=True)
                time.sleep(60)

    rows = tuple(FindingRow(f"X-{i:06d}", "RB01", "high", f"s{i}", "open") for i in range(10_000))
    store.save(Snapshot(datetime.now(UTC), "doomed scan", {"high": 10_000}, rows, (), ()))
    print("SAVED", flush=True)
    """
)


def test_scan_killed_mid_write_leaves_history_intact(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    store = HistoryStore.open(database_url(None, db))
    first = store.save(snap(0))
    store.close()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLER, str(db)], stdout=subprocess.PIPE, text=True, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == "MIDWRITE"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:  # a plain reader sees a consistent database
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = HistoryStore.open(database_url(None, db))
    try:
        assert store.latest(10) == [first]
        assert store.load(first).findings == snap(0).findings
        with store.engine.connect() as conn:
            import sqlalchemy as sa

            assert conn.execute(sa.text("SELECT count(*) FROM findings")).scalar() == 3
        second = store.save(snap(1))  # and it keeps working
        assert store.latest(10) == [second, first]
    finally:
        store.close()


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("REGWARDEN_TEST_PG_URL")
    if not url:
        env_file = Path(os.environ.get("REGWARDEN_PG_ENV_FILE", "/tmp/regwarden-pg/env"))
        if env_file.exists():
            for line in env_file.read_text().splitlines():
                if line.startswith("REGWARDEN_TEST_PG_URL="):
                    url = line.split("=", 1)[1].strip()
    if not url:
        pytest.skip("PostgreSQL not available: run .ci/setup-postgres.sh (sets REGWARDEN_TEST_PG_URL)")
    import sqlalchemy as sa

    engine = sa.create_engine(database_url(url, None))
    with engine.begin() as conn:
        for t in ("credentials", "reach", "reach_summaries", "reach_resources", "findings", "scans", "regwarden_meta"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {t} CASCADE"))
    engine.dispose()
    return url


def test_postgresql_schema_1_is_migrated(pg_url: str) -> None:
    check_migration(pg_url)


def test_postgresql_round_trip(pg_url: str) -> None:
    store = HistoryStore.open(database_url(pg_url, None))
    try:
        assert store.engine.dialect.name == "postgresql"
        check_store(store)
    finally:
        store.close()
