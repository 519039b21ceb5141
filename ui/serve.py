"""Start the app with its libraries already imported: ``python -m ui.serve [streamlit options]``.

Same as ``streamlit run app.py [options]``, except that the cyc_geo modules (and
through them geopandas, scipy/scikit-learn via mapclassify, pvlib, rasterio,
exactextract, h3, altair) are imported before the server starts. Streamlit imports
a page's modules during its first run, so otherwise the first visitor after a
restart waited for about 7 s of imports on this 2-core machine (py-spy).

Only modules without Streamlit components are imported here: a component
(``streamlit_folium``) registers itself with the running server when its module
is imported, so it must be imported by the page script as usual.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
from pathlib import Path

PRELOAD: tuple[str, ...] = (
    "cyc_geo.mapview.legend",
    "cyc_geo.mapview.webmap",
    "cyc_geo.mapview.tiles",
    "cyc_geo.pv.model",
    "cyc_geo.pv.rooftops",
    "cyc_geo.carbon.forest",
    "cyc_geo.geo.zonal",
    "cyc_geo.planning.landcheck",
    "cyc_geo.indicators.catalogue",
    "cyc_geo.planning.projects",
    "cyc_geo.ingest.importer",
    "cyc_geo.planning.report",
    "cyc_geo.mapview.print_layout",  # the map page's print section (fpdf and its fonts module)
    "cyc_geo.exports.pdf",
    "cyc_geo.auth",
    # imported lazily inside cyc_geo (so the CLI starts fast) but needed by the first map view
    "pvlib",
    "h3",
    "rasterio",
    "altair",
    # st.set_page_config checks the page icon against Streamlit's emoji catalogue, which compiles a
    # large regular expression on first import (0.4 s of the first page run after a start, py-spy)
    "streamlit.emojis",
)
"""Modules imported before the server starts (none may declare a Streamlit component)."""

APP = Path(__file__).resolve().parent.parent / "app.py"


def preload(modules: tuple[str, ...] = PRELOAD) -> None:
    """Import ``modules`` and search PROJ for the project's two everyday reprojections (WGS 84 ↔
    EPSG:4547, ~0.14 s each; :mod:`cyc_geo.geo.transformers` keeps them for every thread)."""
    for name in modules:
        importlib.import_module(name)
    from cyc_geo.geo.crs import AREA_CRS, WGS84
    from cyc_geo.geo.transformers import transformer

    transformer(WGS84, AREA_CRS, always_xy=True)
    transformer(AREA_CRS, WGS84, always_xy=True)


WARM_ENV = "CYC_GEO_WARM"
"""Set to ``0`` to skip the start-up warm-up (tests that time a truly cold first visit)."""

START_DELAY_S = 3.0
"""Seconds the warm-up waits after the server is up. A planner who opens the map right after a restart
has their first page run (compiling the page scripts, the first imports) while the warm-up would be
reading the roofs in the same interpreter; after a restart the map's own figures come from the result
store (:mod:`cyc_geo.catalog.result_store`), so that first run does not need the warm-up and should not
share the CPU with it (bench/bench_steps.py, "open the map", first)."""

_LOG = logging.getLogger("cyc_geo.serve")


def _warm_when_ready(timeout_s: float = 120.0) -> None:
    """Wait for the Streamlit runtime, then fill the shared caches (:func:`ui.warmup.warm_up`).

    Runs in a daemon thread started before the server, so it never delays the server's start
    or the first page; the caches it fills are the ones the sessions use (``st.cache_*``
    once the runtime exists). A failure is logged, never fatal: pages compute on demand.
    """
    from streamlit import runtime

    deadline = time.time() + timeout_s
    while not runtime.exists() and time.time() < deadline:
        time.sleep(0.2)
    if not runtime.exists():
        return
    _keep_script_cache()
    time.sleep(START_DELAY_S)
    # outside a script run Streamlit warns "missing ScriptRunContext" on every cached call
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    try:
        from ui.warmup import warm_up

        t0 = time.perf_counter()
        took = warm_up()
        print(f"cyc-geo: caches warmed in {time.perf_counter() - t0:.1f} s {took}", file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - the pages compute whatever is missing
        _LOG.exception("cyc-geo: warm-up failed")


def _keep_script_cache() -> None:
    """Keep the compiled page scripts when the last session leaves.

    Streamlit 1.67 empties its script cache whenever no session is connected ("avoid stale
    cached scripts"), so the next visitor after a quiet moment pays for reading, magic-
    rewriting and compiling ``app.py`` and the page again (py-spy: ~4 % of a warm visit's
    server CPU). With ``server.fileWatcherType = "none"`` (``.streamlit/config.toml``) the
    sources cannot change under a running server, so the cache is never stale; with a
    watcher on, Streamlit's behaviour is left as it is.
    """
    from streamlit import config, runtime

    if config.get_option("server.fileWatcherType") != "none":
        return
    cache = getattr(runtime.get_instance(), "_script_cache", None)
    if cache is not None and hasattr(cache, "clear"):
        cache.clear = lambda: None


def start_warm_up() -> threading.Thread | None:
    """Start :func:`_warm_when_ready` in a daemon thread (unless ``CYC_GEO_WARM=0``)."""
    if os.environ.get(WARM_ENV, "1") == "0":
        return None
    thread = threading.Thread(target=_warm_when_ready, name="cyc-geo-warm-up", daemon=True)
    thread.start()
    return thread


SERVED_OPTIONS: tuple[tuple[str, str], ...] = (
    # Visitors see "an error occurred" and never a traceback, exception text or server path: the details
    # go to the server's log only. Streamlit 1.67 (config.py, client.showErrorDetails): "none" shows a
    # generic message; developers running `streamlit run app.py` keep the default ("full").
    ("client.showErrorDetails", "none"),
)
"""Streamlit options every served run gets (a command-line flag of the same name overrides)."""


def served_args(args: list[str]) -> list[str]:
    """``args`` plus :data:`SERVED_OPTIONS` that ``args`` does not set itself."""
    extra: list[str] = []
    for key, value in SERVED_OPTIONS:
        flag = f"--{key}"
        if not any(a == flag or a.startswith(flag + "=") for a in args):
            extra += [flag, value]
    return [*args, *extra]


def check_database() -> None:
    """Refuse to start on a damaged database (:func:`cyc_geo.db.check_integrity`): print what is wrong
    with which file and what to do, in Chinese and English, and exit with status 2.

    Refusing (rather than serving read-only) because every page but the map reads the database
    (sign-in, indicators, projects, PV ledger, imports): a damaged file would fail them one by one,
    and writing into it could lose more data. The map and data files are not affected.
    """
    from cyc_geo import db

    try:
        db.check_integrity()
    except db.DatabaseDamaged as exc:
        print(f"cyc-geo: 无法启动。{exc.zh}\ncyc-geo: not starting. {exc.en}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


class _NoInternalAddress(logging.Filter):
    """Drops Streamlit's "Uvicorn server started on 127.0.0.1:<port>" line: behind nginx that address is a
    replica's loopback port, which bypasses nginx; ``deploy.replicas`` prints the one address to open."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Uvicorn server started on")


def hide_internal_address() -> None:
    """In a replica behind nginx (``CYC_GEO_REPLICA`` set by :mod:`deploy.replicas`), keep the replica's own
    address out of the log (a filter, so Streamlit resetting its loggers' levels does not undo it)."""
    if os.environ.get("CYC_GEO_REPLICA") is not None:
        logging.getLogger("streamlit.web.server.starlette.starlette_server").addFilter(_NoInternalAddress())


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    hide_internal_address()
    check_database()
    preload()
    sys.path.insert(0, str(APP.parent))  # ui.common etc. for the warm-up thread (streamlit adds it for the script)
    from ui import session_cookie

    session_cookie.install()  # the HttpOnly session cookie's endpoint (POST /_cyc/session)
    start_warm_up()
    sys.argv = ["streamlit", "run", str(APP), *served_args(sys.argv[1:] if argv is None else argv)]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
