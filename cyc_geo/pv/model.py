"""Rooftop PV potential: yield model, per-roof estimate, aggregation and scenarios.

Per roof (vectorised over all roofs, no Python loop)::

    usable_area_m2 = area_m2 x usable_fraction[roof_type]     (0 if filtered out)
    pv_area_m2     = usable_area_m2 x adoption[building_class]
    capacity_kw    = pv_area_m2 x module_w_per_m2 / 1000
    annual_kwh     = capacity_kw x specific_yield[roof_type]    (kWh/kWp/yr)
    tce, co2_t     = cyc_geo.pv.emissions.convert(annual_kwh / 1000, preset)

Adoption is an expected share (e.g. 20 % of rural roof area), not a random draw,
so results are deterministic and additive: partitions can be estimated separately
and their aggregates summed (the dask engine relies on this).

Specific yield (GB 50797-2012 光伏发电站设计规范 §6.6: E = H_A x P_AZ / E_s x K)::

    specific_yield = H_poa_clear x clearness_factor x performance_ratio / (1 kW/m²)

with ``H_poa_clear`` the annual clear-sky irradiation on the module plane from
pvlib (Ineichen clear sky with pvlib's bundled Linke turbidity, Hay-Davies
transposition, hourly for one year at Changyuan), or per building from a
user-supplied PVOUT (kWh/kWp) or GHI (kWh/m²) GeoTIFF. Every default below
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
from cyc_geo.pv import emissions

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
shares of roof area with PV — 党政机关 50 %, 学校/医院/村委会等公共建筑 40 %, 工商业厂房 30 %,
农村居民 20 % (docs/sources.md, "NEA rooftop shares")."""

DEFAULT_MIN_ROOF_M2 = 40.0
"""Roofs smaller than this are skipped: 40 m² x 0.45 usable x 200 W/m² ≈ 3.6 kWp, about the smallest
household system offered (3-5 kWp; project assumption, docs/sources.md, "Rooftop PV parameters")."""

CLASSES = ("gov", "public", "commercial", "rural")
ROOF_TYPES = ("flat", "pitched", "shed")
ADDITIVE = ["buildings", "roofs", "area_m2", "usable_area_m2", "pv_area_m2", "capacity_kw", "annual_kwh",
            "co2_t", "tce"]
"""Columns of a per-roof result that sum over any grouping (``roofs`` counts roofs in the scenario)."""


def _usable_default() -> dict[str, float]:
    return {"flat": 0.60, "pitched": 0.45, "shed": 0.70}


def _tilt_default() -> dict[str, float]:
    return {"flat": 25.0, "pitched": 26.6, "shed": 5.0}


@dataclass(frozen=True)
class PVParams:
    """Technical parameters of the estimate; every default cites its source (also docs/pv.md)."""

    latitude: float = CENTRE_LAT
    """Changyuan city (:data:`cyc_geo.places.site.CENTRE_LAT`, :data:`~cyc_geo.places.site.CENTRE_LON`)."""
    longitude: float = CENTRE_LON
    altitude_m: float = 65.0
    """About 65 m a.s.l. (Yellow River plain; docs/sources.md, "Geography")."""
    module_w_per_m2: float = 200.0
    """STC power per m² of module area: 20 % module efficiency x 1000 W/m² (IEC 61215 STC); mainstream
    mono-PERC modules of 2021-2023 are 20-21 % efficient (CPIA 中国光伏产业发展路线图)."""
    usable_fraction: dict[str, float] = field(default_factory=_usable_default)
    """Share of the footprint covered by modules, by roof type. flat 0.60 = module-to-roof ratio 0.70 for
    flat roofs with tilted rows (Gagnon et al. 2016, NREL/TP-6A20-65298) x ~0.85 for parapets, stairs and
    equipment; pitched 0.45 = south slope only (0.5) x ratio 0.98 for tilted roofs (Gagnon et al.) x ~0.92
    for edges; shed 0.70 = colour-steel roofs minus skylights, fire lanes and load-limited bays
    (project assumptions, docs/sources.md, "Rooftop PV parameters")."""
    tilt_deg: dict[str, float] = field(default_factory=_tilt_default)
    """Module tilt by roof type: flat 25° (racked near the annual optimum at 35° N, which this model puts
    at ~30-35°; 25° keeps row spacing short); pitched 26.6° (1:2 roof slope, typical of rural houses);
    shed 5° (flush on light-steel portal roofs, slope 1:10-1:20, GB 51022-2015; docs/sources.md, "Rooftop PV parameters")."""
    azimuth_deg: float = 180.0
    """Modules face south (pvlib convention: 180° = south)."""
    albedo: float = 0.20
    """Ground reflectance for the transposition (pvlib default, typical of grass/soil; docs/sources.md, "PV yield model")."""
    performance_ratio: float = 0.80
    """System efficiency K (GB 50797-2012 §6.6): inverter, cable, temperature, soiling and mismatch
    losses; 0.75-0.85 is typical of well-built distributed systems (IEC 61724-1 defines PR)."""
    clearness_factor: float = 0.55
    """Annual measured / clear-sky irradiation. With 0.55 the model gives 939-1,050 kWh/kWp by roof type
    and ~999 kWh/kWp for the demo roof mix, within 1 % of the plan's implied 991 kWh/kWp (附件2 #3:
    198.2 GWh / 200 MW); the effective horizontal irradiation is then 0.55 x 2,038 ≈ 1,120 kWh/m²·yr,
    in grade C (3,780-5,040 MJ/m² = 1,050-1,400 kWh/m²) of GB/T 31155-2014, where northern Henan lies
    (docs/sources.md, "PV yield model"). With a measured GHI, set GHI / clear-sky GHI, or supply a GeoTIFF."""
    transposition: str = "haydavies"
    """pvlib sky-diffuse model (Hay-Davies: anisotropic, needs only DNI/DHI/extraterrestrial DNI)."""
    specific_yield_kwh_per_kwp: float | None = None
    """Override the model with one yield for every roof (e.g. 991, the plan's implied figure)."""
    yield_raster: str | None = None
    """Path of a GeoTIFF sampled per building (overrides the model where it has data)."""
    yield_raster_kind: str = "pvout"
    """``pvout``: raster holds kWh/kWp/yr; ``ghi``: kWh/m²/yr horizontal, converted with the roof type's
    modelled transposition gain and the performance ratio."""
    emission_preset: str = emissions.DEFAULT_PRESET
    """See :data:`cyc_geo.pv.emissions.PRESETS`; default reproduces the plan's arithmetic."""

    def validate(self) -> "PVParams":
        """Raise ``ValueError`` (zh + en) on out-of-range values; return self."""
        checks = [
            (0 < self.module_w_per_m2 <= 400, "组件功率密度须在 0–400 W/m² / module_w_per_m2 must be in (0, 400]"),
            (0 < self.performance_ratio <= 1, "系统效率须在 0–1 / performance_ratio must be in (0, 1]"),
            (0 < self.clearness_factor <= 1, "晴空系数须在 0–1 / clearness_factor must be in (0, 1]"),
            (0 <= self.albedo <= 1, "地表反照率须在 0–1 / albedo must be in [0, 1]"),
            (all(0 <= self.usable_fraction.get(t, -1) <= 1 for t in ROOF_TYPES),
             "可用屋顶比例须在 0–1 且覆盖 flat/pitched/shed / usable_fraction needs flat, pitched, shed in [0, 1]"),
            (all(0 <= self.tilt_deg.get(t, -1) <= 90 for t in ROOF_TYPES),
             "倾角须在 0–90° / tilt_deg needs flat, pitched, shed in [0, 90]"),
            (self.specific_yield_kwh_per_kwp is None or 0 < self.specific_yield_kwh_per_kwp < 3000,
             "单位发电量须在 0–3000 kWh/kWp / specific yield must be in (0, 3000)"),
            (self.yield_raster_kind in ("pvout", "ghi"), "yield_raster_kind 须为 pvout 或 ghi / must be pvout or ghi"),
            (self.yield_raster is None or Path(self.yield_raster).is_file(),
             f"找不到发电量/辐照栅格文件 {self.yield_raster} / yield raster not found: {self.yield_raster}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(msg)
        emissions.get_preset(self.emission_preset)
        return self

    def with_overrides(self, overrides: dict[str, Any] | None) -> "PVParams":
        """A copy with ``overrides`` applied (dict fields are merged); unknown keys are an error."""
        if not overrides:
            return self
        names = {f.name for f in fields(self)}
        unknown = set(overrides) - names
        if unknown:
            raise ValueError(f"未知参数 {sorted(unknown)} / unknown PV parameters {sorted(unknown)}")
        merged = {}
        for key, value in overrides.items():
            current = getattr(self, key)
            merged[key] = {**current, **value} if isinstance(current, dict) else value
        return replace(self, **merged).validate()


@dataclass(frozen=True)
class Scenario:
    """What is built where: adoption share per class, township filter, minimum roof size, parameter overrides."""

    adoption: dict[str, float] = field(default_factory=lambda: dict(NEA_ADOPTION))
    """Share of each class's usable roof area that gets PV (default: NEA 整县推进 minimum shares, docs/sources.md, "NEA rooftop shares")."""
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
    """Annual clear-sky horizontal irradiation (kWh/m²) at the site."""
    p = params or PVParams()
    return clearsky_poa_kwh_m2(p.latitude, p.longitude, p.altitude_m, 0.0, 180.0, p.albedo, "isotropic")


def specific_yield(params: PVParams | None = None, roof_type: str = "flat") -> float:
    """Modelled specific yield (kWh/kWp/yr) for a roof type (or the override, if set)."""
    p = params or PVParams()
    if p.specific_yield_kwh_per_kwp is not None:
        return float(p.specific_yield_kwh_per_kwp)
    poa = clearsky_poa_kwh_m2(p.latitude, p.longitude, p.altitude_m, float(p.tilt_deg[roof_type]),
                              p.azimuth_deg, p.albedo, p.transposition)
    return poa * p.clearness_factor * p.performance_ratio


def yield_table(params: PVParams | None = None) -> dict[str, float]:
    """Specific yield (kWh/kWp/yr) for every roof type."""
    return {t: specific_yield(params, t) for t in ROOF_TYPES}


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
    from pyproj import Transformer

    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
        xs, ys = np.asarray(lon, float), np.asarray(lat, float)
        if src.crs is not None and src.crs.to_epsg() != 4326:
            xs, ys = Transformer.from_crs("EPSG:4326", src.crs, always_xy=True).transform(xs, ys)
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
        ghi_clear = clearsky_ghi_kwh_m2(p)
        gain = model / (p.clearness_factor * p.performance_ratio * ghi_clear)  # POA / GHI, clear-sky
        values = values * gain * p.performance_ratio
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
    frac = _lookup(roofs["roof_type"], p.usable_fraction)  # unknown roof type -> NaN -> excluded
    adopt = _lookup(roofs["building_class"], scenario.adoption)
    ok &= np.isfinite(frac) & np.isfinite(adopt)
    usable = np.where(ok, area * np.nan_to_num(frac), 0.0)
    pv_area = usable * np.nan_to_num(adopt)
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
    """An Excel workbook (openpyxl) with one sheet per table, as bytes for a download."""
    import io

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, index=False, sheet_name=name[:31])
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


def pv_capacity_indicator_mw(scenario: Scenario | None = None) -> float:
    """County rooftop PV capacity (MW) of ``scenario`` (default: NEA shares) on the loaded rooftops."""
    from cyc_geo.pv.rooftops import load_rooftops

    roofs = load_rooftops()
    return float(estimate(pd.DataFrame(roofs.drop(columns="geometry")), scenario)["capacity_kw"].sum() / 1000.0)
