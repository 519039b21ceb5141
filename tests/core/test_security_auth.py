"""Sign-in under parallel attempts, bounded Argon2 checks, no typed secrets stored, private DB file."""

from __future__ import annotations

import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cyc_geo import auth, db


@pytest.fixture
def auth_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "editors.toml"
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(path))
    return path


def test_parallel_wrong_passwords_never_exceed_the_limit(auth_file: Path, data_dir: Path) -> None:
    auth.add_user("alice", "right password")
    conn = db.connect()  # one connection shared by every thread, as the app's cached one is
    t0 = time.time()
    barrier = threading.Barrier(50)

    def attempt(i: int) -> str:
        barrier.wait()
        return auth.sign_in(conn, "alice", f"wrong {i}", now=t0).reason

    with ThreadPoolExecutor(50) as pool:
        reasons = list(pool.map(attempt, range(50)))
    assert reasons.count("bad_credentials") == auth.MAX_FAILURES
    assert reasons.count("rate_limited") == 50 - auth.MAX_FAILURES
    rows = dict(conn.execute("SELECT ok, COUNT(*) FROM signin_attempts GROUP BY ok").fetchall())
    assert rows == {0: auth.MAX_FAILURES, -1: 50 - auth.MAX_FAILURES}
    # throttled: from that source the right password is refused as well, without being checked ...
    locked = auth.sign_in(conn, "alice", "right password", now=t0 + 1)
    assert (locked.ok, locked.reason) == (False, "rate_limited")
    assert locked.retry_after_s == pytest.approx(auth.BACKOFF_BASE_S - 1)
    # ... while the editor at another address signs in
    assert auth.sign_in(conn, "alice", "right password", now=t0 + 1, source="198.51.100.7").ok


def test_at_most_two_argon2_checks_run_at_once(auth_file: Path, data_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    real = auth._HASHER
    running, peak, lock = [0], [0], threading.Lock()

    class CountingHasher:
        def verify(self, stored: str, password: str) -> bool:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                time.sleep(0.05)
                return real.verify(stored, password)
            finally:
                with lock:
                    running[0] -= 1

        def __getattr__(self, name: str):
            return getattr(real, name)

    monkeypatch.setattr(auth, "_HASHER", CountingHasher())
    conn = db.connect()
    with ThreadPoolExecutor(12) as pool:  # 12 different names and sources: none is throttled
        results = list(pool.map(lambda i: auth.sign_in(conn, f"user{i}", "some password", source=f"10.0.0.{i}"),
                                range(12)))
    assert all(r.reason == "bad_credentials" for r in results)
    assert peak[0] == auth.MAX_CONCURRENT_HASHES == 2


def test_a_password_typed_as_user_name_is_not_stored(auth_file: Path, data_dir: Path) -> None:
    auth.add_user("alice", "right password")
    conn = db.connect()
    secret = "Tr0ub4dor&3-secret"
    for _ in range(2):
        assert auth.sign_in(conn, secret, "right password").reason == "bad_credentials"
    assert auth.sign_in(conn, "alice", "wrong").reason == "bad_credentials"
    names = [r[0] for r in conn.execute("SELECT username FROM signin_attempts ORDER BY id")]
    key = auth.attempt_key(secret)
    assert names == [key, key, "alice"]  # the two attempts count together, under a key
    assert key.startswith("?") and len(key) == 17 and secret not in key
    conn.close()
    for f in data_dir.glob("test.sqlite*"):
        assert secret.encode() not in f.read_bytes()


def test_database_file_is_created_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "new" / "cyc.sqlite"
        conn = db.connect(path)
        with db.transaction(conn):
            db.audit(conn, "t", "x", 1, "a", None, 1)
        mode = stat.S_IMODE(path.stat().st_mode)
        wal = stat.S_IMODE(Path(f"{path}-wal").stat().st_mode)
        conn.close()
    finally:
        os.umask(old)
    assert (mode, wal) == (0o600, 0o600)
