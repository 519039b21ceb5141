"""One headless Chromium kept by a worker thread, for map screenshots.

Starting Chromium through Playwright took about 1.5 s of each PNG export on the project's
2-core machine (``bench/bench_steps.py``, "map export: download PNG"). :func:`run` hands a job to
a worker thread that launches the browser once and keeps it, so later exports only open a fresh
browser context (cookies, cache and routes are per context, so one export cannot see another's).
The browser is closed after :data:`IDLE_S` seconds without a job, and launched again on the next;
a crashed browser is replaced. Playwright's sync API is bound to the thread that started it, which
is why one thread owns it (Streamlit runs every page run in a thread of its own). No Streamlit here.
"""

from __future__ import annotations

import atexit
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
"""Debian's Chromium and the flags the project uses everywhere (no sandbox in containers, no GPU, no
background requests)."""

IDLE_S = 300.0
"""Seconds without a job after which the browser is closed (about 150 MB of memory while it runs)."""

_lock = threading.Lock()
_jobs: queue.Queue | None = None
_thread: threading.Thread | None = None


def _serve(jobs: queue.Queue, idle_s: float) -> None:
    global _jobs, _thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = None
        try:
            while True:
                try:
                    job = jobs.get(timeout=idle_s)
                except queue.Empty:
                    with _lock:  # nothing came in meanwhile: retire, the next run() starts a new worker
                        if jobs.empty():
                            if _jobs is jobs:
                                _jobs = _thread = None
                            return
                    continue
                if job is None:
                    return
                fn, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if browser is None or not browser.is_connected():
                        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    future.set_result(fn(browser))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    future.set_exception(exc)
        finally:
            if browser is not None:
                with contextlib.suppress(Exception):  # already gone
                    browser.close()


def run(fn: Callable[[Any], Any], timeout_s: float | None = None, idle_s: float = IDLE_S) -> Any:
    """``fn(browser)`` in the worker thread (a Playwright ``Browser``, launched on first use); its result.

    Jobs run one at a time in arrival order. Exceptions raised by ``fn`` (or by the launch) are re-raised here.
    """
    global _jobs, _thread
    future: Future = Future()
    with _lock:
        jobs = _jobs
        if jobs is None or _thread is None or not _thread.is_alive():
            jobs = _jobs = queue.Queue()
            _thread = threading.Thread(target=_serve, args=(jobs, idle_s), name="cyc-geo-chromium", daemon=True)
            _thread.start()
        jobs.put((fn, future))
    return future.result(timeout=timeout_s)


def close() -> None:
    """Stop the worker and close the browser (at exit, and in tests)."""
    global _jobs, _thread
    with _lock:
        jobs, thread = _jobs, _thread
        _jobs = _thread = None
    if jobs is not None:
        jobs.put(None)
    if thread is not None:
        thread.join(timeout=30)


def running() -> bool:
    """Whether a worker (and so possibly a browser) is alive."""
    with _lock:
        return _thread is not None and _thread.is_alive()


atexit.register(close)
