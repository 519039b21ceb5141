"""Scripts the app runs in the browser (Streamlit's widget texts, the sign-in cookie) go through
``ui.common.script_frame``: a frame of the page's origin, sent without a deprecated Streamlit call."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, app_test, logged

SHELL = """
import sys
sys.path.insert(0, {repo!r})
from ui.auth import cookie_script
from ui.common import script_frame, widget_texts
widget_texts()
script_frame(cookie_script("clear", ""))
"""


def _run_logging_deprecations(at: AppTest) -> list[str]:
    with logged("streamlit.deprecation_util") as records:
        at.run()
    return [r.getMessage() for r in records]


def test_the_app_shell_calls_nothing_deprecated():
    """(``streamlit.components.v1.html``, deprecated since 2026-06-01, logged a warning on every run.)"""
    at = app_test("app.py")
    assert _run_logging_deprecations(at) == []
    assert not at.exception
    assert any("cycWidgetObserver" in f.proto.srcdoc for f in at.sidebar.get("iframe"))


def test_scripts_run_in_srcdoc_frames_of_the_sidebar_without_a_deprecation():
    at = AppTest.from_string(SHELL.format(repo=str(REPO)), default_timeout=60)
    at.session_state["lang"] = "zh"
    assert _run_logging_deprecations(at) == []
    assert not at.exception
    frames = list(at.sidebar.get("iframe"))
    assert len(frames) == 2
    docs = [f.proto.srcdoc for f in frames]
    assert "cycWidgetObserver" in docs[0] and "全选" in docs[0]  # the widget texts, in Chinese
    assert "action=clear" in docs[1]
    assert all(not f.proto.src for f in frames)  # inline, never a URL
