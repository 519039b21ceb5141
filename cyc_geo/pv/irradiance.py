"""All-sky hourly irradiance for a representative year at the county, and its transposition.

A representative year is built from monthly means (the county profile's ``climate`` table, bundled:
``data/reference/climate_changyuan.csv``, docs/sources.md, "Climate of the county"):

1. hourly clear-sky GHI (pvlib Ineichen-Perez, bundled Linke turbidity, SPA solar position,
   mid-interval steps of 2023, UTC+8);
2. each day is either *clear* (clear-sky profile) or *overcast* (clear-sky profile x
   ``overcast_ratio``); the share of clear days in a month is chosen so the month's mean daily
   GHI is met, clear days are spread evenly through the month, and the month is rescaled to
   the exact target (docs/sources.md, "PV yield model");
3. beam/diffuse split of every hour by Erbs et al. (1982) (``pvlib.irradiance.erbs``);
4. transposition to the module plane by Perez (1990) or Hay-Davies
   (``pvlib.irradiance.get_total_irradiance``), with beam and diffuse kept apart so the loss
   model can shade and weight them separately.

Air temperature per hour is the month's mean plus a sinusoid of half the mean diurnal range,
highest at 15:00 and lowest at 03:00 local time (docs/sources.md, "Climate of the county").

Instead of the monthly means an hourly weather file can be supplied (EPW, or a PVGIS TMY CSV /
JSON, read with ``pvlib.iotools``); its GHI, DNI, DHI and air temperature are then used as they are.

Everything here is a pure function of numbers (and the two files); results are cached.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from cyc_geo.paths import REFERENCE_DIR
from cyc_geo.places.profile import profile

CLIMATE_FILE = profile().climate or REFERENCE_DIR / "climate_changyuan.csv"
"""The county profile's monthly means of GHI (kWh/m²/day), air temperature and diurnal range (°C) — approximate values for
northern Henan (docs/sources.md, "Climate of the county")."""
OVERCAST_RATIO = 0.30
"""GHI of an overcast day as a share of the clear-sky GHI (project choice inside the 0.2-0.4 spread of
overcast daily clearness indices; docs/sources.md, "PV yield model")."""
YEAR = 2023
"""The representative (non-leap) year of the hourly steps (docs/sources.md, "PV yield model")."""
TZ = "Asia/Shanghai"
T_MAX_HOUR = 15.0
"""Local hour of the daily maximum air temperature (docs/sources.md, "Climate of the county")."""
DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def load_climate(path: str | Path | None = None) -> pd.DataFrame:
    """Monthly climate means: ``month`` 1-12, ``ghi_kwh_m2_day`` (kWh/m²/day), ``t_air_c`` (°C),
    ``t_range_c`` (mean diurnal range, °C). ``ValueError`` (zh + en) on a malformed file."""
    df = pd.read_csv(path or CLIMATE_FILE)
    need = ["month", "ghi_kwh_m2_day", "t_air_c", "t_range_c"]
    if [c for c in need if c not in df.columns] or sorted(df["month"].tolist()) != list(range(1, 13)):
        raise ValueError(f"气候文件须含 12 个月及 {need} / climate file needs 12 months and columns {need}")
    df = df.sort_values("month").reset_index(drop=True)
    if not (df["ghi_kwh_m2_day"].between(0.1, 12).all() and df["t_air_c"].between(-40, 50).all()):
        raise ValueError("气候文件数值越界 / climate values out of range")
    return df[need]


def climate_tuple(path: str | Path | None = None) -> tuple[tuple[float, float, float], ...]:
    """The monthly means as a hashable tuple of (GHI kWh/m²/day, T °C, diurnal range °C) (cache keys);
    the file is read again when its modification time changes."""
    p = Path(path or CLIMATE_FILE)
    return _climate_tuple(str(p), p.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _climate_tuple(path: str, _mtime_ns: int) -> tuple[tuple[float, float, float], ...]:
    df = load_climate(path)
    return tuple((float(a), float(b), float(c)) for a, b, c in
                 zip(df["ghi_kwh_m2_day"], df["t_air_c"], df["t_range_c"], strict=True))


def annual_ghi_kwh_m2(climate: tuple[tuple[float, float, float], ...]) -> float:
    """Annual GHI (kWh/m²) of monthly means: Σ daily mean × days."""
    return float(sum(m[0] * d for m, d in zip(climate, DAYS, strict=True)))


@lru_cache(maxsize=8)
def sky(latitude: float, longitude: float, altitude_m: float) -> pd.DataFrame:
    """Hourly solar geometry and clear sky of the representative year (mid-interval stamps, UTC+8).

    Columns: ``zenith``, ``apparent_zenith``, ``azimuth`` (°), ``ghi_cs``, ``dni_cs``, ``dhi_cs`` (W/m²),
    ``dni_extra`` (W/m²), ``airmass`` (relative, Kasten-Young), ``month``, ``day`` (day of year).
    """
    import pvlib

    loc = pvlib.location.Location(latitude, longitude, tz=TZ, altitude=altitude_m)
    times = pd.date_range(f"{YEAR}-01-01 00:30", f"{YEAR}-12-31 23:30", freq="1h", tz=TZ)
    sol = loc.get_solarposition(times)
    cs = loc.get_clearsky(times, model="ineichen", solar_position=sol)
    out = pd.DataFrame({
        "zenith": sol["zenith"], "apparent_zenith": sol["apparent_zenith"], "azimuth": sol["azimuth"],
        "ghi_cs": cs["ghi"].clip(lower=0), "dni_cs": cs["dni"].clip(lower=0), "dhi_cs": cs["dhi"].clip(lower=0),
        "dni_extra": pvlib.irradiance.get_extra_radiation(times),
        "airmass": pvlib.atmosphere.get_relative_airmass(sol["apparent_zenith"], model="kastenyoung1989"),
        "month": times.month, "day": times.day_of_year, "hour": times.hour + 0.5,
    }, index=times)
    return out


def _clear_days(n_days: int, share: float) -> np.ndarray:
    """``n_days`` booleans with round(share x n) True values spread evenly (day j is clear when the
    running count round((j + 1) share) steps up)."""
    j = np.arange(n_days)
    return np.floor((j + 1) * share + 0.5) - np.floor(j * share + 0.5) >= 1


@lru_cache(maxsize=16)
def all_sky(latitude: float, longitude: float, altitude_m: float,
            climate: tuple[tuple[float, float, float], ...], overcast_ratio: float = OVERCAST_RATIO,
            ghi_scale: float = 1.0) -> pd.DataFrame:
    """Hourly all-sky GHI, DNI, DHI (W/m²) and air temperature (°C) of the representative year.

    The month's GHI equals ``climate`` GHI x days x ``ghi_scale`` exactly (see the module docstring).
    Columns: those of :func:`sky` plus ``ghi``, ``dni``, ``dhi``, ``kt``, ``temp_air``, ``clear_day``.
    """
    import pvlib

    base = sky(latitude, longitude, altitude_m)
    out = base.copy()
    ghi_cs = base["ghi_cs"].to_numpy()
    month = base["month"].to_numpy()
    day = base["day"].to_numpy()
    factor = np.ones(len(base))
    clear_day = np.zeros(len(base), dtype=bool)
    first_day = np.concatenate([[1], 1 + np.cumsum(DAYS)[:-1]])
    for m in range(1, 13):
        sel = month == m
        target_wh = climate[m - 1][0] * DAYS[m - 1] * ghi_scale * 1000.0
        cs_wh = ghi_cs[sel].sum()
        share = float(np.clip((target_wh / cs_wh - overcast_ratio) / (1.0 - overcast_ratio), 0.0, 1.0))
        clear = _clear_days(DAYS[m - 1], share)
        is_clear = clear[day[sel] - first_day[m - 1]]
        f = np.where(is_clear, 1.0, overcast_ratio)
        f *= target_wh / max((ghi_cs[sel] * f).sum(), 1e-9)  # exact monthly total
        factor[sel] = f
        clear_day[sel] = is_clear
    ghi = ghi_cs * factor
    split = pvlib.irradiance.erbs(ghi, base["zenith"].to_numpy(), base.index)
    out["ghi"] = ghi
    out["dni"] = np.nan_to_num(np.asarray(split["dni"], float))
    out["dhi"] = np.nan_to_num(np.asarray(split["dhi"], float))
    out["kt"] = np.nan_to_num(np.asarray(split["kt"], float))
    out["clear_day"] = clear_day
    t_mean = np.array([c[1] for c in climate])[month - 1]
    t_amp = np.array([c[2] for c in climate])[month - 1] / 2.0
    out["temp_air"] = t_mean + t_amp * np.cos(2 * np.pi * (base["hour"].to_numpy() - T_MAX_HOUR) / 24.0)
    return out


@lru_cache(maxsize=4)
def weather_file(path: str, latitude: float, longitude: float, altitude_m: float) -> pd.DataFrame:
    """Hourly GHI, DNI, DHI (W/m²) and air temperature (°C) from an EPW or PVGIS TMY file (pvlib.iotools),
    re-stamped onto the representative year's hours (month, day, hour kept) with this site's geometry."""
    import pvlib

    p = Path(path)
    if p.suffix.lower() == ".epw":
        data, _meta = pvlib.iotools.read_epw(p)
    else:
        res = pvlib.iotools.read_pvgis_tmy(p, map_variables=True)
        data = res[0]
    need = ["ghi", "dni", "dhi", "temp_air"]
    if [c for c in need if c not in data.columns] or len(data) < 8760:
        raise ValueError(f"气象文件须为逐时一年且含 {need} / weather file needs one hourly year with {need}")
    data = data.iloc[:8760]
    base = sky(latitude, longitude, altitude_m).copy()
    for c in need:
        base[c] = np.clip(data[c].to_numpy(float)[: len(base)], -50 if c == "temp_air" else 0, None)
    base["kt"] = np.nan
    base["clear_day"] = False
    return base


def transpose(weather: pd.DataFrame, tilt_deg: float, azimuth_deg: float, albedo: float,
              model: str = "perez") -> pd.DataFrame:
    """Plane-of-array irradiance (W/m²) of hourly ``weather``: ``poa_global``, ``poa_direct`` (beam incl.
    Perez circumsolar), ``poa_sky_diffuse`` (isotropic + horizon part), ``poa_ground_diffuse``, ``aoi`` (°)."""
    import pvlib

    poa = pvlib.irradiance.get_total_irradiance(
        tilt_deg, azimuth_deg, weather["apparent_zenith"], weather["azimuth"], weather["dni"], weather["ghi"],
        weather["dhi"], dni_extra=weather["dni_extra"], airmass=weather["airmass"], albedo=albedo, model=model,
    ).fillna(0.0)
    out = pd.DataFrame({
        "poa_global": poa["poa_global"].clip(lower=0),
        "poa_direct": poa["poa_direct"].clip(lower=0),
        "poa_sky_diffuse": poa["poa_sky_diffuse"].clip(lower=0),
        "poa_ground_diffuse": poa["poa_ground_diffuse"].clip(lower=0),
        "aoi": pvlib.irradiance.aoi(tilt_deg, azimuth_deg, weather["apparent_zenith"], weather["azimuth"]),
    }, index=weather.index)
    return out

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
