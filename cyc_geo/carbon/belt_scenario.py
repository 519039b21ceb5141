"""The Yellow River belt afforestation scenario (沿黄生态带造林情景): what land it takes and what it is called.

The scenario plants the belt's landward corridor (``zone == "corridor"`` of the ``belt`` layer) with
poplar (0301) on the classes of :data:`~cyc_geo.carbon.landcover.AFFORESTABLE`, except on
永久基本农田: a cell touching a basic-farmland parcel is never converted (《土地管理法》第三十五条;
国办发明电〔2020〕24号 "严禁违规占用耕地绿化造林"; docs/sources.md, "Belt afforestation scenario").
Cropland outside basic farmland (0102/0103) is still converted and reported apart, because turning
general 耕地 into forest needs the 耕地"进出平衡" of 自然资发〔2021〕166号.

The headline is the scenario's **additional** sequestration (情景新增固碳), never the county sink:
:meth:`BeltAfforestation.label` names the planted area and the averaging horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo.carbon.landcover import AFFORESTABLE, CLASSES, NODATA, afforest, burn_mask
from cyc_geo.geo.crs import M2_PER_HA
from cyc_geo.geo.zonal import RasterData

CORRIDOR = "corridor"
"""The belt zone the scenario plants (the landward ecological corridor; layers/belt.toml)."""
CROPLAND_CODES = (101, 102, 103)
"""三调 耕地 classes (0101 水田, 0102 水浇地, 0103 旱地; GB/T 21010-2017)."""


@dataclass(frozen=True)
class BeltAfforestation:
    """The future land cover of the scenario and the land it takes (areas in ha, EPSG:4547 cells)."""

    future: RasterData
    converted: pd.DataFrame
    """``code, name_zh, name_en, area_ha, cropland`` per converted class (``cropland``: a 耕地 class)."""
    basic_farmland_kept_ha: float
    """Eligible corridor land left unplanted because it is (or touches) 永久基本农田."""
    share: float

    @property
    def afforested_ha(self) -> float:
        return float(self.converted["area_ha"].sum())

    @property
    def cropland_taken_ha(self) -> float:
        """General 耕地 (outside 永久基本农田) the scenario plants, ha."""
        return float(self.converted.loc[self.converted["cropland"], "area_ha"].sum())

    def label(self, lang: str, horizon: int) -> str:
        """The headline's name, e.g. "情景新增固碳（沿黄生态带 1,234 ha，20 年平均）"."""
        if lang == "zh":
            return f"情景新增固碳（沿黄生态带 {self.afforested_ha:,.0f} ha，{horizon} 年平均）"
        return f"Scenario additional sequestration (Yellow River belt, {self.afforested_ha:,.0f} ha, {horizon}-year mean)"

    def summary(self) -> dict[str, object]:
        """JSON-able description of the land taken (``carbon --future belt --json``)."""
        return {
            "share": self.share,
            "afforested_ha": round(self.afforested_ha, 3),
            "cropland_taken_ha": round(self.cropland_taken_ha, 3),
            "basic_farmland_kept_ha": round(self.basic_farmland_kept_ha, 3),
            "converted_by_class": [
                {"code": str(r.code), "name_zh": r.name_zh, "name_en": r.name_en, "area_ha": round(float(r.area_ha), 3)}
                for r in self.converted.itertuples()
            ],
            "rule": "永久基本农田不造林（任一接触的栅格均保留）；一般耕地造林需落实耕地进出平衡 / no planting on "
                    "permanent basic farmland (any cell touching a parcel is kept); planting general cropland needs the "
                    "cropland in-out balance",
        }


def basic_farmland_mask(lc: RasterData, farmland: gpd.GeoDataFrame | None) -> np.ndarray:
    """Cells of ``lc`` that touch a 永久基本农田 parcel (all-touched rasterisation; False without parcels)."""
    if farmland is None or farmland.empty:
        return np.zeros(lc.shape, dtype=bool)
    if farmland.crs is None:
        raise ValueError("basic-farmland parcels have no CRS")
    return burn_mask(list(farmland.to_crs(lc.crs).geometry), lc.shape, lc.transform, all_touched=True)


def belt_afforestation(lc: RasterData, belt: gpd.GeoDataFrame, farmland: gpd.GeoDataFrame | None,
                       share: float = 1.0) -> BeltAfforestation:
    """Plant ``share`` (0–1) of the corridor's eligible land, keeping 永久基本农田 (``farmland``) out."""
    if belt is None or "zone" not in belt.columns:
        raise ValueError("an afforestation scenario needs the belt zones")
    corridor = belt[belt["zone"] == CORRIDOR]
    keep = basic_farmland_mask(lc, farmland)
    future = afforest(lc, corridor, share=share, keep=keep)
    before = np.ma.filled(lc.array[0], NODATA).astype("int64")
    after = np.ma.filled(future.array[0], NODATA).astype("int64")
    px_ha = float(lc.pixel_area_m2 or 0.0) / M2_PER_HA
    changed = before != after
    codes, counts = np.unique(before[changed], return_counts=True)
    converted = pd.DataFrame({
        "code": [f"{c:04d}" for c in codes],
        "name_zh": [CLASSES[int(c)].name_zh if int(c) in CLASSES else str(c) for c in codes],
        "name_en": [CLASSES[int(c)].name_en if int(c) in CLASSES else str(c) for c in codes],
        "area_ha": counts * px_ha,
        "cropland": np.isin(codes, CROPLAND_CODES),
    })
    inside = burn_mask(list(corridor.to_crs(lc.crs).geometry), lc.shape, lc.transform)
    kept = inside & keep & np.isin(before, AFFORESTABLE)
    return BeltAfforestation(future, converted, float(kept.sum()) * px_ha, float(share))
