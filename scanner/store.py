"""The history database: one row set per scan, SQLite by default, any SQLAlchemy URL (PostgreSQL).

SQLAlchemy Core, no ORM. A scan is saved in ONE transaction: the scan row, its findings, reach
rows, reach summaries and credential deadlines commit together or not at all, so a crashed or killed scan
leaves the earlier history exactly as it was (SQLite rolls the journal back on the next open,
PostgreSQL never made the rows visible).

Opening is one transaction too, schema creation and upgrade included: on SQLite every transaction
starts with an explicit ``BEGIN`` (the sqlite3 module would otherwise run ``ALTER TABLE`` outside
any transaction, so a kill between two statements left a half-upgraded file), and the opening one
with ``BEGIN IMMEDIATE``, which also serialises two processes opening a new file at once; on
PostgreSQL the opening transaction holds an advisory lock, so concurrent first use cannot race to
create the same tables. The upgrade itself checks what is already there, so it can also resume.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from scanner.drift.history import WRITE_BIT, CredentialRow, FindingRow, NodeReach, ReachSummary, Snapshot, summary_key
from scanner.errors import ConfigError, HistoryError

#: Advisory lock key held while a PostgreSQL history is opened (schema creation and upgrade).
_PG_SCHEMA_LOCK = 0x7265_6777_6172  # "regwar"
#: 1: write-sets as JSON per node. 2: one summary per distinct reach set, resources numbered per scan
#: (a 100k-identity estate stores ~50k summaries instead of 100k lists of "resource|ACTION" strings).
SCHEMA_VERSION = 2

metadata = sa.MetaData()

scans = sa.Table(
    "scans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scanned_at", sa.String(40), nullable=False),  # ISO-8601 UTC: portable across backends
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("counts", sa.Text, nullable=False),  # JSON {severity: open count, suppressed, nodes, edges}
    sa.Column("partial", sa.Boolean, nullable=False, default=False),
)
findings = sa.Table(
    "findings",
    metadata,
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("finding_id", sa.String(120), primary_key=True),
    sa.Column("rule", sa.String(60), nullable=False),
    sa.Column("severity", sa.String(12), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Index("ix_findings_finding_id", "finding_id"),
)
reach = sa.Table(
    "reach",
    metadata,
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("node_id", sa.String(700), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("subtype", sa.String(80), nullable=False),
    sa.Column("reach_hash", sa.String(64), nullable=False),
    sa.Column("reach_size", sa.Integer, nullable=False),
    sa.Column("summary", sa.String(64)),  # key into reach_summaries (nullable only for migrated databases)
)
reach_resources = sa.Table(
    "reach_resources",  # the resources a scan's summaries name, numbered
    metadata,
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("resource", sa.Text, nullable=False),
)
reach_summaries = sa.Table(
    "reach_summaries",
    metadata,
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("summary", sa.String(64), primary_key=True),
    sa.Column("writes", sa.Text, nullable=False),  # JSON [resource idx, write mask, ...]
    sa.Column("prod", sa.Text, nullable=False),  # JSON [resource idx, ...]
)
credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("node_id", sa.String(700), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("due", sa.String(40)),
    sa.Column("expires", sa.String(40)),
)
meta = sa.Table(
    "regwarden_meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


@dataclass(frozen=True)
class ScanSummary:
    """One line of ``regwarden history``."""

    id: int
    time: datetime
    source: str
    counts: dict[str, int]
    partial: bool


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat()


def database_url(url: str | None, path: Path | None, *, setting: str = "history.url") -> URL:
    """A SQLAlchemy URL from the config: ``url`` wins; else a SQLite file at ``path``.

    A plain ``postgresql://`` URL uses psycopg 3 (the driver regwarden ships). A URL or path that cannot
    be one is a :class:`ConfigError` naming ``setting`` (where the URL came from) or ``history.path``.
    """
    if url:
        try:
            u = make_url(url)
        except (ArgumentError, ValueError) as e:  # ValueError: a port that is not a number, an unclosed [
            raise ConfigError(f"{setting}: not a database URL ({type(e).__name__}: {e})") from e
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")
        if "\0" in (u.database or ""):
            raise ConfigError(f"{setting}: the database name holds a null character")
        return u
    try:
        p = (path or Path("regwarden-history.db")).expanduser().resolve()
    except (ValueError, OSError, RuntimeError) as e:  # a null character, an unknown ~user, a symlink loop
        raise ConfigError(f"history.path: not a usable file path ({e})") from e
    return URL.create("sqlite", database=str(p))


class HistoryStore:
    """Scans saved and read back. Create with :meth:`open`; close with :meth:`close`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.where = engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(cls, url: URL | str) -> HistoryStore:
        """Connect, and create or upgrade the tables in one transaction (see the module docstring)."""
        u = make_url(url) if isinstance(url, str) else url
        kwargs: dict[str, Any] = {}
        sqlite = u.get_backend_name() == "sqlite"
        if sqlite and u.database:
            try:
                Path(u.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise HistoryError(f"{u.database}: cannot create the history's folder ({e.strerror})") from e
            kwargs["connect_args"] = {"timeout": 30}
        try:
            engine = sa.create_engine(u, **kwargs)
        except (ArgumentError, ImportError) as e:
            raise ConfigError(
                f"history.url: cannot use a {u.drivername!r} database (regwarden ships SQLite and PostgreSQL)"
            ) from e
        store = cls(engine)
        try:
            if sqlite:
                sa.event.listen(store.engine, "connect", _sqlite_connect)
                sa.event.listen(store.engine, "begin", _sqlite_begin)
            with store._writing() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
                metadata.create_all(conn, checkfirst=True)
                row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
                if row is None:
                    conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
                elif int(row[0]) > SCHEMA_VERSION:
                    raise HistoryError(f"{store.where}: history schema {row[0]} is newer than this regwarden")
                elif int(row[0]) == 1:
                    _migrate_1_to_2(conn)
        except SQLAlchemyError as e:
            store.close()
            raise HistoryError(f"{store.where}: cannot open history ({_one_line(e)})") from e
        except _UNREADABLE as e:  # a schema_version that is not a number, a schema-1 row that is not JSON
            store.close()
            raise HistoryError(f"{store.where}: cannot open history (unreadable stored value: {_brief(e)})") from e
        except HistoryError:
            store.close()
            raise
        return store

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite: the write lock from the start)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(regwarden_write=True)
            with conn.begin():
                yield conn

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    # -- writing -------------------------------------------------------------------------------

    def save(self, snap: Snapshot, *, keep: int | None = None) -> int:
        """Save one scan in one transaction and return its id; keep only the last ``keep`` scans."""
        try:
            with self._writing() as conn:
                inserted = conn.execute(
                    scans.insert().values(
                        scanned_at=_iso(snap.time),
                        source=snap.source,
                        counts=json.dumps(dict(snap.counts), sort_keys=True),
                        partial=snap.partial,
                    )
                ).inserted_primary_key
                assert inserted is not None
                scan_id = int(inserted[0])
                _bulk(conn, findings, ((scan_id, f.id, f.rule, f.severity, f.subject, f.status) for f in snap.findings))
                _bulk(conn, reach, ((scan_id, r.node, r.name, r.kind, r.subtype, r.reach_hash, r.reach_size,
                                     r.summary) for r in snap.reach))  # fmt: skip
                _save_summaries(conn, scan_id, snap.summaries)
                _bulk(
                    conn,
                    credentials,
                    ((scan_id, c.node, c.name, _iso(c.due), _iso(c.expires)) for c in snap.credentials),
                )
                if keep is not None and keep > 0:
                    ids = [r[0] for r in conn.execute(sa.select(scans.c.id).order_by(scans.c.id.desc()).offset(keep))]
                    if ids:
                        for t in (findings, reach, reach_resources, reach_summaries, credentials):
                            conn.execute(t.delete().where(t.c.scan_id.in_(ids)))
                        conn.execute(scans.delete().where(scans.c.id.in_(ids)))
        except SQLAlchemyError as e:
            raise HistoryError(f"{self.where}: saving the scan failed; history is unchanged ({_one_line(e)})") from e
        return scan_id

    # -- reading -------------------------------------------------------------------------------

    def scans(self, limit: int | None = None) -> list[ScanSummary]:
        """Scans, newest first."""
        q = sa.select(scans).order_by(scans.c.id.desc())
        if limit is not None and limit > 0:
            q = q.limit(min(limit, _MAX_ID))
        with self._reading() as conn:
            return [
                ScanSummary(r.id, _time(r.scanned_at, r.id, "scanned_at"), _text(r.source, r.id, "source"),
                            _counts(r.counts, r.id), bool(r.partial))
                for r in conn.execute(q)
            ]  # fmt: skip

    def latest(self, n: int = 2) -> list[int]:
        """Ids of the newest ``n`` scans, newest first."""
        q = sa.select(scans.c.id).order_by(scans.c.id.desc()).limit(max(1, min(n, _MAX_ID)))
        with self._reading() as conn:
            return [int(i) for i in conn.execute(q).scalars()]

    def load(self, scan_id: int) -> Snapshot:
        """A stored scan as a snapshot (``ConfigError`` when there is no such scan)."""
        if not 0 < scan_id <= _MAX_ID:  # no such id can exist, and the driver could not even send it
            raise ConfigError(f"history: no scan {scan_id} in {self.where}")
        with self._reading() as conn:
            row = conn.execute(sa.select(scans).where(scans.c.id == scan_id)).first()
            if row is None:
                raise ConfigError(f"history: no scan {scan_id} in {self.where}")
            time = _time(row.scanned_at, scan_id, "scanned_at")
            source, counts = _text(row.source, scan_id, "source"), _counts(row.counts, scan_id)
            f = findings.c
            f_rows = conn.execute(
                sa.select(f.finding_id, f.rule, f.severity, f.subject, f.status)
                .where(f.scan_id == scan_id)
                .order_by(f.finding_id)
            ).all()
            _typed(f_rows, (_STR,) * 5, scan_id, "findings")
            fs = tuple(FindingRow(*r) for r in f_rows)
            cols = (reach.c.node_id, reach.c.name, reach.c.kind, reach.c.subtype, reach.c.reach_hash,
                    reach.c.reach_size, reach.c.summary)  # fmt: skip
            r_rows = conn.execute(sa.select(*cols).where(reach.c.scan_id == scan_id).order_by(reach.c.node_id)).all()
            _typed(r_rows, (*(_STR,) * 5, _INT, _STR), scan_id, "reach")
            rs = tuple(
                NodeReach(node, name, kind, sub, digest, size, key)
                for node, name, kind, sub, digest, size, key in r_rows
            )
            summaries = _load_summaries(conn, scan_id, self.where)
            if not {r.summary for r in rs} <= summaries.keys():
                raise _Unreadable(f"scan {scan_id}: reach names a summary that is not stored")
            c = credentials.c
            c_rows = conn.execute(
                sa.select(c.node_id, c.name, c.due, c.expires).where(c.scan_id == scan_id).order_by(c.node_id)
            ).all()
            _typed(c_rows, (_STR, _STR, _OPT_STR, _OPT_STR), scan_id, "credentials")
            cs = tuple(
                CredentialRow(
                    node,
                    name,
                    _opt_time(due, scan_id, "credentials.due"),
                    _opt_time(exp, scan_id, "credentials.expires"),
                )
                for node, name, due, exp in c_rows
            )
        return Snapshot(
            time=time,
            source=source,
            counts=counts,
            findings=fs,
            reach=rs,
            credentials=cs,
            summaries=summaries,
            id=row.id,
            partial=bool(row.partial),
        )

    def seen(self, finding_ids: Sequence[str]) -> dict[str, tuple[datetime, datetime]]:
        """First and last scan time at which each finding was present (any status)."""
        out: dict[str, tuple[datetime, datetime]] = {}
        if not finding_ids:
            return out
        q = (
            sa.select(findings.c.finding_id, sa.func.min(scans.c.scanned_at), sa.func.max(scans.c.scanned_at))
            .join(scans, scans.c.id == findings.c.scan_id)
            .group_by(findings.c.finding_id)
        )
        wanted = set(finding_ids)
        with self._reading() as conn:
            for fid, first, last in conn.execute(q):
                if fid in wanted:
                    out[fid] = (_time(first, None, "scanned_at"), _time(last, None, "scanned_at"))
        return out

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """A connection to read with. The database failing (down, locked, a malformed file) or a stored
        value that is not what regwarden writes is a :class:`HistoryError` naming the database: a
        corrupt history is a history problem, never an internal error."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as e:
            raise HistoryError(f"{self.where}: cannot read history ({_one_line(e)})") from e
        except _UNREADABLE as e:
            raise HistoryError(f"{self.where}: history is corrupt ({_brief(e)})") from e


#: What decoding a stored value that is not what regwarden wrote raises (JSON errors are ValueErrors).
_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError)
#: No id beyond this is stored; sqlite3 cannot even send a larger number (OverflowError).
_MAX_ID = 2**63 - 1
_STR: frozenset[type] = frozenset({str})
_INT: frozenset[type] = frozenset({int})
_OPT_STR: frozenset[type] = frozenset({str, type(None)})


class _Unreadable(ValueError):
    """A stored value that is not what regwarden writes (the message says which scan and column)."""


def _brief(e: BaseException) -> str:
    if isinstance(e, _Unreadable):
        return str(e)
    return f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"


def _where(scan_id: int | None, column: str) -> str:
    return column if scan_id is None else f"scan {scan_id}: {column}"


def _text(v: object, scan_id: int | None, column: str) -> str:
    if not isinstance(v, str):
        raise _Unreadable(f"{_where(scan_id, column)} is not text")
    return v


def _time(v: object, scan_id: int | None, column: str) -> datetime:
    """A stored time: ISO-8601 with its UTC offset, as :func:`_iso` writes it."""
    try:
        t = datetime.fromisoformat(v) if isinstance(v, str) else None
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise _Unreadable(f"{_where(scan_id, column)} is not an ISO-8601 time with a UTC offset")
    return t


def _opt_time(v: object, scan_id: int, column: str) -> datetime | None:
    return None if v is None else _time(v, scan_id, column)


def _counts(v: object, scan_id: int) -> dict[str, int]:
    try:
        counts = json.loads(v) if isinstance(v, str) else None
    except (ValueError, RecursionError):
        counts = None
    if not isinstance(counts, dict) or not all(type(n) is int for n in counts.values()):
        raise _Unreadable(f"scan {scan_id}: counts is not a JSON map of numbers")
    return counts


def _typed(rows: Sequence[Sequence[Any]], kinds: Sequence[frozenset[type]], scan_id: int, table: str) -> None:
    """Every column of ``rows`` holds values of the types given (SQLite stores whatever it is given)."""
    for i, allowed in enumerate(kinds):
        if not set(map(type, map(itemgetter(i), rows))) <= allowed:
            raise _Unreadable(f"scan {scan_id}: {table} holds a value of the wrong type")


def _save_summaries(conn: sa.Connection, scan_id: int, summaries: Mapping[str, ReachSummary]) -> None:
    index: dict[str, int] = {}
    rows = []
    for key, s in summaries.items():
        flat: list[int] = []
        for res, mask in s.writes:
            i = index.get(res)
            if i is None:
                i = index[res] = len(index)
            flat += (i, mask)
        prod = []
        for res in s.prod:
            i = index.get(res)
            if i is None:
                i = index[res] = len(index)
            prod.append(i)
        # orjson writes exactly json.dumps(..., separators=(",", ":")) for lists of integers
        rows.append((scan_id, key, orjson.dumps(flat).decode(), orjson.dumps(prod).decode()))
    _bulk(conn, reach_resources, ((scan_id, i, r) for r, i in index.items()))
    _bulk(conn, reach_summaries, rows)


#: Placeholders of the drivers regwarden ships (sqlite3: qmark, psycopg: pyformat).
_MARK = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _bulk(conn: sa.Connection, table: sa.Table, rows: Iterable[tuple[Any, ...]], batch: int = 5000) -> None:
    """Insert rows given as tuples in the table's column order (every row of a scan goes this way),
    as one prepared statement per batch straight through the driver: per-row parameter processing
    cost more than the database for the ~150k reach rows of a big scan. Same transaction as the
    rest of the scan."""
    cols = [c.name for c in table.columns]
    mark = _MARK.get(str(conn.dialect.paramstyle))
    q = conn.dialect.identifier_preparer
    # Only our own table and column names (quoted) go into the text; every value is a parameter.
    sql = (
        f"INSERT INTO {q.format_table(table)} ({', '.join(q.quote(c) for c in cols)}) "  # noqa: S608
        f"VALUES ({', '.join([mark or '?'] * len(cols))})"
    )

    def flush(buf: list[tuple[Any, ...]]) -> None:
        if mark is None:  # another driver: the portable way
            conn.execute(table.insert(), [dict(zip(cols, r, strict=True)) for r in buf])
        else:
            conn.exec_driver_sql(sql, buf)

    buf: list[tuple[Any, ...]] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= batch:
            flush(buf)
            buf = []
    if buf:
        flush(buf)


class _Summaries(Mapping[str, ReachSummary]):
    """A stored scan's summaries, each decoded only when drift asks for it (most nodes are decided by
    comparing keys). One that does not decode is a :class:`HistoryError` naming the database."""

    def __init__(self, resources: list[str], raw: dict[str, tuple[str, str]], scan_id: int, where: str) -> None:
        self._resources = resources
        self._raw = raw
        self._done: dict[str, ReachSummary] = {}
        self._scan_id = scan_id
        self._where = where

    def __getitem__(self, key: str) -> ReachSummary:
        found = self._done.get(key)
        if found is None:
            writes, prod = self._raw[key]
            try:
                found = self._done[key] = _decode_summary(writes, prod, self._resources)
            except _UNREADABLE as e:
                raise HistoryError(
                    f"{self._where}: history is corrupt (scan {self._scan_id}: reach summary {key[:16]}: {_brief(e)})"
                ) from e
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _decode_summary(writes: str, prod: str, res: list[str]) -> ReachSummary:
    """A stored summary: ``writes`` a JSON list of resource number, write mask, …; ``prod`` one of numbers."""
    flat, prod_ = json.loads(writes), json.loads(prod)
    if not (isinstance(flat, list) and isinstance(prod_, list) and len(flat) % 2 == 0):
        raise _Unreadable("not two JSON lists of numbers")
    if not all(type(x) is int and x >= 0 for x in (*flat, *prod_)):
        raise _Unreadable("not two JSON lists of numbers")
    return ReachSummary(
        tuple((res[flat[i]], flat[i + 1]) for i in range(0, len(flat), 2)),  # IndexError: no such resource
        tuple(res[i] for i in prod_),
    )


def _load_summaries(conn: sa.Connection, scan_id: int, where: str) -> _Summaries:
    resources: list[str] = []
    for i, r in conn.execute(
        sa.select(reach_resources.c.idx, reach_resources.c.resource)
        .where(reach_resources.c.scan_id == scan_id)
        .order_by(reach_resources.c.idx)
    ):
        if i != len(resources):
            raise HistoryError(f"{where}: history is corrupt (scan {scan_id}: a gap in its resource numbering at {i})")
        resources.append(_text(r, scan_id, "reach_resources.resource"))
    rows = conn.execute(
        sa.select(reach_summaries.c.summary, reach_summaries.c.writes, reach_summaries.c.prod).where(
            reach_summaries.c.scan_id == scan_id
        )
    ).all()
    _typed(rows, (_STR,) * 3, scan_id, "reach_summaries")
    return _Summaries(resources, {key: (writes, prod) for key, writes, prod in rows}, scan_id, where)


def _migrate_1_to_2(conn: sa.Connection) -> None:
    """Schema 1 kept each node's write-set as JSON ``resource|ACTION`` strings in ``reach``; move them to
    one summary per distinct set. Runs in the opening transaction (all or nothing), and looks at what
    is there before each step, so it also finishes an upgrade a database without transactional DDL left."""
    bit = {a.value: b for a, b in WRITE_BIT.items()}
    columns = {c["name"] for c in sa.inspect(conn).get_columns("reach")}
    per_scan: dict[int, dict[str, ReachSummary]] = {}
    keys = []
    if {"writes", "prod"} <= columns:
        rows = conn.execute(sa.text("SELECT scan_id, node_id, writes, prod FROM reach"))
        for scan_id, node_id, writes, prod in rows:
            masks: dict[str, int] = {}
            for pair in json.loads(writes):
                res, _, action = str(pair).rpartition("|")
                masks[res] = masks.get(res, 0) | bit.get(action, 0)
            summary = ReachSummary(tuple(sorted(masks.items())), tuple(sorted(json.loads(prod))))
            key = summary_key(summary)
            per_scan.setdefault(scan_id, {})[key] = summary
            keys.append({"k": key, "s": scan_id, "n": node_id})
    if "summary" not in columns:
        conn.execute(sa.text("ALTER TABLE reach ADD COLUMN summary VARCHAR(64)"))
    if keys:
        conn.execute(sa.text("UPDATE reach SET summary = :k WHERE scan_id = :s AND node_id = :n"), keys)
    for col in ("writes", "prod"):
        if col in columns:
            conn.execute(sa.text(f"ALTER TABLE reach DROP COLUMN {col}"))
    for scan_id, summaries in per_scan.items():
        for t in (reach_summaries, reach_resources):
            conn.execute(t.delete().where(t.c.scan_id == scan_id))
        _save_summaries(conn, scan_id, summaries)
    conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))


def _one_line(e: SQLAlchemyError) -> str:
    """An error's kind and first words on one line (drivers' messages span lines and may quote SQL)."""
    orig = getattr(e, "orig", None)
    text = " ".join(str(orig if orig is not None else e).split())
    return f"{type(e).__name__}: {text[:200]}"


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Transactions are begun by _sqlite_begin, not by the sqlite3 module (which leaves DDL outside them).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("regwarden_write") else "BEGIN")
