"""Demo PV installations ledger (光伏装机台账): deterministic, anchored on the demo roofs and township seats.

No installation ledger of the county is available offline. This builder writes one in the agreed
ledger schema (see :mod:`cyc_geo.pv.installations`) so the progress page and indicator 19 have
something to show; every row is flagged demo in the file's provenance.

Anchors: installations sit on actual demo roofs of :func:`cyc_geo.pv.rooftops.load_rooftops`
(point = the roof's representative point), public installations on government / public roofs,
industrial and commercial ones on factory and workshop sheds, household ones on rural courtyard
houses; a tenth of the household rows have no coordinates and sit at their township seat
(``data/reference/townships.csv``). Sizes and totals: docs/sources.md, "Demo assumptions", row "PV installations ledger"
(户用 5–30 kW, 公共建筑 50–300 kW, 工商业 200–3,000 kW; about 48 MW grid-connected by the end of
2024 and about 20 MW under construction or filed, so the demo does not meet the 70 MW goal).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo import paths
from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.geo.crs import WGS84

SEED = 20230508
"""Same seed as the demo rooftops (docs/sources.md, "Demo assumptions")."""

DEMO_FILE = "pv_installations_demo.gpkg"
LAYER_ID = "pv_installations"
DATA_YEAR = 2024

#: (building_class, status, count, min kW, max kW, first year, last year) of each demo group
#: (docs/sources.md, "Demo assumptions").
GROUPS: tuple[tuple[str, str, int, float, float, int, int], ...] = (
    ("commercial", "grid_connected", 34, 200.0, 3000.0, 2021, 2024),
    ("public", "grid_connected", 40, 50.0, 300.0, 2021, 2024),
    ("gov", "grid_connected", 20, 50.0, 300.0, 2021, 2023),
    ("rural", "grid_connected", 420, 5.0, 30.0, 2021, 2024),
    ("commercial", "under_construction", 8, 200.0, 3000.0, 2024, 2024),
    ("public", "under_construction", 6, 50.0, 300.0, 2024, 2024),
    ("commercial", "filed", 6, 200.0, 3000.0, 2024, 2024),
    ("rural", "filed", 160, 5.0, 30.0, 2024, 2024),
)

#: Roof uses each building class is placed on (demo roof ``use`` values of cyc_geo.demo.rooftops).
USES: dict[str, tuple[str, ...]] = {
    "commercial": ("factory", "workshop"),
    "public": ("school", "school_or_hospital", "health_centre", "village_committee"),
    "gov": ("government",),
    "rural": ("courtyard_house",),
}

#: Relative weight of each year 2021–2024 among grid connections (growing deployment; project choice).
YEAR_WEIGHTS = {2021: 1.0, 2022: 2.0, 2023: 3.0, 2024: 4.0}

NAME_PREFIX = {"commercial": "工商业分布式光伏", "public": "公共建筑屋顶光伏", "gov": "党政机关屋顶光伏",
               "rural": "户用光伏"}


def _dates(rng: np.random.Generator, n: int, first: int, last: int) -> list[str]:
    years = np.arange(first, last + 1)
    w = np.array([YEAR_WEIGHTS.get(int(y), 1.0) for y in years])
    picked = rng.choice(years, size=n, p=w / w.sum())
    days = rng.integers(0, 365, size=n)
    return [(pd.Timestamp(int(y), 1, 1) + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")
            for y, d in zip(picked, days, strict=True)]


def _sizes(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """Log-uniform sizes in [lo, hi] kW, rounded to 0.1 kW (many small, few large)."""
    return np.round(np.exp(rng.uniform(np.log(lo), np.log(hi), size=n)), 1)


def _group_rows(rng: np.random.Generator, roofs: pd.DataFrame, group: tuple, used: set) -> pd.DataFrame:
    cls, status, n, lo, hi, first, last = group
    pool = roofs[roofs["use"].isin(USES[cls]) & ~roofs.index.isin(list(used))]
    if cls == "commercial":  # the biggest sheds first: large arrays sit on large roofs
        pool = pool.nlargest(max(n * 5, 50), "area_m2")
    pick = pool.loc[rng.choice(pool.index.to_numpy(), size=min(n, len(pool)), replace=False)]
    used.update(pick.index)
    m = len(pick)
    return pd.DataFrame({
        "roof_index": pick.index.to_numpy(),
        "name": [f"{NAME_PREFIX[cls]}-{i + 1:03d}" for i in range(m)],
        "owner": [f"{'业主' if cls == 'rural' else '单位'}{rng.integers(1000, 9999)}" for _ in range(m)],
        "building_class": cls,
        "status": status,
        "capacity_kw": _sizes(rng, m, lo, hi),
        "date": _dates(rng, m, first, last),
        "township_code": pick["township_code"].astype(str).to_numpy(),
    })


def generate_demo_installations(seed: int = SEED) -> gpd.GeoDataFrame:
    """The demo ledger (agreed ledger schema, WGS84), deterministic for ``seed``."""
    from cyc_geo.places.townships import read_seats
    from cyc_geo.pv.rooftops import load_rooftops

    rng = np.random.default_rng(seed)
    roofs = load_rooftops().reset_index(drop=True)
    used: set = set()
    rows = pd.concat([_group_rows(rng, roofs, g, used) for g in GROUPS], ignore_index=True)
    points = roofs.geometry.iloc[rows["roof_index"]].representative_point().to_numpy()
    no_coords = (rows["building_class"] == "rural").to_numpy() & (rng.random(len(rows)) < 0.1)
    seats = read_seats().set_index("code").geometry
    points[no_coords] = seats.reindex(rows.loc[no_coords, "township_code"]).to_numpy()
    rows["has_coords"] = ~no_coords
    rows.insert(0, "install_id", np.arange(1, len(rows) + 1, dtype=np.int64))
    gdf = gpd.GeoDataFrame(rows.drop(columns="roof_index"), geometry=list(points), crs=WGS84)
    gdf.attrs["meta"] = {
        "source": f"demo ledger (cyc_geo.demo.installations, seed {seed}) on the demo roofs",
        "demo": "true", "approximate": "true", "data_year": str(DATA_YEAR),
    }
    return gdf


def demo_path() -> Path:
    """Where the demo ledger GeoPackage lives (under ``paths.generated_dir()``)."""
    return paths.generated_dir() / DEMO_FILE


def build_demo_installations(out_dir: Path | None = None, seed: int = SEED) -> Path:
    """Write the demo ledger as a GeoPackage (layer ``pv_installations``); returns its path."""
    gdf = generate_demo_installations(seed)
    path = (out_dir or paths.generated_dir()) / DEMO_FILE
    return write_layer(gdf, path, LAYER_ID, gdf.attrs["meta"])
