"""Forest carbon: stock, gross sink and carbon pools from land cover, by township or any zones.

Two methods, both vectorised over raster cells (lookup tables indexed by class
code) and over patch tables (column arithmetic):

**Stock-based method** (IPCC 2006 Vol. 4 Ch. 4, Tier 2 biomass-expansion
structure, as used in China's national GHG inventory for forests)::

    stock_m3      = stock density (m³/ha) × forest area (ha)           [or the patch's own stock]
    t CO2 per m³  = BEF × (1 + R) × D × CF × 44/12
    gross sink    = stock_m3 × growth rate (1/yr) × t CO2 per m³        (t CO2/yr)

with BEF the biomass expansion factor (stem -> above-ground), R the root-shoot
ratio, D the basic wood density (t d.m./m³) and CF the carbon fraction. The
defaults (``data/reference/forest_params.csv``) are the poplar (杨树) values of
the national forestry tables (docs/sources.md, "Forest carbon"); every row carries its source.

**Carbon pools method** (InVEST Carbon Storage and Sequestration model
structure): a table of four pools per land-cover class — above-ground,
below-ground, soil, dead matter, in t C/ha (``data/reference/carbon_pools.csv``)
— gives the carbon storage of a land-cover map; the difference between two
maps (current and future) is the sequestration.

**Gross vs net.** The plan's 碳汇量 (23.36 万t CO2/yr in 2021, 附件1 #4) on a
stock of 180 万m³ (#16) is a *gross* annual uptake by growth (0.13 t CO2 per m³
of stock). The plan's own stock path (180 -> 183 万m³, 2021 -> 2024) is a *net*
stock change of +1 万m³/yr, which supports only about 1.2 万t CO2/yr
(:func:`net_sink_from_stock_change`): most of the growth is harvested (poplar
rotations). Both are reported and named; the indicator is the gross figure
because that is what the plan tracks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely

from cyc_geo import paths
from cyc_geo.carbon.landcover import CLASSES, FOREST_CODES, NODATA, landcover_meta, landcover_path, load_landcover
from cyc_geo.catalog.loader import load_layer, planner_path
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.catalog.sources import read_any
from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.geo.crs import AREA_CRS, M2_PER_HA, M2_PER_MU, WGS84
from cyc_geo.geo.zonal import RasterData, RasterError, zonal_sum
from cyc_geo.places.profile import profile

PARAMS_CSV = paths.REFERENCE_DIR / "forest_params.csv"
POOLS_CSV = paths.REFERENCE_DIR / "carbon_pools.csv"
CO2_PER_C = 44.0 / 12.0
"""Ratio of molecular weights CO2/C (IPCC 2006 V4 Ch. 2: C -> CO2 by 44/12)."""

PLAN_SINK_WAN_T = profile().plan_by_year("forest_sink_wan_t")
"""碳汇量 targets, 万t CO2/yr (docs/sources.md, "附件1" #4: base year 2021, then 2022-2024); the county
profile's ``[plan] forest_sink_wan_t``, empty when the county has no plan goals."""
PLAN_STOCK_WAN_M3 = profile().plan_by_year("forest_stock_wan_m3")
"""森林蓄积量 targets, 万m³ (docs/sources.md, "附件1" #16); ``[plan] forest_stock_wan_m3``, empty without plan goals."""


def plan_stock_change_m3() -> float:
    """The plan's forest-stock change 2021→2024, m³ (NaN when the county profile has no stock targets)."""
    if 2021 not in PLAN_STOCK_WAN_M3 or 2024 not in PLAN_STOCK_WAN_M3:
        return float("nan")
    return (PLAN_STOCK_WAN_M3[2024] - PLAN_STOCK_WAN_M3[2021]) * WAN
PATCH_TILE_M = 2_000.0
"""Patches derived from the raster are cut on a 2 km grid, like forest sub-compartments (小班),
so that a connected shelterbelt network does not become one county-wide polygon (docs/sources.md, "Demo assumptions")."""
PATCHES_DEMO_FILE = "forest_patches_demo.gpkg"
WAN = 10_000.0
PARAM_COLUMNS = ("stock_m3_per_ha", "growth_rate", "bef", "root_shoot", "wood_density", "carbon_fraction")
"""Stock-method parameters (units in forest_params.csv's header: m³/ha, 1/yr, -, -, t/m³, -); read as real numbers."""
POOL_COLUMNS = ("c_above", "c_below", "c_soil", "c_dead")
"""Carbon pools in t C/ha (carbon_pools.csv); read as real numbers."""

STOCK_CLASSES: tuple[int, ...] = (301,)
"""The app's one stock scope: the 三调 classes whose growing stock counts as 森林蓄积量, 乔木林地 (0301) only.

The forest inventory counts 森林蓄积量 as the growing stock of 乔木林 (canopy cover ≥ 0.20); the stock of
疏林, scattered trees and 四旁树 enters only 活立木总蓄积量, and 三调's 其他林地 (0307: 疏林地, 未成林造林地,
苗圃, 迹地) holds no 乔木林 (docs/sources.md, "Forest stock scope": GB/T 38590-2020 森林资源连续清查技术规程,
GB/T 26424-2010 森林资源规划设计调查技术规程). The forest page, indicators 4 and 16, the evaluation and
``carbon --json`` all use this scope; the gross sink is the growth of this stock."""


def scope_label(lang: str = "zh", classes: tuple[int, ...] = STOCK_CLASSES) -> str:
    """The stock scope as a label, e.g. ``森林蓄积量（乔木林地 0301）`` / ``forest stock (tree forest 0301)``."""
    names = [(CLASSES[c].name_zh if lang == "zh" else CLASSES[c].name_en.lower(), f"{c:04d}")
             for c in classes if c in CLASSES]
    shown = "、".join(f"{n} {c}" for n, c in names) if lang == "zh" else ", ".join(f"{n} {c}" for n, c in names)
    return f"森林蓄积量（{shown}）" if lang == "zh" else f"forest stock ({shown})"


# ---------------------------------------------------------------- parameters


def load_forest_params(path: Path | None = None) -> pd.DataFrame:
    """Stock-method parameters per forest class, indexed by integer class value (301, 307, ...).

    Every parameter column is float64 even when the file holds whole numbers (``92``): a planner's 92.5 m³/ha
    must fit in the table the page edits (issue 29: an int64 column refused it with a TypeError).
    """
    df = pd.read_csv(path or PARAMS_CSV, dtype={"code": str, **{c: "float64" for c in PARAM_COLUMNS}})
    return _index_by_value(df)


def load_pools(path: Path | None = None) -> pd.DataFrame:
    """Carbon pools (t C/ha) per land-cover class, indexed by integer class value; pool columns are float64
    (a column of whole numbers would otherwise be an integer column that refuses 0.5 t C/ha in the editor)."""
    df = pd.read_csv(path or POOLS_CSV, dtype={"code": str})
    missing = set(POOL_COLUMNS) - set(df.columns)
    if missing:
        raise ValueError(f"carbon pools table lacks columns {sorted(missing)}")
    df = df.astype({c: "float64" for c in POOL_COLUMNS})
    return _index_by_value(df)


def _index_by_value(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["code"] = df["code"].str.zfill(4)
    df.index = df["code"].astype(int)
    df.index.name = "value"
    return df


def co2_per_m3(params: pd.DataFrame) -> pd.Series:
    """t CO2 per m³ of stem volume for each class: BEF × (1 + R) × D × CF × 44/12."""
    return (
        params["bef"] * (1.0 + params["root_shoot"]) * params["wood_density"] * params["carbon_fraction"] * CO2_PER_C
    )


def _lut(series: pd.Series, size: int) -> np.ndarray:
    lut = np.zeros(size, dtype="float64")
    idx = series.index.to_numpy(dtype=int)
    ok = (idx >= 0) & (idx < size)
    lut[idx[ok]] = series.to_numpy(dtype="float64")[ok]
    return lut


# ---------------------------------------------------------------- per-cell rasters

STOCK_BANDS = ("forest_m2", "stock_m3", "sink_t_co2", "storage_t_c")


def carbon_rasters(
    lc: RasterData,
    params: pd.DataFrame | None = None,
    pools: pd.DataFrame | None = None,
) -> RasterData:
    """Per-cell quantities from a land-cover raster in a metric CRS (vectorised lookups).

    Bands: ``forest_m2`` (林地 area), ``stock_m3``, ``sink_t_co2`` (gross,
    per year) and ``storage_t_c`` (sum of the four pools). Nodata cells stay masked.
    """
    params = load_forest_params() if params is None else params
    pools = load_pools() if pools is None else pools
    px_m2 = lc.pixel_area_m2
    if px_m2 is None:
        raise RasterError("土地覆被栅格须为投影坐标系 / land cover must be in a projected CRS (see load_landcover)")
    codes = np.ma.filled(lc.array[0], NODATA).astype("int64")
    size = int(max(codes.max(), max(CLASSES), params.index.max(), pools.index.max())) + 1
    codes = np.clip(codes, 0, size - 1)
    px_ha = px_m2 / M2_PER_HA
    stock_ha = _lut(params["stock_m3_per_ha"], size)
    sink_per_m3 = _lut(params["growth_rate"] * co2_per_m3(params), size)
    storage_ha = _lut(pools[["c_above", "c_below", "c_soil", "c_dead"]].sum(axis=1), size)
    forest = np.isin(np.arange(size), FOREST_CODES).astype("float64") * px_m2
    stock = stock_ha[codes] * px_ha
    bands = np.stack([forest[codes], stock, stock * sink_per_m3[codes], storage_ha[codes] * px_ha]).astype("float32")
    mask = np.broadcast_to(np.ma.getmaskarray(lc.array[0]), bands.shape)
    bands[mask] = np.nan  # zonal convention: NaN under the mask (cyc_geo.geo.zonal._validate)
    return RasterData(np.ma.MaskedArray(bands, mask=mask), lc.transform, lc.crs, STOCK_BANDS, checked=True)


# ---------------------------------------------------------------- zonal aggregation


def carbon_by_zone(
    zones: gpd.GeoDataFrame,
    *,
    id_col: str | None = "code",
    landcover: Path | str | RasterData | None = None,
    params: pd.DataFrame | None = None,
    pools: pd.DataFrame | None = None,
    future: Path | str | RasterData | None = None,
    horizon: int = 20,
    patches: gpd.GeoDataFrame | None = None,
    classes: tuple[int, ...] | None = STOCK_CLASSES,
) -> pd.DataFrame:
    """Forest area, stock, gross sink and carbon storage per zone (exact partial-pixel weighting).

    ``stock_m3`` and ``sink_t_co2`` count the stock of ``classes`` only (:data:`STOCK_CLASSES`, the app's
    森林蓄积量 scope; None: every class with a stock density); ``forest_area_*`` is all 林地 and
    ``storage_t_c`` every pool of every class.

    ``landcover`` defaults to :func:`cyc_geo.carbon.landcover.landcover_path` (any CRS,
    reprojected to EPSG:4547). With ``future`` (a second land-cover raster on the same grid),
    ``sequestration_t_c`` = storage(future) - storage(now) (the InVEST equilibrium difference, reached
    only when the new stands are mature) and ``sequestration_t_co2_yr``, the growth-based annual mean
    over ``horizon`` years (:mod:`cyc_geo.carbon.growth`), are added. With
    ``patches`` (a forest-patch vector table) the patches are used instead of
    the raster, split between zones by area.

    Columns: ``<id_col>, forest_area_ha, forest_area_mu, stock_m3, sink_t_co2,
    storage_t_c, sink_t_co2_per_ha`` (+ sequestration columns).
    """
    if id_col is not None and id_col not in zones.columns:
        id_col = None
    if patches is not None:
        return _patches_by_zone(zones, patches, id_col, params, classes)
    lc = landcover if isinstance(landcover, RasterData) else load_landcover(landcover)
    all_params = load_forest_params() if params is None else params
    scoped = all_params if classes is None else stock_params(all_params, tuple(classes))
    rasters = carbon_rasters(lc, scoped, pools)
    z = zonal_sum(rasters, zones, id_col=id_col, band_names=STOCK_BANDS)
    out = pd.DataFrame({id_col: z[id_col]} if id_col else {}, index=z.index)
    out["forest_area_ha"] = z["forest_m2_sum"] / M2_PER_HA
    out["forest_area_mu"] = z["forest_m2_sum"] / M2_PER_MU
    out["stock_m3"] = z["stock_m3_sum"]
    out["sink_t_co2"] = z["sink_t_co2_sum"]
    out["storage_t_c"] = z["storage_t_c_sum"]
    out["sink_t_co2_per_ha"] = _per_ha(out["sink_t_co2"], zones)
    if future is not None:
        fut = future if isinstance(future, RasterData) else load_landcover(future)
        fz = zonal_sum(carbon_rasters(fut, scoped, pools), zones, band_names=STOCK_BANDS)
        out["storage_future_t_c"] = fz["storage_t_c_sum"].to_numpy()
        out["sequestration_t_c"] = out["storage_future_t_c"] - out["storage_t_c"]
        out["sequestration_t_co2_yr"] = _growth_by_zone(lc, fut, zones, all_params, pools, horizon)
    return out


def _growth_by_zone(lc: RasterData, fut: RasterData, zones: gpd.GeoDataFrame, params: pd.DataFrame | None,
                    pools: pd.DataFrame | None, horizon: int) -> np.ndarray:
    """Growth-based mean sequestration (t CO2/yr over ``horizon``) per zone, exact zonal sums."""
    from cyc_geo.carbon import growth

    band = growth.mean_rate_band(lc, fut, load_forest_params() if params is None else params,
                                 load_pools() if pools is None else pools, horizon=horizon)
    mask = np.isnan(band)
    data = RasterData(np.ma.MaskedArray(band[np.newaxis], mask=mask[np.newaxis]), lc.transform, lc.crs,
                      ("seq_t_co2_yr",), checked=True)
    return zonal_sum(data, zones)["sum"].to_numpy()


def _per_ha(values: pd.Series, zones: gpd.GeoDataFrame) -> pd.Series:
    area_ha = zones.to_crs(AREA_CRS).geometry.area.to_numpy() / M2_PER_HA
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(area_ha > 0, values.to_numpy() / area_ha, np.nan), index=values.index)


# ---------------------------------------------------------------- patches


def patch_carbon(patches: gpd.GeoDataFrame, params: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Add ``area_ha``, ``stock_m3`` (kept if given, else density × area) and ``sink_t_co2_yr`` to patches.

    ``patches`` needs a ``class_code`` column (三调 code as "0301" or 301). A
    ``stock_m3`` column from a forest inventory (森林资源二类调查) is used as is
    where it is not null.
    """
    if "class_code" not in patches.columns:
        raise ValueError("林地图斑缺少 class_code 字段 / forest patches need a class_code column (三调 code, e.g. 0301)")
    params = load_forest_params() if params is None else params
    out = patches.copy()
    values = pd.to_numeric(out["class_code"].astype(str).str.strip(), errors="coerce").fillna(-1).astype(int)
    out["class_code"] = values.map(lambda v: f"{v:04d}" if v >= 0 else "")
    out["class_name"] = values.map(lambda v: CLASSES[v].name_zh if v in CLASSES else "")
    out["area_ha"] = out.to_crs(AREA_CRS).geometry.area / M2_PER_HA
    density = values.map(params["stock_m3_per_ha"]).fillna(0.0)
    derived = density * out["area_ha"]
    if "stock_m3" in out.columns:
        given = pd.to_numeric(out["stock_m3"], errors="coerce")
        out["stock_m3"] = given.fillna(derived)
    else:
        out["stock_m3"] = derived
    rate = values.map(params["growth_rate"] * co2_per_m3(params)).fillna(0.0)
    out["sink_t_co2_yr"] = out["stock_m3"] * rate
    return out


def _patches_by_zone(
    zones: gpd.GeoDataFrame, patches: gpd.GeoDataFrame, id_col: str | None, params: pd.DataFrame | None,
    classes: tuple[int, ...] | None = STOCK_CLASSES,
) -> pd.DataFrame:
    """Allocate patch stock and sink to zones in proportion to the overlapping area (stock and sink of
    ``classes`` only; None: every class)."""
    p = patch_carbon(patches, params).to_crs(AREA_CRS)
    if classes is not None:
        outside = ~pd.to_numeric(p["class_code"], errors="coerce").isin([int(c) for c in classes])
        p.loc[outside, ["stock_m3", "sink_t_co2_yr"]] = 0.0
    z = zones.to_crs(AREA_CRS).reset_index(drop=True)
    z["_zone"] = np.arange(len(z))
    p["_area0"] = p.geometry.area
    p = p[p["_area0"] > 0]
    pieces = gpd.overlay(p[["stock_m3", "sink_t_co2_yr", "class_code", "_area0", "geometry"]],
                         z[["_zone", "geometry"]], how="intersection", keep_geom_type=True)
    share = pieces.geometry.area / pieces["_area0"]
    forest = pieces["class_code"].astype(str).isin([f"{c:04d}" for c in FOREST_CODES])
    agg = pd.DataFrame({
        "_zone": pieces["_zone"],
        "forest_m2": pieces.geometry.area.where(forest, 0.0),
        "stock_m3": pieces["stock_m3"] * share,
        "sink_t_co2": pieces["sink_t_co2_yr"] * share,
    }).groupby("_zone").sum().reindex(range(len(z)), fill_value=0.0)
    out = pd.DataFrame({id_col: zones[id_col].to_numpy()} if id_col else {}, index=zones.index)
    out["forest_area_ha"] = agg["forest_m2"].to_numpy() / M2_PER_HA
    out["forest_area_mu"] = agg["forest_m2"].to_numpy() / M2_PER_MU
    out["stock_m3"] = agg["stock_m3"].to_numpy()
    out["sink_t_co2"] = agg["sink_t_co2"].to_numpy()
    out["storage_t_c"] = np.nan
    out["sink_t_co2_per_ha"] = _per_ha(out["sink_t_co2"], zones)
    return out


def patches_from_raster(
    lc: RasterData, params: pd.DataFrame | None = None, tile_m: float = PATCH_TILE_M
) -> gpd.GeoDataFrame:
    """Vector forest patches (WGS84) from a land-cover raster with ``rasterio.features.shapes``.

    Connected cells of one forest class form a patch, cut on a ``tile_m`` grid.
    Columns: ``patch_id, class_code, class_name, area_ha, stock_m3, sink_t_co2_yr, geometry``.
    """
    codes = np.ma.filled(lc.array[0], NODATA).astype("int64")
    forest = np.isin(codes, FOREST_CODES)
    res = abs(lc.transform.a)
    k = max(1, int(round(tile_m / res)))
    rows, cols = codes.shape
    tile = (np.arange(rows)[:, None] // k) * (cols // k + 1) + (np.arange(cols)[None, :] // k)
    key = np.where(forest, tile * 10_000 + codes, 0).astype("int32")
    geoms, values = [], []
    for geom, value in rasterio.features.shapes(key, mask=forest, transform=lc.transform, connectivity=4):
        geoms.append(geom)
        values.append(int(value))
    polys = shapely.from_geojson([_geojson(g) for g in geoms]) if geoms else np.array([], dtype=object)
    code = np.asarray(values, dtype="int64") % 10_000
    gdf = gpd.GeoDataFrame({"class_code": [f"{c:04d}" for c in code]}, geometry=list(polys), crs=lc.crs)
    gdf = patch_carbon(gdf, params)
    gdf.insert(0, "patch_id", np.arange(1, len(gdf) + 1))
    cols_ = ["patch_id", "class_code", "class_name", "area_ha", "stock_m3", "sink_t_co2_yr", "geometry"]
    return gdf[cols_].to_crs(WGS84)


def _geojson(geom: dict) -> str:
    import json

    return json.dumps(geom)


def _attach_township(patches: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Township code and name of each patch (the township holding its representative point)."""
    from cyc_geo.places.townships import load_townships

    towns = load_townships()[["code", "name", "geometry"]]
    pts = gpd.GeoDataFrame(geometry=patches.geometry.representative_point(), crs=patches.crs)
    joined = gpd.sjoin(pts, towns, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    out = patches.copy()
    out["township_code"] = joined["code"].reindex(out.index).fillna("").to_numpy()
    out["township_name"] = joined["name"].reindex(out.index).fillna("").to_numpy()
    return out


def build_forest_patches(landcover: Path | None = None, out_dir: Path | None = None) -> Path:
    """Derive patches from the land-cover raster and store them (GeoPackage layer ``forest``)."""
    path = Path(landcover or landcover_path())
    lc_meta = landcover_meta(path)
    patches = _attach_township(patches_from_raster(load_landcover(path)))
    out = Path(out_dir or paths.generated_dir()) / _patch_file_name(path)
    meta = {
        "source": f"derived from land-cover raster {path.name} (rasterio.features.shapes, {PATCH_TILE_M:.0f} m tiles)",
        "demo": lc_meta.get("demo", "false"),
        "approximate": lc_meta.get("approximate", "false"),
        "raster_mtime": str(path.stat().st_mtime),
        "params": "data/reference/forest_params.csv defaults",
    }
    if lc_meta.get("data_year"):
        meta["data_year"] = lc_meta["data_year"]  # the patches describe the raster's year
    return write_layer(patches, out, "forest", meta)


def _patch_file_name(raster: Path) -> str:
    if raster.name == "landcover_demo.tif":
        return PATCHES_DEMO_FILE
    return f"forest_patches_{raster.parent.name}_{raster.stem}.gpkg"


def derived_patches_file() -> Path:
    """Builder of layer ``forest`` (no planner file): the patches derived from the land-cover raster in use,
    in a file named after that raster, rebuilt when the raster changed (its modification time)."""
    return patches_file_of(landcover_path())


def patches_file_of(raster: Path) -> Path:
    """The patches derived from a land-cover raster (any version: the one in use or an earlier year's), in a
    file named after it, rebuilt when the raster changed (its modification time)."""
    raster = Path(raster)
    file = paths.generated_dir() / _patch_file_name(raster)
    if not file.exists() or read_layer_meta(file).get("raster_mtime") != str(raster.stat().st_mtime):
        build_forest_patches(raster)
    return file


def patches_for_year(year: int) -> gpd.GeoDataFrame:
    """``year_frame`` of layer ``forest``: the forest patches of :func:`forest_version_for_year` (a patch
    table as it is, or the patches derived from that year's land cover), with the columns of layer
    ``forest``; ``attrs["meta"]["data_year"]`` is the version's data year. Without a version of ``year`` or
    earlier, or without any dated version, the layer in use."""
    version = forest_version_for_year(int(year))
    if isinstance(version, str) or version.data_year is None:
        return load_layer("forest")
    if version.kind == "patches":
        gdf = read_any(version.path)
        gdf.attrs["origin"] = ("planner", str(version.path))
        gdf = patch_columns(gdf)
    else:
        if version.path.resolve() == Path(landcover_path()).resolve():
            return load_layer("forest")
        gdf = read_any(patches_file_of(version.path))
    meta = dict(gdf.attrs.get("meta") or {})
    meta["data_year"] = str(version.data_year)
    gdf.attrs["meta"] = meta
    return gdf


def patch_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Transform of layer ``forest``: a planner's patch file (``attrs["origin"]``) keeps its stock attribute
    and gets the sink, township and ``patch_id`` columns; derived patches already have them."""
    kind, path = gdf.attrs.get("origin", ("built", ""))
    if kind != "planner":
        return gdf
    gdf = patch_carbon(gdf)
    if "township_code" not in gdf.columns:
        gdf = _attach_township(gdf)
    if "patch_id" not in gdf.columns:
        gdf.insert(0, "patch_id", np.arange(1, len(gdf) + 1))
    meta = dict(gdf.attrs.get("meta") or {})
    meta.update({"source": meta.get("source", f"planner file {Path(path).name}"), "demo": "false"})
    gdf.attrs["meta"] = meta
    return gdf


def load_forest_patches() -> gpd.GeoDataFrame:
    """Forest patches (WGS84) with ``patch_id, class_code, class_name, area_ha, stock_m3, sink_t_co2_yr``:
    layer ``forest`` of the catalogue.

    A planner's patch file (``data/boundaries/forest.<ext>`` or an import) wins;
    its stock attribute is kept and the sink is computed (:func:`patch_columns`). Otherwise patches are
    derived from the land-cover raster in use (rebuilt when the raster changes; :func:`derived_patches_file`).
    """
    return load_layer("forest")


def read_layer_meta(path: Path) -> dict:
    from cyc_geo.catalog.vector_io import read_meta

    return read_meta(path, "forest")


# ---------------------------------------------------------------- indicators


def net_sink_from_stock_change(
    delta_m3: float, years: float, params: pd.DataFrame | None = None, class_value: int = 301
) -> float:
    """Net sink (t CO2/yr) implied by a net stock change of ``delta_m3`` over ``years``.

    Uses the same conversion as the gross sink (t CO2 per m³ of the class, poplar by default).
    """
    params = load_forest_params() if params is None else params
    return float(delta_m3 / years * co2_per_m3(params).loc[class_value])


@dataclass(frozen=True)
class CountySummary:
    sink_t_co2: float
    stock_m3: float
    forest_area_ha: float
    storage_t_c: float
    net_sink_t_co2: float
    source: str
    demo: bool


def county_summary(
    landcover: Path | str | None = None,
    params: pd.DataFrame | None = None,
    pools: pd.DataFrame | None = None,
) -> CountySummary:
    """County totals (exact zonal over the county outline) and the plan-based net sink."""
    from cyc_geo.places.county import load_county

    path = Path(landcover or landcover_path())
    row = carbon_by_zone(load_county(), id_col=None, landcover=path, params=params, pools=pools).iloc[0]
    delta = plan_stock_change_m3()
    meta = landcover_meta(path)
    return CountySummary(
        sink_t_co2=float(row["sink_t_co2"]),
        stock_m3=float(row["stock_m3"]),
        forest_area_ha=float(row["forest_area_ha"]),
        storage_t_c=float(row["storage_t_c"]),
        net_sink_t_co2=net_sink_from_stock_change(delta, 3.0, params),
        source=meta["source"],
        demo=provenance_of(meta).demo,
    )


def county_summary_from_patches(patches: gpd.GeoDataFrame, params: pd.DataFrame | None = None) -> CountySummary:
    """County totals from a forest-patch table (a planner's inventory file): area-weighted overlay."""
    from cyc_geo.places.county import load_county

    row = carbon_by_zone(load_county(), id_col=None, patches=patches, params=params).iloc[0]
    delta = plan_stock_change_m3()
    meta = dict(patches.attrs.get("meta") or {})
    return CountySummary(
        sink_t_co2=float(row["sink_t_co2"]),
        stock_m3=float(row["stock_m3"]),
        forest_area_ha=float(row["forest_area_ha"]),
        storage_t_c=float("nan"),
        net_sink_t_co2=net_sink_from_stock_change(delta, 3.0, params),
        source=meta.get("source", "forest patches"),
        demo=provenance_of(meta).demo,
    )


@functools.lru_cache(maxsize=4)
def _cached_summary(path: str, mtime: float, kind: str) -> CountySummary:
    if kind == "patches":
        return county_summary_from_patches(load_forest_patches())
    return county_summary(Path(path))


def _default_summary() -> CountySummary:
    """County totals for the indicators: a planner's forest-patch file wins, else the land-cover raster."""
    user = planner_path("forest")
    if user is not None:
        return _cached_summary(str(user), user.stat().st_mtime, "patches")
    path = landcover_path()
    return _cached_summary(str(path), path.stat().st_mtime, "raster")


def sink_indicator_wan_t() -> float:
    """County gross carbon sink, 万t CO2/yr (plan indicator 碳汇量, 附件1 #4), from the map."""
    return _default_summary().sink_t_co2 / WAN


def stock_indicator_wan_m3() -> float:
    """County forest stock, 万m³ (plan indicator 森林蓄积量, 附件1 #16), from the map."""
    return _default_summary().stock_m3 / WAN


# ---------------------------------------------------------------- indicators per data year

FOREST_LAYERS = (("forest", "patches"), ("landcover", "raster"))
"""Layers whose versions carry the forest data, the patch inventory first (it wins in a tie)."""


def stock_params(params: pd.DataFrame, classes: tuple[int, ...]) -> pd.DataFrame:
    """Parameters with no stock density outside ``classes`` (the stock of the other classes is not counted)."""
    out = params.copy()
    out.loc[~out.index.isin(classes), "stock_m3_per_ha"] = 0.0
    return out


@functools.lru_cache(maxsize=16)
def _figures(path: str, mtime: float, kind: str, classes: tuple[int, ...]) -> tuple[float, float]:
    """``(gross sink t CO2/yr, stock m³)`` of ``classes`` in one forest data file over the county (the same
    :func:`carbon_by_zone` as the forest page and ``carbon --json``)."""
    from cyc_geo.places.county import load_county

    county = load_county()
    if kind == "patches":
        row = carbon_by_zone(county, id_col=None, patches=read_any(Path(path)), classes=classes).iloc[0]
    else:
        row = carbon_by_zone(county, id_col=None, landcover=path, classes=classes).iloc[0]
    return float(row["sink_t_co2"]), float(row["stock_m3"])


def _dated_forest_versions() -> list[dict]:
    """Dated forest versions: the imports of :data:`FOREST_LAYERS` that carry a data year; without any, and
    while both layers are the demo's (no planner file), the demo vintages of the land cover
    (:func:`cyc_geo.catalog.vintages.demo_vintages`; docs/sources.md, "Demo vintages")."""
    from cyc_geo import db
    from cyc_geo.catalog import versions
    from cyc_geo.catalog.vintages import demo_vintages

    conn = db.connect()
    try:
        rows = []
        for rank, (layer, kind) in enumerate(reversed(FOREST_LAYERS)):
            rows += [{**v, "kind": kind, "rank": rank} for v in versions.dated_versions(conn, layer)]
    finally:
        conn.close()
    if not rows and all(planner_path(layer) is None for layer, _ in FOREST_LAYERS):
        rows = [{**v, "kind": "raster", "rank": 0} for v in demo_vintages("landcover")]
    return sorted(rows, key=lambda r: (r["data_year"], r["rank"], r["import_id"] or 0))


@dataclass(frozen=True)
class ForestVersion:
    """The forest data used for a year: a patch table (``kind="patches"``) or land-cover raster (``"raster"``)."""

    kind: str
    path: Path
    data_year: int | None
    """Its data year; None for current data without one."""
    carried_from: int | None
    """The earlier data year used when there is no version of the year itself."""
    note: str
    """Which version, in Chinese / English (layer and import number, or demo vintage)."""
    entered_by: str = ""
    entered_at: str = ""


def forest_version_for_year(year: int) -> ForestVersion | str:
    """The forest version for ``year``: the one whose data year is ``year``, else the latest earlier one
    (:func:`cyc_geo.catalog.versions.version_for_year`); without any dated version, the current data (data
    year None). A text (zh / en) saying so when every dated version is later."""
    from cyc_geo.catalog import versions

    dated = _dated_forest_versions()
    if not dated:
        user = planner_path("forest")
        kind, path = ("patches", user) if user is not None else ("raster", landcover_path())
        return ForestVersion(kind, Path(path), None, None,
                             f"当前数据（{path.name}）无数据年份，没有 {year} 年的林地版本 / current data ({path.name}) "
                             f"carry no data year: no forest version of {year}")
    chosen, carried = versions.version_for_year(dated, int(year))
    if chosen is None:
        first = dated[0]["data_year"]
        return f"无 {year} 年或更早的数据（最早 {first} 年）/ no data for {year} or earlier (earliest {first})"
    note = f"沿用 {carried} 年数据 / carried from {carried}" if carried else f"{year} 年数据 / data of {year}"
    layer, layer_zh = ("forest", "林地图斑") if chosen["kind"] == "patches" else ("landcover", "土地覆被")
    if chosen["import_id"] is None:
        note += (f"；版本：{layer_zh}演示数据 {chosen['data_year']} 年版 / version: {layer} demo vintage "
                 f"{chosen['data_year']}")
    else:
        note += (f"；版本：{layer_zh}图层导入 #{chosen['import_id']}（数据年份 {chosen['data_year']}）/ version: {layer} "
                 f"import #{chosen['import_id']} (data year {chosen['data_year']})")
    return ForestVersion(chosen["kind"], Path(chosen["stored_path"]), int(chosen["data_year"]), carried, note,
                         chosen["imported_by"], chosen["imported_at"])


def forest_value_for_year(what: str, year: int, classes: tuple[int, ...] = STOCK_CLASSES):
    """Map estimate of the sink (``what="sink"``, 万t CO2/yr) or stock (``"stock"``, 万m³) of ``classes`` for ``year``.

    From the forest version (patch inventory or land-cover raster; in the demo, the land cover's demo vintage)
    whose data year is ``year``, else the nearest earlier one with the note "carried from YYYY"
    (:func:`forest_version_for_year`); no value if every dated version is later. Without any dated version, the
    current data, with data year None, and the note says so. The note names the version used (layer and import
    number, or demo vintage). Returns a :class:`cyc_geo.catalog.provenance.DatedValue`; the indicator catalogue
    scores it as the year's actual only when its ``data_year`` is ``year``
    (:func:`cyc_geo.indicators.catalogue.evaluate`).
    """
    from cyc_geo.catalog.provenance import DatedValue

    classes = tuple(int(c) for c in classes)
    class_note = f"口径 {scope_label('zh', classes)} / scope {scope_label('en', classes)}"
    version = forest_version_for_year(int(year))
    if isinstance(version, str):
        return DatedValue(None, None, version)
    sink, stock = _figures(str(version.path), version.path.stat().st_mtime, version.kind, classes)
    return DatedValue((sink if what == "sink" else stock) / WAN, version.data_year,
                      "; ".join(n for n in (version.note, class_note) if n), version.entered_by, version.entered_at)


def sink_by_year(year: int):
    """County gross sink for ``year`` (附件1 #4), 万t CO2/yr, with its data year (:func:`forest_value_for_year`)."""
    return forest_value_for_year("sink", year)


def stock_by_year(year: int, classes: tuple[int, ...] = STOCK_CLASSES):
    """County forest stock for ``year`` (附件1 #16), 万m³ of ``classes`` (乔木林 by default), with its data year."""
    return forest_value_for_year("stock", year, classes)


def stock_difference_net_sink(params: pd.DataFrame | None = None) -> dict:
    """The plan's net sink by the IPCC 2006 stock-difference method, as a reference figure beside
    indicator 5 (:class:`cyc_geo.indicators.catalogue.ReferenceFigure` fields), 万t CO2/yr.

    ΔC = (C_2024 − C_2021) / 3 with the plan's 森林蓄积量 path (附件1 #16: 180 → 183 万m³) converted with the
    0301 (poplar) factors of ``forest_params.csv`` (docs/sources.md, "Forest carbon"):
    3 万m³ / 3 yr × 1.2187 t CO2/m³ ≈ 1.22 万t CO2/yr. Never scored.
    """
    params = load_forest_params() if params is None else params
    years = 2024 - 2021
    delta_wan = PLAN_STOCK_WAN_M3[2024] - PLAN_STOCK_WAN_M3[2021]
    f = params.loc[301]
    per_m3 = float(co2_per_m3(params).loc[301])
    value = net_sink_from_stock_change(delta_wan * WAN, years, params) / WAN
    factors = (f"BEF {f['bef']:g} × (1 + R {f['root_shoot']:g}) × D {f['wood_density']:g} × CF "
               f"{f['carbon_fraction']:g} × 44/12 = {per_m3:.4f}")
    return {
        "name_zh": "净碳汇（IPCC 2006 蓄积差法，规划蓄积路径）",
        "name_en": "Net sink (IPCC 2006 stock-difference method, the plan's stock path)",
        "value": value,
        "unit": "万t CO2/年",
        "unit_en": "10k t CO2/yr",
        "definition_zh": (f"ΔC = (C_2024 − C_2021) / 3：附件1 #16 森林蓄积量 {PLAN_STOCK_WAN_M3[2021]:g}→"
                          f"{PLAN_STOCK_WAN_M3[2024]:g} 万m³，年均净增 {delta_wan / years:g} 万m³ × {factors} tCO2/m³"
                          f" = {value:.2f} 万t CO2/年（杨树系数）；仅供参考，不计分"),
        "definition_en": (f"ΔC = (C_2024 − C_2021) / 3: Annex 1 #16 forest stock {PLAN_STOCK_WAN_M3[2021]:g}→"
                          f"{PLAN_STOCK_WAN_M3[2024]:g} × 10k m³, a net gain of {delta_wan / years:g} × 10k m³/yr × "
                          f"{factors} t CO2/m³ = {value:.2f} × 10k t CO2/yr (poplar factors); for reference, not scored"),
    }
