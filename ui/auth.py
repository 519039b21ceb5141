"""Sign-in for editors in the Streamlit app (the library side is :mod:`cyc_geo.auth`).

The interface every page relies on:

- :func:`current_editor` -> user name or None (anonymous or expired);
- :func:`require_editor` -> user name, or raises ``PermissionError`` (zh + en);
  every view calls it immediately before a write;
- :func:`signin_sidebar` renders sign-in / sign-out in the sidebar;
- session format: ``st.session_state["cyc_auth"] = {"user": str, "expires": float}``.

A reload opens a new Streamlit session, so a sign-in is also kept in a browser cookie
(:data:`cyc_geo.auth.SESSION_COOKIE`): a signed, expiring token of a session stored in the database
(:func:`cyc_geo.auth.session_from_token`: signature, expiry, not signed out, the account still exists).
The cookie is HttpOnly: the server sets it (:mod:`ui.session_cookie`, a route that ``python -m ui.serve``
adds to Streamlit's server) when a zero-height component posts it a one-time code; scripts never
see the token. Signing out revokes the session in the database (so a copied token is refused by
every replica) and asks the endpoint to delete the cookie. Without that route (plain
``streamlit run app.py``) a sign-in lasts until the page is reloaded.

Sign-in attempts are throttled by the client address (:func:`client_address`: the WebSocket peer,
or behind the trusted nginx the address it puts in ``X-Forwarded-For``) and by account.
"""

from __future__ import annotations

import json
import sqlite3
import time

import streamlit as st

from cyc_geo import auth, db
from ui import session_cookie
from ui.common import database, script_frame, tr
from ui.errors import storage_message

SESSION_KEY = "cyc_auth"


COOKIE_ACTION_KEY = "cyc_auth_cookie"
"""Pending cookie change for the browser: ``("set", one-time code)`` or ``("clear", "")``."""
NO_COOKIE_KEY = "cyc_auth_no_cookie"
"""Set after a sign-out (or a refused token): this session never restores from the cookie again."""


def _cookie_token() -> str | None:
    try:
        return st.context.cookies.get(auth.SESSION_COOKIE)
    except Exception:  # noqa: BLE001 - no request context (bare mode, AppTest)
        return None


def client_address() -> str:
    """The client's address for sign-in throttling (:func:`cyc_geo.auth.client_source`)."""
    try:
        remote = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - no request context (bare mode)
        return ""
    remote = remote if isinstance(remote, str) and remote else "127.0.0.1"  # a loopback peer reads as None
    return auth.client_source(remote, forwarded if isinstance(forwarded, str) else None)


def _restore_from_cookie() -> None:
    """Sign the session in from a valid cookie token (a refused one is deleted in the browser)."""
    if st.session_state.get(SESSION_KEY) is not None or st.session_state.get(NO_COOKIE_KEY):
        return
    token = _cookie_token()
    if not token:
        return
    session = auth.session_from_token(token, time.time(), conn=database())
    if session is None:
        st.session_state[NO_COOKIE_KEY] = True
        st.session_state[COOKIE_ACTION_KEY] = ("clear", "")
        return
    st.session_state[SESSION_KEY] = session


def cookie_script(action: str, code: str) -> str:
    """The script that asks the server's cookie endpoint (:mod:`ui.session_cookie`) to set the HttpOnly
    session cookie (``action = "set"``, with the one-time ``code``) or to delete it (``"clear"``)."""
    body = json.dumps("action=clear" if action != "set" else "code=" + code)
    path = json.dumps(session_cookie.PATH)
    return (
        "<script>(function(){var w = window.parent || window, base = w.location.pathname;"
        # the app's own prefix (server.baseUrlPath / a proxy path): everything before the page's name
        "var root = base.replace(/[^/]*$/, '');"
        f"fetch(w.location.origin + root + {path}, {{method: 'POST', credentials: 'same-origin',"
        " headers: {'Content-Type': 'application/x-www-form-urlencoded'},"
        f" body: {body}}}).then(function(r){{"
        f"document.body.setAttribute('data-cookie', r.ok ? {json.dumps(action)} : 'refused');}})"
        ".catch(function(){document.body.setAttribute('data-cookie', 'failed');});})();</script>"
    )


def _write_cookie() -> None:
    pending = st.session_state.pop(COOKIE_ACTION_KEY, None)
    if not pending or not session_cookie.installed():
        return
    action, code = pending
    script_frame(cookie_script(action, code))


def current_editor() -> str | None:
    """The signed-in editor's user name, or None (anonymous, expired, or signed out elsewhere; such a
    session is cleared). A session stored in the database (``sid``) is checked there on every run, so a
    sign-out in one tab ends the others too."""
    _restore_from_cookie()
    session = st.session_state.get(SESSION_KEY)
    user = auth.session_user(session, time.time())
    if (user is not None and isinstance(session, dict) and "sid" in session
            and not auth.session_active(database(), session, time.time())):
        user = None
    if user is None and session is not None:
        st.session_state.pop(SESSION_KEY, None)
    return user


def require_editor() -> str:
    """The signed-in editor's name; raises ``PermissionError`` (Chinese + English message) otherwise."""
    user = current_editor()
    if user is None:
        raise PermissionError(auth.PERMISSION_MESSAGE)
    return user


def sign_out() -> None:
    session = st.session_state.pop(SESSION_KEY, None)
    st.session_state[NO_COOKIE_KEY] = True
    st.session_state[COOKIE_ACTION_KEY] = ("clear", "")
    try:
        auth.revoke_session(database(), session)
    except (sqlite3.DatabaseError, db.DatabaseDamaged) as exc:
        # not revoked in the database: this page is signed out and the cookie endpoint still deletes the
        # cookie (and revokes its token when it can); say so rather than fail
        message = storage_message(exc)
        if message is None:
            raise
        st.session_state["cyc_auth_msg"] = ("error", message)


def _submit_signin() -> None:
    name = st.session_state.get("cyc_auth_name", "")
    password = st.session_state.get("cyc_auth_password", "")
    st.session_state["cyc_auth_password"] = ""
    try:
        result = auth.sign_in(database(), name, password, source=client_address())
        if result.ok and session_cookie.installed():
            st.session_state[COOKIE_ACTION_KEY] = ("set", auth.handoff_code(database(), result.session))
    except auth.AuthError as exc:
        st.session_state["cyc_auth_msg"] = ("error", f"{exc}")
        return
    except (sqlite3.DatabaseError, db.DatabaseDamaged) as exc:  # full disk, damaged file: a message
        message = storage_message(exc)
        if message is None:
            raise
        st.session_state["cyc_auth_msg"] = ("error", message)
        return
    zh, en = result.message()
    if result.ok:
        st.session_state[SESSION_KEY] = result.session
        st.session_state.pop(NO_COOKIE_KEY, None)
        st.session_state["cyc_auth_msg"] = ("success", tr(zh, en))
    else:
        st.session_state["cyc_auth_msg"] = ("error", tr(zh, en))


def signin_sidebar() -> None:
    """Sign-in form (anonymous) or the editor's name with a sign-out button, in the sidebar."""
    side = st.sidebar
    user = current_editor()
    _write_cookie()
    msg = st.session_state.pop("cyc_auth_msg", None)
    if user:
        side.caption(tr(f"已登录编辑账号：**{user}**", f"Signed in as editor **{user}**"))
        side.button(tr("退出登录", "Sign out"), key="cyc_auth_signout", on_click=sign_out)
        return
    with side.expander(tr("编辑登录（浏览无需登录）", "Editor sign-in (browsing is open)"), expanded=msg is not None):
        with st.form("cyc_auth_form", clear_on_submit=False, border=False):
            st.text_input(tr("用户名", "User name"), key="cyc_auth_name")
            st.text_input(tr("密码", "Password"), type="password", key="cyc_auth_password")
            st.form_submit_button(tr("登录", "Sign in"), on_click=_submit_signin)
        if msg:
            kind, text = msg
            (st.success if kind == "success" else st.error)(text)
