"""Sign-in for editors in the Streamlit app (the library side is :mod:`cyc_geo.auth`).

The interface every page relies on:

- :func:`current_editor` -> user name or None (anonymous or expired);
- :func:`require_editor` -> user name, or raises ``PermissionError`` (zh + en);
  every view calls it immediately before a write;
- :func:`signin_sidebar` renders sign-in / sign-out in the sidebar;
- session format: ``st.session_state["cyc_auth"] = {"user": str, "expires": float}``.

A reload opens a new Streamlit session, so a sign-in is also kept in a browser cookie
(:data:`cyc_geo.auth.SESSION_COOKIE`): a signed, expiring token (:func:`cyc_geo.auth.session_token`)
that the server verifies on the next visit (:func:`cyc_geo.auth.session_from_token`: signature,
expiry, the account still exists). Streamlit 1.67 reads cookies (``st.context.cookies``) but
cannot set them, so a tiny script in a zero-height component writes or deletes the cookie;
signing out deletes it and stops this session from reading it again.
"""

from __future__ import annotations

import json
import time

import streamlit as st
import streamlit.components.v1 as components

from cyc_geo import auth
from ui.common import database, tr

SESSION_KEY = "cyc_auth"


COOKIE_ACTION_KEY = "cyc_auth_cookie"
"""Pending cookie change for the browser: ``("set", token)`` or ``("clear", "")``."""
NO_COOKIE_KEY = "cyc_auth_no_cookie"
"""Set after a sign-out (or a refused token): this session never restores from the cookie again."""


def _cookie_token() -> str | None:
    try:
        return st.context.cookies.get(auth.SESSION_COOKIE)
    except Exception:  # noqa: BLE001 - no request context (bare mode, AppTest)
        return None


def _restore_from_cookie() -> None:
    """Sign the session in from a valid cookie token (a refused one is deleted in the browser)."""
    if st.session_state.get(SESSION_KEY) is not None or st.session_state.get(NO_COOKIE_KEY):
        return
    token = _cookie_token()
    if not token:
        return
    session = auth.session_from_token(token, time.time())
    if session is None:
        st.session_state[NO_COOKIE_KEY] = True
        st.session_state[COOKIE_ACTION_KEY] = ("clear", "")
        return
    st.session_state[SESSION_KEY] = session


def cookie_script(action: str, token: str, max_age_s: float) -> str:
    """The script that sets (``action = "set"``) or deletes the session cookie on the app's page."""
    name = json.dumps(auth.SESSION_COOKIE)
    value = json.dumps(token if action == "set" else "")
    age = int(max(0.0, max_age_s)) if action == "set" else 0
    return (
        "<script>(function(){var w = window.parent || window, d = w.document;"
        f"var c = {name} + '=' + encodeURIComponent({value}) + '; Path=/; Max-Age={age}; SameSite=Strict'"
        " + (w.location.protocol === 'https:' ? '; Secure' : ''); d.cookie = c;"
        f" document.body.setAttribute('data-cookie', {json.dumps(action)});}})();</script>"
    )


def _write_cookie() -> None:
    pending = st.session_state.pop(COOKIE_ACTION_KEY, None)
    if not pending:
        return
    action, token = pending
    session = st.session_state.get(SESSION_KEY) or {}
    with st.sidebar:
        components.html(cookie_script(action, token, float(session.get("expires", 0)) - time.time()), height=0)


def current_editor() -> str | None:
    """The signed-in editor's user name, or None (anonymous or expired; an expired session is cleared)."""
    _restore_from_cookie()
    session = st.session_state.get(SESSION_KEY)
    user = auth.session_user(session, time.time())
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
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[NO_COOKIE_KEY] = True
    st.session_state[COOKIE_ACTION_KEY] = ("clear", "")


def _submit_signin() -> None:
    name = st.session_state.get("cyc_auth_name", "")
    password = st.session_state.get("cyc_auth_password", "")
    st.session_state["cyc_auth_password"] = ""
    try:
        result = auth.sign_in(database(), name, password)
    except auth.AuthError as exc:
        st.session_state["cyc_auth_msg"] = ("error", f"{exc}")
        return
    zh, en = result.message()
    if result.ok:
        st.session_state[SESSION_KEY] = result.session
        st.session_state.pop(NO_COOKIE_KEY, None)
        st.session_state[COOKIE_ACTION_KEY] = ("set", auth.session_token(result.session))
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
