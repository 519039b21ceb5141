"""An editor stays signed in across reloads (signed, expiring cookie token), and signs out explicitly.

A real app (its own credential file and session secret) in headless Chromium; plus the token
checks without a browser: tampered, expired, signed with another secret, user removed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cyc_geo import auth
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app, wait_for_app

SECRET = "test-secret-for-the-signin-cookie"
SIGNED_IN = "已登录编辑账号"


def test_token_round_trip_and_refusals(tmp_path, monkeypatch):
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(tmp_path / "editors.toml"))
    auth.add_user("alice", "alice password")
    now = time.time()
    key = b"k" * 32
    session = auth.new_session("alice", now, ttl_s=3600)
    token = auth.session_token(session, secret=key)
    assert "alice password" not in token
    assert auth.session_from_token(token, now + 10, secret=key) == session
    # tampered payload or signature
    assert auth.session_from_token(token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"), now, secret=key) is None
    forged = auth.session_token({"user": "mallory", "expires": now + 3600}, secret=b"other key")
    assert auth.session_from_token(forged, now, secret=key) is None
    # past the session's expiry (1 h), though the signature is fine
    assert auth.session_from_token(token, now + 3601, secret=key) is None
    # a token whose record claims a longer life is still bounded by the signing time + SESSION_TTL_S
    long = auth.session_token({"user": "alice", "expires": now + 10 * auth.SESSION_TTL_S}, secret=key)
    assert auth.session_from_token(long, time.time() + 2 * auth.SESSION_TTL_S, secret=key) is None
    # the account was removed
    auth.remove_user("alice")
    assert auth.session_from_token(token, now + 10, secret=key) is None
    assert auth.session_from_token(None) is None and auth.session_from_token("x" * 5000) is None


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
    yield url, d / "editors.toml"
    stop_app(proc)


def _signed_in(page) -> bool:
    wait_for_app(page, timeout_ms=120_000)
    page.wait_for_timeout(500)
    return page.get_by_test_id("stSidebar").get_by_text(SIGNED_IN).count() > 0


@pytest.mark.browser
def test_reload_stays_signed_in_and_sign_out_clears_it(signin_app):
    from playwright.sync_api import sync_playwright

    url, editors = signin_app
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = b.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        page.goto(url + "/data_import")
        assert not _signed_in(page)
        side = page.get_by_test_id("stSidebar")
        side.get_by_text("编辑登录").click()
        side.get_by_label("用户名").fill("alice")
        side.get_by_label("密码").fill("alice password")
        side.get_by_role("button", name="登录").click()
        side.get_by_text(SIGNED_IN).wait_for(timeout=60_000)
        for _ in range(50):  # the cookie is written by a script in a zero-height component
            if any(c["name"] == auth.SESSION_COOKIE for c in ctx.cookies()):
                break
            page.wait_for_timeout(200)
        cookie = next(c for c in ctx.cookies() if c["name"] == auth.SESSION_COOKIE)
        assert cookie["sameSite"] == "Strict" and cookie["expires"] > time.time() + 3600
        assert auth.session_from_token(cookie["value"], secret=SECRET.encode(), path=editors)["user"] == "alice"

        page.reload()
        assert _signed_in(page), "a reload signed the editor out"

        # a tampered token is refused (and deleted)
        bad = dict(cookie, value=cookie["value"][:-4] + "AAAA")
        ctx.add_cookies([bad])
        page.reload()
        assert not _signed_in(page)
        # an expired one too
        expired = auth.session_token({"user": "alice", "expires": time.time() - 5}, secret=SECRET.encode())
        ctx.add_cookies([dict(cookie, value=expired)])
        page.reload()
        assert not _signed_in(page)

        # a valid one signs in; signing out deletes it, so the next reload is signed out
        ctx.add_cookies([cookie])
        page.reload()
        assert _signed_in(page)
        side.get_by_role("button", name="退出登录").click()
        wait_for_app(page)
        for _ in range(50):
            if not any(c["name"] == auth.SESSION_COOKIE and c["value"] for c in ctx.cookies()):
                break
            page.wait_for_timeout(200)
        page.reload()
        assert not _signed_in(page)
        b.close()
