"""Keeping a planner's uploaded yield raster (PVOUT or GHI GeoTIFF) for the PV scenarios.

The upload goes through :func:`cyc_geo.ingest.upload_safety.stage_upload` (extension, size
limit, generated name) and :func:`cyc_geo.ingest.upload_safety.check_content` (TIFF magic
bytes), is opened with :func:`cyc_geo.pv.raster_io.check_raster`, then kept under
``<data>/uploads/pv/<sha256 prefix>.tif``: the same file uploaded twice is one file, and a
scenario that names it stays valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from cyc_geo.ingest import upload_safety
from cyc_geo.pv import raster_io, yield_model
from cyc_geo.pv.params import PVParams


def yield_raster_dir() -> Path:
    return upload_safety.uploads_dir() / "pv"


def store_yield_raster(name: str, data: bytes | BinaryIO) -> Path:
    """Store an uploaded GeoTIFF; returns its kept path.

    Raises :class:`~cyc_geo.ingest.upload_safety.UploadRejected` (wrong type, too large, not a
    TIFF) or ``ValueError`` (unreadable raster, no CRS); nothing is left behind on failure.
    """
    upload_safety.check_extension(name, upload_safety.RASTER_EXTS)
    staged, sha = upload_safety.stage_upload(data, name)
    try:
        upload_safety.check_content(staged, staged.suffix)
        raster_io.check_raster(staged)
        folder = yield_raster_dir()
        folder.mkdir(parents=True, exist_ok=True)
        kept = folder / f"{sha[:20]}.tif"
        if kept.exists():
            staged.unlink()
        else:
            staged.replace(kept)
        return kept
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


WEATHER_EXTS = {".epw", ".csv", ".json"}
"""Weather uploads: EPW, PVGIS TMY (csv or json), or monthly climate means (csv)."""


def _weather_param(path: Path) -> str:
    """Which :class:`~cyc_geo.pv.params.PVParams` field ``path`` can fill: ``climate_file`` (12 monthly means,
    the columns of ``data/reference/climate_changyuan.csv``) or ``weather_file`` (an hourly EPW / PVGIS TMY
    year). ``ValueError`` with both readers' reasons when it is neither."""
    from cyc_geo.pv import irradiance

    reasons = []
    if path.suffix.lower() == ".csv":
        try:
            irradiance.load_climate(path)
            return "climate_file"
        except (ValueError, KeyError, OSError) as exc:
            reasons.append(str(exc))
    try:
        p = PVParams().with_overrides({"weather_file": str(path)})
        yield_model.specific_yield(p, "shed")
        return "weather_file"
    except Exception as exc:  # noqa: BLE001 - pvlib's readers raise many types on a malformed file
        reasons.append(str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)
    raise ValueError("无法读取气象文件（需 EPW、PVGIS TMY 或 12 个月的月均气候表）/ cannot read the weather file "
                     f"(an EPW, a PVGIS TMY or a 12-month climate table is needed): {'; '.join(reasons)}")


def store_weather_file(name: str, data: bytes | BinaryIO) -> tuple[Path, str]:
    """Store an uploaded weather year or monthly climate table; returns (kept path, PVParams field it fills).

    Refused (``UploadRejected`` or ``ValueError``, nothing kept) unless pvlib reads it as an hourly EPW /
    PVGIS TMY year or :func:`cyc_geo.pv.irradiance.load_climate` reads it as 12 monthly means. Kept as
    ``<data>/uploads/pv/weather-<sha256 prefix><ext>``.
    """
    staged, sha = upload_safety.stage_upload(data, name, allowed=WEATHER_EXTS)
    try:
        upload_safety.check_content(staged, staged.suffix)
        folder = yield_raster_dir()
        folder.mkdir(parents=True, exist_ok=True)
        kept = folder / f"weather-{sha[:20]}{staged.suffix.lower()}"
        param = _weather_param(staged)
        if kept.exists():
            staged.unlink()
        else:
            staged.replace(kept)
        return kept, param
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
