"""Roof layout geometry: row spacing of racked flat roofs, row shading, slope-area factor.

- **Row spacing** (docs/sources.md, "Row spacing"): rows of south-facing modules of slant length L at
  tilt β are spaced so that no row shades the next between 9:00 and 15:00 true solar time on the
  winter solstice (declination −23.44°). At those hours the sun's zenith projected onto the vertical
  north-south plane is θp, the shadow of the row's top edge reaches L sin β tan θp behind it, so the
  pitch is L (cos β + sin β tan θp) and the ground-coverage ratio GCR = L / pitch.
- **Row shading** of the resulting layout over the year: beam shaded fraction by
  ``pvlib.shading.shaded_fraction1d`` (fixed tilt as a tracker at constant rotation) and the sky
  diffuse blocked by the row in front by ``pvlib.shading.sky_diffuse_passias``.
- **Slope factor**: a roof of slope β has 1 / cos β m² of surface per m² of footprint.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SOLSTICE_DECLINATION_DEG = -23.44
"""Solar declination at the December solstice (obliquity of the ecliptic; docs/sources.md, "Row spacing")."""
NO_SHADE_HOURS = 3.0
"""Hours either side of true solar noon kept free of inter-row shading: 9:00-15:00 (docs/sources.md, "Row spacing")."""


def solar_angles(latitude_deg: float, declination_deg: float, hour_angle_deg: float) -> tuple[float, float]:
    """Solar zenith and azimuth (°, azimuth clockwise from north) from the spherical-astronomy formulas
    (cos z = sin φ sin δ + cos φ cos δ cos ω)."""
    phi, dec, ha = np.radians([latitude_deg, declination_deg, hour_angle_deg])
    cosz = np.sin(phi) * np.sin(dec) + np.cos(phi) * np.cos(dec) * np.cos(ha)
    z = np.arccos(np.clip(cosz, -1, 1))
    # azimuth from north, east positive (atan2 of east and north components of the sun vector)
    east = -np.cos(dec) * np.sin(ha)
    north = np.cos(phi) * np.sin(dec) - np.sin(phi) * np.cos(dec) * np.cos(ha)
    az = np.degrees(np.arctan2(east, north)) % 360.0
    return float(np.degrees(z)), float(az)


@lru_cache(maxsize=64)
def solstice_gcr(tilt_deg: float, latitude_deg: float, hours: float = NO_SHADE_HOURS,
                 azimuth_deg: float = 180.0) -> float:
    """Largest GCR (module slant length / row pitch, 0-1) at which rows at ``tilt_deg`` do not shade
    each other ``hours`` either side of solar noon on the winter solstice (see the module docstring)."""
    import pvlib

    if tilt_deg <= 0:
        return 1.0
    worst = 0.0
    for ha in (-15.0 * hours, 0.0, 15.0 * hours):
        zen, az = solar_angles(latitude_deg, SOLSTICE_DECLINATION_DEG, ha)
        if zen >= 90:
            raise ValueError("冬至该时刻太阳在地平线下 / the sun is below the horizon at that solstice hour")
        psza = float(pvlib.shading.projected_solar_zenith_angle(zen, az, 0.0, (azimuth_deg - 90.0) % 360.0))
        worst = max(worst, abs(np.tan(np.radians(psza))))
    beta = np.radians(tilt_deg)
    return float(1.0 / (np.cos(beta) + np.sin(beta) * worst))


def slope_factor(slope_deg: float) -> float:
    """Roof surface per footprint (m²/m²) of a plane roof sloped ``slope_deg``: 1 / cos(slope)."""
    return float(1.0 / np.cos(np.radians(slope_deg)))


def beam_shaded_fraction(solar_zenith, solar_azimuth, tilt_deg: float, gcr: float,
                         azimuth_deg: float = 180.0) -> np.ndarray:
    """Share (0-1) of each row's slant length in the shadow of the row in front (pvlib
    ``shaded_fraction1d``; rows along the east-west axis, tilted toward ``azimuth_deg``); 0 where the
    sun is down or behind the modules."""
    import pvlib

    zen = np.asarray(solar_zenith, float)
    az = np.asarray(solar_azimuth, float)
    sf = pvlib.shading.shaded_fraction1d(zen, az, (azimuth_deg - 90.0) % 360.0, tilt_deg,
                                         collector_width=1.0, pitch=1.0 / gcr)
    sf = np.nan_to_num(np.asarray(sf, float))
    return np.where(zen < 90, np.clip(sf, 0, 1), 0.0)


def sky_diffuse_row_loss(tilt_deg: float, gcr: float) -> float:
    """Share (0-1) of the sky diffuse a row loses to the row in front (pvlib Passias average masking angle)."""
    import pvlib

    if tilt_deg <= 0 or gcr <= 0:
        return 0.0
    angle = pvlib.shading.masking_angle_passias(tilt_deg, gcr)
    return float(pvlib.shading.sky_diffuse_passias(angle))
