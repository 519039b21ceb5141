"""Converting electricity generated (MWh) into standard coal saved (tce) and CO2 avoided (t).

Every CO2 figure is counted with a named factor of a stated year (:attr:`Preset.year`); the presets:

- ``central_china_2023`` (default): 生态环境部 / 国家统计局 2023 华中 (Central China) regional grid
  average factor 0.5271 tCO2/MWh (published January 2026, the latest). Henan is in the 华中 grid
  region; docs/sources.md, "Grid emission factors", says why this one is the default.
- ``seed_plan``: the plan's own arithmetic (附件2 #3; docs/sources.md, "Plan arithmetic"):
  198.2 GWh x 300 gce/kWh = 59,460 tce; 59,460 tce x 2.6 tCO2/tce = 154,596 t
  ≈ 15.46 万t CO2, i.e. 0.78 tCO2/MWh. Kept to reproduce the plan; not a grid factor.
- other factors of the same announcements (docs/sources.md, "Grid emission factors"): national
  average 0.5306 (2023) and 0.5366 (2022), 华中 0.5395 (2022), and 0.5703 (2022, for enterprise GHG
  reporting).

Standard coal saved (tce) is always counted with the plan's 300 gce/kWh, since the
grid factors give CO2 only; the grid presets compute CO2 directly from MWh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cyc_geo.places.profile import profile

GCE_PER_KWH_SEED = 300.0
"""Grams of standard coal per kWh used by the plan (附件2 #3: 19820万kWh -> 59460 t标准煤; docs/sources.md, "Plan arithmetic")."""
TCO2_PER_TCE_SEED = 2.6
"""t CO2 per tce used by the plan (附件2 #3: 59460 tce -> 15.46万t CO2; docs/sources.md, "Plan arithmetic")."""


@dataclass(frozen=True)
class Preset:
    id: str
    title_zh: str
    title_en: str
    gce_per_kwh: float
    """Standard coal per kWh (g), for tce."""
    tco2_per_mwh: float | None
    """Grid emission factor; None = via coal (tce x :attr:`tco2_per_tce`)."""
    tco2_per_tce: float | None
    source: str
    year: int
    """The year the factor describes (the grid's data year; the plan's year for ``seed_plan``)."""
    name_zh: str
    name_en: str
    """Short name of the factor, without its value or year (for labels: :meth:`label`)."""
    source_en: str = ""
    """:attr:`source` in English (for the English pages)."""

    def source_in(self, lang: str) -> str:
        """The source in ``lang`` (the Chinese one when there is no English)."""
        return self.source_en if lang == "en" and self.source_en else self.source

    def co2_factor(self) -> float:
        """Effective t CO2 per MWh."""
        if self.tco2_per_mwh is not None:
            return self.tco2_per_mwh
        if self.tco2_per_tce is None:
            raise ValueError(f"preset {self.name_en!r} has neither tco2_per_mwh nor tco2_per_tce")
        return self.gce_per_kwh / 1000.0 * float(self.tco2_per_tce)

    def label(self, lang: str = "zh") -> str:
        """The factor, its name and year, e.g. ``0.5271 t CO₂/MWh（华中区域电网平均 2023）``."""
        if lang == "zh":
            return f"{self.co2_factor():.4g} t CO₂/MWh（{self.name_zh} {self.year}）"
        return f"{self.co2_factor():.4g} t CO2/MWh ({self.name_en} {self.year})"

    def fields(self) -> dict[str, float | str | int]:
        """``co2_factor_t_per_mwh``, ``co2_factor_name`` (zh / en) and ``co2_factor_year`` for JSON documents."""
        return {"co2_factor_t_per_mwh": round(self.co2_factor(), 6),
                "co2_factor_name": f"{self.name_zh} / {self.name_en}",
                "co2_factor_year": self.year, "co2_factor_preset": self.id}


MEE_NBS = "Ministry of Ecology and Environment and National Bureau of Statistics, announcement of the "
"""Start of the English source of the grid emission factors (the ministries' yearly announcement)."""

PRESETS: dict[str, Preset] = {
    p.id: p
    for p in (
        Preset("central_china_2023", "华中区域电网平均排放因子 2023（0.5271，默认）",
               "Central China grid average 2023 (0.5271, default)", GCE_PER_KWH_SEED, 0.5271, None,
               "生态环境部、国家统计局《关于发布2023年电力二氧化碳排放因子的公告》：2023年华中区域电力平均二氧化碳排放因子 "
               "0.5271 tCO2/MWh", 2023, "华中区域电网平均", "Central China grid average",
               MEE_NBS + "2023 electricity CO2 emission factors: Central China regional grid average 0.5271 tCO2/MWh"),
        Preset("seed_plan", "方案口径（300 gce/kWh × 2.6 tCO₂/tce = 0.78）", "Plan's arithmetic (300 gce/kWh x 2.6 tCO2/tce = 0.78)",
               GCE_PER_KWH_SEED, None, TCO2_PER_TCE_SEED,
               f"{profile().plan_zh} 附件2 #3: 19820万kWh, 59460 tce, 15.46万t CO2", 2023,
               f"{profile().short_zh}方案附件2口径", f"{profile().name_en} plan's arithmetic, Annex 2",
               "The plan's Annex 2 #3: 198.2 GWh, 59,460 tce, 154,600 t CO2"),
        Preset("national_2023", "全国电网平均排放因子 2023（0.5306）", "National grid average 2023 (0.5306)",
               GCE_PER_KWH_SEED, 0.5306, None,
               "生态环境部、国家统计局《关于发布2023年电力二氧化碳排放因子的公告》：2023年全国电力平均二氧化碳排放因子 "
               "0.5306 tCO2/MWh", 2023, "全国电网平均", "national grid average",
               MEE_NBS + "2023 electricity CO2 emission factors: national grid average 0.5306 tCO2/MWh"),
        Preset("national_2022", "全国电网平均排放因子 2022（0.5366）", "National grid average 2022 (0.5366)",
               GCE_PER_KWH_SEED, 0.5366, None,
               "生态环境部、国家统计局《关于发布2022年电力二氧化碳排放因子的公告》（2024年12月）：2022年全国电力平均"
               "二氧化碳排放因子 0.5366 tCO2/MWh", 2022, "全国电网平均", "national grid average",
               MEE_NBS + "2022 electricity CO2 emission factors: national grid average 0.5366 tCO2/MWh (December 2024)"),
        Preset("central_china_2022", "华中区域电网平均排放因子 2022（0.5395）", "Central China grid average 2022 (0.5395)",
               GCE_PER_KWH_SEED, 0.5395, None,
               "生态环境部、国家统计局《关于发布2022年电力二氧化碳排放因子的公告》（2024年12月）：2022年华中区域电力平均"
               "二氧化碳排放因子 0.5395 tCO2/MWh", 2022, "华中区域电网平均", "Central China grid average",
               MEE_NBS + "2022 electricity CO2 emission factors: Central China regional grid average 0.5395 tCO2/MWh (December 2024)"),
        Preset("enterprise_2022", "企业温室气体核算电网因子 2022（0.5703）", "Enterprise GHG reporting factor 2022 (0.5703)",
               GCE_PER_KWH_SEED, 0.5703, None, "生态环境部 企业温室气体排放核算 全国电网排放因子 0.5703 tCO2/MWh (2022)",
               2022, "企业温室气体核算全国电网", "national grid, enterprise GHG reporting",
               "Ministry of Ecology and Environment, enterprise GHG accounting: national grid factor 0.5703 tCO2/MWh (2022)"),
    )
}
DEFAULT_PRESET = "central_china_2023"
"""The default factor: the 华中 regional grid of 2023 (docs/sources.md, "Grid emission factors", says why)."""


def get_preset(preset_id: str) -> Preset:
    """The preset by id; ``KeyError`` (zh + en) naming the valid ids otherwise."""
    try:
        return PRESETS[preset_id]
    except KeyError:
        raise KeyError(f"未知的排放因子口径 {preset_id!r}，可选：{', '.join(PRESETS)} / "
                       f"unknown emission preset {preset_id!r}; choose one of {', '.join(PRESETS)}") from None


def convert(mwh, preset_id: str = DEFAULT_PRESET) -> dict[str, float | np.ndarray]:
    """Standard coal saved (``tce``) and CO2 avoided (``co2_t``) for ``mwh`` (scalar or array)."""
    preset = get_preset(preset_id)
    arr = np.asarray(mwh, dtype=float)
    if np.any(arr < 0) or not np.all(np.isfinite(arr)):
        raise ValueError("发电量须为非负有限数 / generation must be finite and non-negative (MWh)")
    tce = arr * preset.gce_per_kwh / 1000.0  # MWh x 1000 kWh/MWh x g/kWh / 1e6 g/t
    co2 = arr * preset.co2_factor()
    if np.ndim(mwh) == 0:
        return {"tce": float(tce), "co2_t": float(co2)}
    return {"tce": tce, "co2_t": co2}


def factor_fields(preset_id: str = DEFAULT_PRESET) -> dict[str, float | str | int]:
    """The JSON fields naming the factor of ``preset_id`` (:meth:`Preset.fields`)."""
    return get_preset(preset_id).fields()


def factor_label(preset_id: str = DEFAULT_PRESET, lang: str = "zh") -> str:
    """``因子 0.5271 t CO₂/MWh（华中区域电网平均 2023）`` / ``factor 0.5271 t CO2/MWh (...)``: what every
    CO2 figure prints beside it."""
    return ("因子 " if lang == "zh" else "factor ") + get_preset(preset_id).label(lang)
