"""Load and fault tests on loopback.

- 12 concurrent headless browser sessions against the real app, two on each page at once: every page loads,
  no exception box, no JavaScript error (bounded: 300 s each). How many sessions one process serves and how
  fast is measured by ``bench/bench_load.py`` (20 and more sessions), not here.
- Killing the real app during an upload import leaves the layer fully old, readable, with a
  consistent import history after restart (the CLI import killed at many points:
  tests/ingest/test_import_kill.py, whose helpers these tests share).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, sign_in, start_app
from import_helpers import squares, write_shapefile_zip

from cyc_geo import auth, db
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.ingest.importer import import_file
from tests.ingest.test_import_kill import _big_geojson, _state, _wait_for, _writing

PAGES = ["map", "pv", "carbon", "projects", "indicators", "data_import"]
SESSIONS = 2 * len(PAGES)
"""Two sessions on every page at once: the same page run in two sessions and every page beside every other. The
test ran 20 (a third and fourth session of a page tested nothing the second does not); how many sessions one
process serves, and how fast, is ``bench/bench_load.py``'s."""
PAGE_TIMEOUT_MS = 300_000


# ---------------------------------------------------------------- concurrent sessions


async def _visit(browser, url: str, path: str, timings: list, problems: list) -> None:
    ctx = await browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = await ctx.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda e: js_errors.append(str(e)))
    t0 = time.perf_counter()
    try:
        await page.goto(f"{url}/{path}", timeout=PAGE_TIMEOUT_MS)
        await page.wait_for_selector("h1", timeout=PAGE_TIMEOUT_MS)
        await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=PAGE_TIMEOUT_MS)
        n_exc = await page.locator("[data-testid='stException']").count()
        if n_exc:
            problems.append(f"{path}: {n_exc} exception box(es)")
        if js_errors:
            problems.append(f"{path}: JS errors {js_errors[:2]}")
        timings.append((path, time.perf_counter() - t0))
    except Exception as exc:  # noqa: BLE001 - reported as a test failure below
        problems.append(f"{path}: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        await ctx.close()


async def _load(url: str) -> tuple[list, list]:
    from playwright.async_api import async_playwright

    timings: list = []
    problems: list = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in PAGES:  # warm-up: one visit per page fills the server's caches
            await _visit(browser, url, path, [], problems)
        await asyncio.gather(*[_visit(browser, url, PAGES[i % len(PAGES)], timings, problems) for i in range(SESSIONS)])
        await browser.close()
    return timings, problems


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_concurrent_sessions_on_every_page_load_without_errors(app_url: str) -> None:
    t0 = time.perf_counter()
    timings, problems = asyncio.run(_load(app_url))
    wall = time.perf_counter() - t0
    assert problems == []
    assert len(timings) == SESSIONS
    assert {p for p, _ in timings} == set(PAGES)
    with urllib.request.urlopen(f"{app_url}/_stcore/health", timeout=10) as r:
        assert r.status == 200
    secs = sorted(s for _, s in timings)
    print(f"\n{SESSIONS} concurrent sessions: median {secs[len(secs) // 2]:.1f} s, max {secs[-1]:.1f} s, wall {wall:.1f} s")


# ---------------------------------------------------------------- kill mid-import


def _assert_no_page_not_found(page) -> None:
    """A deep link into a freshly started app opens its page without Streamlit's "Page not found" dialog.

    (A stray ``pages/`` folder next to app.py once switched Streamlit to its
    old multipage mode, which reported every deep link as missing.)
    """
    assert page.get_by_text("Page not found").count() == 0


@pytest.mark.browser
@pytest.mark.slow
def test_kill_app_during_upload_import_then_restart(data_dir: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    conn = db.connect()
    auth_file = tmp_path / "editors.toml"
    os.environ["CYC_GEO_AUTH_FILE"] = str(auth_file)
    try:
        auth.add_user("editor1", "editor1 password")
        import_file(write_shapefile_zip(squares(3), tmp_path / "old"), "townships", "tester", conn=conn)
        big = _big_geojson(tmp_path)
        versions = layer_versions.versions_dir("townships")
        proc, url = start_app()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1300, "height": 1000})
                page.goto(f"{url}/data_import", timeout=PAGE_TIMEOUT_MS)
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=PAGE_TIMEOUT_MS)
                _assert_no_page_not_found(page)
                sign_in(page, "editor1", "editor1 password")
                page.get_by_text("已登录编辑账号").wait_for(timeout=60_000)
                page.locator("input[type=file]").set_input_files(str(big))
                page.get_by_text("big.geojson").wait_for(timeout=60_000)
                page.get_by_role("button", name="导入", exact=True).click()
                hit = _wait_for(lambda: _writing(versions), proc, timeout=180)
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                browser.close()
        finally:
            if proc.poll() is None:
                proc.kill()
        assert hit, "the app never started writing the new version"
        assert _state(conn)[0] == "old"
        # restart: the app comes back, the page shows the old data as active
        proc, url = start_app()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(f"{url}/data_import", timeout=PAGE_TIMEOUT_MS)
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=PAGE_TIMEOUT_MS)
                page.get_by_text("导入历史与回滚").wait_for(timeout=PAGE_TIMEOUT_MS)
                assert page.locator("[data-testid='stException']").count() == 0
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        assert list(Path(data_dir / "uploads").glob("*.geojson"))  # the upload was stored under a generated name
        assert all(len(p.stem) == 32 for p in Path(data_dir / "uploads").glob("*.geojson"))
    finally:
        os.environ.pop("CYC_GEO_AUTH_FILE", None)
