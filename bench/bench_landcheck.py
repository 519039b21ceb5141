"""Land-check overlaps of the rooftop site (project 3) vs a plain ``geopandas.overlay`` baseline.

Project 3's site is the set of ~2.4 x 10^5 demo roofs. The land check needs the overlap
area of that site with every township, both belt zones and every forest patch.

Setup (not timed): demo roofs (:func:`cyc_geo.pv.rooftops.load_rooftops`), townships, belt and
forest patches, all projected to EPSG:4547; ``quick`` uses the first 20,000 roofs.

Variants (best of ``repeats``):

- ``cyc-geo``: :class:`cyc_geo.planning.landcheck.PreparedSite` (re-exported from :mod:`cyc_geo.planning.site`; STRtree over the roof
  parts, prepared ``contains_properly`` shortcut for roofs wholly inside a feature, exact intersection only
  for the rest), per-feature sums with ``np.bincount``;
- ``baseline``: ``geopandas.overlay(roofs, layer, how="intersection")`` and a groupby of the
  intersection areas, per layer.

Both must give the same total overlap per layer (checked; ``max_rel_diff`` is reported).
Extra columns: ``ratio`` (seconds / baseline seconds).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from bench.common import measure, result_row


def _layers() -> dict[str, gpd.GeoDataFrame]:
    from cyc_geo.carbon.forest import load_forest_patches
    from cyc_geo.geo.crs import AREA_CRS
    from cyc_geo.places.belt import load_belt
    from cyc_geo.places.townships import load_townships

    return {
        "townships": load_townships().to_crs(AREA_CRS)[["code", "geometry"]],
        "belt": load_belt().to_crs(AREA_CRS)[["zone", "geometry"]],
        "forest": load_forest_patches().to_crs(AREA_CRS)[["patch_id", "geometry"]],
    }


def cyc_geo_overlaps(roofs: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, float]:
    from cyc_geo.planning.landcheck import LandCheckParams, prepare_site

    site = prepare_site(roofs.geometry, LandCheckParams(max_parts_union=0))
    return {name: float(site.overlap_by_feature(g.geometry.to_numpy()).sum()) for name, g in layers.items()}


def baseline_overlaps(roofs: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, float]:
    out = {}
    for name, g in layers.items():
        inter = gpd.overlay(roofs[["geometry"]], g, how="intersection", keep_geom_type=True)
        out[name] = float(inter.geometry.area.groupby(inter.iloc[:, 0]).sum().sum())
    return out


def run(quick: bool = False) -> list[dict[str, Any]]:
    from cyc_geo.geo.crs import AREA_CRS
    from cyc_geo.pv.rooftops import load_rooftops

    roofs = load_rooftops().to_crs(AREA_CRS)[["geometry"]]
    if quick:
        roofs = roofs.iloc[:20_000]
    roofs = roofs.reset_index(drop=True)
    layers = _layers()
    repeats = 1 if quick else 2
    best = {}
    for variant, fn in (("cyc-geo", cyc_geo_overlaps), ("baseline", baseline_overlaps)):
        runs = [measure(fn, roofs, layers) for _ in range(repeats)]
        best[variant] = min(runs, key=lambda m: m.seconds)
    a, b = best["cyc-geo"].result, best["baseline"].result
    diff = max(abs(a[k] - b[k]) / max(b[k], 1.0) for k in a)
    if diff > 1e-6:
        raise AssertionError(f"overlap totals disagree: {a} vs {b}")
    base_s = best["baseline"].seconds
    return [
        result_row(
            "landcheck_rooftop_overlaps",
            variant,
            len(roofs),
            m,
            ratio=round(m.seconds / base_s, 4),
            max_rel_diff=float(np.round(diff, 12)),
            overlap_m2={k: round(v, 1) for k, v in m.result.items()},
        )
        for variant, m in best.items()
    ]
