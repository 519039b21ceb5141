"""Start-up warm-up: fill the shared caches of every page outside any session.

It sits above :mod:`ui.common`, :mod:`ui.map_data` and :mod:`ui.projects_data` (it calls into all three),
so none of them imports upward. ``app.py`` counts page runs with :func:`script_running`; ``ui.serve``
runs :func:`warm_up` in a background thread once the server is up.
"""

from __future__ import annotations

import contextlib
import threading

from cyc_geo.catalog import result_store
from cyc_geo.mapview import static_payloads
from cyc_geo.pv.params import Scenario
from ui import map_data, projects_data
from ui.common import layer_frame, per_roof, potential_range, registry, roof_layer, roofs

_RUNS = {"active": 0}
_RUNS_LOCK = threading.Lock()


@contextlib.contextmanager
def script_running():
    """Count a page run while it lasts (``app.py`` wraps every full run in it), for :func:`warm_up`."""
    with _RUNS_LOCK:
        _RUNS["active"] += 1
    try:
        yield
    finally:
        with _RUNS_LOCK:
            _RUNS["active"] -= 1


def _wait_for_quiet(max_s: float = 20.0) -> None:
    """Wait (at most ``max_s``) until no page run is active: the warm-up shares the interpreter with the
    sessions, so it starts its next step between planners' runs instead of during them."""
    import time

    end = time.monotonic() + max_s
    while _RUNS["active"] > 0 and time.monotonic() < end:
        time.sleep(0.1)


def warm_up(langs: tuple[str, ...] = ("zh",)) -> dict[str, float]:
    """Fill the shared caches outside any session: roofs, per-roof results of the map's and the PV page's
    default scenarios, the PV range, the small layers, the map's published payloads, and the projects
    page's sites, checks and check context (:func:`ui.projects_data.warm`).

    Called by ``ui.serve`` in a background thread once the server runs, so the first visitor
    after a start finds them ready (or, arriving earlier, waits only for what is not done yet;
    a cache computes each key once). Each step starts when no page run is active
    (:func:`script_running`). Returns seconds per step (for the log and the benchmark).
    """
    import time

    from cyc_geo.pv.goal import map_scenario

    took: dict[str, float] = {}

    def step(name: str, fn) -> None:
        _wait_for_quiet()
        t0 = time.perf_counter()
        fn()
        took[name] = round(time.perf_counter() - t0, 3)

    step("results_pruned", result_store.prune)
    step("payloads_pruned", static_payloads.prune)  # after the store's prune: keeps what the store hands out
    # the map's default view first (small layers; their facts and payloads are read from the result
    # store after a restart), then the roofs behind the PV figures, then the projects page
    step("map_payloads", lambda: map_data.warm_map(langs=langs, big=False))
    if roof_layer() is not None:
        step("roofs", roofs)
        step("per_roof_map", lambda: per_roof(map_scenario(1.0)))
        step("map_payloads_big", lambda: map_data.warm_map(langs=langs, small=False))
        step("per_roof_pv", lambda: per_roof(Scenario()))
        step("potential_range", lambda: potential_range(Scenario()))
    step("layers", lambda: [layer_frame(layer.id) for layer in registry() if layer.geometry != "raster"])
    step("projects", projects_data.warm)
    return took
