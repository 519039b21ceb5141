"""Rooftop PV potential: yield model, per-roof estimate, aggregation and scenarios.

Per roof (vectorised over all roofs, no Python loop)::

    usable_area_m2 = area_m2 x usable_fraction[roof_type]     (technical cap; 0 if filtered out)
    roof_m2        = area_m2 x roof_area_factor[roof_type]    (1/cos slope for sloped roofs)
    pv_area_m2     = min(roof_m2 x adoption[building_class], usable_area_m2)
    capacity_kw    = pv_area_m2 x module_w_per_m2 / 1000
    annual_kwh     = capacity_kw x specific_yield[roof_type]    (kWh/kWp/yr)
    tce, co2_t     = cyc_geo.pv.emissions.convert(annual_kwh / 1000, preset)

Adoption is an expected share (e.g. 20 % of rural roof area), not a random draw,
so results are deterministic and additive: partitions can be estimated separately
and their aggregates summed (the dask engine relies on this).

Specific yield (GB 50797-2012 光伏发电站设计规范 §6.6: E = H_A x P_AZ / E_s x K), hour by hour over a
representative year (:func:`simulate`)::

    specific_yield = Σ_h POA_h x (1 - IAM loss) x (1 - row shading) x (1 + γ (T_cell - 25)) x Π(1 - fixed loss)
                     / (1 kW/m²)

with POA from an all-sky year built from monthly mean GHI and air temperature
(:mod:`cyc_geo.pv.irradiance`: clear/overcast day types, Erbs split, Hay-Davies or Perez),
row shading of racked flat roofs from the solstice-rule layout (:mod:`cyc_geo.pv.layout`) and
itemised losses (:mod:`cyc_geo.pv.losses`); or per building from a user-supplied PVOUT (kWh/kWp)
or GHI (kWh/m²) GeoTIFF. Every default below
states its source; docs/pv.md tabulates them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cyc_geo.geo import hexgrid
from cyc_geo.places.site import CENTRE_LAT, CENTRE_LON
from cyc_geo.pv import emissions, irradiance, layout, losses

GOAL_MW = 70.0
"""光伏装机容量力争达到 7 万千瓦 by 2024 (plan 三、重点工作 二; docs/sources.md, "Plan goals")."""
PROJECT_MW = 200.0
"""长垣市整市屋顶光伏项目: 新建20万千瓦屋顶光伏 (docs/sources.md, "附件2" #3)."""
PROJECT_GWH = 198.2
"""The same project's 年均发电量 19820万kWh (docs/sources.md, "附件2" #3)."""
SEED_SPECIFIC_YIELD = PROJECT_GWH * 1e6 / (PROJECT_MW * 1e3)
"""991 kWh/kWp: the plan's implied yield (docs/sources.md, "Plan arithmetic")."""

NEA_ADOPTION: dict[str, float] = {"gov": 0.50, "public": 0.40, "commercial": 0.30, "rural": 0.20}
"""国家能源局综合司《关于报送整县（市、区）屋顶分布式光伏开发试点方案的通知》(June 2021): minimum
shares of the total roof area (屋顶总面积可安装光伏发电比例) with PV, applied to the roof surface and
capped by the technical usable area — 党政机关 50 %, 学校/医院/村委会等公共建筑 40 %, 工商业厂房 30 %,
农村居民 20 % (docs/sources.md, "NEA rooftop shares")."""

DEFAULT_MIN_ROOF_M2 = 40.0
"""Roofs smaller than this are skipped: 40 m² x 0.45 x 200 W/m² ≈ 3.6 kWp, about the smallest
household system offered (3-5 kWp; project assumption, docs/sources.md, "Rooftop PV parameters")."""

CLASSES = ("gov", "public", "commercial", "rural")
ROOF_TYPES = ("flat", "pitched", "shed")
ADDITIVE = ["buildings", "roofs", "area_m2", "usable_area_m2", "pv_area_m2", "capacity_kw", "annual_kwh",
            "co2_t", "tce"]
"""Columns of a per-roof result that sum over any grouping (``roofs`` counts roofs in the scenario)."""


def _tilt_default() -> dict[str, float]:
    return {"flat": 25.0, "pitched": 26.6, "shed": 5.0}


def _u_c_default() -> dict[str, float]:
    return {"flat": losses.U_C_RACKED, "pitched": losses.U_C_FLUSH, "shed": losses.U_C_FLUSH}


RACKED = ("flat",)
"""Roof types whose modules stand in tilted rows on racks; the others lie flush on the roof slope."""
FLAT_CLEAR_SHARE = 0.85
"""Share of a flat roof free of parapets, stairs, tanks and equipment (project choice; docs/sources.md,
"Rooftop PV parameters")."""
PITCHED_SOUTH_SHARE = 0.5
"""Share of a pitched roof's footprint under its south slope (docs/sources.md, "Rooftop PV parameters")."""
PITCHED_PACKING = 0.98 * 0.92
"""Module cover of a south slope: 0.98 module-to-roof ratio of tilted roofs (Gagnon et al. 2016) x 0.92
for ridge, eaves and verge margins (project choice; docs/sources.md, "Rooftop PV parameters")."""
SHED_CLEAR_SHARE = 0.70
"""Share of a colour-steel shed roof free of skylights, fire lanes and load-limited bays (project choice;
docs/sources.md, "Rooftop PV parameters")."""
GHI_SPREAD = 0.07
"""± share of annual GHI for the low / high range: the monthly means are approximate (docs/sources.md,
"Climate of Changyuan", "PV yield model")."""
DERIVED = ("usable_fraction", "gcr", "performance_ratio", "clearness_factor")
"""PVParams fields computed from the others unless given explicitly."""


@dataclass(frozen=True)
class PVParams:
    """Technical parameters of the estimate; every default cites its source (also docs/pv.md).

    Fields in :data:`DERIVED` default to ``None`` and are filled from the others when the object is
    built (e.g. the flat-roof GCR from the winter-solstice rule at the flat tilt); a value given
    explicitly is kept as it is.
    """

    latitude: float = CENTRE_LAT
    """Changyuan city (:data:`cyc_geo.places.site.CENTRE_LAT`, :data:`~cyc_geo.places.site.CENTRE_LON`)."""
    longitude: float = CENTRE_LON
    altitude_m: float = 65.0
    """About 65 m a.s.l. (Yellow River plain; docs/sources.md, "Geography")."""
    module_w_per_m2: float = 200.0
    """STC power per m² of module area: 20 % module efficiency x 1000 W/m² (IEC 61215 STC); mainstream
    mono-PERC modules of 2021-2023 are 20-21 % efficient (CPIA 中国光伏产业发展路线图)."""
    usable_fraction: dict[str, float] | None = None
    """Technical cap: m² of module per m² of footprint, by roof type. Derived (rounded to 0.01): flat =
    GCR x 0.85 clear share; pitched = 0.5 south share x slope factor 1/cos(tilt) x 0.98 x 0.92; shed =
    0.70 x 1/cos(tilt) (docs/sources.md, "Rooftop PV parameters", "Row spacing")."""
    tilt_deg: dict[str, float] = field(default_factory=_tilt_default)
    """Module tilt by roof type: flat 25° (racked rows; the annual optimum here is ~30°, 25° keeps rows
    short); pitched 26.6° (flush on a 1:2 roof slope, typical of rural houses); shed 5° (flush on
    light-steel portal roofs, slope 1:10-1:20, GB 51022-2015; docs/sources.md, "Rooftop PV parameters")."""
    azimuth_deg: float = 180.0
    """Modules face south (pvlib convention: 180° = south)."""
    albedo: float = 0.20
    """Ground reflectance for the transposition (pvlib default, typical of grass/soil; docs/sources.md, "PV yield model")."""
    gcr: float | None = None
    """Ground-coverage ratio of racked flat-roof rows (module slant length / pitch). Derived: the largest
    GCR without inter-row shading 9:00-15:00 solar time on the winter solstice at the flat tilt and the
    site latitude, 0.53 at 25° and 35.19° N (docs/sources.md, "Row spacing")."""
    performance_ratio: float | None = None
    """Product of the fixed losses (soiling, mismatch, wiring, connections, LID, nameplate, inverter,
    availability), derived from ``losses_pct``. Set explicitly, it replaces those items with one factor;
    temperature, incidence angle and row shading stay modelled (docs/sources.md, "PV losses")."""
    losses_pct: dict[str, float] = field(default_factory=lambda: dict(losses.FIXED_LOSSES_PCT))
    """Fixed losses in % (:data:`cyc_geo.pv.losses.FIXED_LOSSES_PCT`; docs/sources.md, "PV losses")."""
    temp_coeff_pct_per_k: float = losses.TEMP_COEFF_PCT_PER_K
    """Power temperature coefficient, %/K (docs/sources.md, "PV losses")."""
    u_c: dict[str, float] = field(default_factory=_u_c_default)
    """PVsyst heat-loss factor by roof type, W/m²K: 29 racked, 20 flush (docs/sources.md, "PV losses")."""
    clearness_factor: float | None = None
    """Annual GHI / annual clear-sky GHI. Derived from the climate file (≈ 0.66 with the default
    monthly means); set explicitly, every month's GHI is scaled so the annual GHI becomes
    ``clearness_factor`` x clear-sky GHI (docs/sources.md, "Climate of Changyuan")."""
    climate_file: str | None = None
    """Monthly means (CSV like ``data/reference/climate_changyuan.csv``, the default;
    docs/sources.md, "Climate of Changyuan")."""
    weather_file: str | None = None
    """Optional hourly year (EPW or PVGIS TMY) used instead of the monthly means (docs/sources.md, "PV yield model")."""
    overcast_ratio: float = irradiance.OVERCAST_RATIO
    """Overcast-day GHI / clear-sky GHI of the day-type decomposition (docs/sources.md, "PV yield model")."""
    ghi_scale: float = 1.0
    """Multiplier on the climate's GHI (the low / high range uses 1 ± :data:`GHI_SPREAD`)."""
    transposition: str = "haydavies"
    """pvlib sky-diffuse model: Hay-Davies (anisotropic, circumsolar + isotropic) or ``perez``
    (Perez 1990, adds horizon brightening; ~1 % more on 25° planes here; docs/sources.md, "PV yield model")."""
    specific_yield_kwh_per_kwp: float | None = None
    """Override the model with one yield for every roof (e.g. 991, the plan's implied figure)."""
    yield_raster: str | None = None
    """Path of a GeoTIFF sampled per building (overrides the model where it has data)."""
    yield_raster_kind: str = "pvout"
    """``pvout``: raster holds kWh/kWp/yr; ``ghi``: kWh/m²/yr horizontal, converted with the roof type's
    modelled yield per kWh/m² of GHI (transposition gain x losses)."""
    emission_preset: str = emissions.DEFAULT_PRESET
    """See :data:`cyc_geo.pv.emissions.PRESETS`; default reproduces the plan's arithmetic."""

    def __post_init__(self) -> None:
        for path, what in ((self.weather_file, "气象文件 / weather file"), (self.climate_file, "气候文件 / climate file")):
            if path is not None and not Path(path).is_file():
                raise ValueError(f"找不到{what.split(' / ')[0]} {path} / {what.split(' / ')[1]} not found: {path}")
        explicit: dict[str, Any] = {
            "usable_fraction": dict(self.usable_fraction or {}),
            "gcr": self.gcr, "performance_ratio": self.performance_ratio, "clearness_factor": self.clearness_factor,
        }
        object.__setattr__(self, "_explicit", explicit)
        tilt = {**_tilt_default(), **(self.tilt_deg or {})}
        if self.gcr is None:
            object.__setattr__(self, "gcr", layout.solstice_gcr(float(tilt["flat"]), float(self.latitude),
                                                                  azimuth_deg=float(self.azimuth_deg)))
        derived = {
            "flat": round(float(self.gcr) * FLAT_CLEAR_SHARE, 2),
            "pitched": round(PITCHED_SOUTH_SHARE * layout.slope_factor(tilt["pitched"]) * PITCHED_PACKING, 2),
            "shed": round(SHED_CLEAR_SHARE * layout.slope_factor(tilt["shed"]), 2),
        }
        object.__setattr__(self, "usable_fraction", {**derived, **explicit["usable_fraction"]})
        if self.performance_ratio is None:
            object.__setattr__(self, "performance_ratio", losses.fixed_factor(self.losses_pct))
        if self.clearness_factor is None:
            object.__setattr__(self, "clearness_factor", _default_clearness(self))

    @property
    def explicit(self) -> dict[str, Any]:
        """The :data:`DERIVED` fields as given (``None`` / missing keys = derived)."""
        return self._explicit  # type: ignore[attr-defined]

    def validate(self) -> "PVParams":
        """Raise ``ValueError`` (zh + en) on out-of-range values; return self."""
        checks = [
            (0 < self.module_w_per_m2 <= 400, "组件功率密度须在 0–400 W/m² / module_w_per_m2 must be in (0, 400]"),
            (0 < self.performance_ratio <= 1, "系统效率须在 0–1 / performance_ratio must be in (0, 1]"),
            (0 < self.clearness_factor <= 1, "晴空系数须在 0–1 / clearness_factor must be in (0, 1]"),
            (0 <= self.albedo <= 1, "地表反照率须在 0–1 / albedo must be in [0, 1]"),
            (0 < self.gcr <= 1, "地面覆盖率须在 0–1 / gcr must be in (0, 1]"),
            (0 <= self.overcast_ratio < 1, "阴天系数须在 0–1 / overcast_ratio must be in [0, 1)"),
            (0 < self.ghi_scale <= 2, "辐照缩放须在 0–2 / ghi_scale must be in (0, 2]"),
            (-1 < self.temp_coeff_pct_per_k <= 0, "温度系数须在 -1–0 %/K / temp_coeff_pct_per_k must be in (-1, 0]"),
            (all(5 <= self.u_c.get(t, -1) <= 100 for t in ROOF_TYPES), "散热系数须在 5–100 / u_c must be in [5, 100]"),
            (self.transposition in ("haydavies", "perez", "isotropic"),
             "散射模型须为 haydavies、perez 或 isotropic / transposition must be haydavies, perez or isotropic"),
            (all(0 <= self.usable_fraction.get(t, -1) <= 1.5 for t in ROOF_TYPES),
             "可用屋顶比例须在 0–1.5 且覆盖 flat/pitched/shed / usable_fraction needs flat, pitched, shed in [0, 1.5]"),
            (all(0 <= self.tilt_deg.get(t, -1) < 90 for t in ROOF_TYPES),
             "倾角须在 0–90° / tilt_deg needs flat, pitched, shed in [0, 90)"),
            (self.specific_yield_kwh_per_kwp is None or 0 < self.specific_yield_kwh_per_kwp < 3000,
             "单位发电量须在 0–3000 kWh/kWp / specific yield must be in (0, 3000)"),
            (self.yield_raster_kind in ("pvout", "ghi"), "yield_raster_kind 须为 pvout 或 ghi / must be pvout or ghi"),
            (self.yield_raster is None or Path(self.yield_raster).is_file(),
             f"找不到发电量/辐照栅格文件 {self.yield_raster} / yield raster not found: {self.yield_raster}"),
            (self.weather_file is None or Path(self.weather_file).is_file(),
             f"找不到气象文件 {self.weather_file} / weather file not found: {self.weather_file}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(msg)
        losses.check(self.losses_pct)
        emissions.get_preset(self.emission_preset)
        return self

    def with_overrides(self, overrides: dict[str, Any] | None) -> "PVParams":
        """A copy with ``overrides`` applied (dict fields are merged; derived fields are derived again
        from the new values unless given); unknown keys are an error."""
        if not overrides:
            return self
        names = {f.name for f in fields(self)}
        unknown = set(overrides) - names
        if unknown:
            raise ValueError(f"未知参数 {sorted(unknown)} / unknown PV parameters {sorted(unknown)}")
        kwargs = {f.name: getattr(self, f.name) for f in fields(self)}
        kwargs.update({k: self.explicit[k] for k in DERIVED})
        for key, value in overrides.items():
            current = kwargs[key]
            if isinstance(value, dict) and (isinstance(current, dict) or key == "usable_fraction"):
                kwargs[key] = {**(current or {}), **value}
            else:
                kwargs[key] = value
        return PVParams(**kwargs).validate()


def _default_clearness(p: PVParams) -> float:
    """Annual GHI of the climate (or weather) file / annual clear-sky GHI at the site."""
    clear = clearsky_ghi_kwh_m2(p)
    return _weather(p, use_scale=False)["ghi"].sum() / 1000.0 / clear


@dataclass(frozen=True)
class Scenario:
    """What is built where: adoption share per class, township filter, minimum roof size, parameter overrides."""

    adoption: dict[str, float] = field(default_factory=lambda: dict(NEA_ADOPTION))
    """Share of each class's total roof area covered by PV modules, capped per roof by the technical usable
    fraction (default: NEA 整县推进 minimum shares, docs/sources.md, "NEA rooftop shares")."""
    townships: tuple[str, ...] = ()
    """12-digit township codes to include; empty = the whole county."""
    min_roof_m2: float = DEFAULT_MIN_ROOF_M2
    params: dict[str, Any] = field(default_factory=dict)
    """Overrides of :class:`PVParams` fields (e.g. ``{"performance_ratio": 0.78}``)."""

    def validate(self) -> "Scenario":
        unknown = set(self.adoption) - set(CLASSES)
        if unknown:
            raise ValueError(f"未知建筑类别 {sorted(unknown)} / unknown building classes {sorted(unknown)}")
        if any(not (0 <= float(v) <= 1) for v in self.adoption.values()):
            raise ValueError("开发比例须在 0–1 之间 / adoption shares must be between 0 and 1")
        if not np.isfinite(self.min_roof_m2) or self.min_roof_m2 < 0:
            raise ValueError("最小屋顶面积须为非负数 / minimum roof size must be non-negative")
        PVParams().with_overrides(self.params)
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["townships"] = list(self.townships)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scenario":
        """Build and validate a scenario from a dict (e.g. stored JSON); unknown keys are an error."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"未知情景字段 {sorted(unknown)} / unknown scenario fields {sorted(unknown)}")
        kwargs = dict(data)
        if "adoption" in kwargs:
            kwargs["adoption"] = {**NEA_ADOPTION, **{k: float(v) for k, v in kwargs["adoption"].items()}}
        if "townships" in kwargs:
            kwargs["townships"] = tuple(str(t) for t in kwargs["townships"] or ())
        if "min_roof_m2" in kwargs:
            kwargs["min_roof_m2"] = float(kwargs["min_roof_m2"])
        return cls(**kwargs).validate()


# ---------------------------------------------------------------- yield model


@lru_cache(maxsize=64)
def clearsky_poa_kwh_m2(latitude: float, longitude: float, altitude_m: float, tilt_deg: float,
                        azimuth_deg: float, albedo: float, transposition: str, year: int = 2023) -> float:
    """Annual clear-sky irradiation on the module plane (kWh/m²), pvlib, hourly mid-interval steps.

    Ineichen-Perez clear sky with the Linke turbidity climatology bundled with pvlib (monthly,
    interpolated to the day), solar position by pvlib's SPA, transposition by ``transposition``.
    """
    import pvlib

    loc = pvlib.location.Location(latitude, longitude, tz="Asia/Shanghai", altitude=altitude_m)
    times = pd.date_range(f"{year}-01-01 00:30", f"{year}-12-31 23:30", freq="1h", tz="Asia/Shanghai")
    sol = loc.get_solarposition(times)
    cs = loc.get_clearsky(times, model="ineichen", solar_position=sol)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt_deg, azimuth_deg, sol["apparent_zenith"], sol["azimuth"], cs["dni"], cs["ghi"], cs["dhi"],
        dni_extra=pvlib.irradiance.get_extra_radiation(times), albedo=albedo, model=transposition,
    )
    return float(poa["poa_global"].clip(lower=0).sum() / 1000.0)


def clearsky_ghi_kwh_m2(params: PVParams | None = None) -> float:
    """Annual clear-sky horizontal irradiation (kWh/m²) at the site (pvlib Ineichen, hourly, as
    :func:`cyc_geo.pv.irradiance.sky`)."""
    p = params or PVParams()
    return float(irradiance.sky(float(p.latitude), float(p.longitude), float(p.altitude_m))["ghi_cs"].sum() / 1000.0)


@dataclass(frozen=True)
class YieldResult:
    """The yield model for one roof type: annual and monthly kWh/kWp, the irradiation used and the loss table."""

    roof_type: str
    tilt_deg: float
    gcr: float | None
    """Row GCR for racked roof types, ``None`` for flush-mounted ones."""
    ghi_kwh_m2: float
    """Annual horizontal irradiation used (kWh/m²)."""
    poa_kwh_m2: float
    """Annual irradiation on the module plane before any loss (kWh/m²)."""
    specific_yield_kwh_kwp: float
    monthly_kwh_kwp: tuple[float, ...]
    """12 monthly yields (kWh/kWp), summing to the annual."""
    losses_pct: dict[str, float]
    """Loss table: item -> % of the energy reaching that step (modelled items first)."""

    @property
    def poa_ghi_ratio(self) -> float:
        return self.poa_kwh_m2 / self.ghi_kwh_m2 if self.ghi_kwh_m2 else 0.0

    @property
    def performance_ratio(self) -> float:
        """Yield / POA irradiation (IEC 61724-1 PR, dimensionless)."""
        return self.specific_yield_kwh_kwp / self.poa_kwh_m2 if self.poa_kwh_m2 else 0.0


def _weather(p: PVParams, use_scale: bool = True) -> pd.DataFrame:
    """Hourly weather of the representative year for ``p`` (weather file, else the monthly means
    scaled by ``ghi_scale`` and, if set explicitly, the clearness factor)."""
    lat, lon, alt = float(p.latitude), float(p.longitude), float(p.altitude_m)
    if p.weather_file:
        w = irradiance.weather_file(str(p.weather_file), lat, lon, alt)
        scale = _ghi_scale(p) if use_scale else 1.0
        if scale != 1.0:
            w = w.copy()
            for c in ("ghi", "dni", "dhi"):
                w[c] = w[c] * scale
        return w
    climate = irradiance.climate_tuple(p.climate_file)
    return irradiance.all_sky(lat, lon, alt, climate, float(p.overcast_ratio),
                              _ghi_scale(p) if use_scale else 1.0)


def _ghi_scale(p: PVParams) -> float:
    """``ghi_scale`` x (explicit clearness factor / the climate's own clearness), rounded for cache keys."""
    scale = float(p.ghi_scale)
    cf = p.explicit.get("clearness_factor")
    if cf is not None:
        scale *= float(cf) / _default_clearness(replace(p, clearness_factor=None))
    return round(scale, 9)


def _yield_key(p: PVParams, roof_type: str) -> tuple:
    racked = roof_type in RACKED
    climate = None if p.weather_file else irradiance.climate_tuple(p.climate_file)
    return (float(p.latitude), float(p.longitude), float(p.altitude_m), climate, str(p.weather_file),
            float(p.overcast_ratio), _ghi_scale(p), float(p.tilt_deg[roof_type]), float(p.azimuth_deg),
            float(p.albedo), p.transposition, racked, float(p.gcr) if racked else None, float(p.u_c[roof_type]),
            float(p.temp_coeff_pct_per_k), float(p.module_w_per_m2),
            tuple(sorted((k, float(v)) for k, v in p.losses_pct.items())),
            p.explicit.get("performance_ratio"), roof_type)


def simulate(params: PVParams | None = None, roof_type: str = "flat") -> YieldResult:
    """The hourly yield model for one roof type (cached per parameter set; see docs/pv.md).

    POA from :mod:`cyc_geo.pv.irradiance`; then incidence-angle losses (ASHRAE IAM on beam, Marion's
    integrals on sky and ground diffuse), for racked rows the beam shaded fraction and the diffuse
    masked by the row in front (:mod:`cyc_geo.pv.layout`), cell temperature by the PVsyst model with
    the hour's air temperature, and the fixed losses (:mod:`cyc_geo.pv.losses`). 1 kWp at 1 kW/m².
    """
    p = params or PVParams()
    return _simulate(p, _yield_key(p, roof_type))


_SIM_CACHE: dict[tuple, YieldResult] = {}


def _plane_steps(p: PVParams, roof_type: str, w: pd.DataFrame) -> dict[str, np.ndarray]:
    """Hourly plane-of-array irradiance (W/m²) after each loss step: ``e0`` at the plane, ``e1`` after the
    incidence-angle modifier (ASHRAE), ``e2`` after row shading of the beam, ``e3`` after row shading of
    the sky diffuse (racked roofs only), ``e4`` after the cell-temperature loss (PVsyst model)."""
    import pvlib

    tilt = float(p.tilt_deg[roof_type])
    poa = irradiance.transpose(w, tilt, float(p.azimuth_deg), float(p.albedo), p.transposition)
    beam, sky_d, gnd = (poa[c].to_numpy() for c in ("poa_direct", "poa_sky_diffuse", "poa_ground_diffuse"))
    iam_b = np.nan_to_num(np.asarray(pvlib.iam.ashrae(poa["aoi"].to_numpy(), b=losses.IAM_B0), float))
    iam_d = pvlib.iam.marion_diffuse("ashrae", tilt, b=losses.IAM_B0)
    beam1, sky1, gnd1 = beam * iam_b, sky_d * float(iam_d["sky"]), gnd * float(iam_d["ground"])
    beam2, sky2 = beam1, sky1
    if roof_type in RACKED:
        shaded = layout.beam_shaded_fraction(w["apparent_zenith"].to_numpy(), w["azimuth"].to_numpy(), tilt,
                                             float(p.gcr), float(p.azimuth_deg))
        beam2 = beam1 * (1.0 - shaded)
        sky2 = sky1 * (1.0 - layout.sky_diffuse_row_loss(tilt, float(p.gcr)))
    e3 = beam2 + sky2 + gnd1
    t_cell = pvlib.temperature.pvsyst_cell(e3, w["temp_air"].to_numpy(), u_c=float(p.u_c[roof_type]), u_v=0.0,
                                           module_efficiency=float(p.module_w_per_m2) / 1000.0,
                                           alpha_absorption=losses.ABSORPTION)
    temp_f = 1.0 + float(p.temp_coeff_pct_per_k) / 100.0 * (np.asarray(t_cell, float) - 25.0)
    return {"e0": beam + sky_d + gnd, "e1": beam1 + sky1 + gnd1, "e2": beam2 + sky1 + gnd1, "e3": e3,
            "e4": e3 * temp_f}


def _loss_table(p: PVParams, steps: dict[str, np.ndarray], racked: bool) -> dict[str, float]:
    """Losses in % of each step's input (:func:`_plane_steps`), then the fixed items or the explicit PR."""
    def pct(before: np.ndarray, after: np.ndarray) -> float:
        tb = before.sum()
        return float(100.0 * (1.0 - after.sum() / tb)) if tb > 0 else 0.0

    table = {"incidence_angle": pct(steps["e0"], steps["e1"])}
    if racked:
        table["row_shading_beam"] = pct(steps["e1"], steps["e2"])
        table["row_shading_diffuse"] = pct(steps["e2"], steps["e3"])
    table["temperature"] = pct(steps["e3"], steps["e4"])
    pr_explicit = p.explicit.get("performance_ratio")
    if pr_explicit is not None:
        table["other (performance_ratio)"] = 100.0 * (1.0 - float(pr_explicit))
    else:
        table.update({k: float(v) for k, v in p.losses_pct.items()})
    return table


def _simulate(p: PVParams, key: tuple) -> YieldResult:
    hit = _SIM_CACHE.get(key)
    if hit is not None:
        return hit
    roof_type = key[-1]
    racked = roof_type in RACKED
    w = _weather(p)
    steps = _plane_steps(p, roof_type, w)
    pr_explicit = p.explicit.get("performance_ratio")
    fixed = float(pr_explicit) if pr_explicit is not None else losses.fixed_factor(p.losses_pct)
    hourly_kwh_kwp = steps["e4"] * fixed / 1000.0
    month = w["month"].to_numpy()
    monthly = tuple(float(hourly_kwh_kwp[month == m].sum()) for m in range(1, 13))
    res = YieldResult(roof_type=roof_type, tilt_deg=float(p.tilt_deg[roof_type]),
                      gcr=float(p.gcr) if racked else None, ghi_kwh_m2=float(w["ghi"].sum() / 1000.0),
                      poa_kwh_m2=float(steps["e0"].sum() / 1000.0), specific_yield_kwh_kwp=float(sum(monthly)),
                      monthly_kwh_kwp=monthly, losses_pct=_loss_table(p, steps, racked))
    if len(_SIM_CACHE) > 256:
        _SIM_CACHE.clear()
    _SIM_CACHE[key] = res
    return res


def specific_yield(params: PVParams | None = None, roof_type: str = "flat") -> float:
    """Specific yield (kWh/kWp/yr) for a roof type: the override if set, else :func:`simulate`."""
    p = params or PVParams()
    if p.specific_yield_kwh_per_kwp is not None:
        return float(p.specific_yield_kwh_per_kwp)
    return simulate(p, roof_type).specific_yield_kwh_kwp


def yield_table(params: PVParams | None = None) -> dict[str, float]:
    """Specific yield (kWh/kWp/yr) for every roof type."""
    return {t: specific_yield(params, t) for t in ROOF_TYPES}


def roof_area_factor(params: PVParams | None = None) -> dict[str, float]:
    """Roof surface per m² of footprint by roof type: 1 for flat roofs, 1/cos(tilt) for the sloped roofs
    whose modules lie flush at the roof's slope (docs/sources.md, "Rooftop PV parameters")."""
    p = params or PVParams()
    return {t: 1.0 if t in RACKED else layout.slope_factor(float(p.tilt_deg[t])) for t in ROOF_TYPES}


def yield_payload(params: PVParams | None = None) -> dict[str, Any]:
    """The ``pv yield --json`` document: per roof type tilt, GCR, POA/GHI ratio, specific and monthly
    yield (kWh/kWp), loss table (%) and GHI (kWh/m²); the GHI and the plan's 991 kWh/kWp at the top."""
    p = params or PVParams()
    out: dict[str, Any] = {}
    for t in ROOF_TYPES:
        r = simulate(p, t)
        out[t] = {"tilt_deg": r.tilt_deg, "gcr": r.gcr, "poa_ghi_ratio": r.poa_ghi_ratio,
                  "poa_kwh_m2": r.poa_kwh_m2, "specific_yield_kwh_kwp": r.specific_yield_kwh_kwp,
                  "monthly_kwh_kwp": list(r.monthly_kwh_kwp), "losses": dict(r.losses_pct),
                  "performance_ratio": r.performance_ratio, "usable_fraction": float(p.usable_fraction[t]),
                  "ghi_kwh_m2": r.ghi_kwh_m2}
    out["ghi_kwh_m2"] = out["flat"]["ghi_kwh_m2"]
    out["clear_sky_ghi_kwh_m2"] = clearsky_ghi_kwh_m2(p)
    out["climate"] = p.weather_file or p.climate_file or str(irradiance.CLIMATE_FILE.name)
    out["transposition"] = p.transposition
    out["plan_implied_kwh_kwp"] = SEED_SPECIFIC_YIELD
    return out


def check_raster(path: str | Path) -> dict[str, Any]:
    """Open a GeoTIFF and describe it; ``ValueError`` (zh + en) if it is not a usable single-band raster."""
    import rasterio

    try:
        with rasterio.open(path) as src:
            if src.count < 1 or src.crs is None:
                raise ValueError("栅格缺少波段或坐标系 / the raster has no band or no CRS")
            return {"width": src.width, "height": src.height, "crs": src.crs.to_string(),
                    "bounds": tuple(src.bounds)}
    except rasterio.errors.RasterioError as exc:
        raise ValueError(f"无法读取栅格 / cannot read the raster: {exc}") from exc


def sample_raster(path: str | Path, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Raster values at WGS84 points (nearest cell; NaN outside the raster or at nodata), vectorised."""
    import rasterio

    from cyc_geo.geo.transformers import transformer

    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
        xs, ys = np.asarray(lon, float), np.asarray(lat, float)
        if src.crs is not None and src.crs.to_epsg() != 4326:
            xs, ys = transformer("EPSG:4326", src.crs, always_xy=True).transform(xs, ys)
        inv = ~src.transform
        cols, rows = inv @ (xs, ys)
        rows, cols = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
        ok = (rows >= 0) & (rows < src.height) & (cols >= 0) & (cols < src.width)
        out = np.full(len(xs), np.nan)
        vals = band[rows[ok], cols[ok]]
        out[ok] = np.ma.filled(vals.astype(float), np.nan)
    return out


def _lookup(values: pd.Series, mapping: dict[str, float], default: float = np.nan) -> np.ndarray:
    """``mapping[value]`` for each value as floats (``default`` if absent); factorises first, so a
    low-cardinality column of 250k strings costs one hash pass instead of 250k dict look-ups."""
    codes, uniques = pd.factorize(values.astype(str) if values.dtype == object else values)
    table = np.array([float(mapping.get(str(u), default)) for u in uniques] + [default], dtype=float)
    return table[codes]  # code -1 (missing) picks the trailing default


def _lookup_many(values: pd.Series, *mappings: dict[str, float], default: float = np.nan) -> list[np.ndarray]:
    """:func:`_lookup` for several mappings of the same column with one factorisation."""
    codes, uniques = pd.factorize(values.astype(str) if values.dtype == object else values)
    return [np.array([float(m.get(str(u), default)) for u in uniques] + [default], dtype=float)[codes]
            for m in mappings]


def _as_str(values: pd.Series):
    """The column as strings without copying when it already is a string array."""
    return values.array if pd.api.types.is_string_dtype(values.dtype) else values.astype(str).array


def _roof_yields(roofs: pd.DataFrame, p: PVParams) -> np.ndarray:
    """kWh/kWp/yr per roof: override, raster sample (where valid) or the model by roof type."""
    table = yield_table(p)
    model = _lookup(roofs["roof_type"], table, table["flat"])
    if p.yield_raster is None or p.specific_yield_kwh_per_kwp is not None:
        return model
    values = sample_raster(p.yield_raster, roofs["lon"].to_numpy(), roofs["lat"].to_numpy())
    if p.yield_raster_kind == "ghi":
        per_ghi = {t: simulate(p, t).specific_yield_kwh_kwp / simulate(p, t).ghi_kwh_m2 for t in ROOF_TYPES}
        values = values * _lookup(roofs["roof_type"], per_ghi, per_ghi["flat"])  # kWh/kWp per kWh/m² of GHI
    valid = np.isfinite(values) & (values > 0)
    return np.where(valid, values, model)


def resolve_params(scenario: Scenario | None, params: PVParams | None = None) -> PVParams:
    """``params`` (default :class:`PVParams`) with the scenario's overrides applied, validated."""
    base = (params or PVParams()).validate()
    return base.with_overrides(scenario.params) if scenario is not None else base


# ---------------------------------------------------------------- per-roof estimate

REQUIRED = ("roof_id", "township_code", "building_class", "roof_type", "area_m2")


def estimate(roofs: pd.DataFrame, scenario: Scenario | None = None, params: PVParams | None = None) -> pd.DataFrame:
    """Per-roof potential (one row per input roof, vectorised); works on plain DataFrames and partitions.

    Output columns: ``roof_id, township_code, building_class, roof_type, buildings, roofs, area_m2,
    usable_area_m2, pv_area_m2, capacity_kw, specific_yield, annual_kwh, co2_t, tce`` plus ``lon, lat,
    h3_*`` when present in the input. ``roofs`` is 1 for roofs inside the scenario, else 0.
    """
    scenario = (scenario or Scenario()).validate()
    p = resolve_params(scenario, params)
    missing = [c for c in REQUIRED if c not in roofs.columns]
    if missing:
        raise ValueError(f"屋顶数据缺少字段 {missing} / roof table lacks columns {missing}")
    area = pd.to_numeric(roofs["area_m2"], errors="coerce").to_numpy(float)
    ok = np.isfinite(area) & (area >= scenario.min_roof_m2) & (area > 0)
    if scenario.townships:
        ok &= _lookup(roofs["township_code"], {c: 1.0 for c in scenario.townships}, 0.0) > 0
    # unknown roof type -> NaN -> excluded
    frac, slope = _lookup_many(roofs["roof_type"], p.usable_fraction, roof_area_factor(p))
    adopt = _lookup(roofs["building_class"], scenario.adoption)
    ok &= np.isfinite(frac) & np.isfinite(adopt)
    usable = np.where(ok, area * np.nan_to_num(frac), 0.0)
    # NEA shares are shares of the total roof surface, capped by the technical usable area
    pv_area = np.minimum(np.where(ok, area * np.nan_to_num(slope) * np.nan_to_num(adopt), 0.0), usable)
    capacity_kw = pv_area * p.module_w_per_m2 / 1000.0
    yields = _roof_yields(roofs, p) if len(roofs) else np.zeros(0)
    annual_kwh = capacity_kw * yields
    conv = emissions.convert(annual_kwh / 1000.0, p.emission_preset)
    out = pd.DataFrame({
        "roof_id": roofs["roof_id"].to_numpy(),
        "township_code": _as_str(roofs["township_code"]),
        "building_class": _as_str(roofs["building_class"]),
        "roof_type": _as_str(roofs["roof_type"]),
        "buildings": np.ones(len(roofs), dtype=np.int64),
        "roofs": ok.astype(np.int64),
        "area_m2": np.nan_to_num(area),
        "usable_area_m2": usable,
        "pv_area_m2": pv_area,
        "capacity_kw": capacity_kw,
        "specific_yield": yields,
        "annual_kwh": annual_kwh,
        "co2_t": np.asarray(conv["co2_t"], float),
        "tce": np.asarray(conv["tce"], float),
    })
    for col in roofs.columns:
        if col in ("lon", "lat") or col.startswith("h3_"):
            out[col] = roofs[col].to_numpy()
    return out


def range_params(params: PVParams) -> dict[str, PVParams]:
    """Low / central / high parameter sets: GHI x (1 ∓ :data:`GHI_SPREAD`) and every fixed loss moved by
    the spread of :data:`cyc_geo.pv.losses.FIXED_LOSSES_HIGH_PCT` / ``..._LOW_PCT`` around the central
    defaults (docs/sources.md, "PV losses", "PV yield model"). An explicit ``performance_ratio`` stays
    as it is (only the GHI moves); capacities do not change."""
    p = params

    def moved(bound: dict[str, float]) -> dict[str, float]:
        return {k: float(np.clip(v + bound[k] - losses.FIXED_LOSSES_PCT[k], 0.0, 50.0)) for k, v in p.losses_pct.items()}

    return {
        "low": p.with_overrides({"ghi_scale": p.ghi_scale * (1 - GHI_SPREAD), "losses_pct": moved(losses.FIXED_LOSSES_HIGH_PCT)}),
        "central": p,
        "high": p.with_overrides({"ghi_scale": p.ghi_scale * (1 + GHI_SPREAD), "losses_pct": moved(losses.FIXED_LOSSES_LOW_PCT)}),
    }


def potential_range(roofs: pd.DataFrame, scenario: Scenario | None = None, params: PVParams | None = None,
                    per_roof: pd.DataFrame | None = None) -> dict[str, Any]:
    """County totals under low / central / high yield assumptions (:func:`range_params`).

    Returns ``{"low": {...}, "central": {...}, "high": {...}, "assumptions": {...}}``; each case holds
    ``capacity_mw`` (MW, the same in all three), ``annual_gwh`` (GWh/yr), ``specific_yield``
    (kWh/kWp/yr), ``tce`` (t/yr) and ``co2_t`` (t/yr). ``per_roof`` (a result of :func:`estimate` for
    the same roofs and scenario) saves the estimate. With the yield override (e.g. the plan's 991)
    the three cases are equal. Raster yields are scaled by their roof type's low/central ratio.
    """
    sc = (scenario or Scenario()).validate()
    p = resolve_params(sc, params)
    res = per_roof if per_roof is not None else estimate(roofs, sc, params)
    cases = range_params(p)
    central = yield_table(p)
    capacity = float(res["capacity_kw"].sum())
    out: dict[str, Any] = {}
    for name, q in cases.items():
        table = yield_table(q)
        ratio = {t: (table[t] / central[t]) if central[t] else 1.0 for t in ROOF_TYPES}
        kwh = float((res["annual_kwh"].to_numpy() * _lookup(res["roof_type"], ratio, 1.0)).sum())
        conv = emissions.convert(kwh / 1000.0, p.emission_preset)
        out[name] = {"capacity_mw": capacity / 1000.0, "annual_gwh": kwh / 1e6,
                     "specific_yield": kwh / capacity if capacity > 0 else 0.0,
                     "tce": float(conv["tce"]), "co2_t": float(conv["co2_t"]),
                     "yield_by_roof_type": table}
    out["assumptions"] = {"ghi_spread": GHI_SPREAD, "losses_low_pct": losses.FIXED_LOSSES_LOW_PCT,
                          "losses_high_pct": losses.FIXED_LOSSES_HIGH_PCT,
                          "source": 'docs/sources.md, "PV losses" and "PV yield model"'}
    return out


def aggregate(per_roof: pd.DataFrame, by: str | list[str] = "township_code") -> pd.DataFrame:
    """Sums of the additive columns per group (also ``capacity_mw`` and ``annual_gwh``).

    Additive: the aggregate of a concatenation equals the sum of the aggregates of its parts,
    so partition results can be aggregated again with ``aggregate(..., by)`` on the sums.
    """
    cols = [c for c in ADDITIVE if c in per_roof.columns]
    return _with_totals(per_roof.groupby(by, sort=True, observed=True)[cols].sum().reset_index())


def _with_totals(out: pd.DataFrame) -> pd.DataFrame:
    """Add ``capacity_mw`` and ``annual_gwh`` to sums holding ``capacity_kw`` / ``annual_kwh``."""
    if "capacity_kw" in out:
        out["capacity_mw"] = out["capacity_kw"] / 1000.0
    if "annual_kwh" in out:
        out["annual_gwh"] = out["annual_kwh"] / 1e6
    return out


def aggregate_h3(per_roof: pd.DataFrame, resolution: int = 8) -> pd.DataFrame:
    """:func:`aggregate` by H3 cell (column ``h3``, hex id; :func:`cyc_geo.geo.hexgrid.aggregate`);
    cells without any roof are absent."""
    cols = [c for c in ADDITIVE if c in per_roof.columns]
    return _with_totals(hexgrid.aggregate(per_roof, cols, resolution))


def summary(per_roof: pd.DataFrame, goal_mw: float = GOAL_MW) -> dict[str, Any]:
    """County totals, progress toward the 70 MW goal and comparison with the 200 MW project."""
    tot = {c: float(per_roof[c].sum()) if c in per_roof else 0.0 for c in ADDITIVE}
    capacity_mw = tot["capacity_kw"] / 1000.0
    annual_gwh = tot["annual_kwh"] / 1e6
    return {
        "buildings": int(tot["buildings"]),
        "roofs": int(tot["roofs"]),
        "area_m2": tot["area_m2"],
        "usable_area_m2": tot["usable_area_m2"],
        "pv_area_m2": tot["pv_area_m2"],
        "capacity_mw": capacity_mw,
        "annual_gwh": annual_gwh,
        "specific_yield": (tot["annual_kwh"] / tot["capacity_kw"]) if tot["capacity_kw"] > 0 else 0.0,
        "co2_t": tot["co2_t"],
        "tce": tot["tce"],
        "goal_mw": goal_mw,
        "gap_mw": max(goal_mw - capacity_mw, 0.0),
        "share_of_goal": capacity_mw / goal_mw if goal_mw else 0.0,
        "project_mw": PROJECT_MW,
        "project_gwh": PROJECT_GWH,
        "share_of_project_mw": capacity_mw / PROJECT_MW,
        "share_of_project_gwh": annual_gwh / PROJECT_GWH,
    }


def township_table(per_roof: pd.DataFrame, townships: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per township (all of them, zero where no roof counts) with code, names and sums."""
    if townships is None:
        from cyc_geo.places.townships import load_townships

        townships = load_townships()
    base = pd.DataFrame({"code": townships["code"].astype(str), "name": townships["name"],
                         "name_en": townships.get("name_en", townships["name"])})
    agg = aggregate(per_roof, "township_code").rename(columns={"township_code": "code"})
    out = base.merge(agg, on="code", how="left")
    num = [c for c in out.columns if c not in ("code", "name", "name_en")]
    out[num] = out[num].fillna(0.0)
    for c in ("buildings", "roofs"):
        if c in out:
            out[c] = out[c].astype(np.int64)
    return out.sort_values("code").reset_index(drop=True)


def export_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An Excel workbook (openpyxl) with one sheet per table, as bytes for a download; text neutralised
    as in every export (:func:`cyc_geo.exports.cells.safe_frame`)."""
    import io

    from cyc_geo.exports.cells import safe_frame

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in sheets.items():
            safe_frame(df).to_excel(xw, index=False, sheet_name=name[:31])
    return buf.getvalue()


def with_results(roofs, scenario: Scenario | None = None, params: PVParams | None = None):
    """The roofs (Geo)DataFrame with the per-roof results joined (for maps, tooltips and downloads)."""
    res = estimate(roofs, scenario, params)
    cols = ["usable_area_m2", "pv_area_m2", "capacity_kw", "specific_yield", "annual_kwh", "co2_t", "tce"]
    out = roofs.copy()
    for c in cols:
        out[c] = res[c].to_numpy()
    return out


def estimate_from_area_raster(raster, zones, scenario: Scenario | None = None, params: PVParams | None = None,
                              building_class: str = "rural", roof_type: str = "flat",
                              zone_id: str = "code") -> pd.DataFrame:
    """PV potential per zone from a rooftop-area raster (m² of roof per pixel) via zonal sums.

    Uses :func:`cyc_geo.geo.zonal.zonal_sum` (exact partial-pixel coverage). The roof area of each zone is
    treated as one pseudo-roof of ``building_class`` / ``roof_type`` (a raster carries no building
    classes); the minimum-roof filter does not apply to these sums.
    """
    from cyc_geo.geo import zonal

    if zone_id not in zones.columns:
        raise ValueError(f"分区缺少字段 {zone_id!r} / zones lack the id column {zone_id!r}")
    sums = zonal.zonal_sum(raster, zones, id_col=zone_id)
    sum_cols = [c for c in sums.columns if c == "sum" or c.endswith("_sum")]
    if not sum_cols:
        raise ValueError(f"zonal_sum returned no sum column: {list(sums.columns)}")
    value_col = sum_cols[0]  # first band: m² of roof per pixel
    ids = sums[zone_id] if zone_id in sums.columns else zones[zone_id].to_numpy()
    pseudo = pd.DataFrame({
        "roof_id": np.arange(1, len(sums) + 1),
        "township_code": np.asarray(ids).astype(str),
        "building_class": building_class,
        "roof_type": roof_type,
        "area_m2": pd.to_numeric(sums[value_col], errors="coerce").fillna(0.0).to_numpy(float),
    })
    sc = replace(scenario or Scenario(), min_roof_m2=0.0)
    return estimate(pseudo, sc, params)
