"""An editor stays signed in across reloads (signed, expiring cookie token), and signs out explicitly.

A real app (its own credential file and session secret) in headless Chromium; plus the token
checks without a browser: tampered, expired, signed with another secret, user removed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cyc_geo import auth, db
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, REPO, sign_in, start_app, stop_app, wait_for_app

SECRET = "test-secret-for-the-signin-cookie"
SIGNED_IN = "已登录编辑账号"


def test_token_round_trip_and_refusals(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(tmp_path / "editors.toml"))
    auth.add_user("alice", "alice password")
    conn = db.connect()
    now = time.time()
    key = b"k" * 32
    session = auth.start_session(conn, "alice", now, ttl_s=3600)
    token = auth.session_token(session, secret=key)
    assert "alice password" not in token
    assert auth.session_from_token(token, now + 10, secret=key, conn=conn) == session
    # tampered payload or signature
    bad = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert auth.session_from_token(bad, now, secret=key, conn=conn) is None
    forged = auth.session_token({"user": "mallory", "expires": now + 3600, "sid": "x"}, secret=b"other key")
    assert auth.session_from_token(forged, now, secret=key, conn=conn) is None
    # a well-signed token of a session the server never stored (or already cleaned up)
    unstored = auth.session_token({**session, "sid": "not-stored"}, secret=key)
    assert auth.session_from_token(unstored, now, secret=key, conn=conn) is None
    # past the session's expiry (1 h), though the signature is fine
    assert auth.session_from_token(token, now + 3601, secret=key, conn=conn) is None
    # a token whose record claims a longer life is still bounded by the signing time + SESSION_TTL_S
    long = auth.session_token({**auth.start_session(conn, "alice", now, ttl_s=10 * auth.SESSION_TTL_S)}, secret=key)
    assert auth.session_from_token(long, time.time() + 2 * auth.SESSION_TTL_S, secret=key, conn=conn) is None
    # the account was removed
    auth.remove_user("alice")
    assert auth.session_from_token(token, now + 10, secret=key, conn=conn) is None
    assert auth.session_from_token(None) is None and auth.session_from_token("x" * 5000) is None


_OTHER_PROCESS = """
import sys, time
from cyc_geo import auth, db
token, action = sys.argv[1], sys.argv[2]
conn = db.connect()
session = auth.session_from_token(token, time.time(), conn=conn)
if action == "sign-out" and session is not None:
    auth.revoke_session(conn, session)
print("valid" if session is not None else "refused")
"""


def _in_other_process(token: str, action: str) -> str:
    out = subprocess.run([sys.executable, "-c", _OTHER_PROCESS, token, action], capture_output=True, text=True,
                         cwd=REPO, env=dict(os.environ), timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_token_copied_before_sign_out_is_refused_after_it_in_every_process(tmp_path, monkeypatch, data_dir):
    """Sign-out revokes the token server-side (two processes share the database)."""
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(tmp_path / "editors.toml"))
    monkeypatch.setenv("CYC_GEO_SESSION_SECRET", SECRET)
    auth.add_user("alice", "alice password")
    conn = db.connect()
    result = auth.sign_in(conn, "alice", "alice password", source="198.51.100.7")
    token = auth.session_token(result.session)  # what the browser's cookie holds (copied by an attacker)
    assert _in_other_process(token, "check") == "valid"
    # signed out here (the app's sign-out button): the other process refuses the copy
    assert auth.revoke_session(conn, result.session)
    assert _in_other_process(token, "check") == "refused"
    assert auth.session_from_token(token, conn=conn) is None
    assert db.audit_trail(conn, "session")[0]["action"] == "sign_out"
    # signed out in the other process (another replica): refused here too
    second = auth.sign_in(conn, "alice", "alice password", source="198.51.100.7").session
    token2 = auth.session_token(second)
    assert auth.session_from_token(token2, conn=conn) is not None
    assert _in_other_process(token2, "sign-out") == "valid"
    assert auth.session_from_token(token2, conn=conn) is None
    # expired rows are deleted at the next sign-in
    old = auth.start_session(conn, "alice", time.time() - 2 * auth.SESSION_TTL_S)
    auth.start_session(conn, "alice")
    assert conn.execute("SELECT COUNT(*) FROM editor_sessions WHERE sid = ?", (old["sid"],)).fetchone()[0] == 0


def test_a_handoff_code_is_single_use_and_short_lived(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(tmp_path / "editors.toml"))
    conn = db.connect()
    now = time.time()
    session = auth.start_session(conn, "alice", now)
    code = auth.handoff_code(conn, session, now)
    assert code not in str([tuple(r) for r in conn.execute("SELECT * FROM editor_sessions")])  # only its hash
    assert auth.redeem_handoff(conn, code, now + 1) == session
    assert auth.redeem_handoff(conn, code, now + 2) is None  # used up
    late = auth.handoff_code(conn, session, now)
    assert auth.redeem_handoff(conn, late, now + auth.HANDOFF_TTL_S + 1) is None
    revoked = auth.handoff_code(conn, session, now)
    auth.revoke_session(conn, session, now)
    assert auth.redeem_handoff(conn, revoked, now + 1) is None


def test_session_secret_is_created_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.delenv("CYC_GEO_SESSION_SECRET", raising=False)
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(tmp_path / "editors.toml"))
    first = auth.session_secret()
    assert len(first) == 32 and auth.session_secret() == first
    assert (tmp_path / "session.key").stat().st_mode & 0o777 == 0o600


@pytest.fixture(scope="module")
def signin_app(tmp_path_factory):
    d: Path = tmp_path_factory.mktemp("signin")
    env = {"CYC_GEO_AUTH_FILE": str(d / "editors.toml"), "CYC_GEO_SESSION_SECRET": SECRET,
           "CYC_GEO_DB": str(d / "signin.sqlite")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_AUTH_FILE", env["CYC_GEO_AUTH_FILE"])
        auth.add_user("alice", "alice password")
    proc, url = start_app(env)
    yield url, d / "editors.toml", d / "signin.sqlite"
    stop_app(proc)


def _signed_in(page) -> bool:
    wait_for_app(page, timeout_ms=120_000)
    page.wait_for_timeout(500)
    return page.get_by_test_id("stSidebar").get_by_text(SIGNED_IN).count() > 0


def _session_cookie(ctx, present: bool = True, tries: int = 100, page=None):
    """The session cookie once the endpoint's answer arrived (``present``) or once it is gone."""
    for _ in range(tries):
        found = [c for c in ctx.cookies() if c["name"] == auth.SESSION_COOKIE and c["value"]]
        if bool(found) == present:
            return found[0] if found else None
        page.wait_for_timeout(200)
    raise AssertionError(f"session cookie {'never set' if present else 'never deleted'}")


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url + "/_cyc/session", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.browser
def test_reload_stays_signed_in_httponly_cookie_and_sign_out_revokes(signin_app):
    from playwright.sync_api import sync_playwright

    url, editors, db_file = signin_app
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = b.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        page.goto(url + "/data_import")
        assert not _signed_in(page)
        side = page.get_by_test_id("stSidebar")
        sign_in(page, "alice", "alice password")
        side.get_by_text(SIGNED_IN).wait_for(timeout=60_000)
        cookie = _session_cookie(ctx, page=page)
        # set by the server (Set-Cookie), not by a script: HttpOnly, and invisible to the page's scripts
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict" and cookie["expires"] > time.time() + 3600
        assert cookie["secure"] is False  # plain http on loopback; https adds Secure
        assert auth.SESSION_COOKIE not in page.evaluate("document.cookie")
        for frame in page.frames:  # nor in the component's frame
            assert auth.SESSION_COOKIE not in frame.evaluate("document.cookie")
        conn = db.connect(db_file)
        token = cookie["value"]
        assert auth.session_from_token(token, secret=SECRET.encode(), path=editors, conn=conn)["user"] == "alice"

        page.reload()
        assert _signed_in(page), "a reload signed the editor out"

        # a tampered token is refused (and deleted)
        ctx.add_cookies([dict(cookie, value=token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB"))])
        page.reload()
        assert not _signed_in(page)
        # an expired one too
        gone = auth.start_session(conn, "alice", time.time() - auth.SESSION_TTL_S - 5)
        ctx.add_cookies([dict(cookie, value=auth.session_token(gone, secret=SECRET.encode()))])
        page.reload()
        assert not _signed_in(page)

        # the valid one signs in; signing out deletes it, so the next reload is signed out ...
        ctx.add_cookies([cookie])
        page.reload()
        assert _signed_in(page)
        side.get_by_role("button", name="退出登录").click()
        wait_for_app(page)
        _session_cookie(ctx, present=False, page=page)
        page.reload()
        assert not _signed_in(page)
        # ... and a copy of the token taken before the sign-out no longer signs anyone in
        thief = b.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        thief.add_cookies([cookie])
        stolen = thief.new_page()
        stolen.goto(url + "/data_import")
        assert not _signed_in(stolen)
        assert auth.session_from_token(token, secret=SECRET.encode(), path=editors, conn=conn) is None
        b.close()

    # the endpoint: only same-origin posts with a live one-time code get a cookie
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _post(url, b"code=" + b"x" * 43, form) == 403
    session = auth.start_session(conn, "alice")
    code = auth.handoff_code(conn, session).encode()
    assert _post(url, b"code=" + code, {**form, "Sec-Fetch-Site": "cross-site"}) == 403
    assert _post(url, b"code=" + code, {**form, "Sec-Fetch-Site": "same-origin"}) == 200
    assert _post(url, b"code=" + code, {**form, "Sec-Fetch-Site": "same-origin"}) == 403  # used up
    conn.close()
