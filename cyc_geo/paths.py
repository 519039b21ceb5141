"""Where cyc-geo keeps its files.

Every location can be moved with an environment variable so that tests, CI and
production installs do not share state (an empty value counts as unset):

- ``CYC_GEO_DATA_DIR``: root of the data folder (default: ``<repo>/data``; for a county other than the
  bundled one, ``<profile folder>/data``, so two counties' built data never mix).
- ``CYC_GEO_DB``: path of the SQLite database (default: ``<data>/cyc_geo.sqlite``).
- ``CYC_GEO_LAYERS_DIR``: folder of the layer TOML files (default: ``<repo>/layers``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cyc_geo.places.profile import DEFAULT_DIR, county_dir, resolved

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYERS_DIR = REPO_ROOT / "layers"
REFERENCE_DIR = DEFAULT_DIR


def layers_dir() -> Path:
    """Folder of the layer registry's TOML files; ``CYC_GEO_LAYERS_DIR`` overrides ``<repo>/layers``."""
    return Path(os.environ.get("CYC_GEO_LAYERS_DIR") or LAYERS_DIR)


def data_dir() -> Path:
    """Root of the data folder; ``CYC_GEO_DATA_DIR`` overrides ``<repo>/data`` (``<profile folder>/data``
    when another county is selected, :mod:`cyc_geo.places.profile`)."""
    if os.environ.get("CYC_GEO_DATA_DIR"):  # set and not empty: an empty value is the current folder to Path
        return Path(os.environ["CYC_GEO_DATA_DIR"])
    county = county_dir()
    return REPO_ROOT / "data" if resolved(county) == resolved(DEFAULT_DIR) else county / "data"


def boundaries_dir() -> Path:
    """Folder for boundary layers; a planner's official files dropped here win over demo ones."""
    return data_dir() / "boundaries"


def rooftops_dir() -> Path:
    """Folder for building footprints (demo GeoParquet is generated here)."""
    return data_dir() / "rooftops"


def generated_dir() -> Path:
    """Folder for generated (demo / derived) files; git-ignored and rebuilt on demand."""
    return data_dir() / "generated"


def db_path() -> Path:
    """SQLite database path; ``CYC_GEO_DB`` overrides ``<data>/cyc_geo.sqlite``."""
    return Path(os.environ.get("CYC_GEO_DB") or data_dir() / "cyc_geo.sqlite")


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` with permission ``mode`` so that readers see the old file or the
    whole new one, never a part: a temporary file in the same folder, then ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
