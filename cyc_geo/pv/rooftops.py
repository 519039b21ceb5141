"""Building footprints (rooftops) for the PV potential: columns, validation and loader.

No building-footprint data of the county is available offline; the demo county of
about 250,000 buildings is written by the layer's demo builder (``layers/rooftops.toml``).

Columns (cross-team interface): ``roof_id, building_class, roof_type, area_m2,
township_code, x, y, lon, lat, geometry`` plus ``use`` (what the demo building
is) and ``h3_7, h3_8, h3_9`` (H3 cells of the centroid, precomputed once so
that aggregation is fast). ``area_m2`` is the footprint area in EPSG:4547.

A planner's own footprints (``data/boundaries/rooftops.<ext>`` or an import)
win over the demo (the catalogue's order, :mod:`cyc_geo.catalog.loader`);
:func:`derive_roof_columns`, the layer's transform, validates them with :func:`prepare_footprints`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely

from cyc_geo.catalog.loader import current_source, load_layer, planner_path
from cyc_geo.catalog.sources import PARQUET_META_KEY, read_any
from cyc_geo.geo import hexgrid
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.transformers import transformer

DEMO_FILE = "demo_rooftops.parquet"
META_KEY = PARQUET_META_KEY

BUILDING_CLASSES = ("gov", "public", "commercial", "rural")
CLASS_LABELS_ZH = {"gov": "党政机关", "public": "公共建筑", "commercial": "工商业", "rural": "农村居民"}
CLASS_LABELS_EN = {"gov": "Government", "public": "Public buildings", "commercial": "Industry & commerce",
                   "rural": "Rural residents"}
ROOF_TYPES = ("flat", "pitched", "shed")
"""Kept for ``views/pv.py``; use :data:`cyc_geo.geo.hexgrid.RESOLUTIONS`."""

COLUMNS = ["roof_id", "building_class", "roof_type", "use", "area_m2", "township_code",
           "x", "y", "lon", "lat", *(hexgrid.column(r) for r in hexgrid.RESOLUTIONS)]


def _assign_townships(x: np.ndarray, y: np.ndarray, townships_area: gpd.GeoDataFrame) -> np.ndarray:
    """12-digit township code of each point ('' outside every township)."""
    tree = shapely.STRtree(townships_area.geometry.values)
    pts = shapely.points(x, y)
    src, tgt = tree.query(pts, predicate="intersects")
    codes = np.full(len(x), "", dtype=object)
    first = np.unique(src, return_index=True)[1]  # a point on a shared edge goes to the first township
    codes[src[first]] = townships_area["code"].to_numpy()[tgt[first]]
    return codes


def finish_footprints(geoms_area: np.ndarray, attrs: dict[str, Any], townships_area: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Areas, centroids, townships, lon/lat and H3 of footprints given in EPSG:4547."""
    cent = shapely.centroid(geoms_area)
    x, y = shapely.get_x(cent), shapely.get_y(cent)
    code = _assign_townships(x, y, townships_area)
    keep = code != ""
    to_wgs = transformer(AREA_CRS, WGS84, always_xy=True)
    lon, lat = to_wgs.transform(x[keep], y[keep])
    geoms = shapely.transform(geoms_area[keep], lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1])))
    df = pd.DataFrame({k: np.asarray(v)[keep] for k, v in attrs.items()})
    df["area_m2"] = shapely.area(geoms_area[keep])
    df["township_code"] = code[keep].astype(str)
    df["x"], df["y"], df["lon"], df["lat"] = x[keep], y[keep], lon, lat
    for k, v in hexgrid.cell_columns(lon, lat).items():
        df[k] = v
    gdf = gpd.GeoDataFrame(df, geometry=geoms, crs=WGS84)
    gdf.attrs["skipped_outside"] = int((~keep).sum())
    return gdf


def townships_signature() -> str:
    """Which township layer the codes were assigned from (planner file path + mtime, or demo)."""
    user = planner_path("townships")
    return "demo" if user is None else f"{user}:{user.stat().st_mtime_ns}"


def write_geoparquet(gdf: gpd.GeoDataFrame, path: Path, meta: dict[str, Any]) -> Path:
    """Write GeoParquet atomically with cyc-geo provenance in the file's schema metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    gdf.to_parquet(tmp, index=False)
    table = pq.read_table(tmp)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[META_KEY] = json.dumps(meta, ensure_ascii=False).encode()
    pq.write_table(table.replace_schema_metadata(schema_meta), tmp)
    tmp.replace(path)
    return path


def read_geoparquet(path: Path) -> gpd.GeoDataFrame:
    """Read GeoParquet (to WGS84) with its cyc-geo provenance in ``attrs["meta"]``."""
    gdf = gpd.read_parquet(path)
    raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
    gdf.attrs["meta"] = json.loads(raw) if raw else {}
    return gdf.to_crs(WGS84) if gdf.crs is not None and gdf.crs != WGS84 else gdf


class FootprintError(ValueError):
    """A footprint file that cannot be used (message in Chinese and English)."""


CLASS_ALIASES = {
    **{k: k for k in BUILDING_CLASSES},
    "党政机关": "gov", "政府": "gov", "government": "gov",
    "公共建筑": "public", "学校": "public", "医院": "public",
    "工商业": "commercial", "工商业厂房": "commercial", "厂房": "commercial", "industrial": "commercial",
    "industry": "commercial",
    "农村居民": "rural", "居民": "rural", "住宅": "rural", "residential": "rural",
}
CLASS_COLUMNS = ("building_class", "class", "类别", "建筑类别", "type")
ROOF_COLUMNS = ("roof_type", "屋顶类型", "roof")
ROOF_ALIASES = {"flat": "flat", "平顶": "flat", "平屋顶": "flat", "pitched": "pitched", "坡顶": "pitched",
                "坡屋顶": "pitched", "shed": "shed", "彩钢": "shed", "彩钢瓦": "shed", "厂房": "shed"}
SHED_MIN_M2 = 1_000.0
"""Unlabelled footprints of at least 1,000 m² are treated as industrial sheds (工商业厂房); a
courtyard main house is ~100-150 m² (demo assumption; docs/sources.md, "Rooftop PV parameters")."""


def _pick_column(gdf: pd.DataFrame, names) -> str | None:
    for name in names:
        if name in gdf.columns:
            return name
    return None


def _polygons(geoms: np.ndarray, skipped: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Repair invalid polygons (``make_valid``, keeping the polygon parts); returns the geometries
    and the mask of usable (non-empty polygon, positive area) rows. Counts go into ``skipped``."""
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    skipped["empty_or_null"] = int(empty.sum())
    gtype = shapely.get_type_id(geoms)
    poly = np.isin(gtype, [3, 6]) & ~empty  # Polygon, MultiPolygon
    skipped["not_polygon"] = int((~poly & ~empty).sum())
    bad = poly & ~shapely.is_valid(geoms)
    if bad.any():
        fixed = shapely.make_valid(geoms[bad])
        fixed = np.array([shapely.union_all(shapely.get_parts(g)[np.isin(shapely.get_type_id(shapely.get_parts(g)),
                                                                         [3, 6])]) for g in fixed], dtype=object)
        geoms = geoms.copy()
        geoms[bad] = fixed
        skipped["repaired"] = int(bad.sum())
    poly &= ~shapely.is_empty(geoms) & (shapely.area(geoms) > 0)
    return geoms, poly


def _classes(gdf: pd.DataFrame, area: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Building class and roof type of each footprint (labels mapped through the aliases, else
    inferred from the area in m², see :data:`SHED_MIN_M2`) and the mask of known classes."""
    cls_col = _pick_column(gdf, CLASS_COLUMNS)
    if cls_col is not None:
        cls = gdf[cls_col].astype(str).str.strip().map(CLASS_ALIASES).to_numpy()
    else:
        cls = np.where(area >= SHED_MIN_M2, "commercial", "rural").astype(object)
    roof_col = _pick_column(gdf, ROOF_COLUMNS)
    if roof_col is not None:
        roof = gdf[roof_col].astype(str).str.strip().map(ROOF_ALIASES).fillna("flat").to_numpy()
    else:
        roof = np.where(cls == "commercial", np.where(area >= SHED_MIN_M2, "shed", "flat"), "flat").astype(object)
    return cls, roof, ~pd.isna(cls)


def prepare_footprints(raw: gpd.GeoDataFrame, townships: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Validate a planner's footprints and add the standard columns.

    Empty, null and non-polygon geometries are skipped and counted in
    ``attrs["skipped"]``; invalid polygons are repaired with ``make_valid``
    (also counted). Missing classes are inferred from size (see
    :data:`SHED_MIN_M2`); unknown class labels count as skipped. Raises
    :class:`FootprintError` if nothing usable remains.
    """
    if raw is None or len(raw) == 0:
        raise FootprintError("建筑轮廓文件为空 / the footprint file has no features")
    if raw.crs is None:
        raise FootprintError("建筑轮廓文件缺少坐标系 / the footprint file has no CRS")
    from cyc_geo.places.townships import load_townships

    skipped = {"empty_or_null": 0, "not_polygon": 0, "repaired": 0, "unknown_class": 0, "outside_county": 0}
    gdf = raw.to_crs(AREA_CRS)
    geoms, poly = _polygons(gdf.geometry.values, skipped)
    cls, roof, known = _classes(gdf, shapely.area(geoms))
    skipped["unknown_class"] = int((~known & poly).sum())  # inferred classes are all known
    poly &= known
    use = gdf["use"].astype(str).to_numpy() if "use" in gdf.columns else np.full(len(gdf), "planner", object)
    if not poly.any():
        raise FootprintError(
            f"没有可用的建筑面要素（跳过：{skipped}） / no usable footprint polygons (skipped: {skipped})")
    towns = (townships if townships is not None else load_townships()).to_crs(AREA_CRS)
    out = finish_footprints(np.asarray(geoms)[poly], {"building_class": cls[poly], "roof_type": roof[poly],
                                            "use": use[poly]}, towns)
    skipped["outside_county"] = out.attrs.pop("skipped_outside")
    if len(out) == 0:
        raise FootprintError(f"所有建筑都在县界之外 / every footprint lies outside the townships (skipped: {skipped})")
    ids = raw["roof_id"].to_numpy()[poly] if "roof_id" in raw.columns else None
    keep_ids = ids is not None and pd.api.types.is_integer_dtype(raw["roof_id"]) and skipped["outside_county"] == 0
    out.insert(0, "roof_id", ids.astype(np.int64) if ids is not None and keep_ids
               else np.arange(1, len(out) + 1, dtype=np.int64))
    for col in ("building_class", "roof_type", "use"):
        out[col] = out[col].astype(str)
    out = out[COLUMNS + ["geometry"]]
    out.attrs["skipped"] = skipped
    out.attrs["skipped_total"] = int(sum(v for k, v in skipped.items() if k != "repaired"))
    return out


def load_footprint_file(path: str | Path) -> gpd.GeoDataFrame:
    """Read and prepare a planner's footprint file (any format :func:`cyc_geo.catalog.sources.read_any` reads)."""
    path = Path(path)
    if not path.exists():
        raise FootprintError(f"找不到文件 {path} / file not found: {path}")
    try:
        raw = read_any(path)
    except FootprintError:
        raise
    except Exception as exc:  # unreadable file: report, do not crash
        raise FootprintError(f"无法读取建筑轮廓文件 {path.name} / cannot read footprint file {path.name}: {exc}") from exc
    gdf = prepare_footprints(raw)
    meta = dict(raw.attrs.get("meta") or {})
    meta.update({"source": f"planner file {path.name}", "demo": "false", "approximate": "false"})
    gdf.attrs["meta"] = meta
    return gdf


def derive_roof_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Transform of layer ``rooftops``: the standard columns of :data:`COLUMNS`.

    A planner's footprints (loaded from the planner's file, ``attrs["origin"]``) are validated and
    derived by :func:`prepare_footprints` (townships, areas, centroids, H3 cells), provenance
    "planner file <name>". A file this module derived (the demo) keeps its columns; its township
    codes are reassigned when the township layer changed since it was written (its ``townships``
    signature, :func:`townships_signature`).
    """
    kind, path = gdf.attrs.get("origin", ("source", ""))
    if kind == "planner":
        meta = dict(gdf.attrs.get("meta") or {})
        out = prepare_footprints(gdf)
        meta.update({"source": f"planner file {Path(path).name}", "demo": "false", "approximate": "false"})
        out.attrs["meta"] = meta
        return out
    if gdf.attrs["meta"].get("townships") != townships_signature():
        from cyc_geo.places.townships import load_townships

        towns = load_townships().to_crs(AREA_CRS)
        gdf["township_code"] = _assign_townships(gdf["x"].to_numpy(), gdf["y"].to_numpy(), towns).astype(str)
    return gdf


def load_rooftops() -> gpd.GeoDataFrame:
    """Building footprints (WGS84): layer ``rooftops`` of the catalogue (the planner's file if present,
    else the demo GeoParquet, built if missing or written by an older generator), with the columns of
    :func:`derive_roof_columns`."""
    return load_layer("rooftops")


def _area_column(path: Path) -> pd.Series | None:
    """The ``area_m2`` column of a GeoParquet or GeoPackage read alone (no geometry), None when it has none."""
    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_table(path, columns=["area_m2"]).column("area_m2").to_pandas()
        if path.suffix.lower() == ".gpkg":
            import pyogrio

            if "area_m2" not in pyogrio.read_info(path)["fields"]:
                return None
            return pyogrio.read_dataframe(path, columns=["area_m2"], read_geometry=False)["area_m2"]
    except (KeyError, OSError, ValueError, RuntimeError):  # pyogrio's data-source errors are RuntimeErrors
        return None
    return None


def total_area_m2() -> float:
    """Total footprint area (m², EPSG:4547) of :func:`load_rooftops`' roofs.

    Summed from the ``area_m2`` column alone (no geometry read) of an up-to-date demo GeoParquet
    or of a planner's GeoParquet / GeoPackage (an import's active version) that has one; otherwise
    the roofs are loaded (areas from their geometry if they lack ``area_m2``).
    """
    user = planner_path("rooftops")
    own = current_source("rooftops") if user is None else None  # an up-to-date demo file, not built here
    if own is not None and own.suffix == ".parquet":
        return float(pq.read_table(own, columns=["area_m2"]).column("area_m2").to_pandas().sum())
    column = _area_column(user) if user is not None else None
    if column is not None and column.notna().all():
        return float(pd.to_numeric(column).sum())
    roofs = load_rooftops()
    if "area_m2" in roofs.columns:
        return float(roofs["area_m2"].sum())
    return float(roofs.to_crs(AREA_CRS).geometry.area.sum())
