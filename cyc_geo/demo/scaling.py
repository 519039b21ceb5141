"""N-times-the-county rooftop data for benchmarks (province-scale rooftops, docs/scale.md).

Henan has 100+ counties; to test the engines at that scale without real data,
:func:`build_scaled` replicates the county's demo rooftops
(:func:`cyc_geo.pv.rooftops.load_rooftops`) into synthetic neighbouring
"counties" laid out on a grid east and north of the county:

- copy 0 is the county itself, unchanged;
- copy ``k`` is shifted by whole multiples of the county's extent plus a 5 %
  gap (geometry and ``lon``/``lat`` by the same degrees, so they stay
  consistent; ``x``/``y`` are re-projected to EPSG:4547 from the new
  ``lon``/``lat``, and precomputed ``h3_<res>`` cells are recomputed);
  ``area_m2`` is kept (the same building copied);
- ``roof_id`` becomes ``k * id_stride + roof_id`` (unique), and
  ``township_code`` gets the synthetic county prefix ``99kkkk`` (province
  code 99 does not exist, so no clash with real codes); copy 0 keeps the county's own codes.
  A ``county_code`` column (first six digits) is added.

The result is written as partitioned GeoParquet (``part.00000.parquet``, ...,
every part exactly ``partition_rows`` rows except possibly the last) plus a
``manifest.json``, into a git-ignored folder ``<rooftops dir>/scaled_<N>/``.
Writing streams: at most one copy plus one partition is in memory at a time.
All data is demo data (``"demo": "true"`` in the manifest). The manifest and partition readers are
in :mod:`cyc_geo.catalog.partitions` (re-exported here).

Command line: ``python -m cyc_geo.demo.scaling --roofs 5000000``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from cyc_geo import paths
from cyc_geo.catalog.partitions import (  # noqa: F401 - partition_files re-exported for the benchmarks and tests
    DEFAULT_PARTITION_ROWS,
    MANIFEST,
    partition_files,
    read_manifest,
)
from cyc_geo.geo import hexgrid
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.transformers import transformer

GAP = 0.05  # 5 % gap between synthetic counties
SYNTHETIC_PROVINCE = "99"


def scaled_dir(target_roofs: int) -> Path:
    """Default output folder for ``target_roofs`` roofs (git-ignored: ``data/rooftops/*/``)."""
    return paths.rooftops_dir() / f"scaled_{int(target_roofs)}"


def grid_offsets(copies: int, width: float, height: float, gap: float = GAP) -> np.ndarray:
    """``(copies, 2)`` offsets of each copy on a near-square grid; copy 0 at (0, 0)."""
    ncols = max(1, math.ceil(math.sqrt(copies)))
    k = np.arange(copies)
    return np.column_stack([(k % ncols) * width * (1 + gap), (k // ncols) * height * (1 + gap)])


def synthetic_codes(codes: pd.Series, copy: int) -> pd.Series:
    """12-digit township codes of copy ``copy``: ``99kkkk`` + the original 6-digit township suffix."""
    if copy == 0:
        return codes.astype(str)
    return SYNTHETIC_PROVINCE + f"{copy:04d}" + codes.astype(str).str[6:]


def replicate(base: gpd.GeoDataFrame, copy: int, dlon: float, dlat: float, id_stride: int,
              to_area: Transformer) -> gpd.GeoDataFrame:
    """Copy ``copy`` of ``base`` shifted by ``(dlon, dlat)`` degrees, with new ids and codes."""
    out = base.copy()
    if copy:
        out["roof_id"] = base["roof_id"].to_numpy(np.int64) + copy * id_stride
        out["township_code"] = synthetic_codes(base["township_code"], copy).to_numpy()
        out["lon"] = base["lon"].to_numpy() + dlon
        out["lat"] = base["lat"].to_numpy() + dlat
        x, y = to_area.transform(out["lon"].to_numpy(), out["lat"].to_numpy())
        out["x"], out["y"] = x, y
        h3_res = [int(c[3:]) for c in base.columns if c.startswith("h3_") and c[3:].isdigit()]
        if h3_res:  # precomputed H3 cells (cyc_geo.pv.rooftops) must follow the shifted centroids
            for col, cells in hexgrid.cell_columns(out["lon"].to_numpy(), out["lat"].to_numpy(), h3_res).items():
                out[col] = cells
        out = out.set_geometry(shapely.transform(base.geometry.to_numpy(), lambda c: c + np.array([dlon, dlat])))
    out["county_code"] = out["township_code"].astype(str).str[:6]
    return out


def _copy_shifts(base: gpd.GeoDataFrame, copies: int) -> np.ndarray:
    """Degree shifts of each copy: the projected grid offset applied at the county's centre."""
    to_area = transformer(WGS84, AREA_CRS, always_xy=True)
    to_wgs = transformer(AREA_CRS, WGS84, always_xy=True)
    x, y = to_area.transform(base["lon"].to_numpy(), base["lat"].to_numpy())
    width, height = float(np.ptp(x)) or 1000.0, float(np.ptp(y)) or 1000.0
    cx, cy = float(np.mean(x)), float(np.mean(y))
    offs = grid_offsets(copies, width, height)
    lon0, lat0 = to_wgs.transform(cx, cy)
    lon, lat = to_wgs.transform(cx + offs[:, 0], cy + offs[:, 1])
    return np.column_stack([np.asarray(lon) - lon0, np.asarray(lat) - lat0])


def build_scaled(
    target_roofs: int,
    out_dir: Path | None = None,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    base: gpd.GeoDataFrame | None = None,
    force: bool = False,
) -> Path:
    """Write ``target_roofs`` roofs (N copies of the county, the last one cut) as partitioned GeoParquet.

    Returns the folder. An existing folder whose manifest matches the request is reused
    unless ``force``. ``base`` defaults to the county's rooftops.
    """
    if target_roofs <= 0 or partition_rows <= 0:
        raise ValueError("target_roofs 和 partition_rows 必须为正 / target_roofs and partition_rows must be positive")
    out = Path(out_dir or scaled_dir(target_roofs))
    base = (base if base is not None else _county_rooftops()).reset_index(drop=True)
    fingerprint = base_fingerprint(base)
    if not force and _is_built(out, target_roofs, partition_rows, fingerprint):
        return out
    if base.crs is not None and base.crs != WGS84:
        base = base.to_crs(WGS84)
    n_base = len(base)
    if n_base == 0:
        raise ValueError("县域屋顶数据为空，无法复制 / the county rooftop table is empty, nothing to replicate")
    copies = math.ceil(target_roofs / n_base)
    id_stride = 10 ** len(str(int(base["roof_id"].max()) + 1))

    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    files, written = _write_copies(tmp, base, copies, target_roofs, partition_rows, id_stride)
    manifest = {
        "roofs": written,
        "copies": copies,
        "base_roofs": n_base,
        "base_fingerprint": fingerprint,
        "partition_rows": partition_rows,
        "id_stride": id_stride,
        "files": files,
        "demo": "true",
        "source": "synthetic copies of the county demo rooftops (cyc_geo.demo.scaling)",
        "base_meta": dict(base.attrs.get("meta") or {}),
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def _county_rooftops() -> gpd.GeoDataFrame:
    from cyc_geo.pv.rooftops import load_rooftops

    return load_rooftops()


def _is_built(out: Path, target_roofs: int, partition_rows: int, fingerprint: str) -> bool:
    """Whether ``out`` already holds this request (same size, partitioning and county data)."""
    existing = read_manifest(out)
    return bool(existing and existing.get("roofs") == target_roofs and existing.get("partition_rows") == partition_rows
                and existing.get("base_fingerprint") == fingerprint)


def _write_copies(folder: Path, base: gpd.GeoDataFrame, copies: int, target_roofs: int, partition_rows: int,
                  id_stride: int) -> tuple[list[dict[str, Any]], int]:
    """Write ``copies`` shifted copies of ``base`` (the last cut at ``target_roofs`` roofs) into
    ``folder`` as ``part.NNNNN.parquet`` files of ``partition_rows`` rows (the last may be shorter).
    Returns the manifest's file list and the number of roofs written."""
    n_base = len(base)
    shifts = _copy_shifts(base, copies)
    to_area = transformer(WGS84, AREA_CRS, always_xy=True)
    files: list[dict[str, Any]] = []
    buffer: list[gpd.GeoDataFrame] = []
    buffered = written = 0
    for k in range(copies):
        take = min(n_base, target_roofs - written - buffered)
        dlon, dlat = (float(v) for v in shifts[k])
        part = replicate(base.iloc[:take] if take < n_base else base, k, dlon, dlat, id_stride, to_area)
        buffer.append(part)
        buffered += len(part)
        while buffered >= partition_rows or (k == copies - 1 and buffered):
            merged = pd.concat(buffer, ignore_index=True) if len(buffer) > 1 else buffer[0]
            chunk = merged.iloc[:partition_rows]
            name = f"part.{len(files):05d}.parquet"
            gpd.GeoDataFrame(chunk, geometry="geometry", crs=WGS84).to_parquet(folder / name, index=False)
            files.append({"file": name, "rows": len(chunk)})
            written += len(chunk)
            rest = merged.iloc[partition_rows:]
            buffer, buffered = ([rest] if len(rest) else []), len(rest)
    return files, written


def base_fingerprint(base: pd.DataFrame) -> str:
    """Cheap identity of the county data a scaled set was built from (rebuild when it changes)."""
    codes = base["township_code"].astype(str)
    return (f"{len(base)}:{int(base['roof_id'].sum())}:{float(base['area_m2'].sum()):.3f}:"
            f"{int(codes.str[-6:].astype(np.int64).sum())}:{'|'.join(map(str, base.columns))}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cyc_geo.demo.scaling", description="N-times-the-county demo rooftops")
    p.add_argument("--roofs", type=int, default=5_000_000, help="number of roofs (default 5,000,000)")
    p.add_argument("--partition-rows", type=int, default=DEFAULT_PARTITION_ROWS)
    p.add_argument("--out", type=Path, default=None, help="output folder (default data/rooftops/scaled_<N>)")
    p.add_argument("--force", action="store_true", help="rebuild even if the folder exists")
    args = p.parse_args(argv)
    out = build_scaled(args.roofs, args.out, args.partition_rows, force=args.force)
    m = read_manifest(out)
    if m is None:
        print(f"{out}: no manifest written", file=sys.stderr)
        return 1
    print(f"{out}: {m['roofs']:,} roofs, {m['copies']} copies of {m['base_roofs']:,}, {len(m['files'])} partitions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
