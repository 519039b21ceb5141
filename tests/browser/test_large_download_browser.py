"""Large downloads arrive whole in a real browser (issue 29, item 3).

The roofs GeoPackage of the PV page (~24 MB for the demo county) was offered from Streamlit's
in-memory media store and Chromium reported the download ``canceled``. It is now a content-named
file under ``static/downloads/`` (served by the app, or by nginx in front of replicas): the test
downloads it and checks its size and SHA-256 against the file the app wrote.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import REPO, wait_for_app

pytestmark = pytest.mark.browser

LONG = 180_000


def test_roofs_geopackage_downloads_whole(app_url, browser, tmp_path):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    try:
        page.goto(f"{app_url}/pv?lang=zh")
        wait_for_app(page, timeout_ms=LONG)
        page.get_by_role("button", name="生成屋顶 GeoPackage").click()
        link = page.get_by_text("下载屋顶 GeoPackage", exact=False).first
        link.wait_for(timeout=LONG)
        wait_for_app(page, timeout_ms=LONG)
        with page.expect_download(timeout=LONG) as info:
            link.click()
        download = info.value
        assert download.failure() is None, download.failure()
        saved = tmp_path / "pv_roofs.gpkg"
        download.save_as(saved)
        assert download.suggested_filename == "pv_roofs.gpkg"
        got = saved.read_bytes()
        assert len(got) > 5_000_000  # the demo county's roofs: ~24 MB
        assert got[:16] == b"SQLite format 3\x00"
        # the same bytes as the file the app published
        published = sorted((REPO / "static" / "downloads").glob("pv_roofs-*.gpkg"), key=lambda p: p.stat().st_mtime)
        assert published, "no published file under static/downloads/"
        want = published[-1].read_bytes()
        assert len(got) == len(want)
        assert hashlib.sha256(got).hexdigest() == hashlib.sha256(want).hexdigest()
        assert hashlib.sha256(want).hexdigest()[:16] in Path(published[-1]).name
    finally:
        ctx.close()
