"""Demo land-cover vintages 2021–2024: the forest of each year of the pilot, derived from the demo raster.

The demo raster (:mod:`cyc_geo.demo.landcover`, calibrated to the plan's 180 万m³ in the old 0301 + 0307
scope) is the **latest vintage, 2024** (:data:`LATEST_YEAR`). The earlier years are derived from it backwards,
one year at a time, by the demo rules of :class:`VintageParams` (docs/sources.md, "Demo vintages"). An event
of year Y happened during Y: the vintage of Y shows the land after it, the vintage of Y − 1 before it.

- **belt afforestation** (沿黄生态带造林): a share of the corridor's tree forest (``zone == "corridor"`` of the
  ``belt`` layer) outside 永久基本农田 (no cell touching a parcel, as :mod:`cyc_geo.carbon.belt_scenario`)
  was planted during the pilot, one cohort a year; before its planting year a cohort is 0102 水浇地;
- **poplar growth**: young stands (0307 其他林地: 未成林造林地) close canopy and become 乔木林地 (0301);
- **harvest**: clear-felled poplar (0301) becomes 迹地 (0307) for the rest of the pilot;
- **loss**: tree forest returned to cropland (0301 → 0102 水浇地, 耕地恢复).

Every cell takes part in at most one event; cells are drawn by a fixed-seed random field, so the vintages
depend only on the demo raster, the belt, the basic farmland and :class:`VintageParams`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import rasterio

from cyc_geo import paths
from cyc_geo.carbon.landcover import DEMO_FILE, NODATA

LATEST_YEAR = 2024
"""Data year of the demo raster itself (the last year of the pilot 2022–2024; docs/sources.md, "Demo vintages")."""
FIRST_YEAR = 2021
"""First demo vintage: the plan's base year (附件1's 2021 column)."""
VINTAGE_VERSION = "1"
"""Bump when the rules change: vintages of another version are rebuilt."""


@dataclass(frozen=True)
class VintageParams:
    """Yearly demo rules, in hectares per year (20 m cells; docs/sources.md, "Demo vintages")."""

    seed: int = 20220101
    belt_share: float = 0.10
    """Share of the corridor's 2024 tree forest outside 永久基本农田 planted in each pilot year (2022, 2023, 2024)."""
    growth_ha: float = 80.0
    """0307 young stands reaching 0301 each year (outside the corridor)."""
    harvest_ha: float = 64.0
    """0301 clear-felled to 0307 迹地 each year (outside the corridor)."""
    loss_ha: float = 25.0
    """0301 returned to cropland (0102) each year (outside the corridor)."""
    pre_planting_code: int = 102
    """Class of a belt cohort before its planting year (0102 水浇地, general cropland)."""


def vintage_path(year: int, out_dir: Path | None = None) -> Path:
    """File of the demo vintage of ``year`` (the demo raster itself for :data:`LATEST_YEAR`)."""
    folder = Path(out_dir or paths.generated_dir())
    return folder / (DEMO_FILE if int(year) == LATEST_YEAR else f"landcover_demo_{int(year)}.tif")


def _pick(score: np.ndarray, eligible: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` eligible cells of lowest score (exact count, deterministic)."""
    idx = np.flatnonzero(eligible)
    n = int(min(max(n, 0), idx.size))
    out = np.zeros(score.shape, dtype=bool)
    if n:
        out.ravel()[idx[np.argsort(score.ravel()[idx], kind="stable")[:n]]] = True
    return out


def derive_vintages(latest: np.ndarray, corridor: np.ndarray, basic_farmland: np.ndarray, px_ha: float,
                    params: VintageParams = VintageParams()) -> dict[int, np.ndarray]:
    """Class arrays (uint16 三调 codes) of every year :data:`FIRST_YEAR`–:data:`LATEST_YEAR` from the latest one.

    ``corridor`` and ``basic_farmland`` are boolean grids of ``latest``'s shape (the belt's corridor; cells
    touching 永久基本农田); ``px_ha`` is the cell area in ha."""
    rng = np.random.default_rng(params.seed)
    score = rng.random(latest.shape, dtype="float32")
    free = latest != NODATA
    belt_pool = corridor & ~basic_farmland & (latest == 301)
    n_belt = int(round(belt_pool.sum() * params.belt_share))
    out = {LATEST_YEAR: latest.copy()}
    current = latest.copy()
    for year in range(LATEST_YEAR, FIRST_YEAR, -1):
        before = current.copy()
        events = (
            (_pick(score, free & belt_pool, n_belt), params.pre_planting_code),
            (_pick(score, free & ~corridor & (latest == 301), int(round(params.growth_ha / px_ha))), 307),
            (_pick(score, free & ~corridor & (latest == 307), int(round(params.harvest_ha / px_ha))), 301),
            (_pick(score, free & ~corridor & (latest == 102), int(round(params.loss_ha / px_ha))), 301),
        )
        for cells, code in events:
            before[cells] = code
            free &= ~cells
        out[year - 1] = current = before
    return dict(sorted(out.items()))


def _inputs(base: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The demo raster's classes, the corridor and basic-farmland grids, and its GeoTIFF profile."""
    from cyc_geo.carbon.belt_scenario import CORRIDOR
    from cyc_geo.carbon.landcover import burn_mask
    from cyc_geo.catalog.loader import load_layer

    with rasterio.open(base) as src:
        latest = src.read(1)
        profile = src.profile.copy()
        crs, transform = src.crs, src.transform
    belt = load_layer("belt").to_crs(crs)
    corridor = burn_mask(list(belt.loc[belt["zone"] == CORRIDOR].geometry), latest.shape, transform)
    farmland = load_layer("farmland")
    keep = (burn_mask(list(farmland.to_crs(crs).geometry), latest.shape, transform, all_touched=True)
            if len(farmland) else np.zeros(latest.shape, dtype=bool))
    return latest, corridor, keep, profile


def build_vintages(params: VintageParams = VintageParams()) -> dict[int, Path]:
    """Write the demo vintages before :data:`LATEST_YEAR` next to the demo raster (deflate GeoTIFFs tagged
    ``demo=true`` and ``data_year``); returns every vintage's file, the demo raster included."""
    from cyc_geo.catalog.loader import layer_path

    base = layer_path("landcover")
    latest, corridor, keep, profile = _inputs(base)
    px_ha = abs(profile["transform"].a * profile["transform"].e) / 10_000.0
    arrays = derive_vintages(latest, corridor, keep, px_ha, params)
    out = {LATEST_YEAR: base}
    for year, arr in arrays.items():
        if year == LATEST_YEAR:
            continue
        path = vintage_path(year, base.parent)
        tmp = path.with_name(f".{path.name}.tmp")
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(arr, 1)
            dst.update_tags(
                demo="true", approximate="true", data_year=str(year),
                source=f"cyc-geo demo vintage {year} (cyc_geo.demo.landcover_vintages), not survey data",
                classes="第三次全国国土调查 (三调) class codes as integers (0301 -> 301)",
                params=str(asdict(params)), vintage_version=VINTAGE_VERSION, base_mtime=str(base.stat().st_mtime),
            )
            dst.set_band_description(1, "landcover")
        tmp.replace(path)
        out[year] = path
    return dict(sorted(out.items()))


def _current(path: Path, base: Path) -> bool:
    try:
        with rasterio.open(path) as src:
            tags = src.tags()
    except Exception:  # noqa: BLE001 - an unreadable vintage is rebuilt
        return False
    return tags.get("vintage_version") == VINTAGE_VERSION and tags.get("base_mtime") == str(base.stat().st_mtime)


def demo_vintages() -> dict[int, Path]:
    """Vintages of layer ``landcover`` (its ``vintages`` key): data year -> file, rebuilt when missing or when
    the demo raster changed."""
    from cyc_geo.catalog.loader import layer_path

    base = layer_path("landcover")
    files = {y: vintage_path(y, base.parent) for y in range(FIRST_YEAR, LATEST_YEAR + 1)}
    if all(_current(p, base) for y, p in files.items() if y != LATEST_YEAR):
        return files
    return build_vintages()
