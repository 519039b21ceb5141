"""PV parameters and scenarios: what is built (:class:`Scenario`) and how it performs (:class:`PVParams`).

The technical parameters of the estimate, each default citing its source (docs/pv.md tabulates them);
the fields derived from others (the flat-roof GCR, usable fractions, the fixed-loss factor, the
clearness factor) are filled when a :class:`PVParams` is built. The hourly weather the parameters
define (:func:`weather_year`) lives here too, because the default clearness factor is derived from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from cyc_geo.places.site import CENTRE_LAT, CENTRE_LON
from cyc_geo.pv import emissions, irradiance, layout, losses

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
"Climate of the county", "PV yield model")."""
DERIVED = ("usable_fraction", "gcr", "performance_ratio", "clearness_factor")
"""PVParams fields computed from the others unless given explicitly."""


T = TypeVar("T")


def _resolved(value: T | None, name: str) -> T:
    """A field that ``PVParams.__post_init__`` fills in when it was not given."""
    if value is None:
        raise ValueError(f"PVParams.{name} was not derived")
    return value

@dataclass(frozen=True)
class PVParams:
    """Technical parameters of the estimate; every default cites its source (also docs/pv.md).

    Fields in :data:`DERIVED` default to ``None`` and are filled from the others when the object is
    built (e.g. the flat-roof GCR from the winter-solstice rule at the flat tilt); a value given
    explicitly is kept as it is.
    """

    latitude: float = CENTRE_LAT
    """The county's city centre (:data:`cyc_geo.places.site.CENTRE_LAT`, :data:`~cyc_geo.places.site.CENTRE_LON`)."""
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
    """Product of the fixed losses (external shading, soiling, mismatch, wiring, connections, LID,
    nameplate, inverter, availability, low irradiance and spectrum), derived from ``losses_pct``. Set explicitly, it replaces those items
    with one factor; temperature, incidence angle and row shading stay modelled (docs/sources.md, "PV losses")."""
    losses_pct: dict[str, float] = field(default_factory=lambda: dict(losses.FIXED_LOSSES_PCT))
    """Fixed losses in % (:data:`cyc_geo.pv.losses.FIXED_LOSSES_PCT`; docs/sources.md, "PV losses")."""
    temp_coeff_pct_per_k: float = losses.TEMP_COEFF_PCT_PER_K
    """Power temperature coefficient, %/K (docs/sources.md, "PV losses")."""
    u_c: dict[str, float] = field(default_factory=_u_c_default)
    """PVsyst heat-loss factor by roof type, W/m²K: 29 racked, 20 flush (docs/sources.md, "PV losses")."""
    clearness_factor: float | None = None
    """Annual GHI / annual clear-sky GHI. Derived from the climate file (≈ 0.66 with the default
    monthly means); set explicitly, every month's GHI is scaled so the annual GHI becomes
    ``clearness_factor`` x clear-sky GHI (docs/sources.md, "Climate of the county")."""
    climate_file: str | None = None
    """Monthly means (CSV like ``data/reference/climate_changyuan.csv``, the default;
    docs/sources.md, "Climate of the county")."""
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
    """See :data:`cyc_geo.pv.emissions.PRESETS`; default the 华中 grid factor of 2023 (``seed_plan`` reproduces
    the plan's arithmetic; docs/sources.md, "Grid emission factors")."""
    degradation_pct_per_yr: float = losses.DEGRADATION_PCT_PER_YR
    """Long-term degradation, %/yr, for the lifetime-average yield (Jordan & Kurtz 2013 median;
    docs/sources.md, "PV losses"). Annual figures (GWh, CO2) stay first-year."""
    lifetime_years: int = losses.LIFETIME_YEARS
    """Years over which the lifetime-average yield is taken (docs/sources.md, "PV losses")."""

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
            "flat": round(float(self.resolved_gcr) * FLAT_CLEAR_SHARE, 2),
            "pitched": round(PITCHED_SOUTH_SHARE * layout.slope_factor(tilt["pitched"]) * PITCHED_PACKING, 2),
            "shed": round(SHED_CLEAR_SHARE * layout.slope_factor(tilt["shed"]), 2),
        }
        object.__setattr__(self, "usable_fraction", {**derived, **explicit["usable_fraction"]})
        if self.performance_ratio is None:
            object.__setattr__(self, "performance_ratio", losses.fixed_factor(self.losses_pct))
        if self.clearness_factor is None:
            object.__setattr__(self, "clearness_factor", default_clearness(self))

    @property
    def resolved_gcr(self) -> float:
        """:attr:`gcr`, derived in ``__post_init__`` when not given (never None after construction)."""
        return _resolved(self.gcr, "gcr")

    @property
    def resolved_performance_ratio(self) -> float:
        """:attr:`performance_ratio`, derived in ``__post_init__`` when not given."""
        return _resolved(self.performance_ratio, "performance_ratio")

    @property
    def resolved_clearness_factor(self) -> float:
        """:attr:`clearness_factor`, derived in ``__post_init__`` when not given."""
        return _resolved(self.clearness_factor, "clearness_factor")

    @property
    def resolved_usable_fraction(self) -> dict[str, float]:
        """:attr:`usable_fraction` per roof type, derived and merged in ``__post_init__``."""
        return _resolved(self.usable_fraction, "usable_fraction")

    @property
    def explicit(self) -> dict[str, Any]:
        """The :data:`DERIVED` fields as given (``None`` / missing keys = derived)."""
        # set with object.__setattr__ in __post_init__ (frozen), not a field: asdict() and the JSON leave it out
        return self._explicit  # type: ignore[attr-defined]

    def validate(self) -> PVParams:
        """Raise ``ValueError`` (zh + en) on out-of-range values; return self."""
        checks = [
            (0 < self.module_w_per_m2 <= 400, "组件功率密度须在 0–400 W/m² / module_w_per_m2 must be in (0, 400]"),
            (0 < self.resolved_performance_ratio <= 1, "系统效率须在 0–1 / performance_ratio must be in (0, 1]"),
            (0 < self.resolved_clearness_factor <= 1, "晴空系数须在 0–1 / clearness_factor must be in (0, 1]"),
            (0 <= self.albedo <= 1, "地表反照率须在 0–1 / albedo must be in [0, 1]"),
            (0 < self.resolved_gcr <= 1, "地面覆盖率须在 0–1 / gcr must be in (0, 1]"),
            (0 <= self.overcast_ratio < 1, "阴天系数须在 0–1 / overcast_ratio must be in [0, 1)"),
            (0 < self.ghi_scale <= 2, "辐照缩放须在 0–2 / ghi_scale must be in (0, 2]"),
            (-1 < self.temp_coeff_pct_per_k <= 0, "温度系数须在 -1–0 %/K / temp_coeff_pct_per_k must be in (-1, 0]"),
            (all(5 <= self.u_c.get(t, -1) <= 100 for t in ROOF_TYPES), "散热系数须在 5–100 / u_c must be in [5, 100]"),
            (self.transposition in ("haydavies", "perez", "isotropic"),
             "散射模型须为 haydavies、perez 或 isotropic / transposition must be haydavies, perez or isotropic"),
            (all(0 <= self.resolved_usable_fraction.get(t, -1) <= 1.5 for t in ROOF_TYPES),
             "可用屋顶比例须在 0–1.5 且覆盖 flat/pitched/shed / usable_fraction needs flat, pitched, shed in [0, 1.5]"),
            (all(0 <= self.tilt_deg.get(t, -1) < 90 for t in ROOF_TYPES),
             "倾角须在 0–90° / tilt_deg needs flat, pitched, shed in [0, 90)"),
            (self.specific_yield_kwh_per_kwp is None or 0 < self.specific_yield_kwh_per_kwp < 3000,
             "单位发电量须在 0–3000 kWh/kWp / specific yield must be in (0, 3000)"),
            (0 <= self.degradation_pct_per_yr < 5, "年衰减率须在 0–5 %/yr / degradation_pct_per_yr must be in [0, 5)"),
            (1 <= self.lifetime_years <= 50, "寿命须在 1–50 年 / lifetime_years must be in [1, 50]"),
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

    def with_overrides(self, overrides: dict[str, Any] | None) -> PVParams:
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


def default_clearness(p: PVParams) -> float:
    """Annual GHI of the climate (or weather) file / annual clear-sky GHI at the site."""
    clear = clearsky_ghi_kwh_m2(p)
    return weather_year(p, use_scale=False)["ghi"].sum() / 1000.0 / clear


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

    def validate(self) -> Scenario:
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
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
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


def resolve_params(scenario: Scenario | None, params: PVParams | None = None) -> PVParams:
    """``params`` (default :class:`PVParams`) with the scenario's overrides applied, validated."""
    base = (params or PVParams()).validate()
    return base.with_overrides(scenario.params) if scenario is not None else base


def roof_area_factor(params: PVParams | None = None) -> dict[str, float]:
    """Roof surface per m² of footprint by roof type: 1 for flat roofs, 1/cos(tilt) for the sloped roofs
    whose modules lie flush at the roof's slope (docs/sources.md, "Rooftop PV parameters")."""
    p = params or PVParams()
    return {t: 1.0 if t in RACKED else layout.slope_factor(float(p.tilt_deg[t])) for t in ROOF_TYPES}


def clearsky_ghi_kwh_m2(params: PVParams | None = None) -> float:
    """Annual clear-sky horizontal irradiation (kWh/m²) at the site (pvlib Ineichen, hourly, as
    :func:`cyc_geo.pv.irradiance.sky`)."""
    p = params or PVParams()
    return float(irradiance.sky(float(p.latitude), float(p.longitude), float(p.altitude_m))["ghi_cs"].sum() / 1000.0)


def weather_year(p: PVParams, use_scale: bool = True) -> pd.DataFrame:
    """Hourly weather of the representative year for ``p`` (weather file, else the monthly means
    scaled by ``ghi_scale`` and, if set explicitly, the clearness factor)."""
    lat, lon, alt = float(p.latitude), float(p.longitude), float(p.altitude_m)
    if p.weather_file:
        w = irradiance.weather_file(str(p.weather_file), lat, lon, alt)
        scale = ghi_scale_factor(p) if use_scale else 1.0
        if scale != 1.0:
            w = w.copy()
            for c in ("ghi", "dni", "dhi"):
                w[c] = w[c] * scale
        return w
    climate = irradiance.climate_tuple(p.climate_file)
    return irradiance.all_sky(lat, lon, alt, climate, float(p.overcast_ratio),
                              ghi_scale_factor(p) if use_scale else 1.0)


def ghi_scale_factor(p: PVParams) -> float:
    """``ghi_scale`` x (explicit clearness factor / the climate's own clearness), rounded for cache keys."""
    scale = float(p.ghi_scale)
    cf = p.explicit.get("clearness_factor")
    if cf is not None:
        scale *= float(cf) / default_clearness(replace(p, clearness_factor=None))
    return round(scale, 9)
