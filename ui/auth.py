"""Sign-in for editors in the Streamlit app (the library side is :mod:`cyc_geo.auth`).

The interface every page relies on:

- :func:`current_editor` -> user name or None (anonymous or expired);
- :func:`require_editor` -> user name, or raises ``PermissionError`` (zh + en);
  every view calls it immediately before a write;
- :func:`signin_sidebar` renders sign-in / sign-out in the sidebar;
- session format: ``st.session_state["cyc_auth"] = {"user": str, "expires": float}``.
"""

from __future__ import annotations

import time

import streamlit as st

from cyc_geo import auth
from ui.common import database, tr

SESSION_KEY = "cyc_auth"


def current_editor() -> str | None:
    """The signed-in editor's user name, or None (anonymous or expired; an expired session is cleared)."""
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
        st.session_state["cyc_auth_msg"] = ("success", tr(zh, en))
    else:
        st.session_state["cyc_auth_msg"] = ("error", tr(zh, en))


def signin_sidebar() -> None:
    """Sign-in form (anonymous) or the editor's name with a sign-out button, in the sidebar."""
    side = st.sidebar
    user = current_editor()
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
