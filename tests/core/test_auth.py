"""Access control: hashed credentials outside the repo, expiring sessions, rate-limited sign-in."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cyc_geo import auth, db

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def auth_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "editors.toml"
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(path))
    return path


def test_default_auth_file_is_outside_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CYC_GEO_AUTH_FILE", raising=False)
    path = auth.auth_file()
    assert path == Path.home() / ".config" / "cyc-geo" / "editors.toml"
    assert REPO not in path.parents


def test_password_stored_hashed_only(auth_file: Path) -> None:
    auth.add_user("张工", "correct horse 1")
    text = auth_file.read_text(encoding="utf-8")
    assert "correct horse 1" not in text
    assert "$argon2id$" in text
    assert stat.S_IMODE(os.stat(auth_file).st_mode) == 0o600
    assert auth.check_password("张工", "correct horse 1")
    assert not auth.check_password("张工", "correct horse 2")
    assert not auth.check_password("nobody", "correct horse 1")
    assert [u["user"] for u in auth.list_users()] == ["张工"]


def test_json_credential_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "editors.json"
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(path))
    auth.add_user("alice", "s3cret-pass")
    assert auth.check_password("alice", "s3cret-pass")
    assert '"editors"' in path.read_text()


def test_bad_accounts_rejected(auth_file: Path) -> None:
    with pytest.raises(auth.AuthError):
        auth.add_user("bob", "short")
    with pytest.raises(auth.AuthError):
        auth.add_user("bad name/..", "long enough pw")
    auth.add_user("bob", "long enough pw")
    with pytest.raises(auth.AuthError):
        auth.add_user("bob", "another long pw")
    auth.add_user("bob", "another long pw", replace=True)
    assert auth.check_password("bob", "another long pw")
    auth.remove_user("bob")
    assert auth.list_users() == []


def test_session_expiry() -> None:
    s = auth.new_session("alice", now=1000.0, ttl_s=60.0)
    assert s == {"user": "alice", "expires": 1060.0}
    assert auth.session_user(s, now=1059.9) == "alice"
    assert auth.session_user(s, now=1060.0) is None
    assert auth.session_user(None) is None
    assert auth.session_user({"user": "alice"}) is None
    assert auth.session_user({"user": "", "expires": 1e18}) is None
    assert auth.session_user({"user": "alice", "expires": "soon"}) is None


def test_rate_limit_after_failures(auth_file: Path, data_dir: Path) -> None:
    auth.add_user("alice", "right password")
    conn = db.connect()
    t0 = 1_000_000.0
    for i in range(auth.MAX_FAILURES):
        r = auth.sign_in(conn, "alice", "wrong", now=t0 + i)
        assert (r.ok, r.reason) == (False, "bad_credentials")
    # the right password is now refused too, without being checked
    locked = auth.sign_in(conn, "alice", "right password", now=t0 + 10)
    assert (locked.ok, locked.reason) == (False, "rate_limited")
    assert locked.retry_after_s == pytest.approx(auth.WINDOW_S - 10)
    zh, en = locked.message()
    assert "过多" in zh and "Too many" in en
    # retrying while locked does not extend the lock: after the first failure leaves the window, it works
    ok = auth.sign_in(conn, "alice", "right password", now=t0 + auth.WINDOW_S + 0.5)
    assert ok.ok and ok.session["user"] == "alice"
    assert ok.session["expires"] == pytest.approx(t0 + auth.WINDOW_S + 0.5 + auth.SESSION_TTL_S)
    rows = conn.execute("SELECT ok, COUNT(*) FROM signin_attempts GROUP BY ok ORDER BY ok").fetchall()
    assert [tuple(r) for r in rows] == [(-1, 1), (0, auth.MAX_FAILURES), (1, 1)]
    # other user names are not affected by alice's lock
    auth.add_user("bob", "bob password")
    assert auth.sign_in(conn, "bob", "bob password", now=t0 + 11).ok
    assert db.audit_trail(conn, "session")[0]["action"] == "sign_in"


def test_cli_user_add_and_list(auth_file: Path, data_dir: Path) -> None:
    env = {**os.environ}
    add = subprocess.run(
        [sys.executable, "-m", "cyc_geo", "user", "add", "planner1", "--json"],
        input="pw-from-stdin-123\n", capture_output=True, text=True, cwd=REPO, env=env, timeout=60,
    )
    assert add.returncode == 0, add.stderr
    assert auth.check_password("planner1", "pw-from-stdin-123")
    short = subprocess.run(
        [sys.executable, "-m", "cyc_geo", "user", "add", "planner2"],
        input="123\n", capture_output=True, text=True, cwd=REPO, env=env, timeout=60,
    )
    assert short.returncode == 2 and "at least" in short.stderr
    ls = subprocess.run(
        [sys.executable, "-m", "cyc_geo", "user", "list", "--json"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=60,
    )
    assert ls.returncode == 0 and '"planner1"' in ls.stdout and "argon2" not in ls.stdout
