"""The priority-project sites as of a year: the map's year control for layer ``projects``.

A site's history is its audit trail (:data:`cyc_geo.planning.projects.SITE_ENTITY`): every save keeps the old and
the new GeoJSON, every reset the old one. The site on 31 Dec of year Y (Beijing time, as the ledger's "connected by
31 Dec": :mod:`cyc_geo.pv.progress`) is therefore the *old* value of the first change after that moment — the demo
or planner-file site when that old value is empty — and the site in use when nothing changed after it. The popup's
最新进展 is the latest progress record of a year ≤ Y (:mod:`cyc_geo.planning.progress`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import shape

from cyc_geo import db
from cyc_geo.catalog.loader import load_layer
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.planning import progress
from cyc_geo.planning.projects import SITE_ENTITY, base_sites

BEIJING = "Asia/Shanghai"


def year_end_utc(year: int) -> pd.Timestamp:
    """The end of ``year`` in Beijing time (the first instant of the next year, UTC): changes before it count."""
    return pd.Timestamp(f"{int(year) + 1}-01-01", tz=BEIJING).tz_convert("UTC")


def first_change_after(trail: list[dict[str, Any]], moment: pd.Timestamp) -> dict[int, dict[str, Any] | None]:
    """{project_no: the old value (decoded JSON, None for "no saved site") of its first site change after
    ``moment``}; a project with no change after it is absent (its site in use was already its site then)."""
    out: dict[int, dict[str, Any] | None] = {}
    for rec in sorted(trail, key=lambda r: (r["at"], r["id"])):
        no = int(rec["entity_key"])
        if no in out or pd.Timestamp(rec["at"]) < moment:
            continue
        out[no] = json.loads(rec["old_value"]) if rec["old_value"] else None
    return out


def sites_as_of(current: gpd.GeoDataFrame, base: gpd.GeoDataFrame, trail: list[dict[str, Any]],
                year: int) -> gpd.GeoDataFrame:
    """``current`` (the project layer in use, WGS84) with each site as it was on 31 Dec of ``year``: the saved
    site then (``source``, ``version`` of that save), or ``base``'s demo/planner site (version 0) when none was
    saved then. Areas are measured again in :data:`~cyc_geo.geo.crs.AREA_CRS` for the sites that changed."""
    then = first_change_after(trail, year_end_utc(year))
    out = current.copy()
    base_by_no = base.set_index("project_no")
    changed = []
    for i, no in out["project_no"].astype(int).items():
        if no not in then:
            continue
        old = then[no]
        if old is None:
            if no not in base_by_no.index:
                continue
            row = base_by_no.loc[no]
            out.at[i, "geometry"] = row.geometry
            out.loc[i, ["source", "version", "updated_by", "updated_at"]] = [row["source"], 0, "", ""]
            out.at[i, "demo"] = bool(row["demo"])
        else:
            out.at[i, "geometry"] = shape(json.loads(old["geojson"]))
            out.loc[i, ["source", "version"]] = [old.get("source", ""), int(old.get("version", 0))]
            out.at[i, "demo"] = False
        changed.append(i)
    if changed:
        out.loc[changed, "area_m2"] = out.loc[changed].to_crs(AREA_CRS).geometry.area.to_numpy()
    return out


def progress_as_of(records: pd.DataFrame, year: int) -> dict[int, tuple[str, str]]:
    """{project_no: (zh, en)} of the latest progress record of a year ≤ ``year``."""
    return progress.latest_progress_text(records[records["year"].astype(int) <= int(year)])


def project_sites_for_year(year: int, conn: sqlite3.Connection | None = None) -> gpd.GeoDataFrame:
    """``year_frame`` of layer ``projects``: the sites of 31 Dec of ``year`` (:func:`sites_as_of`) with the
    progress of that year or earlier in ``progress`` / ``progress_en``."""
    current = load_layer("projects")
    base, _ = base_sites(load_layer("projects", transform=False))
    own = conn if conn is not None else db.connect()
    try:
        trail = db.audit_trail(own, SITE_ENTITY, limit=100_000)
        texts = progress_as_of(progress.read_progress(own), year)
    finally:
        if conn is None:
            own.close()
    out = sites_as_of(current, base, trail, year)
    out["progress"] = [texts.get(int(n), ("", ""))[0] for n in out["project_no"]]
    out["progress_en"] = [texts.get(int(n), ("", ""))[1] for n in out["project_no"]]
    return out
