"""Shared fixtures: an isolated data folder, a real app server, a headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# results kept across restarts (cyc_geo.catalog.result_store) start empty in every test session, as on CI
os.environ.setdefault("CYC_GEO_RESULTS", tempfile.mkdtemp(prefix="cyc-geo-results-"))
# charts are validated against the Vega-Lite schema in tests (ui.charts: not in the app, for speed)
os.environ.setdefault("CYC_GEO_VALIDATE_CHARTS", "1")


@pytest.fixture(autouse=True)
def _own_result_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with an empty result store (cyc_geo.catalog.result_store), as after a fresh
    install: a result kept by an earlier test must not stand in for a computation a test checks."""
    monkeypatch.setenv("CYC_GEO_RESULTS", str(tmp_path_factory.mktemp("results")))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder (and database) for one test; the repo's data is untouched."""
    d = tmp_path / "data"
    (d / "boundaries").mkdir(parents=True)
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(d))
    monkeypatch.setenv("CYC_GEO_DB", str(d / "test.sqlite"))
    return d


@pytest.fixture(scope="session")
def demo_landcover_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the demo land-cover raster, built once per test session (it takes a while)."""
    from cyc_geo.carbon import landcover

    d = tmp_path_factory.mktemp("landcover_demo")
    (d / "boundaries").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_DATA_DIR", str(d))
        landcover.landcover_path()
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env_extra: dict[str, str] | None = None, timeout_s: float = 90.0, launcher: bool = True):
    """Start the app as ``make run`` does (``python -m ui.serve``) on a free port; returns (process, base URL).

    ``launcher=False`` starts it with plain ``streamlit run app.py`` (benchmark comparison).
    """
    port = free_port()
    command = ["-m", "ui.serve"] if launcher else ["-m", "streamlit", "run", "app.py"]
    env = {**os.environ, **(env_extra or {})}
    proc = subprocess.Popen(
        [sys.executable, *command, "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    proc.kill()
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    raise RuntimeError(f"app did not start on {url}:\n{out[-3000:]}")


def stop_app(proc: subprocess.Popen) -> None:
    """Stop an app started by :func:`start_app` (terminate, then kill after 15 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def app_url():
    """The real app, started once per test session with the repo's demo data."""
    proc, url = start_app()
    yield url
    stop_app(proc)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (sync API).

    Module-scoped on purpose: the sync API keeps an event loop running on the main thread
    while it is open, which would break later tests that use ``asyncio.run`` or start
    Playwright themselves (the load test, the PNG export).
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test (installs Debian chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished running the script (as Streamlit's own e2e tests do)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = ctx.new_page()
    yield pg
    ctx.close()


def app_test(rel_path: str, timeout_s: float = 120):
    """``AppTest`` for a page file given relative to the repo root."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(REPO / rel_path), default_timeout=timeout_s)


def save_artifact(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
