"""Streamlit's own widget texts follow the page's language (ui.common.widget_texts): the file uploader's button and
size line and the multiselect's empty-search message read in Chinese on a Chinese page, in English on an English one.

A two-widget app (the same call app.py makes) under ``streamlit run``, in headless Chromium.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import REPO, free_port

APP = '''
import sys
sys.path.insert(0, {repo!r})
import streamlit as st
from ui.common import widget_texts
st.session_state["lang"] = st.query_params.get("lang", "zh")
widget_texts()
st.file_uploader("file")
st.multiselect("options", ["a", "b", "c"], key="ms")
'''


@pytest.fixture(scope="module")
def widget_app(tmp_path_factory):
    script = tmp_path_factory.mktemp("widget_texts") / "app.py"
    script.write_text(APP.format(repo=str(REPO)), encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def _texts(browser, url: str, lang: str) -> tuple[str, str]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        return _read(ctx.new_page(), url, lang)
    finally:
        ctx.close()


def _read(page, url: str, lang: str) -> tuple[str, str]:
    page.goto(f"{url}/?lang={lang}")
    page.wait_for_selector('[data-testid="stFileUploaderDropzone"]', timeout=60_000)
    page.wait_for_function("document.cycWidgetLang !== undefined", timeout=30_000)
    dropzone = page.inner_text('[data-testid="stFileUploaderDropzone"]')
    page.wait_for_selector('[data-testid="stMultiSelect"] input', timeout=30_000)
    # the empty multiselect's placeholder (an attribute, not a text node) reads in the page's language
    page.wait_for_function("([want]) => document.querySelector('[data-testid=\"stMultiSelect\"] input')"
                           ".placeholder === want", arg=["请选择" if lang == "zh" else "Choose options"], timeout=30_000)
    page.click('[data-testid="stMultiSelect"] input')
    page.keyboard.type("zzz")  # no option matches: the menu shows its empty message, in one language or the other
    page.wait_for_function("/无匹配项|No results/.test(document.body.innerText)", timeout=30_000)
    return dropzone, page.inner_text("body")


@pytest.mark.browser
def test_streamlit_widget_texts_in_chinese_and_english(browser, widget_app):
    dropzone, menu = _texts(browser, widget_app, "zh")
    assert "上传" in dropzone and "单个文件不超过 200MB" in dropzone
    assert "per file" not in dropzone and "Upload" not in dropzone
    assert "无匹配项" in menu and "No results" not in menu
    dropzone, menu = _texts(browser, widget_app, "en")
    assert "Upload" in dropzone and "200MB per file" in dropzone and "No results" in menu
