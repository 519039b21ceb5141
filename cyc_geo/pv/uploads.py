"""Keeping a planner's uploaded yield raster (PVOUT or GHI GeoTIFF) for the PV scenarios.

The upload goes through :func:`cyc_geo.ingest.upload_safety.stage_upload` (extension, size
limit, generated name) and :func:`cyc_geo.ingest.upload_safety.check_content` (TIFF magic
bytes), is opened with :func:`cyc_geo.pv.model.check_raster`, then kept under
``<data>/uploads/pv/<sha256 prefix>.tif``: the same file uploaded twice is one file, and a
scenario that names it stays valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from cyc_geo.ingest import upload_safety
from cyc_geo.pv import model as pv


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
        pv.check_raster(staged)
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
