"""Database guarantees: migrations, configurable path, concurrent writers, kill mid-save, shared-connection threads."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from cyc_geo import db
from cyc_geo.indicators import catalogue as ind

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_path_is_configurable_and_migrations_applied(data_dir):
    conn = db.connect()
    assert Path(conn.execute("PRAGMA database_list").fetchone()["file"]) == data_dir / "test.sqlite"
    assert db.schema_version(conn) == len(db.MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"audit_log", "indicator_values", "scenarios", "project_sites"} <= tables
    conn.close()
    again = db.connect()  # re-opening does not re-run migrations
    assert db.schema_version(again) == len(db.MIGRATIONS)
    again.close()


WORKER = """
import sys, time
from pathlib import Path
from cyc_geo import db
from cyc_geo.indicators import catalogue as ind
n, actor, go = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
conn = db.connect()
while not go.exists():
    time.sleep(0.005)
for _ in range(n):
    with db.transaction(conn):              # read-modify-write inside one transaction
        current = ind.read_value(conn, 1, 2024)
        ind.write_value_in_tx(conn, 1, 2024, current + 1, actor)
print("done")
"""


def test_two_writer_processes_lose_no_update(data_dir, tmp_path):
    n = 150
    conn = db.connect()
    ind.save_values(conn, [{"no": 1, "year": 2024, "value": 0}], "setup")
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(n), f"w{i}", str(go)], cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for i in range(2)
    ]
    time.sleep(1.0)  # both processes connected and waiting
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        assert out.strip() == "done"
    assert ind.read_value(conn, 1, 2024) == 2 * n
    actors = [r[0] for r in conn.execute("SELECT actor FROM audit_log WHERE entity = ? AND action = 'update'", (ind.AUDIT_ENTITY,))]
    assert len(actors) == 2 * n and actors.count("w0") == n and actors.count("w1") == n
    # every audit record chains: its old value is the previous record's new value
    olds = [r[0] for r in conn.execute("SELECT json_extract(old_value, '$.value') FROM audit_log WHERE action='update' ORDER BY id")]
    assert olds == list(range(2 * n))
    conn.close()


def test_threads_sharing_one_connection_serialise(data_dir):
    """The app keeps one cached connection for all sessions: two sessions saving at once must not collide."""
    conn = db.connect()
    ind.save_values(conn, [{"no": 2, "year": 2023, "value": 0}], "setup")
    errors: list[BaseException] = []

    def work(actor: str) -> None:
        for _ in range(200):
            try:
                with db.transaction(conn):
                    v = ind.read_value(conn, 2, 2023)
                    ind.write_value_in_tx(conn, 2, 2023, v + 0.25, actor)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert ind.read_value(conn, 2, 2023) == pytest.approx(400 * 0.25)
    conn.close()


KILLED_SAVER = """
import sys
from cyc_geo import db
from cyc_geo.indicators import catalogue as ind
conn = db.connect()
conn.execute("PRAGMA cache_size = 20")  # tiny page cache: uncommitted pages spill into the WAL file
with db.transaction(conn):
    for i in range(10_000_000):
        for no in (1, 2, 3, 7):
            ind.write_value_in_tx(conn, no, 2024, 1000.0 + i, "killed-writer", note="x" * 200)
        if i == 3000:
            print("mid-save", flush=True)
"""


def test_save_killed_mid_transaction_leaves_old_state(data_dir):
    conn = db.connect()
    ind.save_values(conn, [{"no": n, "year": 2024, "value": v} for n, v in ((1, 7.6), (2, 5.0), (3, 262.0), (7, 9.9))], "setup")
    before = ind.read_values(conn).to_dict("records")
    audit_before = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    conn.close()

    child = run_python(KILLED_SAVER)
    line = child.stdout.readline()
    assert line.strip() == "mid-save", child.stderr.read()
    time.sleep(0.3)  # still writing
    wal = Path(str(data_dir / "test.sqlite") + "-wal")
    wal_bytes = wal.stat().st_size
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert wal_bytes > 1_000_000  # the transaction was large and already on disk, uncommitted

    raw = sqlite3.connect(data_dir / "test.sqlite")
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    conn = db.connect()
    assert ind.read_values(conn).to_dict("records") == before
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_before
    assert conn.execute("SELECT count(*) FROM audit_log WHERE actor = 'killed-writer'").fetchone()[0] == 0
    # the database is usable again: the next save goes through
    assert ind.save_values(conn, [{"no": 1, "year": 2024, "value": 7.7}], "after") == 1
    assert ind.read_value(conn, 1, 2024) == 7.7
    conn.close()


def test_exception_mid_transaction_rolls_back(data_dir):
    conn = db.connect()
    ind.save_values(conn, [{"no": 12, "year": 2022, "value": 8}], "setup")
    with pytest.raises(ZeroDivisionError), db.transaction(conn):
        ind.write_value_in_tx(conn, 12, 2022, 9.0, "x")
        raise ZeroDivisionError("planted failure inside the transaction")
    assert ind.read_value(conn, 12, 2022) == 8
    assert not conn.in_transaction
    # and the connection still works for the next transaction
    with db.transaction(conn):
        ind.write_value_in_tx(conn, 12, 2022, 9.0, "x")
    assert ind.read_value(conn, 12, 2022) == 9
    conn.close()


def test_fresh_database_opened_by_eight_processes_at_once_migrates_once(data_dir, tmp_path):
    go = tmp_path / "go"
    code = f"""
import time
from pathlib import Path
from cyc_geo import db
while not Path({str(go)!r}).exists():
    time.sleep(0.0005)
conn = db.connect()
print(db.schema_version(conn))
"""
    procs = [run_python(code) for _ in range(8)]
    time.sleep(1.0)
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [o[1] for o in outs]
    assert [o[0].strip() for o in outs] == [str(len(db.MIGRATIONS))] * 8
    raw = sqlite3.connect(data_dir / "test.sqlite")
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'indicator_values'").fetchone()[0] == 1
    raw.close()
