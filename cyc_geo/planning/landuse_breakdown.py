"""What the site is now: its full 三调 地类 breakdown (the first table of a 用地预审).

Every 三调 class the site covers, grouped into the three classes of the Land Administration Law
(建设用地 / 农用地 / 未利用地, 《中华人民共和国土地管理法》第四条), with its area in m² and 亩. It decides
whether 农用地转用 (conversion of farm land) is needed. Read from a 地类图斑 (DLTB) layer when one is loaded
(context layer ``dltb``, fields ``class_code`` / ``class_name``, import aliases DLBM / DLMC), else from the land
cover raster by exact zonal statistics (:func:`cyc_geo.geo.zonal.class_areas`, partial cells weighted by the
share they cover). Any part of the site that neither covers is listed as ``no data``, so the rows sum to the
site area. Sources: docs/sources.md, "Land-use rules", "三调 classes".
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU
from cyc_geo.planning.site import Context, PreparedSite

GROUPS = {"construction": ("建设用地", "construction land"), "agricultural": ("农用地", "agricultural land"),
          "unused": ("未利用地", "unused land"), "unknown": ("无数据", "no data")}
"""The three land classes of 《土地管理法》第四条 (and ``unknown`` for parts no layer covers)."""

_AGRI_PREFIX = ("01", "02", "03", "04")
_AGRI_CODES = ("1006", "1103", "1104", "1107", "1202", "1203")
_UNUSED_CODES = ("0404", "1101", "1102", "1105", "1106", "1108", "1204", "1205", "1206", "1207")


def land_group(code: str) -> str:
    """The 三大类 of a 三调 class code (``0101`` -> ``agricultural``), after the 三调 工作分类 and the
    三大类 对照 of 《土地利用现状分类》GB/T 21010-2017 附录: 01–04 农用地 except 0404 其他草地; 1006 农村道路,
    1103 水库水面, 1104 坑塘水面, 1107 沟渠, 1202 设施农用地, 1203 田坎 农用地; 0404, 1101 河流水面, 1102 湖泊水面,
    1105/1106 滩涂, 1108 冰川及永久积雪, 1204–1207 未利用地; every other class 建设用地."""
    c = str(code).strip()[:4]
    if not c or not c[:2].isdigit():
        return "unknown"
    if c in _UNUSED_CODES:
        return "unused"
    if c.startswith(_AGRI_PREFIX) or c in _AGRI_CODES:
        return "agricultural"
    return "construction"


def _rows(codes: np.ndarray, names: np.ndarray, m2: np.ndarray, site_m2: float, min_m2: float) -> list[dict[str, Any]]:
    df = pd.DataFrame({"code": codes.astype(str), "name": names.astype(str), "m2": m2.astype(float)})
    df = df[df["m2"] > 0].groupby("code", as_index=False).agg(name=("name", "first"), m2=("m2", "sum"))
    rest = site_m2 - float(df["m2"].sum())
    if rest >= min_m2:
        df = pd.concat([df, pd.DataFrame({"code": [""], "name": ["无数据"], "m2": [rest]})], ignore_index=True)
    order = {g: i for i, g in enumerate(GROUPS)}
    df["group"] = [land_group(c) for c in df["code"]]
    df = df.sort_values(["group", "code"], key=lambda s: s.map(order) if s.name == "group" else s)
    return [{"group": r.group, "group_name": GROUPS[r.group][0], "code": r.code, "name": r.name,
             "overlap_m2": round(float(r.m2), 2), "overlap_mu": round(float(r.m2) / M2_PER_MU, 3)}
            for r in df.itertuples()]


def _text_col(gdf: gpd.GeoDataFrame, name: str) -> np.ndarray:
    if name in gdf.columns:
        return gdf[name].fillna("").astype(str).to_numpy()
    return np.full(len(gdf), "", dtype=object)


def _from_dltb(site: PreparedSite, dltb: gpd.GeoDataFrame, min_m2: float) -> list[dict[str, Any]]:
    from cyc_geo.carbon.landcover import CLASSES

    upper = {str(c).upper(): c for c in dltb.columns}  # DLBM or dlbm (some FileGDB exports write lower case)
    dltb = dltb.rename(columns={upper[k]: v for k, v in (("DLBM", "class_code"), ("DLMC", "class_name"))
                                if k in upper and v not in dltb.columns})
    ov = site.overlap_by_feature(dltb.geometry.to_numpy())
    codes = _text_col(dltb, "class_code")
    known = {c.code: c.name_zh for c in CLASSES.values()}
    names = np.array([n or known.get(c, c) for c, n in zip(codes, _text_col(dltb, "class_name"), strict=True)], dtype=object)
    return _rows(codes, names, ov, site.area_m2, min_m2)


def _from_raster(site: PreparedSite, raster: Any, min_m2: float) -> list[dict[str, Any]]:
    from cyc_geo.carbon.landcover import CLASSES, code_str
    from cyc_geo.geo.zonal import class_areas

    zones = gpd.GeoDataFrame({"zone": np.zeros(len(site.parts), dtype=int)}, geometry=list(site.parts), crs=AREA_CRS)
    table = class_areas(raster, zones.dissolve(by="zone").reset_index(), id_col="zone")
    values = table["class_value"].to_numpy(dtype=int)
    codes = np.array([code_str(int(v)) for v in values], dtype=object)
    names = np.array([CLASSES[int(v)].name_zh if int(v) in CLASSES else code_str(int(v)) for v in values], dtype=object)
    return _rows(codes, names, table["area_m2"].to_numpy(dtype=float), site.area_m2, min_m2)


def landuse_breakdown(site: PreparedSite, rooftop: bool, ctx: Context, min_m2: float = 1.0) -> list[dict[str, Any]]:
    """The site's 三调 地类 rows (``group``, ``group_name``, ``code``, ``name``, ``overlap_m2``, ``overlap_mu``),
    建设用地 first, then 农用地, 未利用地, no data; their areas sum to the site area. Empty for a rooftop set (roofs
    are existing buildings) and when neither a 地类图斑 layer nor the land-cover raster can be had."""
    if rooftop:
        return []
    dltb = ctx.area_crs("dltb")
    if dltb is not None and len(dltb):
        return _from_dltb(site, dltb, min_m2)
    raster = ctx.get("landcover")
    if raster is None:
        return []
    return _from_raster(site, raster, min_m2)


def group_totals(rows: list[dict[str, Any]]) -> dict[str, float]:
    """m² per 三大类 of a breakdown (only groups present)."""
    out: dict[str, float] = {}
    for r in rows:
        out[r["group"]] = round(out.get(r["group"], 0.0) + float(r["overlap_m2"]), 2)
    return out
