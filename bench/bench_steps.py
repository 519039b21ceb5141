"""First steps benchmark: the interactions planners start with, timed the first time after a start and warm.

One app process is started (``python -m ui.serve``, as the bare set-up of :mod:`bench.bench_load`)
with its own SQLite database and editors file in a temporary folder, so saving a site changes
nothing in the checkout. Then, in fresh headless-Chromium contexts, the same sequence runs
``first`` right after the start (caches warming in the background), then ``warm 1`` … ``warm N`` in new
browser contexts, and each step is reported with its median over the warm rounds (``warm median of
N``). Each step is timed from the click (or navigation) until Streamlit has finished the run and
the step's result is on screen:

- map: open the map (county and townships), switch the rooftops layer on, click a township (side
  panel), download the map export as HTML and as PNG (each made on its click), make the township
  atlas (18 pages, A3, the paper chosen in a preparing step) in the print layout;
- PV: open the page, 恢复默认 (reset to defaults);
- projects: open the page, select project 3, upload a site file (GeoJSON), save it as project 3's
  site (signed in as an editor), 恢复演示地块 (reset to the demo site);
- forest: open the page, switch the method to carbon pools, switch the zones to the belt;
- indicators: open the page, make the evaluation report (生成评估报告, until its downloads are shown).

Then a planner moving between pages in one tab: the map opened, then each page clicked in the sidebar's
navigation (``nav_<page>``: Streamlit switches the page in the open tab, its frontend kept), one round not
reported and the median of the next ``N``.

The warm rounds run twice: in a *fresh* browser (a new context for each page, as a first visit: the
browser downloads and compiles Streamlit's ~5 MB frontend before the page can ask for anything) and in a
*returning* browser (one context for all the warm rounds, its cookies cleared before each page so every
page is a new, signed-out Streamlit session; only the HTTP cache is kept, as in the browser of a planner
who used the app yesterday: nginx serves the frontend with ``expires 30d``, ``deploy/nginx.conf.template``).

Steps whose name starts with ``_`` prepare the next one (open an expander, pick an option) and are not
reported.

Server CPU seconds per step are read from the process tree (psutil) like the load benchmark's.
``python -m bench.bench_steps [--repo DIR ...]``; ``python -m bench --only steps``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_load import CHROMIUM, CHROMIUM_ARGS, MAP_IFRAME, start_single  # noqa: E402
from bench.common import emit_rows  # noqa: E402

DONE = "[data-testid='stApp'][data-test-script-state='notRunning']"
STEP_TIMEOUT_MS = 300_000
EDITOR = ("benchplanner", "bench planner password")
WARM_ROUNDS = 3
"""Warm rounds per checkout; each step is reported with its median over them."""


def _settle(page, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Wait for the rerun a click starts to begin and end."""
    page.wait_for_timeout(250)
    page.wait_for_selector(DONE, timeout=timeout_ms)


def _choose(page, box, option: str, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Choose the option containing ``option`` in the select ``box``, with the keyboard.

    The select (a react-aria combobox) closes its list on any scroll of the page, and a click's own
    scroll-into-view dispatches its scroll event a frame later, so a box below the fold opened, then
    closed at once and the option never came (the projects-page timeouts). The box is scrolled into view
    first, the step waits until the browser has painted twice (that scroll event is delivered), types the
    option to filter the list, picks it with the keyboard (no click that could scroll) and waits until the
    box shows it. In the full bench's warm round the atlas paper select's list still did not open now and
    then (cause not found; never in a map-only run): the typing is done again, up to four times, as the
    browser tests' ``choose_option`` does. Only preparing steps choose, so no reported time includes it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect

    field = box.get_by_role("combobox")
    item = page.get_by_role("option").filter(has_text=option).first
    for attempt in range(4):
        box.scroll_into_view_if_needed(timeout=timeout_ms)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        field.fill("", timeout=timeout_ms)
        field.fill(option, timeout=timeout_ms)  # the list shows the matching options only
        try:
            item.wait_for(timeout=timeout_ms if attempt == 3 else min(timeout_ms, 15_000))
            break
        except PlaywrightTimeoutError:
            if attempt == 3:
                raise
            field.press("Escape")
    field.press("ArrowDown")
    field.press("Enter")
    expect(field).to_have_value(re.compile(re.escape(option)), timeout=timeout_ms)  # chosen, not only typed


def _site_file(folder: Path) -> Path:
    """A 200 m square site (GeoJSON, WGS84) inside project 3's demo area, off the belt."""
    from cyc_geo.planning.projects import load_project_layer

    sites = load_project_layer()
    c = sites[sites["project_no"] == 3].to_crs("EPSG:4547").geometry.union_all().representative_point()
    import geopandas as gpd
    import shapely

    square = gpd.GeoSeries([shapely.box(c.x - 100, c.y - 100, c.x + 100, c.y + 100)], crs="EPSG:4547").to_crs(4326)
    path = folder / "bench_site.geojson"
    path.write_text(square.to_json(), encoding="utf-8")
    return path


def _township_point() -> tuple[float, float]:
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    geom = towns[towns["name"] == "恼里镇"].iloc[0].geometry
    pt = geom.buffer(-0.01).representative_point()
    return pt.y, pt.x


def _map_steps(page, url: str, lat_lon: tuple[float, float]) -> list[tuple[str, Callable[[], None]]]:
    frame = page.frame_locator(MAP_IFRAME).last

    def open_map() -> None:
        page.goto(f"{url}/?layers=county,townships", timeout=STEP_TIMEOUT_MS)
        page.wait_for_selector(DONE, timeout=STEP_TIMEOUT_MS)
        frame.locator(".cyc-legend h4").first.wait_for(timeout=STEP_TIMEOUT_MS)

    def rooftops_on() -> None:
        page.get_by_test_id("stSidebar").get_by_text("建筑屋顶（光伏潜力）", exact=True).click()
        _settle(page)
        frame.locator(".cyc-legend h4", has_text="建筑屋顶").first.wait_for(timeout=STEP_TIMEOUT_MS)

    def side_panel() -> None:
        lat, lon = lat_lon
        pt = frame.locator(".leaflet-container").evaluate(
            f"() => {{ const p = window.map.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }}")
        frame.locator(".leaflet-container").click(position={"x": pt[0], "y": pt[1]})
        page.locator("[data-testid='stTable']", has_text="恼里镇").first.wait_for(timeout=STEP_TIMEOUT_MS)

    def export(kind: str) -> Callable[[], None]:
        def step() -> None:
            if kind == "HTML":
                page.get_by_text("导出当前地图（HTML / PNG）").click()
            with page.expect_download(timeout=STEP_TIMEOUT_MS) as dl:
                page.get_by_role("button", name=f"下载 {kind}").click()
            dl.value.path()  # the file has arrived
        return step

    def atlas_options() -> None:
        page.get_by_text("打印版式（PDF：图例、比例尺、指北针、数据来源）").click()
        page.get_by_text("乡镇图集", exact=True).click()
        _settle(page)
        page.get_by_test_id("stRadio").filter(has_text="纸张").get_by_text("A3", exact=True).click()
        _settle(page)

    def atlas() -> None:
        page.get_by_role("button", name="生成 PDF").click()
        _settle(page)
        page.get_by_role("button", name="下载 PDF").wait_for(timeout=STEP_TIMEOUT_MS)

    return [("map_open", open_map), ("map_rooftops_on", rooftops_on), ("map_side_panel", side_panel),
            ("map_export_html", export("HTML")), ("map_export_png", export("PNG")),
            ("_atlas_options", atlas_options), ("map_atlas", atlas)]


def _pv_steps(page, url: str) -> list[tuple[str, Callable[[], None]]]:
    def open_pv() -> None:
        page.goto(f"{url}/pv", timeout=STEP_TIMEOUT_MS)
        page.wait_for_selector(DONE, timeout=STEP_TIMEOUT_MS)
        page.get_by_text("情景设置").first.wait_for(timeout=STEP_TIMEOUT_MS)

    def reset() -> None:
        page.get_by_role("button", name="恢复默认").click()
        _settle(page)

    return [("pv_open", open_pv), ("pv_reset", reset)]


def _sign_in(page) -> None:
    page.get_by_text("编辑登录（浏览无需登录）").click()
    page.get_by_label("用户名").fill(EDITOR[0])
    page.get_by_label("密码").fill(EDITOR[1])
    page.get_by_role("button", name="登录").click()
    _settle(page)
    page.get_by_text("已登录编辑账号").wait_for(timeout=STEP_TIMEOUT_MS)


def _project_steps(page, url: str, site: Path) -> list[tuple[str, Callable[[], None]]]:
    def open_projects() -> None:
        page.goto(f"{url}/projects", timeout=STEP_TIMEOUT_MS)
        page.wait_for_selector(DONE, timeout=STEP_TIMEOUT_MS)
        page.get_by_text("选择项目").first.wait_for(timeout=STEP_TIMEOUT_MS)

    def select_3() -> None:
        page.wait_for_selector(DONE, timeout=STEP_TIMEOUT_MS)
        _choose(page, page.get_by_test_id("stSelectbox").filter(has_text="选择项目"), "3.")
        _settle(page)

    def upload() -> None:
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(site))
        _settle(page)
        page.get_by_role("button", name="保存为项目 3 的地块").wait_for(timeout=STEP_TIMEOUT_MS)

    def save() -> None:
        page.get_by_role("button", name="保存为项目 3 的地块").click()
        _settle(page)
        page.get_by_text("已保存项目 3 的地块").wait_for(timeout=STEP_TIMEOUT_MS)

    def reset() -> None:
        page.get_by_role("button", name="恢复演示地块").click()
        _settle(page)

    return [("projects_open", open_projects), ("projects_select_3", select_3), ("sign_in", lambda: _sign_in(page)),
            ("projects_upload_site", upload), ("projects_save_site", save), ("projects_reset_demo", reset)]


def _forest_steps(page, url: str) -> list[tuple[str, Callable[[], None]]]:
    def open_forest() -> None:
        page.goto(f"{url}/carbon", timeout=STEP_TIMEOUT_MS)
        page.wait_for_selector(DONE, timeout=STEP_TIMEOUT_MS)
        page.get_by_text("分区统计（精确部分像元加权）").first.wait_for(timeout=STEP_TIMEOUT_MS)

    def method_pools() -> None:
        page.get_by_test_id("stSidebar").get_by_text("碳库法（InVEST 储量/固碳）").click()
        _settle(page)
        page.get_by_text("碳储量 (万t C)").first.wait_for(timeout=STEP_TIMEOUT_MS)

    def zones_belt() -> None:
        _choose(page, page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="汇总单元"), "沿黄生态带分区")
        _settle(page)

    return [("forest_open", open_forest), ("forest_method_pools", method_pools), ("forest_zones_belt", zones_belt)]


def _indicator_steps(page, url: str) -> list[tuple[str, Callable[[], None]]]:
    def open_indicators() -> None:
        page.goto(f"{url}/indicators", timeout=STEP_TIMEOUT_MS)
        page.wait_for_selector(DONE, timeout=STEP_TIMEOUT_MS)
        page.get_by_role("button", name="生成评估报告").wait_for(timeout=STEP_TIMEOUT_MS)

    def evaluation() -> None:
        page.get_by_role("button", name="生成评估报告").click()
        _settle(page)
        page.get_by_role("button", name="年度评估 Word（试点期）").wait_for(timeout=STEP_TIMEOUT_MS)

    return [("indicators_open", open_indicators), ("indicators_evaluation", evaluation)]


def _error_line(exc: Exception) -> str:
    """A failed step's error in one line: the first line and, for a Playwright timeout, what it waited for."""
    lines = str(exc).splitlines()
    waited = next((ln.strip() for ln in lines if ln.strip().startswith("- waiting for")), "")
    return f"{lines[0] if lines else type(exc).__name__} {waited}".strip()[:300]


BROWSERS = ("fresh", "returning")
"""The warm rounds' browsers: a new context per page, or one context whose HTTP cache is kept."""

NAV_PAGES = (("pv", "屋顶光伏", "情景设置"), ("forest", "森林碳汇", "分区统计（精确部分像元加权）"),
             ("projects", "重点项目用地", "选择项目"), ("indicators", "指标看板", "生成评估报告"), ("map", "地图", None))
"""The in-app page switches: (step, the sidebar navigation's link, a text the page shows when drawn; the map: its
legend)."""


def _nav_rounds(browser, server, rounds: int) -> list[dict[str, Any]]:
    """A planner moving between pages: one tab opens the map, then clicks each page of :data:`NAV_PAGES` in the
    sidebar's navigation, ``rounds`` times over (after one round not reported); each switch timed from the click
    until Streamlit has finished the page's run and its text (the map: its legend) is drawn. Streamlit switches
    pages in the open tab (no new document, its frontend kept): the page open a planner makes most often."""
    ctx = _new_context(browser)
    page = ctx.new_page()
    rows: list[dict[str, Any]] = []
    try:
        page.goto(server.url, timeout=STEP_TIMEOUT_MS)
        page.wait_for_selector(DONE, timeout=STEP_TIMEOUT_MS)
        for i in range(rounds + 1):
            for name, link, text in NAV_PAGES:
                page.wait_for_timeout(500)  # the last page's frames settle
                cpu0, t0 = server.cpu_seconds(), time.perf_counter()
                error = None
                try:
                    page.get_by_test_id("stSidebarNav").get_by_text(link, exact=True).click()
                    _settle(page)
                    if text is None:
                        page.frame_locator(MAP_IFRAME).last.locator(".cyc-legend h4").first.wait_for(
                            timeout=STEP_TIMEOUT_MS)
                    else:
                        page.get_by_text(text).first.wait_for(timeout=STEP_TIMEOUT_MS)
                except Exception as exc:  # noqa: BLE001 - a failed step is reported, the round goes on
                    error = _error_line(exc)
                if i:
                    rows.append({"bench": f"step_nav_{name}", "variant": f"{server.label}, in-app {i}", "rows": 1,
                                 "seconds": round(time.perf_counter() - t0, 2),
                                 "server_cpu_s": round(server.cpu_seconds() - cpu0, 2), "error": error})
                    print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    finally:
        ctx.close()
    return rows


def _new_context(browser):
    return browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN")


def _round(browser, server, kind: str, site: Path, lat_lon: tuple[float, float],
           returning=None) -> list[dict[str, Any]]:
    """One pass over every step; each page in a new browser context, or in ``returning`` (a context kept
    between rounds) with its cookies cleared."""
    rows = []
    for steps_of in (lambda p: _map_steps(p, server.url, lat_lon), lambda p: _pv_steps(p, server.url),
                     lambda p: _project_steps(p, server.url, site), lambda p: _forest_steps(p, server.url),
                     lambda p: _indicator_steps(p, server.url)):
        if returning is not None:
            returning.clear_cookies()  # a new, signed-out session: only the HTTP cache is kept
        ctx = returning or _new_context(browser)
        page = ctx.new_page()
        try:
            for name, step in steps_of(page):
                cpu0, t0 = server.cpu_seconds(), time.perf_counter()
                error = None
                try:
                    step()
                except Exception as exc:  # noqa: BLE001 - a failed step is reported, the round goes on
                    error = _error_line(exc)
                if name == "sign_in" or (name.startswith("_") and not error):
                    continue
                rows.append({"bench": f"step_{name}", "variant": f"{server.label}, {kind}", "rows": 1,
                             "seconds": round(time.perf_counter() - t0, 2),
                             "server_cpu_s": round(server.cpu_seconds() - cpu0, 2), "error": error})
                print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
                if error:
                    break
        finally:
            if returning is None:
                ctx.close()
            else:
                page.close()
    return rows


def _medians(rows: list[dict[str, Any]], label: str, rounds: int) -> list[dict[str, Any]]:
    """One row per step: the median wall and server CPU seconds of its ``rounds`` warm rounds (a step that
    failed in any round is reported with that error)."""
    out = []
    for step in dict.fromkeys(r["bench"] for r in rows):
        mine = [r for r in rows if r["bench"] == step]
        errors = [r["error"] for r in mine if r["error"]]
        out.append({"bench": step, "variant": f"{label}, warm median of {rounds}", "rows": len(mine),
                    "seconds": round(statistics.median(r["seconds"] for r in mine), 2),
                    "server_cpu_s": round(statistics.median(r["server_cpu_s"] for r in mine), 2),
                    "error": errors[0] if errors else None})
    return out


def bench_repo(repo: Path, warm_rounds: int = WARM_ROUNDS, browsers: tuple[str, ...] = BROWSERS) -> list[dict[str, Any]]:
    """The first round and ``warm_rounds`` warm rounds in each of ``browsers`` against a fresh start of
    ``repo``'s app, and each step's median over the warm rounds (one page load in a fresh browser context
    varies by ±0.3 s)."""
    from playwright.sync_api import sync_playwright

    from cyc_geo import auth

    with tempfile.TemporaryDirectory(prefix="cyc-steps-") as tmp:
        folder = Path(tmp)
        auth_file = folder / "editors.toml"
        auth.add_user(*EDITOR, path=auth_file)
        env = {"CYC_GEO_DB": str(folder / "steps.sqlite"), "CYC_GEO_AUTH_FILE": str(auth_file)}
        site, lat_lon = _site_file(folder), _township_point()
        server = start_single(repo, env)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                rows = _round(browser, server, "first", site, lat_lon)
                for kind in browsers:
                    returning = _new_context(browser) if kind == "returning" else None
                    warm = [row for i in range(warm_rounds)
                            for row in _round(browser, server, f"warm {i + 1}, {kind} browser", site, lat_lon,
                                              returning)]
                    if returning is not None:
                        returning.close()
                    rows += warm + _medians(warm, f"{server.label}, {kind} browser", warm_rounds)
                nav = _nav_rounds(browser, server, warm_rounds)
                rows += nav + _medians(nav, f"{server.label}, in-app navigation", warm_rounds)
                browser.close()
        finally:
            server.stop()
    return rows


def run(quick: bool = False, repos: list[Path] | None = None, warm_rounds: int = WARM_ROUNDS,
        browsers: tuple[str, ...] = BROWSERS) -> list[dict[str, Any]]:
    """Rows for every repo (default: this checkout); ``quick`` makes one warm round."""
    return [row for repo in (repos or [REPO])
            for row in bench_repo(repo.resolve(), 1 if quick else warm_rounds, browsers)]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.bench_steps", description=__doc__.splitlines()[0])
    p.add_argument("--repo", action="append", type=Path, help="checkout to benchmark (repeatable; default: this one)")
    p.add_argument("--out", type=Path, help="also write the rows as JSON here")
    p.add_argument("--warm-rounds", type=int, default=WARM_ROUNDS, help="warm rounds per checkout (median reported)")
    p.add_argument("--browser", choices=(*BROWSERS, "both"), default="both",
                   help="warm rounds in a fresh browser per page, a returning one (HTTP cache kept), or both")
    args = p.parse_args(argv)
    browsers = BROWSERS if args.browser == "both" else (args.browser,)
    rows = run(repos=args.repo, warm_rounds=max(1, args.warm_rounds), browsers=browsers)
    emit_rows(rows, args.out)


if __name__ == "__main__":
    main()
