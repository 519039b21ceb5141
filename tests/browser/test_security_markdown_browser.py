"""File-derived strings in Streamlit Markdown stay text in a real browser (the AppTest half:
tests/pages/test_security_markdown.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pages.test_security_markdown import PANEL_APP


@pytest.mark.browser
def test_side_panel_shows_markdown_as_typed_in_the_browser(browser, tmp_path: Path) -> None:
    """Streamlit really renders the escaped cells as the original text: no link, no image, no backslash."""
    import urllib.request

    from conftest import REPO, free_port, wait_for_app

    script = tmp_path / "panel.py"
    script.write_text(PANEL_APP, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        wait_for_app(page)
        table = page.locator("[data-testid='stTable']")
        text = table.inner_text()
        for typed in ("[link](javascript:alert(1))", "面积(km²)", "12.5", "**b**", "<img src=x onerror=alert(1)> :red[r] $x$"):
            assert typed in text
        assert "\\" not in text
        assert table.locator("a, img, strong, .katex").count() == 0
        assert dialogs == []
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
