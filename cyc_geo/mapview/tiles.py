"""Big layers on the web map: vector tiles, aggregation, raster overlays, click look-up.

Strategy (justified with measurements in ``docs/map.md``):

- **county zoom** (< :data:`DETAIL_MIN_ZOOM`): big layers are shown aggregated —
  rooftop PV as H3 hexagons (:func:`cyc_geo.geo.hexgrid.hexagons`), small enough to send as GeoJSON;
  the land-cover raster as one coloured PNG (:func:`cyc_geo.carbon.landcover.overlay_rgba`, written
  by :func:`write_rgba_png`).
- **building zoom** (>= :data:`DETAIL_MIN_ZOOM`): every feature, from Mapbox vector
  tiles (MVT) that GDAL writes (:func:`build_mvt`, through pyogrio) into
  ``static/tiles/`` (git-ignored, rebuilt when the data changes). Streamlit serves
  that folder at ``/app/static/`` and Leaflet.VectorGrid draws only the tiles in
  view, so the page never holds the whole layer.
- **clicks** on tiled features come back from the browser only as a point;
  :class:`FeatureIndex` finds the feature under it with a shapely STRtree.

No Streamlit in this module.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from cyc_geo.geo.crs import WGS84
from cyc_geo.paths import REPO_ROOT

DETAIL_MIN_ZOOM = 14
"""From this zoom on, individual features are drawn. At z14 a web-mercator pixel is
about 7.8 m at 35°N (156,543 m × cos 35° / 2^14), so a typical 16 m × 24 m rural
house (rooftops demo) spans a few pixels: below that zoom, individual roofs are noise."""

TILE_ZOOM = 15
"""The one zoom level written to disk. A z15 tile (~1 km wide at 35°N) has 4096
units of extent, i.e. ~0.24 m resolution, fine enough to over-zoom to z19; z14 is
drawn by scaling z15 tiles down (``minNativeZoom``). One level keeps the build at
~25 s for 250k roofs (two levels, z14–16, took ~85 s in our measurement)."""

STATIC_ROOT = REPO_ROOT / "static"
STATIC_URL = "/app/static"
"""Streamlit serves ``<app dir>/static`` at ``/app/static`` with ``server.enableStaticServing``."""


GCJ02_SUFFIX = "g"
"""Ends the signature of a tile set shifted to GCJ-02 for AMap (:func:`cyc_geo.mapview.payloads.tile_signature`)."""


def tiles_root() -> Path:
    """Folder of generated tile sets (``static/tiles``; ``CYC_GEO_TILES_DIR`` overrides for tests)."""
    return Path(os.environ.get("CYC_GEO_TILES_DIR", STATIC_ROOT / "tiles"))


def signature(gdf: gpd.GeoDataFrame, columns: list[str] | tuple[str, ...] = ()) -> str:
    """A short content hash of a layer (row count, bounds, geometry bytes sample, given columns).

    Vectorised: hashes every geometry's WKB length and bounds plus the listed columns,
    so a moved, added or re-attributed feature changes the signature.
    """
    h = hashlib.sha256()
    h.update(str(len(gdf)).encode())
    if len(gdf):
        b = shapely.bounds(gdf.geometry.values)
        h.update(np.round(b, 7).tobytes())
    for col in columns:
        if col in gdf.columns:
            h.update(pd.util.hash_pandas_object(gdf[col], index=False).to_numpy().tobytes())
    return h.hexdigest()[:12]


def tileset_dir(name: str, sig: str, root: Path | None = None) -> Path:
    """Folder of one version of a tile set: ``<root>/<name>-<sig>`` (versioned so browsers never mix)."""
    return Path(root or tiles_root()) / f"{name}-{sig}"


def tile_url(name: str, sig: str) -> str:
    """URL template of a tile set for Leaflet (``{z}/{x}/{y}``)."""
    return f"{STATIC_URL}/tiles/{name}-{sig}/{{z}}/{{x}}/{{y}}.pbf"


def build_mvt(
    gdf: gpd.GeoDataFrame,
    name: str,
    fields: list[str],
    sig: str | None = None,
    zoom: int = TILE_ZOOM,
    root: Path | None = None,
) -> Path:
    """Write ``gdf`` as an uncompressed MVT folder ``<root>/<name>-<sig>/{z}/{x}/{y}.pbf``.

    GDAL's MVT driver does the tiling and clipping. Tiles are written
    uncompressed because Streamlit's static server sends files as they are
    (a gzipped tile without a ``Content-Encoding`` header would not decode).
    Written to a temporary folder and renamed, so a half-built set is never served;
    older versions of the same tile set are removed.
    """
    sig = sig or signature(gdf, fields)
    out = tileset_dir(name, sig, root)
    if (out / "metadata.json").exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    data = gpd.GeoDataFrame(gdf[fields].copy(), geometry=gdf.geometry.values, crs=gdf.crs).to_crs(WGS84)
    pyogrio.write_dataframe(
        data,
        str(tmp),
        driver="MVT",
        layer=name,
        dataset_options={
            "FORMAT": "DIRECTORY",
            "MINZOOM": str(zoom),
            "MAXZOOM": str(zoom),
            "COMPRESS": "NO",
            "MAX_SIZE": "3000000",
            "MAX_FEATURES": "500000",
        },
    )
    try:
        tmp.rename(out)
    except OSError:  # built concurrently by another process: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    for old in out.parent.glob(f"{name}-*"):
        # older versions of this set in the same coordinates only: the GCJ-02 copy for AMap and the WGS84 set
        # are both in use (removing the other one broke the maps of planners on the other basemap)
        if old != out and old.is_dir() and is_gcj02_sig(old.name) == is_gcj02_sig(out.name):
            shutil.rmtree(old, ignore_errors=True)
    return out


def is_gcj02_sig(sig_or_dir: str) -> bool:
    """Whether a tile set's signature (or folder name) is of its GCJ-02-shifted copy (:data:`GCJ02_SUFFIX`; a
    signature is otherwise hexadecimal)."""
    return sig_or_dir.endswith(GCJ02_SUFFIX)


def tile_frame(gdf: gpd.GeoDataFrame, style: Mapping[str, Any] | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The geometry plus the one attribute ``c`` that styling needs (clicks are looked up server-side).

    With ``category_codes`` in the layer's style (e.g. rooftops' building classes) ``c`` is that
    small integer, which keeps tiles small; else ``c`` is the ``category_field`` as text, if any.
    """
    style = style or {}
    field, codes = style.get("category_field"), style.get("category_codes")
    out = gpd.GeoDataFrame(geometry=gdf.geometry.values, crs=gdf.crs)
    if field and field in gdf.columns and codes:
        out["c"] = gdf[field].map(codes).fillna(-1).astype(int).to_numpy()
        return out, ["c"]
    if field and field in gdf.columns:
        out["c"] = gdf[field].astype(str).to_numpy()
        return out, ["c"]
    return out, []


def tileset_name(layer_id: str, year: int | None = None) -> str:
    """Name of a layer's tile set: its id, or ``<id>_<year>`` for the layer as of a year (the map's year)."""
    return layer_id if year is None else f"{layer_id}_{int(year)}"


def build_layer_tiles(layer_id: str, sig: str, gcj02: bool = False, root: Path | None = None,
                      year: int | None = None) -> Path:
    """Load a registered layer (as of ``year``: :func:`cyc_geo.catalog.vintages.layer_for_year`) and write its
    tile set (shifted to GCJ-02 for AMap when asked)."""
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.catalog.vintages import layer_for_year
    from cyc_geo.geo.gcj02 import gdf_wgs84_to_gcj02

    layer = get_layer(layer_id)
    frame = load_layer(layer) if year is None else layer_for_year(layer, year)[0]
    gdf, fields = tile_frame(frame, layer.style)
    if gcj02:
        gdf = gdf_wgs84_to_gcj02(gdf)
    return build_mvt(gdf, tileset_name(layer_id, year), fields, sig=sig, root=root)


@dataclass
class TileJob:
    """State of a background tile build (a separate process, so the app keeps its CPU and memory)."""

    status: str = "building"  # building | ready | error
    path: Path | None = None
    error: str = ""
    sig: str = ""
    started: float = field(default_factory=time.time)
    proc: subprocess.Popen | None = None
    log: Path | None = None

    def poll(self) -> TileJob:
        if self.status == "building" and self.proc is not None and self.proc.poll() is not None:
            if self.proc.returncode == 0 and self.path is not None and (self.path / "metadata.json").exists():
                self.status = "ready"
            else:
                self.status = "error"
                tail = self.log.read_text(errors="replace")[-500:] if self.log and self.log.exists() else ""
                self.error = f"exit {self.proc.returncode}: {tail}"
        return self


_JOBS: dict[str, TileJob] = {}
_JOBS_LOCK = threading.Lock()


def ensure_tiles_async(layer_id: str, sig: str, gcj02: bool = False, root: Path | None = None,
                       year: int | None = None) -> TileJob:
    """The tile set of a registered layer (as of ``year``, when given): ready at once if on disk, else built by
    a child process.

    Call again to poll; meanwhile the app shows the aggregated view. A failed build
    is retried on the next call after 60 s.
    """
    name = tileset_name(layer_id, year)
    out = tileset_dir(name, sig, root)
    key = str(out)
    with _JOBS_LOCK:
        if (out / "metadata.json").exists():
            _JOBS.pop(key, None)  # its build is over: a later call finds the folder, or builds again if it is gone
            return TileJob("ready", out, sig=sig)
        job = _JOBS.get(key)
        if job is not None:
            job.poll()
            if job.status == "building" or (job.status == "error" and time.time() - job.started < 60):
                return job
            if job.status == "ready" and (out / "metadata.json").exists():
                return job
            # built, but its folder is gone (static/ cleaned, or removed as an older version by another process's
            # build): built again, not reported ready with tiles that answer 404
        log = Path(root or tiles_root()) / f".{name}-{sig}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "cyc_geo.mapview.tiles", layer_id, sig] + (["--gcj02"] if gcj02 else [])
        cmd += ["--year", str(int(year))] if year is not None else []
        if root is not None:
            cmd += ["--root", str(root)]
        with open(log, "w") as fh:
            proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=fh, stderr=subprocess.STDOUT)
        job = TileJob("building", out, sig=sig, proc=proc, log=log)
        _JOBS[key] = job
        return job


def read_tiles_metadata(path: Path) -> dict:
    """GDAL's ``metadata.json`` of a tile folder (bounds, zooms, layer fields)."""
    meta = json.loads((Path(path) / "metadata.json").read_text())
    if isinstance(meta.get("json"), str):
        meta["json"] = json.loads(meta["json"])
    return meta


class FeatureIndex:
    """Find the feature under a clicked point (shapely STRtree over the layer's WGS84 geometries).

    A click inside a polygon picks it (the smallest one if several overlap);
    otherwise the nearest feature within ``tolerance_m`` (a few screen pixels at
    the current zoom, see :func:`pixel_tolerance_m`). The index stays in degrees
    (projecting 250k roofs would cost seconds); the tolerance is converted with
    the local length of a degree of longitude (111,320 m × cos φ), the larger
    of the two directions, so it is never too tight.
    """

    def __init__(self, gdf: gpd.GeoDataFrame) -> None:
        geoms = gdf.to_crs(WGS84).geometry.values if gdf.crs is not None else gdf.geometry.values
        self.geoms = np.asarray(geoms)
        self.tree = shapely.STRtree(self.geoms)
        self._area = shapely.area(self.geoms)

    def __len__(self) -> int:
        return len(self.geoms)

    def lookup(self, lon: float, lat: float, tolerance_m: float = 0.0) -> int | None:
        """Positional index of the feature at (lon, lat), or None."""
        pt = shapely.Point(lon, lat)
        hits = self.tree.query(pt, predicate="intersects")
        if hits.size:
            return int(hits[np.argmin(self._area[hits])])
        if tolerance_m <= 0:
            return None
        tol_deg = tolerance_m / (111_320.0 * np.cos(np.radians(lat)))
        near = self.tree.query_nearest(pt, max_distance=tol_deg, all_matches=False)
        return int(near[0]) if near.size else None


def pixel_tolerance_m(zoom: float, lat: float, pixels: float = 4.0) -> float:
    """Ground distance of ``pixels`` screen pixels at a web-mercator zoom and latitude.

    156,543.03 m is the size of one pixel at zoom 0 on the equator (256-px tiles
    over the 40,075 km circumference).
    """
    return pixels * 156_543.03392 * np.cos(np.radians(lat)) / (2.0**zoom)


def write_rgba_png(rgba: np.ndarray, out_png: str | Path) -> Path:
    """Write an RGBA image (``(rows, cols, 4)`` uint8) as a PNG (Pillow, atomic rename).

    Raster layers (e.g. :func:`cyc_geo.carbon.landcover.overlay_rgba`, already warped to web
    mercator) are served as one PNG by URL rather than embedded in the page as base64.
    """
    from PIL import Image

    arr = np.asarray(rgba, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 4:
        raise ValueError("rgba must have shape (rows, cols, 4)")
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_png.with_name(f".{out_png.stem}.{os.getpid()}.tmp.png")
    Image.fromarray(arr, mode="RGBA").save(tmp, optimize=True)
    tmp.replace(out_png)
    return out_png


def _main(argv: list[str] | None = None) -> int:
    """``python -m cyc_geo.mapview.tiles LAYER_ID SIG [--gcj02] [--root DIR] [--year Y]``: build one tile set."""
    import argparse

    ap = argparse.ArgumentParser(description="build the vector tiles of one registered layer")
    ap.add_argument("layer_id")
    ap.add_argument("sig")
    ap.add_argument("--gcj02", action="store_true")
    ap.add_argument("--root", type=Path, default=None)
    ap.add_argument("--year", type=int, default=None)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    path = build_layer_tiles(a.layer_id, a.sig, a.gcj02, a.root, a.year)
    print(f"{path} built in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
