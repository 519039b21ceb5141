"""Shared fixtures: an isolated data folder, the demo county built once per run, a real app server,
a headless Chromium.

Where a test goes (the folders mirror the code they test):

- ``tests/<package>/`` for ``cyc_geo/<package>/``: ``carbon/``, ``catalog/``, ``exports/``, ``geo/``,
  ``indicators/``, ``ingest/``, ``mapview/``, ``places/``, ``planning/``, ``pv/``;
  ``tests/core/`` for cyc_geo's top-level modules (``auth``, ``db``); ``tests/ui/`` for ``ui/``;
  ``tests/pages/`` for the pages (``views/``, ``app.py``) under Streamlit's ``AppTest``;
  ``tests/bench/`` for ``bench/``.
- ``tests/browser/``: every test that drives a real browser (the ``browser``, ``page`` or ``app_url``
  fixtures, or Playwright itself). The folder gives them the ``browser`` marker
  (:func:`pytest_collection_modifyitems`); a test elsewhere that asks for those fixtures or carries
  the marker stops the run with an error that says to move it.
- The folders are not packages (no ``__init__.py``): a test module is imported under its file name,
  so file names stay unique across folders; ``tests/`` is on ``sys.path`` (``pythonpath`` in
  pyproject.toml), so ``from conftest import ...`` and ``from import_helpers import ...`` work from
  any folder, as does ``from tests.conftest import ...`` (a namespace package from the repo root).

``make test`` runs every test in two worker processes (pytest-xdist, ``--dist loadscope``: a module's
tests stay on one worker, so module-scoped servers, data and the dask tests' LocalCluster start once and
never run beside another copy of themselves; each worker starts its own session app server for ``app_url``);
``make test-fast`` runs all but ``tests/browser/``. (``--dist loadgroup`` with ``xdist_group`` marks did not
keep a module together with pytest 9.2 and xdist 3.8: checked on a four-test module, the tests were spread
over both workers.)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
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


TESTS = Path(__file__).resolve().parent
BROWSER_TESTS = TESTS / "browser"
BROWSER_FIXTURES = {"browser", "page", "app_url"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser/ ``browser`` and refuse a browser test elsewhere.

    Runs before ``-m`` deselects (tryfirst), so ``-m "not browser"`` leaves the folder out.
    """
    misplaced = []
    for item in items:
        path = Path(item.path)
        if BROWSER_TESTS in path.parents:
            item.add_marker(pytest.mark.browser)
        elif BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser"):
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError(
            "browser tests belong in tests/browser/ (see tests/conftest.py): " + ", ".join(misplaced))


@contextlib.contextmanager
def run_lock(tmp_path_factory: pytest.TempPathFactory, name: str):
    """Hold an exclusive lock shared by this run's processes; yields the run's shared folder.

    Under pytest-xdist every worker has its own base temp folder inside the run's one (the parent),
    so the parent is shared by this run only; without xdist the session's own folder is used
    (pytest-xdist docs, "Making session-scoped fixtures execute only once").
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with open(shared / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield shared
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _build_demo_county(out: Path) -> None:
    """``python -m cyc_geo data build`` into ``out`` (a subprocess: no cache of this process sees it)."""
    tmp = out.with_name(out.name + ".building")
    (tmp / "boundaries").mkdir(parents=True)
    env = {**os.environ, "CYC_GEO_DATA_DIR": str(tmp), "CYC_GEO_DB": str(tmp / "build.sqlite")}
    done = subprocess.run([sys.executable, "-m", "cyc_geo", "data", "build", "--json"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"demo county build failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    for f in tmp.glob("build.sqlite*"):
        f.unlink()
    tmp.rename(out)


@pytest.fixture(scope="session")
def demo_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county (every layer of ``python -m cyc_geo data build``), built once per test run
    (one worker builds, the others wait for it) and never written to: copy it (``demo_data_dir``)."""
    with run_lock(tmp_path_factory, "demo-county") as shared:
        out = shared / "demo-county"
        if not out.exists():
            _build_demo_county(out)
    return out


@pytest.fixture(scope="session", autouse=True)
def _repo_demo_data(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> None:
    """Under pytest-xdist, the repo's own demo data (``data/``, read by the app servers and the AppTests
    that use no data folder of their own) is built before any test, once per run: two workers (or a
    worker and an app server) building the same missing file at once would race.

    In a fresh checkout (no ``data/generated/``) the files are copied from the session's demo county
    (:func:`demo_county`, the same ``data build``) rather than built a second time, and ``data build`` then
    adds whatever the copy did not hold (2 s when nothing is missing)."""
    if os.environ.get("CYC_GEO_DATA_DIR") or not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a serial run builds what it reads on first use, as the app does
    data = REPO / "data"
    county = None if any((data / "generated").glob("*")) else request.getfixturevalue("demo_county")
    with run_lock(tmp_path_factory, "repo-data") as shared:
        stamp = shared / "repo-data.done"
        if not stamp.exists():
            if county is not None:
                _copy_missing(county, data)
            done = subprocess.run([sys.executable, "-m", "cyc_geo", "data", "build", "--json"], cwd=REPO,
                                  capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                raise RuntimeError(f"data build failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
            stamp.touch()


def _copy_missing(src: Path, dest: Path) -> None:
    """Copy the files of ``src`` that ``dest`` lacks (each written under a temporary name, then renamed)."""
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        target = dest / path.relative_to(src)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".copying")
        shutil.copy2(path, part)
        part.rename(target)


def copy_demo_county(demo_county: Path, dest: Path) -> Path:
    """A private copy of the session's demo county at ``dest`` (a data folder, database not included)."""
    shutil.copytree(demo_county, dest)
    return dest


@pytest.fixture(autouse=True)
def _own_result_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with an empty result store (cyc_geo.catalog.result_store), as after a fresh
    install: a result kept by an earlier test must not stand in for a computation a test checks."""
    monkeypatch.setenv("CYC_GEO_RESULTS", str(tmp_path_factory.mktemp("results")))


@pytest.fixture
def conn(tmp_path: Path):
    """A fresh project database (all migrations applied) in the test's own folder."""
    from cyc_geo import db

    c = db.connect(tmp_path / "test.sqlite")
    yield c
    c.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder (and database) for one test; the repo's data is untouched."""
    d = tmp_path / "data"
    (d / "boundaries").mkdir(parents=True)
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(d))
    monkeypatch.setenv("CYC_GEO_DB", str(d / "test.sqlite"))
    return d


@pytest.fixture
def demo_data_dir(demo_county: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Like ``data_dir``, but holding a copy of the whole demo county (built once per run): for tests
    that need the demo layers but not their building."""
    d = copy_demo_county(demo_county, tmp_path / "data")
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(d))
    monkeypatch.setenv("CYC_GEO_DB", str(d / "test.sqlite"))
    return d


@pytest.fixture(scope="session")
def demo_landcover_dir(demo_county: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the demo land cover (and the rest of the demo county), shared by the
    session's tests that only read it; a copy of :func:`demo_county`."""
    return copy_demo_county(demo_county, tmp_path_factory.mktemp("landcover_demo") / "data")


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
    """Wait until Streamlit has finished running the script (as Streamlit's own e2e tests do).

    Only a wait for a run that has started: after a page load, or after something only the new run
    shows has appeared. Right after a click or a typed value the page still reads ``notRunning``
    until the server starts the rerun (the frontend does not mark a widget's rerun as requested),
    so this returns at once and the next action lands in the middle of that rerun. Wait first for
    what the action changes (``expect(...)``, a text of the new language, the URL), then for this.
    Nor is everything drawn when it returns: the browser draws the run's elements after the script has ended
    (a page reads notRunning with some of its metrics still missing), so read an element found by what it
    says (a label), never by its place among its kind.
    """
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)


def open_expander(page, summary, timeout_ms: int = 60_000) -> None:
    """Open the expander whose label is ``summary`` (a locator of the label's text) and wait until it has finished
    opening; an open one is left open.

    Streamlit animates the opening (~0.5 s): the ``details`` grow from the label's height under an inline
    ``height`` and ``overflow: hidden`` while the main area scrolls to show them, so what is inside keeps moving.
    A click meanwhile pressed on one element and released on another: in a CI run the mouse went down on
    生成 PDF and up on the 纸张 radios 10 ms later, no click reached the button and the print never came (logged
    with mousedown/mouseup listeners and the button's y per animation frame: 961, 992, … 1132 px). The end of
    the animation is the signal: the inline height is removed."""
    details = summary.locator("xpath=ancestor::details[1]")
    if not details.evaluate("d => d.open"):
        summary.click()
    page.wait_for_function("d => d.open && !d.style.height && !d.style.overflow", arg=details.element_handle(),
                           timeout=timeout_ms)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def logged(logger_name: str):
    """The records of the logger ``logger_name`` while the block runs. Streamlit's loggers do not propagate, so
    ``caplog`` does not see them (e.g. ``streamlit.dataframe_util``'s Arrow fallback, ``streamlit.deprecation_util``)."""
    log = logging.getLogger(logger_name)
    handler = _Records()
    log.addHandler(handler)
    try:
        yield handler.records
    finally:
        log.removeHandler(handler)


def sign_in(page, user: str, password: str, timeout_ms: int = 60_000) -> None:
    """Fill and send the sidebar's 编辑登录 form; the caller waits for what the signed-in run shows.

    The panel is opened with :func:`open_expander`: while it animates open, its 登录 button moves, and a click
    then could go down on the button and up elsewhere and be lost (a CI run of the replicas test waited 90 s for
    已登录编辑账号 after such a click; the same wait as the print button's in :func:`open_expander`)."""
    side = page.get_by_test_id("stSidebar")
    open_expander(page, side.get_by_text("编辑登录（浏览无需登录）"), timeout_ms=timeout_ms)
    side.get_by_label("用户名").fill(user)
    side.get_by_label("密码").fill(password)
    side.get_by_role("button", name="登录", exact=True).click()


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
