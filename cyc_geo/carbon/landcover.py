"""Land cover raster of the county, coded with the Third National Land Survey (三调) classes.

Raster convention: single band ``uint16``, cell value = 三调 class code as an
integer (``0301`` 乔木林地 -> 301, ``1101`` 河流水面 -> 1101), 0 = nodata
(outside the county), in :data:`~cyc_geo.geo.crs.AREA_CRS` (EPSG:4547).

Where the raster comes from (:func:`landcover_path`, layer ``landcover`` of the catalogue,
:func:`cyc_geo.catalog.loader.layer_path`):

1. the importer's active raster ``data/layers/landcover/active.tif``;
2. a planner file ``data/boundaries/landcover.tif`` (or ``.tiff``);
3. the deterministic demo raster ``data/generated/landcover_demo.tif`` written by the layer's
   demo builder (``layers/landcover.toml``; tagged ``demo=true``).

A planner raster may be in any CRS and resolution: :func:`load_landcover`
reprojects it to EPSG:4547 with nearest-neighbour resampling (class codes must
not be averaged), keeping the source's ground resolution unless asked.

The demo raster and its calibration live in the demo builder's module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.warp import calculate_default_transform, reproject

from cyc_geo.catalog.loader import layer_path, planner_path, raster_meta
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.zonal import RasterData, read_raster

DEMO_FILE = "landcover_demo.tif"
NODATA = 0


@dataclass(frozen=True)
class LandClass:
    code: str
    name_zh: str
    name_en: str
    color: str


CLASSES: dict[int, LandClass] = {
    int(c.code): c
    for c in (
        # 三调 工作分类 (GB/T 21010-2017 with the 三调 additions), the classes the demo uses
        LandClass("0101", "水田", "Paddy field", "#c7e9c0"),
        LandClass("0102", "水浇地", "Irrigated cropland", "#f6e8a6"),
        LandClass("0103", "旱地", "Dry cropland", "#fbd98b"),
        LandClass("0201", "果园", "Orchard", "#b8d96c"),
        LandClass("0301", "乔木林地", "Tree forest", "#1a7a2e"),
        LandClass("0302", "竹林地", "Bamboo forest", "#3f9b4b"),
        LandClass("0305", "灌木林地", "Shrub forest", "#74b36b"),
        LandClass("0307", "其他林地", "Other forest land", "#8fcf7a"),
        LandClass("0404", "其他草地", "Other grassland", "#d4e7a1"),
        LandClass("0601", "工业用地", "Industrial land", "#b07aa1"),
        LandClass("0701", "城镇住宅用地", "Urban residential", "#e06666"),
        LandClass("0702", "农村宅基地", "Rural homesteads", "#e99a7a"),
        LandClass("1003", "公路用地", "Highway land", "#7f7f7f"),
        LandClass("1006", "农村道路", "Rural roads", "#b3b3b3"),
        LandClass("1101", "河流水面", "River water", "#3b7dd8"),
        LandClass("1104", "坑塘水面", "Ponds", "#6fa8dc"),
        LandClass("1106", "内陆滩涂", "Inland mudflat", "#c9daf8"),
        LandClass("1107", "沟渠", "Ditches and canals", "#4a90c2"),
    )
}
"""Land-cover classes by integer raster value (三调 code as int). Source: 第三次全国国土调查工作分类 (docs/sources.md, "三调 classes")."""

FOREST_CODES = (301, 302, 305, 307)
"""林地 classes (三调 03xx) counted as forest area."""


def class_table() -> pd.DataFrame:
    """Table of classes: ``value`` (raster int), ``code`` ("0301"), names, color, ``forest``."""
    return pd.DataFrame(
        [
            {"value": v, "code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "color": c.color,
             "forest": v in FOREST_CODES}
            for v, c in CLASSES.items()
        ]
    )


def code_str(value: int | np.ndarray) -> str | np.ndarray:
    """Integer raster value -> 4-digit 三调 code string (301 -> "0301")."""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):04d}"
    return np.char.zfill(np.asarray(value).astype(int).astype(str), 4)


# ---------------------------------------------------------------- demo generation


# ---------------------------------------------------------------- access


def planner_landcover_file() -> Path | None:
    """The importer's active raster or a planner raster in ``data/boundaries``, if present."""
    return planner_path("landcover")


def landcover_path() -> Path:
    """Path of the land-cover raster in use: planner raster if present, else the demo (built if missing)."""
    return layer_path("landcover")


def landcover_meta(path: Path | None = None) -> dict[str, str]:
    """Provenance of a land-cover raster (GeoTIFF tags); planner rasters are ``demo=false``."""
    return raster_meta(Path(path or landcover_path()))


def reproject_to_area_crs(data: RasterData, resolution_m: float | None = None) -> RasterData:
    """Reproject a categorical raster to EPSG:4547 with nearest-neighbour resampling.

    The output cell size is ``resolution_m`` or, by default, the source's ground
    resolution (GDAL's default for the target CRS, rounded to the metre).
    Cells outside the source or masked in it become nodata (0).
    """
    if data.crs.equals(AREA_CRS) and resolution_m is None:
        return data
    rows, cols = data.shape
    left, bottom, right, top = data.bounds
    dst_transform, dw, dh = calculate_default_transform(data.crs, AREA_CRS, cols, rows, left, bottom, right, top)
    res = float(resolution_m or max(1.0, round(abs(dst_transform.a))))
    dst_transform, dw, dh = calculate_default_transform(
        data.crs, AREA_CRS, cols, rows, left, bottom, right, top, resolution=res
    )
    src = np.ma.filled(data.array[0].astype("int64"), NODATA).astype("uint16")
    dst = np.zeros((dh, dw), dtype="uint16")
    reproject(src, dst, src_transform=data.transform, src_crs=data.crs, dst_transform=dst_transform,
              dst_crs=AREA_CRS, src_nodata=NODATA, dst_nodata=NODATA, resampling=Resampling.nearest)
    arr = np.ma.masked_equal(dst, NODATA)[np.newaxis]
    from pyproj import CRS

    return read_raster(RasterData(arr, dst_transform, CRS.from_user_input(AREA_CRS), ("landcover",)))


def load_landcover(path: Path | str | None = None, resolution_m: float | None = None) -> RasterData:
    """The land-cover raster as :class:`~cyc_geo.geo.zonal.RasterData` in EPSG:4547 (nodata masked).

    ``path`` defaults to :func:`landcover_path`. Raises
    :class:`~cyc_geo.geo.zonal.RasterError` for an empty / all-nodata / CRS-less raster.
    """
    data = read_raster(Path(path) if path else landcover_path(), band_names=("landcover",))
    data = RasterData(np.ma.masked_equal(data.array.astype("int64"), NODATA), data.transform, data.crs, data.names)
    return reproject_to_area_crs(read_raster(data), resolution_m)


def name_footprint(footprint: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Transform of the raster layer ``landcover``: its footprint row (from the catalogue: bounds,
    ``path``, ``resolution``, provenance) named for the layer list. The map draws the raster itself
    with :func:`overlay_rgba`."""
    footprint.insert(0, "name", "土地覆被 (三调分类)")
    return footprint


def palette_rgba(values: np.ndarray, alpha: int = 200) -> np.ndarray:
    """RGBA colours (uint8, ``values.shape + (4,)``) for class values; nodata and unknown classes transparent."""
    lut = np.zeros((max(CLASSES) + 1, 4), dtype="uint8")
    for v, c in CLASSES.items():
        lut[v] = [int(c.color[i : i + 2], 16) for i in (1, 3, 5)] + [alpha]
    vals = np.asarray(values).astype(int)
    ok = (vals > 0) & (vals < len(lut))
    out = np.zeros(vals.shape + (4,), dtype="uint8")
    out[ok] = lut[vals[ok]]
    return out


def overlay_rgba(path: Path | None = None, max_px: int = 1400, alpha: int = 200,
                 only_forest: bool = False) -> tuple[np.ndarray, list[list[float]]]:
    """A Web-Mercator RGBA image of the land cover and its ``[[south, west], [north, east]]`` bounds.

    For a Leaflet/folium ``ImageOverlay`` (which stretches images linearly in
    Web Mercator). Nearest-neighbour warp; at most ``max_px`` pixels wide.
    """
    data = load_landcover(path)
    rows, cols = data.shape
    left, bottom, right, top = data.bounds
    t, w, h = calculate_default_transform(AREA_CRS, "EPSG:3857", cols, rows, left, bottom, right, top)
    scale = max(1.0, w / max_px)
    t, w, h = calculate_default_transform(AREA_CRS, "EPSG:3857", cols, rows, left, bottom, right, top,
                                          resolution=abs(t.a) * scale)
    dst = np.zeros((h, w), dtype="uint16")
    reproject(np.ma.filled(data.array[0], NODATA).astype("uint16"), dst, src_transform=data.transform,
              src_crs=AREA_CRS, dst_transform=t, dst_crs="EPSG:3857", src_nodata=NODATA, dst_nodata=NODATA,
              resampling=Resampling.nearest)
    if only_forest:
        dst = np.where(np.isin(dst, FOREST_CODES), dst, NODATA)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:3857", WGS84, always_xy=True)
    west, north = tr.transform(t.c, t.f)
    east, south = tr.transform(t.c + t.a * w, t.f + t.e * h)
    return palette_rgba(dst, alpha), [[south, west], [north, east]]


AFFORESTABLE = (102, 103, 404, 1106)
"""Classes that an afforestation scenario may convert (cropland, other grassland, mudflat; docs/sources.md, "三调 classes");
the belt scenario keeps 永久基本农田 out (:mod:`cyc_geo.carbon.belt_scenario`)."""


def afforest(lc: RasterData, zones: gpd.GeoDataFrame, to_code: int = 301,
             from_codes: tuple[int, ...] = AFFORESTABLE, share: float = 1.0,
             keep: np.ndarray | None = None) -> RasterData:
    """A future land cover: ``from_codes`` cells inside ``zones`` become ``to_code``.

    ``share`` (0-1) converts only that fraction of the eligible cells (a
    deterministic spatial pattern); ``keep`` (a boolean grid of the raster's shape) marks cells that
    never change (e.g. 永久基本农田, :mod:`cyc_geo.carbon.belt_scenario`). Used for the InVEST-style
    sequestration between the current and a future map (e.g. the plan's 沿黄生态带 afforestation).
    """
    if zones.crs is None:
        raise ValueError("zones have no CRS")
    rows, cols = lc.shape
    inside = burn_mask(list(zones.to_crs(lc.crs).geometry), (rows, cols), lc.transform)
    arr = np.ma.filled(lc.array[0], NODATA).astype("int64")
    eligible = inside & np.isin(arr, from_codes)
    if keep is not None:
        eligible &= ~keep
    if share < 1.0:
        ii, jj = np.indices((rows, cols))
        eligible &= ((ii * 7919 + jj * 104729) % 1000) < share * 1000
    arr[eligible] = to_code
    out = np.ma.MaskedArray(arr[np.newaxis], mask=np.ma.getmaskarray(lc.array[0])[np.newaxis])
    return RasterData(out, lc.transform, lc.crs, lc.names)


def burn_mask(geoms, shape, transform, all_touched: bool = False) -> np.ndarray:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros(shape, dtype=bool)
    return rasterize([(g, 1) for g in geoms], out_shape=shape, transform=transform, fill=0,
                     dtype="uint8", all_touched=all_touched).astype(bool)
