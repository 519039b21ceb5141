"""Timing and peak-memory helpers shared by every ``bench/bench_*.py`` module.

Two ways to measure a call:

- :func:`measure` runs it in the current process. Wall time comes from
  :func:`time.perf_counter`; peak memory is the highest resident set size (RSS)
  of this process *and all its descendants* (e.g. dask worker processes),
  sampled by a background thread with :mod:`psutil` every ``interval`` seconds.
  ``peak_mb`` is that absolute peak; ``delta_mb`` is the peak minus the RSS just
  before the call (what the call itself added).
- :func:`measure_subprocess` runs ``"package.module:function"`` in a fresh Python
  interpreter, so imports, caches and earlier allocations of the benchmark run
  do not pollute the figure. The child reports its own wall time around the
  call and ``ru_maxrss`` (the kernel's exact peak RSS of the child process);
  the parent samples the whole process tree as above. ``peak_mb`` is the larger
  of the two.

Sampling can miss a spike shorter than ``interval``; ``ru_maxrss`` cannot, but
it only covers one process. Both are reported so a reader can judge.

:func:`result_row` turns a :class:`Measurement` into the row format that
``python -m bench`` prints (see ``bench/__main__.py``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


@dataclass
class Measurement:
    """Outcome of one measured call."""

    seconds: float
    peak_mb: float
    delta_mb: float
    result: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def tree_rss_bytes(pid: int, exclude: frozenset[int] = frozenset()) -> int:
    """Resident memory of process ``pid`` plus all its descendants but those in ``exclude`` (0 if it is gone)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *(c for c in proc.children(recursive=True) if c.pid not in exclude)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


class PeakSampler:
    """Background thread recording the peak RSS of a process tree.

    Use as a context manager; ``peak_bytes`` holds the maximum seen so far.
    """

    def __init__(self, pid: int | None = None, interval: float = 0.02, exclude: frozenset[int] = frozenset()) -> None:
        self.pid = os.getpid() if pid is None else pid
        self.interval = interval
        self.exclude = exclude
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self.pid, self.exclude))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self.peak_bytes = tree_rss_bytes(self.pid, self.exclude)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self.pid, self.exclude))


def measure(fn: Callable[..., Any], *args: Any, interval: float = 0.02, **kwargs: Any) -> Measurement:
    """Call ``fn(*args, **kwargs)`` in this process; wall time and peak RSS of this process and the processes
    ``fn`` starts (children running before the call, e.g. an app a test session started, are not ``fn``'s: their
    memory moving during the call once hid a 200 MB allocation)."""
    others = frozenset(c.pid for c in psutil.Process().children(recursive=True))
    before = tree_rss_bytes(os.getpid(), others)
    with PeakSampler(interval=interval, exclude=others) as sampler:
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - t0
    peak = max(sampler.peak_bytes, before)
    return Measurement(seconds=seconds, peak_mb=peak / MB, delta_mb=(peak - before) / MB, result=result)



def best_of(fn: Callable[[], Any], repeats: int) -> Measurement:
    """Best of ``repeats`` wall-time measurements; ``extra['cpu_s']`` is that run's process CPU time.

    CPU time is reported too because on a shared 2-core machine wall time also counts
    waiting for other processes; single-threaded variants compare fairly on CPU time.
    """
    best: Measurement | None = None
    for _ in range(max(1, repeats)):
        c0 = time.process_time()
        m = measure(fn)
        m.extra["cpu_s"] = time.process_time() - c0
        if best is None or m.seconds < best.seconds:
            best = m
    assert best is not None
    return best

def _resolve(target: str) -> Callable[..., Any]:
    module_name, _, func_name = target.partition(":")
    if not func_name:
        raise ValueError(f"target must look like 'package.module:function', got {target!r}")
    return getattr(importlib.import_module(module_name), func_name)


def measure_subprocess(
    target: str,
    *args: Any,
    timeout: float = 1800.0,
    interval: float = 0.02,
    env: dict[str, str] | None = None,
    **kwargs: Any,
) -> Measurement:
    """Run ``target`` (``"package.module:function"``) with picklable arguments in a fresh interpreter.

    Raises :class:`RuntimeError` with the child's stderr tail if it fails or times out.
    """
    with tempfile.TemporaryDirectory(prefix="cyc-bench-") as tmp:
        inp, out = Path(tmp) / "in.pkl", Path(tmp) / "out.pkl"
        inp.write_bytes(pickle.dumps((target, args, kwargs)))
        cmd = [sys.executable, "-m", "bench.common", str(inp), str(out)]
        child_env = {**os.environ, **(env or {})}
        child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), child_env.get("PYTHONPATH")]))
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with PeakSampler(pid=proc.pid, interval=interval) as sampler:
            try:
                _, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise RuntimeError(f"{target} timed out after {timeout:.0f} s") from None
        if proc.returncode != 0 or not out.exists():
            tail = err.decode(errors="replace")[-2000:]
            raise RuntimeError(f"{target} failed (exit {proc.returncode}):\n{tail}")
        payload = pickle.loads(out.read_bytes())
    peak_mb = max(sampler.peak_bytes / MB, payload["maxrss_mb"])
    return Measurement(
        seconds=payload["seconds"],
        peak_mb=peak_mb,
        delta_mb=peak_mb - payload["before_mb"],
        result=payload["result"],
        extra={"maxrss_mb": payload["maxrss_mb"], "sampled_peak_mb": sampler.peak_bytes / MB},
    )


def result_row(bench: str, variant: str, rows: int, m: Measurement, **extra: Any) -> dict[str, Any]:
    """A row for the ``python -m bench`` table: time, peak memory and throughput (rows/s)."""
    row: dict[str, Any] = {
        "bench": bench,
        "variant": variant,
        "rows": int(rows),
        "seconds": round(m.seconds, 4),
        "peak_mb": round(m.peak_mb, 1),
        "rows_per_s": round(rows / m.seconds, 1) if m.seconds > 0 else None,
    }
    row.update(extra)
    return row


def _child_main(inp: str, out: str) -> int:
    """Entry point of the measuring child (``python -m bench.common IN OUT``)."""
    target, args, kwargs = pickle.loads(Path(inp).read_bytes())
    fn = _resolve(target)
    before = psutil.Process().memory_info().rss / MB
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - t0
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    Path(out).write_bytes(
        pickle.dumps({"seconds": seconds, "before_mb": before, "maxrss_mb": maxrss_mb, "result": result})
    )
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1], sys.argv[2]))


def emit_rows(rows: list[dict[str, Any]], out: Path | None = None) -> None:
    """Print each result row as one JSON line (stdout) and, with ``out``, write them all there as a JSON list."""
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    if out:
        out.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
