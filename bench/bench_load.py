"""Load benchmark: N concurrent map visits (headless Chromium) against one app process or replicas.

For each server set-up (one ``python -m ui.serve`` process; ``--workers`` replicas behind
nginx, :mod:`deploy.replicas`) and each concurrency level (1, 5, 10, 20 by default):

- every session is a fresh browser context (cold browser cache, as a new visitor) that
  opens the map page with every layer on and waits until the map, its legend and the
  sidebar PV indicator are rendered (the same "rendered" as ``bench/bench_map.py``);
- **server CPU per visit**: user + system CPU seconds of the server processes (the app
  process or the replicas and nginx, with their children) over the batch, divided by the
  number of visits (psutil; the stable figure on a shared machine);
- per-session seconds (navigation → rendered), errors (a session that timed out or failed),
  server resident memory (process tree) after the batch.

The first visit after a start (``first_visit``) is measured separately: server started,
one visit, timed. Before the batches a warm-up visit fills the caches and waits for the
vector tiles. Loopback only; bounded: every visit has a timeout (``VISIT_TIMEOUT_S``) and
the batches are fixed in count.

``--repo DIR`` benchmarks another checkout of cyc-geo (e.g. the commit before the change,
``git worktree add ../serve-base ab4d637``), so before/after run side by side in one call::

    python -m bench.bench_load --sessions 1,5,10 --repo ../serve-base --repo .

``python -m bench --only load`` runs the default (``quick``: 1 and 5 sessions, one process).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from bench.common import emit_rows
from deploy.replicas import wait_health

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
VISIT_TIMEOUT_S = 420.0
MB = 1024 * 1024
LAYERS = ("county", "townships", "belt", "river", "devzone", "projects", "neighbours", "pv_installations",
          "forest", "landcover", "rooftops")
"""Every registered layer (the map benchmark's view)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A started server set-up: its root process, base URL and how to stop it."""

    def __init__(self, proc: subprocess.Popen, url: str, label: str) -> None:
        self.proc, self.url, self.label = proc, url, label

    def processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the process tree (children that ended are counted by the kernel's
        ``children_*`` fields only once waited for; the tile builder is waited for by the app)."""
        total = 0.0
        for p in self.processes():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def rss_mb(self) -> float:
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total / MB

    def wait_idle(self, max_s: float = 300.0, quiet_cpu_s: float = 0.15) -> float:
        """Wait until the server tree has used less than ``quiet_cpu_s`` CPU seconds in each of two
        consecutive seconds (start-up warm-up, tile building and the previous batch are over), at most
        ``max_s``; returns the seconds waited. Batches measured on a busy server would count its own
        background work as cost per visit."""
        t0, quiet = time.perf_counter(), 0
        while time.perf_counter() - t0 < max_s and quiet < 2:
            c0 = self.cpu_seconds()
            time.sleep(1.0)
            quiet = quiet + 1 if self.cpu_seconds() - c0 < quiet_cpu_s else 0
        return time.perf_counter() - t0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _python(repo: Path) -> str:
    venv = repo / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def start_single(repo: Path, env_extra: dict[str, str] | None = None) -> Server:
    """One app process as ``make run`` starts it (``python -m ui.serve``) in ``repo``."""
    port = free_port()
    env = {**os.environ, **(env_extra or {})}
    proc = subprocess.Popen(
        [_python(repo), "-m", "ui.serve", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_health(url, [proc], 180.0)
    return Server(proc, url, f"{repo.name}: 1 process")


def start_replicas(repo: Path, workers: int, env_extra: dict[str, str] | None = None) -> Server:
    """``workers`` app processes behind nginx (``python -m deploy.replicas``) in ``repo``."""
    port = free_port()
    env = {**os.environ, **(env_extra or {})}
    proc = subprocess.Popen(
        [_python(repo), "-m", "deploy.replicas", "--workers", str(workers), "--port", str(port)],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_health(url, [proc], 240.0)
    what = "1 process" if workers == 1 else f"{workers} replicas"
    return Server(proc, url, f"{repo.name}: {what} + nginx")


async def _visit(browser, url: str, timeout_s: float = VISIT_TIMEOUT_S) -> dict[str, Any]:
    """One visit in a fresh browser context: seconds until map, legend and PV indicator are rendered."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    t0 = time.perf_counter()
    ms = timeout_s * 1000
    try:
        await page.goto(url, timeout=ms)
        await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=ms)
        await page.frame_locator(MAP_IFRAME).last.locator(".cyc-legend h4").first.wait_for(timeout=ms)
        await page.get_by_test_id("stSidebar").locator("[data-testid='stMetric']", has_text="MW").first.wait_for(
            timeout=ms)
        building = await page.locator("text=正在生成矢量瓦片").count()
        return {"seconds": time.perf_counter() - t0, "error": None, "tiles_building": bool(building)}
    except Exception as exc:  # noqa: BLE001 - a failed session is a counted error, not a crash
        return {"seconds": time.perf_counter() - t0, "error": str(exc).splitlines()[0][:200]}
    finally:
        await ctx.close()


async def _batch(browser, url: str, n: int) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(_visit(browser, url) for _ in range(n))))


def map_url(base: str) -> str:
    return f"{base}/?layers={','.join(LAYERS)}"


def wait_tiles(browser_run, url: str, deadline_s: float = 240.0) -> None:
    """Visit until no 'building vector tiles' note shows (the tile build of a fresh checkout)."""
    end = time.time() + deadline_s
    while time.time() < end:
        got = browser_run(_visit_one(url))
        if not got.get("tiles_building") and not got["error"]:
            return
        time.sleep(5)


_BROWSER: Any = None


async def _visit_one(url: str) -> dict[str, Any]:
    return await _visit(_BROWSER, url)


def _start_pyspy(server: Server, n: int) -> subprocess.Popen | None:
    """With ``CYC_BENCH_PYSPY=<prefix>``: py-spy records the server tree during the batch (collapsed stacks,
    ``<prefix>-<label>-<n>.txt``); py-spy is not a dependency (``pip install --target`` it and put it on PATH)."""
    prefix = os.environ.get("CYC_BENCH_PYSPY")
    if not prefix:
        return None
    label = "".join(c if c.isalnum() else "_" for c in server.label)
    out = f"{prefix}-{label}-{n}.txt"
    proc = subprocess.Popen(["py-spy", "record", "--pid", str(server.proc.pid), "--subprocesses", "--format", "raw",
                             "--rate", "200", "--gil", "--nonblocking", "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return proc


def measure_server(server: Server, loop: asyncio.AbstractEventLoop, browser, sessions: list[int],
                   first_visit_s: float | None) -> list[dict[str, Any]]:
    """Rows of one server set-up: the first visit, then one batch per concurrency level."""
    global _BROWSER
    _BROWSER = browser
    url = map_url(server.url)
    rows: list[dict[str, Any]] = []
    if first_visit_s is not None:
        rows.append({"bench": "load_first_visit", "variant": server.label, "rows": 1,
                     "seconds": round(first_visit_s, 2)})
    wait_tiles(loop.run_until_complete, url)
    loop.run_until_complete(_batch(browser, url, 1))  # one more warm visit (caches of every layer)
    for n in sessions:
        server.wait_idle()
        spy = _start_pyspy(server, n)
        cpu0, t0 = server.cpu_seconds(), time.perf_counter()
        got = loop.run_until_complete(_batch(browser, url, n))
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=60)
        wall, cpu = time.perf_counter() - t0, server.cpu_seconds() - cpu0
        times = sorted(g["seconds"] for g in got if not g["error"])
        errors = [g["error"] for g in got if g["error"]]
        rows.append({
            "bench": f"load_{n}", "variant": server.label, "rows": n,
            "seconds": round(statistics.median(times), 2) if times else None,
            "seconds_max": round(max(times), 2) if times else None,
            "session_seconds": [round(t, 2) for t in times],
            "cpu_s_per_visit": round(cpu / n, 3), "server_cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
            "errors": len(errors), "error_sample": errors[:2], "peak_mb": round(server.rss_mb(), 1),
        })
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    return rows


PAGES = (("pv", "/pv?lang=zh", "情景设置"), ("projects", "/projects?lang=zh", None))
"""First steps after a start: page, path, a text that shows the page's first section is rendered."""


async def _page_visit(browser, url: str, text: str | None, timeout_s: float = VISIT_TIMEOUT_S) -> dict[str, Any]:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    t0 = time.perf_counter()
    ms = timeout_s * 1000
    try:
        await page.goto(url, timeout=ms)
        await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=ms)
        if text:
            await page.get_by_text(text).first.wait_for(timeout=ms)
        return {"seconds": time.perf_counter() - t0, "error": None}
    except Exception as exc:  # noqa: BLE001
        return {"seconds": time.perf_counter() - t0, "error": str(exc).splitlines()[0][:200]}
    finally:
        await ctx.close()


def bench_pages(repo: Path) -> list[dict[str, Any]]:
    """Seconds of the PV and projects pages: first visit right after a start, then a warm one."""
    from playwright.async_api import async_playwright

    loop = asyncio.new_event_loop()

    async def launch():
        pw = await async_playwright().start()
        return pw, await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    pw, browser = loop.run_until_complete(launch())
    server = start_single(repo)
    rows = []
    try:
        for name, path, text in PAGES:
            for kind in ("first", "warm"):
                got = loop.run_until_complete(_page_visit(browser, server.url + path, text))
                rows.append({"bench": f"page_{name}_{kind}", "variant": server.label, "rows": 1,
                             "seconds": round(got["seconds"], 2), "errors": int(bool(got["error"]))})
                print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    finally:
        server.stop()
        loop.run_until_complete(browser.close())
        loop.run_until_complete(pw.stop())
        loop.close()
    return rows


def parse_setup(token: str) -> tuple[int, bool]:
    """A ``--workers`` item: ``1`` one bare app process (Streamlit serves its own files), ``N`` (> 1) or
    ``N+nginx`` N app processes behind nginx (``1+nginx`` is what ``make run`` starts when nginx is installed)."""
    text = token.strip().lower()
    proxied = text.endswith("+nginx")
    n = int(text.removesuffix("+nginx"))
    if n < 1:
        raise ValueError(f"--workers item {token!r}: at least 1 process")
    return n, proxied or n > 1


def bench_setup(repo: Path, workers: int, sessions: list[int], nginx: bool = False) -> list[dict[str, Any]]:
    """Start ``repo``'s app (one bare process, or ``workers`` processes behind nginx), time the first visit,
    run the batches."""
    from playwright.async_api import async_playwright

    loop = asyncio.new_event_loop()

    async def launch():
        pw = await async_playwright().start()
        return pw, await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    pw, browser = loop.run_until_complete(launch())
    server = start_replicas(repo, workers) if nginx else start_single(repo)
    try:
        first = loop.run_until_complete(_visit(browser, map_url(server.url)))
        rows = measure_server(server, loop, browser, sessions, None if first["error"] else first["seconds"])
    finally:
        server.stop()
        loop.run_until_complete(browser.close())
        loop.run_until_complete(pw.stop())
        loop.close()
    return rows


def run(quick: bool = False, repos: list[Path] | None = None, workers: list[str] | None = None,
        sessions: list[int] | None = None) -> list[dict[str, Any]]:
    """Rows for every (repo, workers) set-up; ``quick``: 1 and 5 sessions against one process."""
    repos = repos or [REPO]
    setups = [parse_setup(str(w)) for w in (workers or ["1"])]
    sessions = sessions or ([1, 5] if quick else [1, 5, 10, 20])
    rows: list[dict[str, Any]] = []
    for repo in repos:
        for w, nginx in setups:
            if nginx and not (repo / "deploy" / "replicas.py").exists():
                continue
            rows += bench_setup(repo.resolve(), w, sessions, nginx)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.bench_load", description=__doc__.splitlines()[0])
    p.add_argument("--repo", action="append", type=Path, help="checkout to benchmark (repeatable; default: this one)")
    p.add_argument("--workers", default="1",
                   help="comma-separated set-ups: 1 (one bare process), 1+nginx (make run), N>1 (replicas + nginx)")
    p.add_argument("--sessions", default="1,5,10,20", help="comma-separated concurrency levels")
    p.add_argument("--out", type=Path, help="also write the rows as JSON here")
    p.add_argument("--pages", action="store_true", help="only time the PV and projects pages (first and warm)")
    args = p.parse_args(argv)
    if args.pages:
        rows = [r for repo in (args.repo or [REPO]) for r in bench_pages(repo.resolve())]
        emit_rows(rows, args.out)
        return
    rows = run(repos=args.repo, workers=args.workers.split(","),
               sessions=[int(x) for x in args.sessions.split(",")])
    emit_rows(rows, args.out)


if __name__ == "__main__":
    main()
