"""The sidebar sign-in of the app (ui/auth.py) driven through Streamlit's AppTest."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cyc_geo import auth

REPO = Path(__file__).resolve().parents[2]


def _script() -> None:
    import streamlit as st

    from ui.auth import current_editor, require_editor, signin_sidebar

    signin_sidebar()
    st.markdown(f"editor={current_editor()}")
    if st.button("write", key="write"):
        try:
            st.markdown(f"wrote as {require_editor()}")
        except PermissionError as exc:
            st.error(str(exc))


@pytest.fixture
def app(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CYC_GEO_AUTH_FILE", str(tmp_path / "editors.toml"))
    monkeypatch.chdir(REPO)
    auth.add_user("alice", "alice password")
    import streamlit as st

    st.cache_resource.clear()  # the cached DB connection must point at this test's database
    return AppTest.from_function(_script, default_timeout=60)


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_anonymous_cannot_write(app: AppTest) -> None:
    app.run()
    assert "editor=None" in _texts(app)
    app.button(key="write").click().run()
    assert any("Sign in as an editor" in e.value and "登录" in e.value for e in app.error)


def test_sign_in_then_out(app: AppTest) -> None:
    app.run()
    app.sidebar.text_input(key="cyc_auth_name").input("alice")
    app.sidebar.text_input(key="cyc_auth_password").input("alice password")
    app.sidebar.button[0].click().run()
    assert not app.exception
    assert "editor=alice" in _texts(app)
    assert app.session_state["cyc_auth"]["expires"] > time.time() + 3600
    app.button(key="write").click().run()
    assert "wrote as alice" in _texts(app)
    app.sidebar.button(key="cyc_auth_signout").click().run()
    assert "editor=None" in _texts(app)


def test_wrong_password_and_expired_session(app: AppTest) -> None:
    app.run()
    app.sidebar.text_input(key="cyc_auth_name").input("alice")
    app.sidebar.text_input(key="cyc_auth_password").input("not it")
    app.sidebar.button[0].click().run()
    assert "editor=None" in _texts(app)
    assert any("Wrong" in e.value or "错误" in e.value for e in app.sidebar.error)
    app.session_state["cyc_auth"] = {"user": "alice", "expires": time.time() - 1}
    app.run()
    assert "editor=None" in _texts(app)
    assert "cyc_auth" not in app.session_state
