"""Overlap of a prepared site with a layer, per feature and per class: the one implementation behind both
the land check's zoning findings (:mod:`cyc_geo.planning.rules`) and the area statistics
(:mod:`cyc_geo.planning.area_stats`).

Every area is measured in :data:`cyc_geo.geo.crs.AREA_CRS` (EPSG:4547) by
:meth:`cyc_geo.planning.site.PreparedSite.overlap_by_feature` (exact polygon intersections), in m², with
亩 = m² / 666.67 (:data:`cyc_geo.geo.crs.M2_PER_MU`). Class rows below ``min_m2`` (the land check's
digitising-sliver threshold, :attr:`cyc_geo.planning.site.LandCheckParams.min_overlap_m2`) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cyc_geo.carbon.landcover import CLASSES
from cyc_geo.geo.crs import M2_PER_MU
from cyc_geo.planning.site import Context, PreparedSite


def text_col(gdf: gpd.GeoDataFrame, name: str, default: str = "") -> np.ndarray:
    """Column ``name`` of ``gdf`` as text (missing values and a missing column: ``default``)."""
    if name in gdf.columns:
        return gdf[name].fillna(default).astype(str).to_numpy()
    return np.full(len(gdf), default, dtype=object)


def class_name(code: str, given: Any = None) -> str:
    """The layer's own class name, else the 三调 name of ``code`` (:data:`cyc_geo.carbon.landcover.CLASSES`), else the code."""
    if isinstance(given, str) and given:
        return given
    try:
        return CLASSES[int(code)].name_zh
    except (KeyError, ValueError):
        return code


def class_parts(codes: np.ndarray, names: np.ndarray, ov: np.ndarray, min_m2: float) -> list[dict[str, Any]]:
    """Overlap per class: rows ``code``, ``name``, ``overlap_m2`` (0.01 m²), ``overlap_mu`` (0.001 亩), by code,
    classes of at least ``min_m2``."""
    df = pd.DataFrame({"code": codes, "name": names, "m2": ov})
    df = df[df["m2"] > 0].groupby("code", as_index=False).agg(name=("name", "first"), m2=("m2", "sum"))
    df = df[df["m2"] >= min_m2].sort_values("code")
    return [{"code": str(r.code), "name": str(r.name), "overlap_m2": round(float(r.m2), 2),
             "overlap_mu": round(float(r.m2) / M2_PER_MU, 3)} for r in df.itertuples()]


@dataclass(frozen=True)
class LayerOverlap:
    """A site's overlap with one layer: ``per_feature`` (m², one per feature of the layer), ``total_m2`` and,
    for a layer with ``class_code``, ``parts`` per class (:func:`class_parts`) with the ``codes`` / ``names``
    of every feature."""

    per_feature: np.ndarray
    total_m2: float
    codes: np.ndarray
    names: np.ndarray
    parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_mu(self) -> float:
        return self.total_m2 / M2_PER_MU


def layer_overlap(site: PreparedSite, layer: gpd.GeoDataFrame, min_m2: float = 1.0,
                  per_feature: np.ndarray | None = None) -> LayerOverlap:
    """The overlap of ``site`` with ``layer`` (in :data:`~cyc_geo.geo.crs.AREA_CRS`); ``per_feature`` may give
    overlaps already measured (e.g. the cropland outside basic farmland)."""
    ov = site.overlap_by_feature(layer.geometry.to_numpy()) if per_feature is None else per_feature
    codes = text_col(layer, "class_code")
    names = np.array([class_name(c, n) for c, n in zip(codes, text_col(layer, "class_name"), strict=True)], dtype=object)
    parts = class_parts(codes, names, ov, min_m2) if "class_code" in layer.columns else []
    return LayerOverlap(ov, float(ov.sum()), codes, names, parts)


def zoning_overlap(site: PreparedSite, ctx: Context, name: str, min_m2: float = 1.0) -> LayerOverlap | None:
    """The overlap of ``site`` with context layer ``name`` (``farmland``, ``eco_redline``, ``urban_boundary``,
    ``cropland``, ``belt``, …); None when the layer cannot be had."""
    gdf = ctx.area_crs(name)
    return None if gdf is None else layer_overlap(site, gdf, min_m2)


def cropland_rest(site: PreparedSite, ctx: Context, min_m2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Per cropland feature: its class code, name and the overlap (m²) with the site outside basic farmland,
    and the overlap pieces of at least ``min_m2`` (for drawing)."""
    crop = ctx.required("cropland")
    codes = text_col(crop, "class_code")
    names = np.array([class_name(c, n) for c, n in zip(codes, text_col(crop, "class_name"), strict=True)], dtype=object)
    ov = site.overlap_by_feature(crop.geometry.to_numpy())
    hit = np.flatnonzero(ov >= min_m2)
    rest = np.zeros(len(crop))
    geoms: list = []
    if len(hit) == 0:
        return codes, names, rest, geoms
    whole = shapely.union_all(site.parts)
    farm = ctx.area_crs("farmland")
    farm_u = None
    if farm is not None and len(farm):
        near = farm.geometry.to_numpy()[shapely.STRtree(farm.geometry.to_numpy()).query(whole, predicate="intersects")]
        farm_u = shapely.union_all(near) if len(near) else None
    for i in hit:
        piece = shapely.intersection(crop.geometry.iloc[i], whole)
        if farm_u is not None:
            piece = shapely.difference(piece, farm_u)
        rest[i] = piece.area
        if piece.area >= min_m2:
            geoms.append(piece)
    return codes, names, rest, geoms
