"""Import of a planner layer: the safe importer vs a bare read-and-write.

Input (built once, not timed): ``n`` building-sized squares around the county
centre as a zipped GBK Shapefile without ``.cpg`` (as old GIS exports look),
in CGCS2000 GK CM 114E (EPSG:4547).

Variants (best of ``repeats``, in this process, isolated data folder):

- ``cyc-geo``: :func:`cyc_geo.ingest.importer.import_file` - size/zip checks, extraction,
  encoding detection, CRS plausibility, geometry repair, county flag, schema mapping,
  versioned GeoPackage write with fsync, atomic switch and the database record;
- ``baseline``: ``geopandas.read_file(zip, encoding="GBK")`` -> ``to_crs(WGS84)``
  -> ``to_file(gpkg)``: what a one-off script would do, with none of the checks.

``ratio`` = seconds / baseline seconds (the price of the safety checks);
``cpu_ratio`` the same in process CPU time (fairer on a shared machine).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from bench.common import best_of, result_row

CENTRE_4547 = (563_746.0, 3_897_006.0)


def _input(folder: Path, n: int) -> Path:
    import zipfile

    import pyogrio

    x, y = CENTRE_4547
    cols = int(n ** 0.5) + 1
    geoms = [shapely.box(x + (i % cols) * 40 - 5000, y + (i // cols) * 40 - 5000,
                         x + (i % cols) * 40 - 5000 + 25, y + (i // cols) * 40 - 5000 + 25) for i in range(n)]
    gdf = gpd.GeoDataFrame({"XZQDM": [f"{410783001000 + i % 18}" for i in range(n)], "XZQMC": ["蒲西街道"] * n},
                           geometry=geoms, crs="EPSG:4547")
    shp = folder / "shp"
    shp.mkdir()
    pyogrio.write_dataframe(gdf, shp / "b.shp", encoding="GBK")
    (shp / "b.cpg").unlink(missing_ok=True)
    out = folder / "b.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(shp.iterdir()):
            zf.write(f, f"b/{f.name}")
    return out




def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 5_000 if quick else 50_000
    repeats = 1 if quick else 3
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        old = {k: os.environ.get(k) for k in ("CYC_GEO_DATA_DIR", "CYC_GEO_DB")}
        os.environ["CYC_GEO_DATA_DIR"] = str(tmp_path / "data")
        os.environ["CYC_GEO_DB"] = str(tmp_path / "data" / "bench.sqlite")
        try:
            from cyc_geo.ingest.importer import import_file
            from cyc_geo.places.county import county_geometry_area_crs

            county_geometry_area_crs()  # build the county outline once (not timed)
            src = _input(tmp_path, n)
            ours = best_of(lambda: import_file(src, "townships", "bench"), repeats)

            def baseline() -> int:
                gdf = gpd.read_file(f"/vsizip/{src}/b/b.shp", encoding="GBK").to_crs("EPSG:4326")
                gdf.to_file(tmp_path / "baseline.gpkg", driver="GPKG")
                return len(gdf)

            base = best_of(baseline, repeats)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    rows.append(result_row("import", "cyc-geo", n, ours, ratio=round(ours.seconds / base.seconds, 2),
                           cpu_s=round(ours.extra["cpu_s"], 2),
                           cpu_ratio=round(ours.extra["cpu_s"] / max(base.extra["cpu_s"], 1e-9), 2)))
    rows.append(result_row("import", "baseline", n, base, ratio=1.0, cpu_s=round(base.extra["cpu_s"], 2), cpu_ratio=1.0))
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
