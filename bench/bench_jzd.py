"""Hostile 界址点 files: how long ``python -m cyc_geo land-check --site FILE`` takes to answer (issue 24, item 5).

Before the caps, a 10^6-line file took 107 s and 1.3 GB per check and ``inf`` as a point count ended in
an uncaught ``OverflowError``. Target: every answer (an error or a result) in **≤ 5 s**.

Files (written to a temporary folder, not timed; CGCS2000 3° zone 38 with the zone prefix, in the
county's development zone):

- ``inf_count``: ``inf`` as the parcel's point count (error naming line 8);
- ``hole_first``: a 300 m square with a 100 m square hole, the hole listed first (80,000 m²);
- ``overlapping``: two 300 m squares overlapping by 200 m x 200 m (error: the rings overlap);
- ``million_lines``: 10^6 lines of point rows (33 MB; refused by :data:`~cyc_geo.planning.jzd.MAX_JZD_BYTES`
  before a byte is read);
- ``million_blank``: 10^6 blank lines (1 MB, under the size cap; refused at the first line past
  :data:`~cyc_geo.planning.jzd.MAX_JZD_LINES`);
- ``at_cap_nested``: the worst file the caps accept for ring assembly: :data:`~cyc_geo.planning.jzd.MAX_JZD_POINTS`
  points in parcels of :data:`~cyc_geo.planning.jzd.MAX_JZD_RINGS` nested triangles that touch along
  their bases (invalid, so the slow overlap test runs for every parcel), 420 m x 360 m in all (a
  county-sized site makes the land check itself slow, whatever its format: about 1 min, mostly the
  耕地 rule, for 333 parcels spread over 40 km);
- ``at_cap_ring``: one ring of ``MAX_JZD_POINTS`` points.

Variants: ``cli`` — wall seconds of the whole command in a fresh interpreter (start-up, reading and, for
accepted files, the land check on the repo's data; ``cpu_s`` and ``peak_mb`` of that process: on a busy
machine its CPU seconds say more than its wall seconds); ``read`` —
:func:`cyc_geo.planning.projects.read_site_file` in this process. ``rows`` = lines of the file.
``python -m bench --only jzd``; ``python -m bench.bench_jzd``.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT, Measurement, PeakSampler, emit_rows, measure, result_row

HEAD = "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=38\n[地块坐标]\n"
E0, N0 = 562_000.0, 3_885_800.0
TARGET_S = 5.0


def _square(e: float, n: float, side: float, ring: int) -> list[str]:
    corners = [(e, n), (e + side, n), (e + side, n + side), (e, n + side), (e, n)]
    return [f"J{i + 1},{ring},{y:.3f},{38_000_000 + x:.3f}" for i, (x, y) in enumerate(corners)]


def _parcel(rows: list[str], count: str | None = None, no: int = 1) -> str:
    return f"{count or len(rows)},,{no},bench,面,,工业用地,,@\n" + "\n".join(rows) + "\n"


def files() -> dict[str, str]:
    """Case name -> file text."""
    from cyc_geo.planning.jzd import MAX_JZD_POINTS, MAX_JZD_RINGS

    out = {
        "inf_count": HEAD + _parcel(_square(E0, N0, 300, 1), count="inf"),
        "hole_first": HEAD + _parcel(_square(E0 + 100, N0 + 100, 100, 1) + _square(E0, N0, 300, 2)),
        "overlapping": HEAD + _parcel(_square(E0, N0, 300, 1) + _square(E0 + 100, N0 + 100, 300, 2)),
    }
    rows = [f"J{i},1,{N0 + i % 1000 * 0.1:.3f},{38_000_000 + E0 + i // 1000 * 0.1:.3f}" for i in range(1_000_000 - 8)]
    out["million_lines"] = HEAD + f"{len(rows)},,1,big,面,,,,@\n" + "\n".join(rows) + "\n"
    out["million_blank"] = HEAD + "\n" * 1_000_000
    body = []
    per = 3 * MAX_JZD_RINGS
    for p in range(MAX_JZD_POINTS // per):
        cx, cy = E0 + (p % 20) * 21, N0 + (p // 20) * 21  # 333 parcels on 420 m x 360 m
        tri = []
        for k in range(MAX_JZD_RINGS):
            s = 10 - 0.18 * k
            tri += [f"J1,{k + 1},{cy:.3f},{38_000_000 + cx - s:.3f}", f"J2,{k + 1},{cy:.3f},{38_000_000 + cx + s:.3f}",
                    f"J3,{k + 1},{cy + s:.3f},{38_000_000 + cx:.3f}"]
        body.append(_parcel(tri, no=p + 1))
    out["at_cap_nested"] = HEAD + "".join(body)
    n = MAX_JZD_POINTS
    ring = [f"J{i},1,{N0 + 500 + 400 * math.sin(2 * math.pi * i / n):.3f},"
            f"{38_000_000 + E0 + 500 + 400 * math.cos(2 * math.pi * i / n):.3f}" for i in range(n)]
    out["at_cap_ring"] = HEAD + _parcel(ring)
    return out


def _cli(path: Path) -> dict[str, Any]:
    """The land-check command in a fresh interpreter: wall seconds, peak RSS, exit code, area or message."""
    cmd = [sys.executable, "-m", "cyc_geo", "land-check", "--site", str(path), "--json"]
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakSampler(pid=proc.pid) as sampler:
        out, err = proc.communicate(timeout=600)
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
    answer = f"{json.loads(out)['area_m2']:,.0f} m²" if proc.returncode == 0 else err.strip().split(" / ")[-1][:120]
    return {"seconds": seconds, "cpu_s": cpu_s, "peak_mb": sampler.peak_bytes / (1 << 20), "exit": proc.returncode,
            "answer": answer}


def _read(path: Path) -> str:
    from cyc_geo.planning.jzd import JzdError
    from cyc_geo.planning.projects import read_site_file

    try:
        return f"{read_site_file(path).geometry.area.sum():,.0f} m²"
    except JzdError as exc:
        return exc.en[:120]


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="cyc-bench-jzd-") as tmp:
        for name, text in files().items():
            path = Path(tmp) / f"{name}.txt"
            path.write_bytes(text.encode("gbk"))
            lines = text.count("\n")
            c = _cli(path)
            rows.append(result_row("jzd_land_check", f"cli:{name}", lines, Measurement(c["seconds"], c["peak_mb"], 0.0),
                                   cpu_s=round(c["cpu_s"], 2), exit=c["exit"], answer=c["answer"],
                                   within_target=c["seconds"] <= TARGET_S,
                                   file_mb=round(path.stat().st_size / (1 << 20), 2)))
            repeats = 1 if quick else 3
            m = min((measure(_read, path) for _ in range(repeats)), key=lambda x: x.seconds)
            rows.append(result_row("jzd_land_check", f"read:{name}", lines, m, answer=m.result))
    return rows


def main() -> None:
    emit_rows(run(quick="--quick" in sys.argv))


if __name__ == "__main__":
    main()
