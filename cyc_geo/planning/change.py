"""What changed between two years on the map: new PV installations, forest gained and lost, farmland lost.

The map's change layer (one layer, its totals in the legend) and the same figures as data. Rules
(docs/sources.md, "The map by year and the change between two years"):

- **new installations**: ledger rows grid-connected after 31 Dec of the first year and by 31 Dec of the second
  (:func:`cyc_geo.pv.progress.installations_as_of` of each year), counted and summed in AC MW;
- **forest gained / lost**: land-cover cells in a 林地 class (三调 03xx, :data:`cyc_geo.carbon.landcover.FOREST_CODES`)
  in the second year and not in the first (gained), or the reverse (lost); a change between two forest classes
  (young stand 0307 closing to 0301, clear-felling 0301 to 迹地 0307) is neither;
- **farmland lost**: cells in a 耕地 class (0101 水田, 0102 水浇地, 0103 旱地, :data:`CROPLAND_CODES`) in the first year
  and in no 耕地 class in the second;
- areas in ha and 亩 from the cells' polygons in :data:`cyc_geo.geo.crs.AREA_CRS`; the two rasters are compared on
  the first year's grid (the second resampled to it, nearest neighbour, when the grids differ).

The drawn areas are the changed cells gathered into :data:`DRAW_BLOCK_M` blocks (a block holding a changed cell
of a kind is drawn for that kind), so a scatter of single 20 m cells stays a light layer; the totals are the
cells'. Farmland lost is drawn as an outline, as it often lies under forest gained (afforestation of cropland).
No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely

from cyc_geo.carbon.landcover import FOREST_CODES, NODATA, load_landcover
from cyc_geo.geo.crs import M2_PER_HA, M2_PER_MU, WGS84
from cyc_geo.geo.zonal import RasterData
from cyc_geo.pv.progress import installations_as_of

CROPLAND_CODES = (101, 102, 103)
"""耕地 classes of 三调 (0101 水田, 0102 水浇地, 0103 旱地; GB/T 21010-2017)."""
DRAW_BLOCK_M = 100.0
"""Side of the blocks the changed cells are drawn in, m (a project choice: docs/sources.md, "The map by year and
the change between two years"; 5 × 5 cells of the 20 m demo raster)."""

FOREST_GAINED, FOREST_LOST, FARMLAND_LOST, NEW_PV = "forest_gained", "forest_lost", "farmland_lost", "pv_new"
KINDS = (FOREST_GAINED, FOREST_LOST, FARMLAND_LOST)
"""The area changes, in drawing order."""
COLOURS = {FOREST_GAINED: "#1a9850", FOREST_LOST: "#d73027", FARMLAND_LOST: "#fdae61", NEW_PV: "#6a3d9a"}
LABELS = {FOREST_GAINED: ("森林增加", "Forest gained"), FOREST_LOST: ("森林减少", "Forest lost"),
          FARMLAND_LOST: ("耕地减少", "Farmland lost"), NEW_PV: ("新增并网光伏", "New grid-connected PV")}


@dataclass
class Change:
    """The change from ``year_a`` to ``year_b``: totals and what the map draws (``features``, WGS84: area
    blocks and new installations, column ``kind``)."""

    year_a: int
    year_b: int
    new_count: int
    new_mw: float
    forest_gained_ha: float
    forest_lost_ha: float
    farmland_lost_ha: float
    features: gpd.GeoDataFrame = field(repr=False)

    @property
    def farmland_lost_mu(self) -> float:
        return self.farmland_lost_ha * M2_PER_HA / M2_PER_MU

    def totals(self) -> dict[str, float | int]:
        """The figures as JSON-ready numbers (MW to 3 decimals, ha and 亩 to 2)."""
        return {"year_a": self.year_a, "year_b": self.year_b, "new_installations": self.new_count,
                "new_mw": round(self.new_mw, 3), "forest_gained_ha": round(self.forest_gained_ha, 2),
                "forest_lost_ha": round(self.forest_lost_ha, 2), "farmland_lost_ha": round(self.farmland_lost_ha, 2),
                "farmland_lost_mu": round(self.farmland_lost_mu, 2)}


def new_installations(ledger: gpd.GeoDataFrame, year_a: int, year_b: int) -> gpd.GeoDataFrame:
    """Ledger rows grid-connected after 31 Dec of ``year_a`` and by 31 Dec of ``year_b`` (``year_a`` < ``year_b``)."""
    before = set(installations_as_of(ledger, year_a)["install_id"])
    after = installations_as_of(ledger, year_b)
    return after[~after["install_id"].isin(before)]


def change_masks(before: np.ndarray, after: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean grid of each change of :data:`KINDS` between two class arrays (三调 codes as integers); a cell
    that is nodata in either year changes nothing."""
    valid = (before != NODATA) & (after != NODATA)
    forest_a, forest_b = np.isin(before, FOREST_CODES), np.isin(after, FOREST_CODES)
    crop_a, crop_b = np.isin(before, CROPLAND_CODES), np.isin(after, CROPLAND_CODES)
    return {FOREST_GAINED: valid & forest_b & ~forest_a, FOREST_LOST: valid & forest_a & ~forest_b,
            FARMLAND_LOST: valid & crop_a & ~crop_b}


def _aligned(a: RasterData, b: RasterData) -> np.ndarray:
    """Year B's classes on year A's grid (as is when the grids agree, else nearest-neighbour resampled)."""
    arr_b = np.ma.filled(b.array[0], NODATA)
    if arr_b.shape == a.array.shape[1:] and b.transform == a.transform:
        return arr_b
    from rasterio.warp import Resampling, reproject

    out = np.full(a.array.shape[1:], NODATA, dtype=arr_b.dtype)
    reproject(arr_b, out, src_transform=b.transform, src_crs=b.crs, dst_transform=a.transform, dst_crs=a.crs,
              src_nodata=NODATA, dst_nodata=NODATA, resampling=Resampling.nearest)
    return out


def _blocks(mask: np.ndarray, k: int) -> np.ndarray:
    """``mask`` gathered into k × k blocks: a block is on when any of its cells is (uint8 0/1)."""
    rows, cols = mask.shape
    padded = np.pad(mask, ((0, (-rows) % k), (0, (-cols) % k)))
    return padded.reshape(padded.shape[0] // k, k, padded.shape[1] // k, k).any(axis=(1, 3)).astype("uint8")


def area_change(before: RasterData, after: RasterData, block_m: float = DRAW_BLOCK_M
                ) -> tuple[dict[str, float], gpd.GeoDataFrame]:
    """Areas (ha by kind) of the change from ``before`` to ``after`` (land-cover rasters, EPSG:4547 as
    :func:`cyc_geo.carbon.landcover.load_landcover` gives them) and what is drawn: one feature per kind, the
    :data:`DRAW_BLOCK_M` blocks holding a changed cell of that kind (``kind``, ``area_ha`` the kind's total, WGS84).
    The kinds overlap (a belt cohort planted on cropland is forest gained and farmland lost)."""
    a = np.ma.filled(before.array[0], NODATA)
    b = _aligned(before, after)
    res = abs(before.transform.a)
    cell_m2 = abs(before.transform.a * before.transform.e)
    masks = change_masks(a, b)
    totals = {kind: float(m.sum()) * cell_m2 / M2_PER_HA for kind, m in masks.items()}
    k = max(1, int(round(block_m / res)))
    transform = before.transform @ before.transform.scale(k, k)
    geoms, kinds = [], []
    for kind in KINDS:
        block = _blocks(masks[kind], k)
        parts = [shapely.geometry.shape(g) for g, _ in
                 rasterio.features.shapes(block, mask=block > 0, transform=transform, connectivity=4)]
        if parts:
            geoms.append(shapely.union_all(parts))
            kinds.append(kind)
    gdf = gpd.GeoDataFrame({"kind": kinds, "area_ha": [totals[k_] for k_ in kinds]}, geometry=geoms, crs=before.crs)
    return totals, gdf.to_crs(WGS84)


def change_between(ledger: gpd.GeoDataFrame, landcover_a: str | Path, landcover_b: str | Path, year_a: int,
                   year_b: int, block_m: float = DRAW_BLOCK_M) -> Change:
    """The change from ``year_a`` to ``year_b`` (``year_a`` < ``year_b``): the ledger's new installations and the
    area changes between the two years' land-cover rasters (their versions for the two years,
    :func:`cyc_geo.catalog.vintages.layer_for_year`)."""
    year_a, year_b = int(year_a), int(year_b)
    if year_a >= year_b:
        raise ValueError(f"对比年份须前小后大：{year_a}–{year_b} / the first year must be earlier: {year_a}–{year_b}")
    new = new_installations(ledger, year_a, year_b)
    totals, areas = area_change(load_landcover(landcover_a), load_landcover(landcover_b), block_m)
    points = gpd.GeoDataFrame({"kind": NEW_PV, "name": new["name"].astype(str).to_numpy(),
                               "capacity_kw": pd.to_numeric(new["capacity_kw"], errors="coerce").to_numpy(float),
                               "date": new["date"].astype(str).to_numpy()},
                              geometry=new.geometry.to_numpy(), crs=new.crs or WGS84).to_crs(WGS84)
    features = gpd.GeoDataFrame(pd.concat([areas, points], ignore_index=True), geometry="geometry", crs=WGS84)
    return Change(year_a, year_b, len(new), float(points["capacity_kw"].sum()) / 1000.0, totals[FOREST_GAINED],
                  totals[FOREST_LOST], totals[FARMLAND_LOST], features)


def legend_rows(change: Change, lang: str) -> list[tuple[str, str, str]]:
    """Legend rows ``(kind, colour, text with the total)`` of the change layer (MW to 0.1, ha to 0.1, 亩 to 1)."""
    zh = lang == "zh"

    def label(kind: str) -> str:
        return LABELS[kind][0 if zh else 1]

    mu = f"，{change.farmland_lost_mu:,.0f} 亩" if zh else f", {change.farmland_lost_mu:,.0f} mu"
    return [
        ("point", COLOURS[NEW_PV], f"{label(NEW_PV)} {change.new_count} " + ("个，" if zh else "sites, ")
         + f"{change.new_mw:,.1f} MW"),
        ("fill", COLOURS[FOREST_GAINED], f"{label(FOREST_GAINED)} {change.forest_gained_ha:,.1f} ha"),
        ("fill", COLOURS[FOREST_LOST], f"{label(FOREST_LOST)} {change.forest_lost_ha:,.1f} ha"),
        ("outline", COLOURS[FARMLAND_LOST], f"{label(FARMLAND_LOST)} {change.farmland_lost_ha:,.1f} ha{mu}"),
    ]


LANDCOVER_LAYER = "landcover"
"""The land-cover layer whose versions the area changes compare (三调 classes; :mod:`cyc_geo.carbon.landcover`)."""


def change_for_years(year_a: int, year_b: int, load: Any = None) -> Change:
    """:func:`change_between` the map's two years: the ledger in use (layer ``pv_installations``) and the land
    cover's version of each year (:func:`cyc_geo.catalog.vintages.layer_for_year`); ``load(layer_id)`` reads a
    layer (default :func:`cyc_geo.catalog.loader.load_layer`). Given in either order, compared earlier → later."""
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.catalog.vintages import layer_for_year
    from cyc_geo.pv.installations import LAYER_ID

    load = load or load_layer
    a, b = sorted((int(year_a), int(year_b)))
    paths = [str(layer_for_year(LANDCOVER_LAYER, y, load)[0]["path"].iloc[0]) for y in (a, b)]
    return change_between(load(LAYER_ID), paths[0], paths[1], a, b)
