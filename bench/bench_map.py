"""Map benchmark in headless Chromium: cyc-geo's app vs an all-GeoJSON folium page.

cyc-geo (the running app, every layer on, rooftops included):
- ``map_first_view``: bytes the browser receives for the first map view (HTTP
  bodies as transferred plus WebSocket frames, which carry the map's layers),
  and seconds from navigation until the map, its legend and the sidebar
  indicators are rendered (server caches warm, as for any visitor after the
  first; browser cache cold: a new browser context per visit). Bytes come from
  one visit instrumented through CDP; seconds are the median of three
  uninstrumented visits, because the instrumentation itself slows the page;
- ``map_scenario_change``: seconds from moving the PV adoption slider until the
  sidebar indicator and the map's hexagon legend show the new scenario;
- ``map_app_rss``: resident memory of the app process (and its children) with
  every layer loaded;
- ``map_cold_first_view``: the first visit after a server start, started as
  ``make run`` does (``python -m ui.serve``, libraries imported before the server
  starts) and, as its baseline, with plain ``streamlit run app.py``.

Baseline: one static folium page embedding every roof (and the small layers) as
GeoJSON, served over HTTP from this machine; same browser, same measurements.
``quick=True`` caps the baseline at 20,000 roofs (its size is then also
extrapolated linearly to the full layer) to keep the run short.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
MB = 1024 * 1024


class ByteCounter:
    """Bytes received by a page: HTTP (encoded, as transferred) and WebSocket frames, via CDP."""

    def __init__(self, context, page) -> None:
        self.http = 0
        self.ws = 0
        self.requests = 0
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", self._http)
        cdp.on("Network.webSocketFrameReceived", self._ws)

    def _http(self, ev: dict) -> None:
        self.http += int(ev.get("encodedDataLength", 0))
        self.requests += 1

    def _ws(self, ev: dict) -> None:
        resp = ev.get("response", {})
        data = resp.get("payloadData", "")
        # opcode 2 = binary frame, given base64-encoded by CDP
        self.ws += len(data) * 3 // 4 if resp.get("opcode") == 2 else len(data.encode())

    @property
    def total(self) -> int:
        return self.http + self.ws


def _tree_rss_mb(pid: int) -> float:
    try:
        proc = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / MB
    except psutil.Error:
        return 0.0


def _wait_rendered(page, timeout_ms: int = 300_000) -> None:
    """Map drawn (legend present), script finished and the PV indicator shown in the sidebar."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    frame = page.frame_locator(MAP_IFRAME).last
    frame.locator(".cyc-legend h4").first.wait_for(timeout=timeout_ms)
    page.get_by_test_id("stSidebar").locator("[data-testid='stMetric']", has_text="MW").first.wait_for(
        timeout=timeout_ms)


def _metric_text(page) -> str:
    return page.get_by_test_id("stSidebar").locator("[data-testid='stMetric']", has_text="MW").first.inner_text()


def _legend_text(page) -> str:
    return page.frame_locator(MAP_IFRAME).last.locator(".cyc-legend").first.inner_text()


def _new_page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    return ctx, ctx.new_page()


def _timed_visit(browser, view: str):
    """Open ``view`` in a new browser context; (context, page, seconds until map and indicators are rendered)."""
    ctx, page = _new_page(browser)
    t0 = time.perf_counter()
    page.goto(view)
    _wait_rendered(page)
    return ctx, page, time.perf_counter() - t0


def _bench_app(browser, layer_ids: list[str], rows: int, visits: int = 3) -> list[dict[str, Any]]:
    """Bytes of one instrumented visit; time-to-render of ``visits`` uninstrumented ones (median, max).

    Counting bytes needs the CDP network domain, which copies every WebSocket
    frame to this process and slowed the measured visit by ~0.8 s, so bytes and
    time are measured on separate visits.
    """
    import statistics

    from tests.conftest import start_app, stop_app

    proc, url = start_app(timeout_s=180)
    try:
        view = f"{url}/?layers={','.join(layer_ids)}"
        # warm-up visit: builds demo data, caches and vector tiles (timed as the cold first view)
        ctx, page, cold_s = _timed_visit(browser, view)
        deadline = time.time() + 240
        while page.locator("text=正在生成矢量瓦片").count() and time.time() < deadline:
            page.wait_for_timeout(1000)
        ctx.close()

        ctx, page = _new_page(browser)
        counter = ByteCounter(ctx, page)
        page.goto(view)
        _wait_rendered(page)
        page.wait_for_timeout(1500)  # late requests (tiles, images) of the same view
        http_bytes, ws_bytes = counter.http, counter.ws
        ctx.close()

        times = []
        for _ in range(visits):
            ctx, page, seconds = _timed_visit(browser, view)
            times.append(seconds)
            if len(times) < visits:
                ctx.close()
        page.wait_for_timeout(1500)

        before_metric, before_legend = _metric_text(page), _legend_text(page)
        slider = page.get_by_test_id("stSidebar").get_by_role("slider").first
        slider.focus()
        t0 = time.perf_counter()
        page.keyboard.press("ArrowLeft")
        deadline = time.time() + 60
        while time.time() < deadline:
            if _metric_text(page) != before_metric and _legend_text(page) != before_legend:
                break
            page.wait_for_timeout(20)
        scenario_s = time.perf_counter() - t0
        rss = _tree_rss_mb(proc.pid)
        ctx.close()
    finally:
        stop_app(proc)
    first_bytes = http_bytes + ws_bytes
    return [
        {"bench": "map_first_view", "variant": "cyc-geo", "rows": rows,
         "seconds": round(statistics.median(times), 3), "seconds_max": round(max(times), 3), "visits": visits,
         "bytes": first_bytes, "mb": round(first_bytes / MB, 2), "http_bytes": http_bytes, "ws_bytes": ws_bytes},
        {"bench": "map_cold_first_view", "variant": "cyc-geo", "rows": rows, "seconds": round(cold_s, 3),
         "launcher": "python -m ui.serve"},
        {"bench": "map_scenario_change", "variant": "cyc-geo", "rows": rows, "seconds": round(scenario_s, 3)},
        {"bench": "map_app_rss", "variant": "cyc-geo", "rows": rows, "peak_mb": round(rss, 1)},
    ]


def _bench_cold_plain(browser, layer_ids: list[str], rows: int) -> list[dict[str, Any]]:
    """First visit after a server start with plain ``streamlit run app.py`` (no preloaded libraries)."""
    from tests.conftest import start_app, stop_app

    proc, url = start_app(timeout_s=180, launcher=False)
    try:
        ctx, _, seconds = _timed_visit(browser, f"{url}/?layers={','.join(layer_ids)}")
        ctx.close()
    finally:
        stop_app(proc)
    return [{"bench": "map_cold_first_view", "variant": "baseline", "rows": rows, "seconds": round(seconds, 3),
             "launcher": "streamlit run app.py"}]


def build_baseline_html(out_dir: Path, max_roofs: int | None = None) -> tuple[Path, int]:
    """The naive page: every roof and small layer as embedded GeoJSON in one folium map."""
    import folium

    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.catalog.registry import load_registry
    from cyc_geo.mapview.webmap import base_map, layer_group
    from cyc_geo.pv.rooftops import load_rooftops

    roofs = load_rooftops()
    if max_roofs is not None:
        roofs = roofs.iloc[:max_roofs]
    fmap = base_map("blank", base_url="vendor")
    for layer in load_registry():
        if layer.geometry == "raster" or layer.big:
            continue
        layer_group(layer, load_layer(layer), "zh").add_to(fmap)
    folium.GeoJson(
        roofs[["roof_id", "building_class", "area_m2", "geometry"]].to_json(drop_id=True),
        style_function=lambda f: {"weight": 0.5, "fillOpacity": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["roof_id", "building_class", "area_m2"]),
    ).add_to(fmap)
    out = out_dir / "baseline.html"
    fmap.save(str(out))
    vendor = out_dir / "vendor"
    if not vendor.exists():
        vendor.symlink_to(REPO / "static" / "vendor")
    return out, len(roofs)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _bench_baseline(browser, out_dir: Path, max_roofs: int | None, total_roofs: int) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    html, n = build_baseline_html(out_dir, max_roofs)
    build_s = time.perf_counter() - t0
    handler = functools.partial(_QuietHandler, directory=str(out_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    page_url = f"http://127.0.0.1:{server.server_port}/{html.name}"

    def visit(count_bytes: bool) -> tuple[float, int, bool]:
        ctx, page = _new_page(browser)
        counter = ByteCounter(ctx, page) if count_bytes else None
        t0 = time.perf_counter()
        timed_out = False
        try:
            page.goto(page_url, timeout=600_000, wait_until="load")
            page.wait_for_selector(".leaflet-container canvas", state="attached", timeout=600_000)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        except Exception:  # noqa: BLE001 - a page that never draws is counted as timed out, the run goes on
            timed_out = True
        seconds = time.perf_counter() - t0
        ctx.close()
        return seconds, counter.total if counter else 0, timed_out

    try:
        _, total_bytes, timed_out = visit(count_bytes=True)
        seconds, _, timed_out_2 = visit(count_bytes=False)  # timed without the CDP byte counter, as for the app
        timed_out = timed_out or timed_out_2
    finally:
        server.shutdown()
    size = html.stat().st_size
    row = {"bench": "map_first_view", "variant": "baseline", "rows": n, "seconds": round(seconds, 3),
           "bytes": total_bytes, "mb": round(total_bytes / MB, 2), "html_mb": round(size / MB, 2),
           "build_seconds": round(build_s, 2), "timed_out": timed_out}
    if n < total_roofs:
        row["html_mb_full_extrapolated"] = round(size / MB * total_roofs / n, 1)
    return [row]


def run(quick: bool = False) -> list[dict[str, Any]]:
    import tempfile

    from playwright.sync_api import sync_playwright

    from cyc_geo.catalog.registry import load_registry
    from cyc_geo.pv.rooftops import load_rooftops

    total_roofs = len(load_rooftops())
    layer_ids = [layer.id for layer in load_registry()]
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            rows = _bench_app(browser, layer_ids, total_roofs)
            rows += _bench_cold_plain(browser, layer_ids, total_roofs)
            rows += _bench_baseline(browser, Path(tmp), 20_000 if quick else None, total_roofs)
        finally:
            browser.close()
    app = next(r for r in rows if r["bench"] == "map_first_view" and r["variant"] == "cyc-geo")
    base = next(r for r in rows if r["bench"] == "map_first_view" and r["variant"] == "baseline")
    base_bytes = base["bytes"] * (total_roofs / base["rows"])
    app["bytes_ratio_vs_baseline"] = round(base_bytes / max(app["bytes"], 1), 1)
    app["seconds_ratio_vs_baseline"] = round(base["seconds"] / max(app["seconds"], 1e-6), 1)
    cold = {r["variant"]: r for r in rows if r["bench"] == "map_cold_first_view"}
    cold["cyc-geo"]["seconds_ratio_vs_baseline"] = round(cold["baseline"]["seconds"] / cold["cyc-geo"]["seconds"], 2)
    return rows


if __name__ == "__main__":
    import json

    for r in run(quick="--quick" in sys.argv):
        print(json.dumps(r, ensure_ascii=False))
