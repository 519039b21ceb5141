"""Single benchmark entry point: ``python -m bench [--quick] [--only NAME] [--markdown]``.

Discovers every ``bench/bench_*.py`` module and calls its ``run(quick)``, which
returns rows like ``{"bench", "variant", "rows", "seconds", "peak_mb", ...}``.
Each module runs in its own Python process (``--in-process`` to disable), so a
module that raises, crashes or exceeds ``--timeout`` is reported as an
``ERROR`` row and the others still run.

``ratio`` is ``seconds / seconds of the "baseline" variant`` for the same bench
and row count (a module may set its own ``ratio``). Results are written to
``bench/results/`` (git-ignored): ``run-<UTC time>.json`` plus ``latest.json``
and ``latest.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
COLUMNS = ["bench", "variant", "rows", "seconds", "peak_mb", "rows_per_s", "ratio"]


def discover(only: list[str] | None = None) -> list[str]:
    """Names of the ``bench_*`` modules (without prefix), optionally filtered by ``only``."""
    names = sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))
    if only:
        wanted = {o.removeprefix("bench_").removesuffix(".py") for o in only}
        unknown = wanted - set(names)
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    return names


def error_row(name: str, message: str) -> dict[str, Any]:
    return {"bench": name, "variant": "ERROR", "rows": None, "error": message.strip().splitlines()[-1][:300]}


def run_module(name: str, quick: bool) -> list[dict[str, Any]]:
    """Import ``bench.bench_<name>`` and call ``run(quick)``; exceptions become an ERROR row."""
    try:
        module = importlib.import_module(f"bench.bench_{name}")
        rows = module.run(quick=quick)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise TypeError(f"run() must return list[dict], got {type(rows).__name__}")
        for r in rows:
            r.setdefault("bench", name)
        return rows
    except Exception:  # noqa: BLE001 - a failing module is reported, never fatal
        traceback.print_exc()
        return [error_row(name, traceback.format_exc())]


def run_module_subprocess(name: str, quick: bool, timeout: float) -> list[dict[str, Any]]:
    """Run one module in a fresh interpreter (isolation from crashes, leaks and other modules' imports)."""
    with tempfile.TemporaryDirectory(prefix="cyc-bench-") as tmp:
        out = Path(tmp) / "rows.json"
        cmd = [sys.executable, "-m", "bench", "--child", name, "--child-out", str(out)]
        if quick:
            cmd.append("--quick")
        pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": pythonpath}
        try:  # the child's output (progress, tracebacks) goes to our stderr; stdout keeps the table
            proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, timeout=timeout, stdout=sys.stderr)
        except subprocess.TimeoutExpired:
            return [error_row(name, f"timed out after {timeout:.0f} s")]
        if not out.exists():
            return [error_row(name, f"crashed with exit code {proc.returncode} (see stderr above)")]
        return json.loads(out.read_text())


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Set ``ratio`` = seconds / baseline seconds (same bench and rows) where a module did not set one."""
    base = {
        (r.get("bench"), r.get("rows")): r["seconds"]
        for r in rows
        if r.get("variant") == "baseline" and r.get("seconds")
    }
    for r in rows:
        if r.get("ratio") is None and r.get("seconds") is not None:
            b = base.get((r.get("bench"), r.get("rows")))
            if b:
                r["ratio"] = round(r["seconds"] / b, 3)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def table_cells(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and formatted cells; keys beyond :data:`COLUMNS` are folded into a ``notes`` column."""
    header = [*COLUMNS, "notes"]
    cells = []
    for r in rows:
        notes = "; ".join(f"{k}={_fmt(v)}" for k, v in r.items() if k not in COLUMNS and k != "module")
        cells.append([_fmt(r.get(c)) for c in COLUMNS] + [notes])
    return header, cells


def format_text(rows: list[dict[str, Any]]) -> str:
    header, cells = table_cells(rows)
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
    numeric = {"rows", "seconds", "peak_mb", "rows_per_s", "ratio"}
    def line(vals: list[str]) -> str:
        return "  ".join(v.rjust(w) if h in numeric else v.ljust(w) for v, w, h in zip(vals, widths, header, strict=True)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(c) for c in cells)])


def format_markdown(rows: list[dict[str, Any]]) -> str:
    header, cells = table_cells(rows)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    return "\n".join(out)


def machine_info() -> dict[str, Any]:
    import platform

    import psutil

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "platform": platform.platform(),
    }


def merge_previous(rows: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """With ``--only``: keep the other modules' rows from ``latest.json`` so the saved table stays complete."""
    latest = RESULTS_DIR / "latest.json"
    if not latest.exists():
        return rows
    try:
        previous = json.loads(latest.read_text()).get("rows", [])
    except (OSError, ValueError):
        return rows
    kept = [r for r in previous if r.get("module") and r["module"] not in names]
    return sorted(kept + rows, key=lambda r: str(r.get("module")))


def save(rows: list[dict[str, Any]], args: argparse.Namespace, seconds: float) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    doc = {
        "when_utc": stamp,
        "quick": args.quick,
        "only": args.only,
        "total_seconds": round(seconds, 1),
        "machine": machine_info(),
        "rows": rows,
    }
    path = RESULTS_DIR / f"run-{stamp}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "latest.json").write_text(path.read_text())
    machine = doc["machine"]
    md = f"Run {stamp} ({'quick' if args.quick else 'full'}; {machine['cpus']} CPUs, {machine['ram_gb']} GB RAM)\n\n"
    (RESULTS_DIR / "latest.md").write_text(md + format_markdown(rows) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (seconds, for CI / smoke runs)")
    p.add_argument("--only", action="append", metavar="NAME", help="run only bench_NAME (repeatable)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    p.add_argument("--list", action="store_true", help="list the discovered benchmarks and exit")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per module before it is reported as failed")
    p.add_argument("--in-process", action="store_true", help="run modules in this process (no isolation)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if any module failed")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:
        rows = run_module(args.child, args.quick)
        Path(args.child_out).write_text(json.dumps(rows, ensure_ascii=False, default=str))
        return 0

    names = discover(args.only)
    if args.list:
        print("\n".join(names))
        return 0
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for name in names:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        t_mod = time.perf_counter()
        got = run_module(name, args.quick) if args.in_process else run_module_subprocess(name, args.quick, args.timeout)
        print(f"[bench] {name}: {len(got)} row(s) in {time.perf_counter() - t_mod:.1f} s", file=sys.stderr, flush=True)
        for r in got:
            r["module"] = name
        rows.extend(got)
    rows = merge_previous(rows, names) if args.only else rows
    add_ratios(rows)
    path = save(rows, args, time.perf_counter() - t0)
    print(format_markdown(rows) if args.markdown else format_text(rows))
    print(f"\nresults: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
    failed = [r["bench"] for r in rows if r.get("variant") == "ERROR"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
