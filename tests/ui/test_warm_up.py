"""The start-up warm-up steps aside for planners: a step starts only when no page run is active."""

from __future__ import annotations

import threading
import time

from ui import warmup


def test_warm_up_steps_wait_for_page_runs_to_end():
    release = threading.Event()
    started = threading.Event()

    def page_run():
        with warmup.script_running():
            started.set()
            release.wait(60)

    t = threading.Thread(target=page_run)
    t.start()
    assert started.wait(60)
    waiter_done = threading.Event()
    threading.Thread(target=lambda: (warmup._wait_for_quiet(max_s=10), waiter_done.set())).start()
    assert not waiter_done.wait(0.5)  # a run is active: the warm-up does not start its next step
    release.set()
    t.join(5)
    assert waiter_done.wait(60) and warmup._RUNS["active"] == 0  # a bound against a hang, not a speed


def test_a_failed_run_is_not_counted_forever(monkeypatch):
    """After a run that raised, the warm-up does not wait at all (how long that takes: bench/bench_demo.py)."""
    try:
        with warmup.script_running():
            raise RuntimeError("the page raised")
    except RuntimeError:
        pass
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # _wait_for_quiet polls with time.sleep
    warmup._wait_for_quiet(max_s=5)
    assert warmup._RUNS["active"] == 0 and waits == []
