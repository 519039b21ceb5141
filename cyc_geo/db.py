"""The project database: embedded SQLite in WAL mode.

Holds everything users type or change: reported indicator values, PV
scenarios, project-site edits, saved map markup, import records, sign-in attempts, and an audit
trail (who, when, old value, new value) of every change.

Guarantees:

- **Migrations at start-up**: :func:`connect` applies every pending step of
  :data:`MIGRATIONS` inside one transaction, tracked by ``PRAGMA user_version``.
- **No half-applied writes**: all writes go through :func:`transaction`
  (``BEGIN IMMEDIATE`` ... ``COMMIT``); a crash mid-save rolls back on the next open
  (SQLite's WAL recovery), so readers see the old or the new state, never a mix.
- **Concurrent writers**: ``BEGIN IMMEDIATE`` takes the write lock up front and
  ``busy_timeout`` makes the second writer wait rather than fail, so
  read-modify-write inside one transaction never loses an update. Threads that
  share one connection (the app's ``st.cache_resource`` connection serves every
  session) are serialised by a per-connection lock held for the whole
  transaction, so one session's save never runs inside another's.

The path comes from :func:`cyc_geo.paths.db_path` (``CYC_GEO_DB``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cyc_geo import paths

BUSY_TIMEOUT_MS = 15_000

MIGRATIONS: list[str] = [
    # 1: core tables
    """
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_key TEXT NOT NULL,
        action TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT
    );
    CREATE INDEX audit_entity ON audit_log(entity, entity_key);
    CREATE TABLE indicator_values (
        indicator_no INTEGER NOT NULL,
        year INTEGER NOT NULL,
        value REAL NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (indicator_no, year)
    );
    CREATE TABLE scenarios (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'pv',
        params TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE project_sites (
        project_no INTEGER PRIMARY KEY,
        geojson TEXT NOT NULL,
        source TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE layer_imports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        layer TEXT NOT NULL,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        stored_path TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        imported_by TEXT NOT NULL,
        counts TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX layer_imports_layer ON layer_imports(layer, active);
    CREATE TABLE signin_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL,
        at REAL NOT NULL,
        ok INTEGER NOT NULL
    );
    CREATE INDEX signin_user_time ON signin_attempts(username, at);
    """,
    # 2: rows of the PV installations ledger added or corrected in the app (cyc_geo.pv.installations)
    """
    CREATE TABLE pv_ledger_edits (
        install_id INTEGER PRIMARY KEY,
        row_json TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 3: editor sessions kept server-side (a sign-out revokes the token; cyc_geo.auth) and the
    # sign-in attempt's source (client address) for throttling by source and by account
    """
    CREATE TABLE editor_sessions (
        sid TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        created REAL NOT NULL,
        expires REAL NOT NULL,
        revoked REAL,
        handoff TEXT,
        handoff_expires REAL
    );
    CREATE INDEX editor_sessions_expires ON editor_sessions(expires);
    CREATE INDEX editor_sessions_handoff ON editor_sessions(handoff);
    ALTER TABLE signin_attempts ADD COLUMN source TEXT NOT NULL DEFAULT '';
    CREATE INDEX signin_source_time ON signin_attempts(source, at);
    """,
    # 4: the PV opening stock (截至 YYYY 年底累计并网容量) progress starts from (cyc_geo.pv.opening_stock);
    # one row, its history in the audit log
    """
    CREATE TABLE pv_opening_stock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        mw REAL NOT NULL,
        as_of TEXT NOT NULL,
        source TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 5: yearly progress of the 附件2 priority projects (cyc_geo.planning.progress); history in the audit log
    """
    CREATE TABLE project_progress (
        project_no INTEGER NOT NULL,
        year INTEGER NOT NULL,
        status TEXT NOT NULL,
        investment_wan REAL,
        progress_text TEXT NOT NULL DEFAULT '',
        benefit_text TEXT NOT NULL DEFAULT '',
        tce_saved REAL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (project_no, year)
    );
    """,
    # 6: named markup sets drawn on the map (标注; cyc_geo.mapview.markup_store); history in the audit log
    """
    CREATE TABLE markups (
        name TEXT PRIMARY KEY,
        geojson TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
]


class DatabaseDamaged(RuntimeError):
    """The database file is not a readable SQLite database (damaged, truncated, or another file).

    ``zh`` / ``en`` carry the user-facing message: which file, and what to do.
    """

    def __init__(self, path: Path, detail: str) -> None:
        self.path, self.detail = Path(path), detail
        self.zh = (f"数据库文件已损坏，无法使用：{path}（{detail}）。请停止服务，将该文件移走保存，"
                   "从备份恢复（或删除后由程序新建空数据库），再重新启动。")
        self.en = (f"The database file is damaged and cannot be used: {path} ({detail}). Stop the service, "
                   "move the file aside, restore it from a backup (or remove it to start with an empty "
                   "database), then start again.")
        super().__init__(self.en)


def check_integrity(path: Path | str | None = None) -> None:
    """Raise :class:`DatabaseDamaged` if the database file exists and fails SQLite's ``PRAGMA quick_check``.

    ``quick_check`` verifies every page and b-tree like ``integrity_check`` but skips the index-content
    cross-check (O(N) instead of O(N log N); SQLite documentation, "PRAGMA quick_check"). The file is
    opened read-only, so the check never creates, migrates or repairs anything. A missing or empty file
    passes (:func:`connect` creates it).
    """
    db_file = Path(path) if path is not None else paths.db_path()
    if not db_file.exists() or db_file.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise DatabaseDamaged(db_file, str(exc)) from exc
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise
        raise DatabaseDamaged(db_file, str(exc)) from exc
    finally:
        conn.close()
    if rows != ["ok"]:
        raise DatabaseDamaged(db_file, "; ".join(rows)[:300])


def is_disk_full(exc: BaseException) -> bool:
    """True for "no space left" errors: SQLite's ``SQLITE_FULL`` ("database or disk is full") and
    ``OSError`` with ``errno.ENOSPC`` (or ``EDQUOT``, a full quota)."""
    import errno

    if isinstance(exc, sqlite3.OperationalError):
        return "disk is full" in str(exc) or getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


DISK_FULL_MESSAGE: tuple[str, str] = (
    "磁盘空间已满，本次保存/导入/导出未完成，数据保持原样（没有写入半个文件或半条记录）。请联系管理员清理磁盘后重试。",
    "The disk is full: this save/import/export did not happen and the data is unchanged (nothing was half "
    "written). Ask the administrator to free disk space, then try again.",
)
"""(Chinese, English) message for :func:`is_disk_full` errors."""


class Connection(sqlite3.Connection):
    """A SQLite connection carrying the lock that serialises its transactions across threads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tx_lock = threading.RLock()


def now_iso() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(path: Path | str | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the database, enable WAL, and apply pending migrations.

    Raises :class:`DatabaseDamaged` when the file is not a readable SQLite database (for a full
    check of every page see :func:`check_integrity`)."""
    db_file = Path(path) if path is not None else paths.db_path()
    db_file.parent.mkdir(parents=True, exist_ok=True)
    _create_private(db_file)
    conn = sqlite3.connect(
        db_file, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False, factory=Connection
    )
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _enable_wal(conn)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if type(exc) is sqlite3.DatabaseError:  # SQLITE_NOTADB / SQLITE_CORRUPT, not "locked" or "full"
            raise DatabaseDamaged(db_file, str(exc)) from exc
        raise
    return conn


DB_FILE_MODE = 0o600
"""Mode of a new database file: owner only, like the credential file (docs/sources.md, "Security defaults").
SQLite gives its ``-wal`` and ``-shm`` files the database file's permissions."""


def _create_private(db_file: Path) -> None:
    """Create an empty database file with :data:`DB_FILE_MODE` (whatever the umask) if it is missing."""
    try:
        fd = os.open(db_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DB_FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, DB_FILE_MODE)
    finally:
        os.close(fd)


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, retrying while another process holds the lock.

    Changing the journal mode needs an exclusive lock, and SQLite reports
    ``database is locked`` for it without calling the busy handler when several
    processes open a fresh file at once (seen in CI with four processes), so the
    wait is done here, bounded by ``BUSY_TIMEOUT_MS``.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
        else:
            if mode == "wal":
                return
            # SQLite keeps the old mode where WAL is impossible (e.g. no shared memory on the file system)
            raise sqlite3.OperationalError(f"the database cannot use WAL mode here (journal_mode stays {mode!r})")
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply migrations newer than ``user_version``; returns the resulting version."""
    with transaction(conn):
        current = schema_version(conn)
        for number, script in enumerate(MIGRATIONS, start=1):
            if number <= current:
                continue
            for statement in (s.strip() for s in script.split(";")):
                if statement:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
    return schema_version(conn)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back on any exception. Nested use is an error.

    Other threads using the same connection wait for the transaction to finish
    (``Connection.tx_lock``); other connections/processes wait on SQLite's lock.
    """
    lock = getattr(conn, "tx_lock", None)
    with lock if lock is not None else nullcontext():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
                conn.execute("ROLLBACK")
            raise


def clean_actor(actor: str) -> str:
    """The name of who makes an audited change, stripped; ``ValueError`` (zh / en) when it is empty."""
    actor = (actor or "").strip()
    if not actor:
        raise ValueError("必须注明操作人 / an actor is required for every change")
    return actor


def audit(
    conn: sqlite3.Connection,
    actor: str,
    entity: str,
    key: str | int,
    action: str,
    old: Any,
    new: Any,
) -> None:
    """Append one audit record; call inside the same :func:`transaction` as the change."""
    conn.execute(
        "INSERT INTO audit_log(at, actor, entity, entity_key, action, old_value, new_value) VALUES (?,?,?,?,?,?,?)",
        (
            now_iso(),
            actor,
            entity,
            str(key),
            action,
            None if old is None else json.dumps(old, ensure_ascii=False, default=str),
            None if new is None else json.dumps(new, ensure_ascii=False, default=str),
        ),
    )


def audit_trail(conn: sqlite3.Connection, entity: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The newest audit records (optionally of one entity), newest first."""
    sql = "SELECT * FROM audit_log"
    args: tuple[Any, ...] = ()
    if entity:
        sql += " WHERE entity = ?"
        args = (entity,)
    sql += " ORDER BY id DESC LIMIT ?"
    return [dict(r) for r in conn.execute(sql, (*args, limit))]
