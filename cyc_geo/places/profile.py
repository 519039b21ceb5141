"""The county profile: the one place that says which county cyc-geo maps.

A profile is a folder holding ``county.toml`` (adcode, names, centre, bounds, Gauss-Kruger zone,
neighbours, demo layout) and the county's tables it points at (townships, plan indicators 附件1,
priority projects 附件2, monthly climate). The bundled profile is ``data/reference/``; another
county is chosen with ``python -m cyc_geo --county <folder>`` or the environment variable
``CYC_GEO_COUNTY``. No other module names the county: they read :func:`profile`.

A module without cyc_geo imports (only the standard library), so that the lowest layers
(:mod:`cyc_geo.paths`, :mod:`cyc_geo.geo.crs`, the PV model on dask workers) can use it.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "reference"
"""The bundled profile (the county the project was built for)."""

ENV_VAR = "CYC_GEO_COUNTY"
"""Environment variable naming the profile folder; unset = :data:`DEFAULT_DIR`."""

PROFILE_FILE = "county.toml"


@dataclass(frozen=True)
class Neighbour:
    adcode: str
    name: str
    province: str
    river_edge: bool
    """True where the shared edge follows the Yellow River (docs/sources.md, "Geography")."""


@dataclass(frozen=True)
class CountyProfile:
    """One county as its ``county.toml`` describes it. Table paths are absolute; ``None`` = no such table."""

    folder: Path
    adcode: str
    name_zh: str
    """Full Chinese name with its kind, e.g. ``XX市`` / ``XX县``."""
    short_zh: str
    name_en: str
    full_en: str
    """English name with its kind, e.g. ``… city`` / ``… County``."""
    centre: tuple[float, float]
    """City centre (lat, lon), WGS84 degrees."""
    bounds: tuple[float, float, float, float]
    """Approximate bounding box (min lon, min lat, max lon, max lat), WGS84 degrees."""
    area_crs: str
    """The projected CRS every area and distance is measured in (CGCS2000 3° Gauss-Kruger, no zone prefix)."""
    gk_zone: int
    gk_cm: int
    townships: Path
    indicators: Path | None
    projects: Path | None
    climate: Path | None
    province_zh: str = ""
    prefecture_zh: str = ""
    aliases_zh: tuple[str, ...] = ()
    plan_zh: str = ""
    devzone_zh: str = ""
    devzone_en: str = ""
    grid_company_zh: str = ""
    neighbours: tuple[Neighbour, ...] = ()
    demo_city_centre_m: tuple[float, float] | None = None
    """Centre of the demo city in ``area_crs`` metres; ``None``: the projected :attr:`centre`."""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def slug(self) -> str:
        """The county's name for file names: the English name in lower case, spaces as ``_`` ("changyuan")."""
        return re.sub(r"[^a-z0-9]+", "_", self.name_en.lower()).strip("_") or self.adcode

    @property
    def is_default(self) -> bool:
        """True for the bundled profile (its built data lives in the repository's ``data/``)."""
        return self.folder.resolve() == DEFAULT_DIR.resolve()

    @property
    def city_centre_m(self) -> tuple[float, float]:
        """Centre of the demo city in :attr:`area_crs` metres: ``[demo] city_centre_m``, else the projected centre."""
        if self.demo_city_centre_m is not None:
            return self.demo_city_centre_m
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", self.area_crs, always_xy=True).transform(self.centre[1], self.centre[0])
        return (float(x), float(y))

    @property
    def demo(self) -> dict:
        """The ``[demo]`` table of ``county.toml`` (demo-layout choices; empty when absent)."""
        return dict(self.extra.get("demo", {}))

    @property
    def plan(self) -> dict:
        """The ``[plan]`` table of ``county.toml`` (the plan's goals; empty when the county has none)."""
        return dict(self.extra.get("plan", {}))

    def plan_by_year(self, key: str) -> dict[int, float]:
        """A ``[plan]`` series by year (e.g. ``forest_sink_wan_t``); empty when the profile has none."""
        return {int(y): float(v) for y, v in self.plan.get(key, {}).items()}

    @property
    def has_plan(self) -> bool:
        """True when the profile has plan targets (附件1 indicators or a ``[plan]`` table)."""
        return self.indicators is not None or bool(self.plan)

    @property
    def has_projects(self) -> bool:
        """True when the profile has priority projects (附件2)."""
        return self.projects is not None


class MissingTable(ValueError):
    """The selected county's profile has no such table (e.g. no plan targets): a zh/en message, no traceback."""

    def __init__(self, what_zh: str, what_en: str) -> None:
        p = profile()
        self.zh = f"{p.name_zh}的县域配置没有{what_zh}"
        self.en = f"the county profile of {p.full_en} has no {what_en}"
        super().__init__(f"{self.zh} / {self.en}")


def county_dir() -> Path:
    """The selected profile folder: ``CYC_GEO_COUNTY`` or the bundled one."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_DIR)


@lru_cache(maxsize=16)
def resolved(folder: Path) -> Path:
    """``folder`` resolved, once per folder and process: the data folder and the profile are asked for hundreds of
    times in a page run, and each ``resolve`` walks the path's links (py-spy: a tenth of a projects-page run)."""
    return folder.resolve()


def profile() -> CountyProfile:
    """The selected county's profile (read once per folder)."""
    return read_profile(resolved(county_dir()))


@lru_cache(maxsize=8)
def read_profile(folder: Path) -> CountyProfile:
    """Read ``folder/county.toml``; raises ``FileNotFoundError`` / ``ValueError`` with a zh/en message."""
    path = folder / PROFILE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"县域配置文件不存在 / no county profile: {path}")
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)

    def table(key: str) -> Path | None:
        name = raw.get(key)
        return folder / name if name else None

    missing = [k for k in ("adcode", "name_zh", "name_en", "centre", "townships") if k not in raw]
    if missing:
        raise ValueError(f"县域配置缺少字段 {missing} / the county profile lacks {missing}: {path}")
    lat, lon = (float(v) for v in raw["centre"])
    gk_cm = int(raw.get("gk_cm", 3 * round(lon / 3)))
    demo = raw.get("demo", {})
    city = demo.get("city_centre_m")
    return CountyProfile(
        folder=folder,
        adcode=str(raw["adcode"]),
        name_zh=raw["name_zh"],
        short_zh=raw.get("short_zh", raw["name_zh"]),
        name_en=raw["name_en"],
        full_en=raw.get("full_en", raw["name_en"]),
        centre=(lat, lon),
        bounds=tuple(float(v) for v in raw.get("bounds", (lon - 0.3, lat - 0.3, lon + 0.3, lat + 0.3))),  # type: ignore[arg-type]
        area_crs=raw.get("area_crs", f"EPSG:{4534 + (gk_cm - 75) // 3}"),  # EPSG:4534 = CM 75E … 4554 = CM 135E
        gk_zone=int(raw.get("gk_zone", gk_cm // 3)),
        gk_cm=gk_cm,
        townships=folder / raw["townships"],
        indicators=table("indicators"),
        projects=table("projects"),
        climate=table("climate"),
        province_zh=raw.get("province_zh", ""),
        prefecture_zh=raw.get("prefecture_zh", ""),
        aliases_zh=tuple(raw.get("aliases_zh", [raw["name_zh"]])),
        plan_zh=raw.get("plan_zh", ""),
        devzone_zh=raw.get("devzone_zh", raw.get("short_zh", raw["name_zh"]) + "经开区"),
        devzone_en=raw.get("devzone_en", raw["name_en"] + " development zone"),
        grid_company_zh=raw.get("grid_company_zh", ""),
        neighbours=tuple(Neighbour(str(n["adcode"]), n["name"], n.get("province", ""), bool(n.get("river_edge", False)))
                         for n in raw.get("neighbours", [])),
        demo_city_centre_m=(float(city[0]), float(city[1])) if city else None,
        extra={k: v for k, v in raw.items() if isinstance(v, dict)},
    )
