"""Demo rooftop generator and the warm-up's step-aside: the timings the tests no longer assert.

The tests check what these do (tests/pv/test_rooftops.py: the generator is deterministic;
tests/ui/test_warm_up.py: the warm-up waits while a page run is active and not after a failed
one); how long they take is measured here, where a busy machine changes a figure but fails nothing.

Variants (best of ``repeats``, in this process):

- ``rooftops``: :func:`cyc_geo.demo.rooftops.generate_demo_rooftops` at ``scale`` (0.05 quick,
  0.25 full) of the county's footprints; ``under_60s`` is the bound the test once asserted
  ("vectorised": well under a minute even on a busy CI runner);
- ``warm_up_quiet``: :func:`ui.common._wait_for_quiet` right after a page run that raised: it must
  not wait for the failed run (``under_1s``, the bound the test once asserted), ``rows`` = 1 call.
"""

from __future__ import annotations

from typing import Any

from bench.common import best_of, result_row


def _failed_run_then_quiet() -> None:
    from ui import common  # imported before the first timed call (see run)

    try:
        with common.script_running():
            raise RuntimeError("the page raised")
    except RuntimeError:
        pass
    common._wait_for_quiet(max_s=5)


def run(quick: bool = False) -> list[dict[str, Any]]:
    from cyc_geo.demo import rooftops
    from ui import common  # noqa: F401 - imported here, not inside the timed call

    scale = 0.05 if quick else 0.25
    repeats = 1 if quick else 3
    gen = best_of(lambda: rooftops.generate_demo_rooftops(scale=scale), repeats)
    quiet = best_of(_failed_run_then_quiet, repeats)
    return [
        result_row("demo_rooftops", "cyc-geo", len(gen.result), gen, scale=scale, under_60s=gen.seconds < 60,
                   cpu_s=round(gen.extra["cpu_s"], 3)),
        result_row("warm_up_quiet", "cyc-geo", 1, quiet, under_1s=quiet.seconds < 1),
    ]


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)
