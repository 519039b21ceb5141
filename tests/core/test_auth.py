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


VISITOR, EDITOR_PC = "203.0.113.5", "198.51.100.7"


def test_wrong_passwords_throttle_their_source_not_the_editor(auth_file: Path, data_dir: Path) -> None:
    """Five wrong passwords from one source once locked the account for 15 min, for everyone."""
    auth.add_user("alice", "right password")
    conn = db.connect()
    t0 = 1_000_000.0
    for i in range(auth.SOURCE_FREE_FAILURES):
        r = auth.sign_in(conn, "alice", "wrong", now=t0 + i, source=VISITOR)
        assert (r.ok, r.reason) == (False, "bad_credentials")
    # the visitor's source waits (the right password is not even checked from there) ...
    held = auth.sign_in(conn, "alice", "right password", now=t0 + 10, source=VISITOR)
    assert (held.ok, held.reason) == (False, "rate_limited")
    assert held.retry_after_s == pytest.approx(t0 + 4 + auth.BACKOFF_BASE_S - (t0 + 10))
    zh, en = held.message()
    assert "过多" in zh and "Too many" in en
    # ... other user names from that source too ...
    auth.add_user("bob", "bob password")
    assert auth.sign_in(conn, "bob", "bob password", now=t0 + 11, source=VISITOR).reason == "rate_limited"
    # ... but the editor, from another source, signs in with the right password at once
    ok = auth.sign_in(conn, "alice", "right password", now=t0 + 12, source=EDITOR_PC)
    assert ok.ok and ok.session["user"] == "alice" and ok.session["sid"]
    assert ok.session["expires"] == pytest.approx(t0 + 12 + auth.SESSION_TTL_S)
    assert db.audit_trail(conn, "session")[0]["action"] == "sign_in"
    # the visitor's back-off doubles with each further failure (15 s, 30 s, ...), and waiting is enough
    t1 = t0 + 4 + auth.BACKOFF_BASE_S + 0.5
    assert auth.sign_in(conn, "alice", "wrong", now=t1, source=VISITOR).reason == "bad_credentials"
    again = auth.sign_in(conn, "alice", "wrong", now=t1 + 1, source=VISITOR)
    assert again.reason == "rate_limited" and again.retry_after_s == pytest.approx(2 * auth.BACKOFF_BASE_S - 1)
    # retrying while throttled does not lengthen the wait (refusals are ok = -1, not failures)
    later = auth.sign_in(conn, "bob", "bob password", now=t1 + 2 * auth.BACKOFF_BASE_S + 0.5, source=VISITOR)
    assert later.ok
    rows = dict(conn.execute("SELECT ok, COUNT(*) FROM signin_attempts GROUP BY ok").fetchall())
    assert rows == {-1: 3, 0: auth.SOURCE_FREE_FAILURES + 1, 1: 2}


def test_backoff_rule_and_account_ceiling(auth_file: Path, data_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert [auth.backoff_s(n, 5) for n in (0, 4, 5, 6, 7, 30)] == [0, 0, 15, 30, 60, auth.WINDOW_S]
    assert auth.ACCOUNT_FREE_FAILURES == 100  # NIST SP 800-63B 5.2.2
    monkeypatch.setattr(auth, "ACCOUNT_FREE_FAILURES", 8)  # the same rule, 8 Argon2 checks instead of 100
    auth.add_user("alice", "right password")
    conn = db.connect()
    t0 = 2_000_000.0
    # a distributed guess (many sources, 2 tries each) reaches the account's ceiling of consecutive
    # failures: then the account itself backs off, from every source
    for i in range(auth.ACCOUNT_FREE_FAILURES):
        assert auth.sign_in(conn, "alice", "x", now=t0 + i, source=f"10.0.{i // 2}.1").reason == "bad_credentials"
    n = auth.ACCOUNT_FREE_FAILURES
    held = auth.sign_in(conn, "alice", "right password", now=t0 + n, source=EDITOR_PC)
    assert held.reason == "rate_limited" and held.retry_after_s == pytest.approx(auth.BACKOFF_BASE_S - 1)
    assert auth.sign_in(conn, "alice", "right password", now=t0 + n - 1 + auth.BACKOFF_BASE_S, source=EDITOR_PC).ok
    # a success starts the count again (consecutive failures)
    assert auth.sign_in(conn, "alice", "x", now=t0 + 200, source="10.9.9.9").reason == "bad_credentials"


def test_client_source_believes_forwarded_for_only_from_the_proxy() -> None:
    trusted = frozenset({"127.0.0.1"})
    assert auth.client_source("127.0.0.1", "198.51.100.7", trusted) == "198.51.100.7"
    # a client-written X-Forwarded-For is kept left of what nginx appends: the rightmost untrusted hop
    assert auth.client_source("127.0.0.1", "1.2.3.4, 198.51.100.7", trusted) == "198.51.100.7"
    # a direct client (not the proxy) cannot choose its source by sending the header
    assert auth.client_source("203.0.113.5", "1.2.3.4", trusted) == "203.0.113.5"
    assert auth.client_source("127.0.0.1", None, trusted) == "127.0.0.1"
    assert auth.client_source(None, None, trusted) == ""


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
