"""The plan's priority projects (附件2 重点项目表) and their sites.

Facts: ``data/reference/projects.csv`` copies the four rows of the seed's 附件2
verbatim (序号, 项目名称, 建设内容和规模, 建设主体, 建设期限, 投资规模(万元), 效益; the
合计 row, 214000 万元, is the column sum and is not stored) and adds structured
columns read from that text: ``land_need_mu``/``land_need_m2`` (project 1: "总占地面积约137亩"),
``new_floor_area_m2`` (project 1: 67742), ``floor_area_m2`` (project 2: 393830),
``capacity_mw`` (project 3: "20万千瓦" = 200 MW), ``period_start``/``period_end`` and an
English title.

Sites: no real parcels are available offline; the demo builder of layers ``projects`` and
``devzone`` (``layers/projects.toml``) writes demo parcels and a demo development zone (flagged
``demo``); both are read through the catalogue (:mod:`cyc_geo.catalog.loader`).

A planner replaces a site by drawing or uploading it; :func:`save_project_site`
stores it in the ``project_sites`` table (GeoJSON in WGS84, version, who/when) with
an audit record, and :func:`load_project_sites` lets saved sites override the demo ones.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

from cyc_geo import db
from cyc_geo.catalog.loader import load_layer
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.detect import guess_crs
from cyc_geo.places.profile import profile
from cyc_geo.pv import rooftops

PROJECTS_CSV = profile().projects
SEED_COLUMNS = ("序号", "项目名称", "建设内容和规模", "建设主体", "建设期限", "投资规模(万元)", "效益")
"""The 附件2 columns, in the seed's order."""
SEED_TOTAL_WAN_YUAN = 214000
"""附件2 合计 row: total investment of the four projects (万元; docs/sources.md, "附件2")."""
SITE_ENTITY = "project_site"
"""Entity name of site edits in the audit log."""


# ---------------------------------------------------------------- project table


def load_projects(csv_path: Path | None = PROJECTS_CSV) -> pd.DataFrame:
    """The four 附件2 projects: seed columns (Chinese, verbatim) plus structured columns.

    ``序号`` is an int; numeric structured columns are floats (NaN where the seed states nothing).
    A county profile without a project table has no projects: an empty table with the same columns.
    """
    if csv_path is None:
        df = pd.DataFrame({c: pd.Series(dtype=str) for c in (*SEED_COLUMNS, "name_en", "project_kind", "land_need_mu",
                                                               "land_need_m2", "new_floor_area_m2", "floor_area_m2",
                                                               "capacity_mw", "period_start", "period_end", "land_note_en")})
    else:
        df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    missing = [c for c in SEED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{csv_path}: missing columns {missing}")
    df["序号"] = df["序号"].astype(int)
    df["投资规模(万元)"] = pd.to_numeric(df["投资规模(万元)"]).astype(float)
    for col in ("land_need_mu", "land_need_m2", "new_floor_area_m2", "floor_area_m2", "capacity_mw"):
        df[col] = pd.to_numeric(df[col].replace("", np.nan)).astype(float)
    return df.sort_values("序号").reset_index(drop=True)


def project_row(project_no: int, projects: pd.DataFrame | None = None) -> pd.Series:
    """One project by 序号; ``KeyError`` (zh + en) for an unknown number."""
    projects = load_projects() if projects is None else projects
    hit = projects[projects["序号"] == int(project_no)]
    if hit.empty:
        raise KeyError(f"没有序号为 {project_no} 的项目 / no project number {project_no} (known: {list(projects['序号'])})")
    return hit.iloc[0]


# ---------------------------------------------------------------- demo layers


def _roof_site(roofs: gpd.GeoDataFrame | None = None) -> tuple[shapely.Geometry, str, float] | None:
    """Project 3 as the set of roofs it covers: WGS84 MultiPolygon, a note on where they came from, and
    its area in m² (computed in :data:`AREA_CRS` from the WGS84 geometry, as every other site's).

    Read from :func:`cyc_geo.pv.rooftops.load_rooftops` at load time, so the site follows the
    current roofs (demo or a planner's footprints) without a stale copy. (Tests replace this
    function by one returning None to skip the roofs; the site is then its footprint.) Takes seconds
    for ~10^5 roofs: the app keeps it per roof version (``ui.projects_data``) and passes the ``roofs``
    it already holds (the same :func:`~cyc_geo.pv.rooftops.load_rooftops` frame).
    """
    roofs = (rooftops.load_rooftops() if roofs is None else roofs).to_crs(WGS84)
    geom = shapely.multipolygons(shapely.get_parts(roofs.geometry.to_numpy()))
    area = float(gpd.GeoSeries([geom], crs=WGS84).to_crs(AREA_CRS).area.iloc[0])
    return geom, f"{len(roofs)} roofs of cyc_geo.pv.rooftops.load_rooftops()", area


def devzone_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Transform of layer ``devzone``: ``name`` / ``name_en`` when the file has none, ``area_km2`` (EPSG:4547)."""
    if "name" not in gdf.columns:
        gdf["name"] = profile().devzone_zh
    if "name_en" not in gdf.columns:
        gdf["name_en"] = profile().devzone_en
    gdf["area_km2"] = gdf.to_crs(AREA_CRS).geometry.area / 1e6
    return gdf


def load_devzone() -> gpd.GeoDataFrame:
    """The economic-development zone (经开区; its name from the county profile), WGS84: layer ``devzone`` of the catalogue (a planner's
    ``devzone`` file, else the demo)."""
    return load_layer("devzone")


# ---------------------------------------------------------------- saved edits


def _saved_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM project_sites ORDER BY project_no")]


def base_sites(stored: gpd.GeoDataFrame | None = None) -> tuple[gpd.GeoDataFrame, bool]:
    """The demo (or planner-file) sites with the edit columns of an unedited site, and whether they are demo.

    ``stored``: the sites as stored (layer ``projects`` of the catalogue before its transform)."""
    base = load_layer("projects", transform=False) if stored is None else stored
    base_demo = provenance_of(base).demo
    base = base.copy()
    base["project_no"] = base["project_no"].astype(int)
    if "site_kind" not in base.columns:
        base["site_kind"] = "parcel"
    base["source"] = "demo" if base_demo else "planner file"
    base["demo"] = base_demo
    base["version"] = 0
    base["updated_by"] = ""
    base["updated_at"] = ""
    return base, base_demo


def _saved_sites(conn: sqlite3.Connection | None) -> gpd.GeoDataFrame | None:
    """Sites saved by planners (WGS84 parcels), or None if there are none."""
    own = conn if conn is not None else db.connect()
    try:
        saved = _saved_rows(own)
    finally:
        if conn is None:
            own.close()
    if not saved:
        return None
    return gpd.GeoDataFrame(
        {
            "project_no": [int(r["project_no"]) for r in saved],
            "site_kind": "parcel",
            "source": [r["source"] for r in saved],
            "demo": False,
            "version": [int(r["version"]) for r in saved],
            "updated_by": [r["updated_by"] for r in saved],
            "updated_at": [r["updated_at"] for r in saved],
        },
        geometry=[shape(json.loads(r["geojson"])) for r in saved],
        crs=WGS84,
    )


def load_project_sites(conn: sqlite3.Connection | None = None, roofs: bool = True,
                       roof_site: Callable[[], tuple[shapely.Geometry, str, float] | None] | None = None,
                       stored: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Every project's current site (WGS84): saved edits override the demo sites.

    A ``rooftops`` site is the MultiPolygon of all roofs (``roofs=True``), or its stored
    township footprint (``roofs=False``, for drawing) with the roofs' total area; when
    :func:`_roof_site` gives no roofs it becomes ``site_kind = "footprint"``.

    Columns: ``project_no``, ``name``, ``name_en``, ``site_kind`` (parcel / rooftops /
    footprint), ``source`` (demo / drawn / upload / ...), ``demo`` (bool), ``version``
    (0 for demo), ``updated_by``, ``updated_at``, ``area_m2`` and geometry. ``attrs["meta"]["demo"]``
    is "true" while any shown site is a demo site.

    ``roof_site``: what gives the rooftop site (default :func:`_roof_site`; the app passes a cached one).
    ``stored``: the stored sites (default: layer ``projects`` of the catalogue, untransformed).
    """
    base, base_demo = base_sites(stored)
    edits = _saved_sites(conn)
    if edits is not None:
        base = base[~base["project_no"].isin(edits["project_no"])]
        base = pd.concat([base, edits], ignore_index=True)
    projects = load_projects()
    names = projects.set_index("序号")
    out = gpd.GeoDataFrame(base, geometry="geometry", crs=WGS84)
    rooftop = (out["site_kind"] == "rooftops").to_numpy()
    roof = None
    if rooftop.any() and roofs:
        roof = (roof_site or _roof_site)()
        if roof is None:
            out.loc[rooftop, "site_kind"] = "footprint"
        else:
            out.loc[rooftop, "geometry"] = gpd.GeoSeries([roof[0]] * int(rooftop.sum()), crs=WGS84).to_numpy()
    out["name"] = out["project_no"].map(names["项目名称"])
    out["name_en"] = out["project_no"].map(names["name_en"])
    if roof is None:
        out["area_m2"] = out.to_crs(AREA_CRS).geometry.area
    else:  # the roofs' MultiPolygon is projected once, in _roof_site
        out["area_m2"] = roof[2]
        out.loc[~rooftop, "area_m2"] = out[~rooftop].to_crs(AREA_CRS).geometry.area
    if rooftop.any() and not roofs:  # drawn as its footprint, but the site is the roofs themselves
        out.loc[rooftop, "area_m2"] = rooftops.total_area_m2()
    out = out.sort_values("project_no").reset_index(drop=True)
    cols = ["project_no", "name", "name_en", "site_kind", "source", "demo", "version", "updated_by", "updated_at", "area_m2"]
    out = out[cols + ["geometry"]]
    out.attrs["meta"] = {
        "source": "project sites: saved edits over " + ("demo parcels" if base_demo else "planner file"),
        "demo": "true" if bool(out["demo"].any()) else "false",
        "approximate": "true" if bool(out["demo"].any()) else "false",
    }
    return out


def project_layer(stored: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Transform of layer ``projects``: the stored sites with the saved edits (database) over them and the
    project table's names; a rooftop site is drawn as its township footprint, not 10^5 roofs."""
    return load_project_sites(roofs=False, stored=stored)


def load_project_layer() -> gpd.GeoDataFrame:
    """Map-friendly project sites: layer ``projects`` of the catalogue (:func:`project_layer`)."""
    return load_layer("projects")


# ---------------------------------------------------------------- site input


def read_site_file(path: Path | str, swap_xy: bool = False) -> gpd.GeoDataFrame:
    """Read a site file (GeoJSON, GeoPackage, zipped Shapefile, KML, GeoParquet, 界址点 .txt) as it is.

    The file's own CRS is kept (``None`` if it has none) and invalid polygons are *not*
    repaired here, so that :func:`cyc_geo.planning.landcheck.check_site` can report both.
    ``swap_xy`` exchanges X and Y: a 界址点 file's point columns (:func:`cyc_geo.planning.jzd.parse_jzd`),
    a GIS file's coordinates (:func:`cyc_geo.ingest.importer.swap_axes`, the import's ``--swap-xy``).
    Raises ``ValueError`` (zh + en) for unreadable files or files without polygons.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"找不到地块文件 / site file not found: {path}")
    if path.suffix.lower() == ".txt":
        from cyc_geo.planning.jzd import read_jzd

        return read_jzd(path, swap_xy=swap_xy)  # JzdError (a ValueError) names the bad line
    if swap_xy:
        from cyc_geo.ingest.importer import swap_axes

        return swap_axes(read_site_file(path))
    try:
        if path.suffix.lower() == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            target = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else path
            gdf = gpd.read_file(target, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL/arrow errors on unreadable files
        raise ValueError(f"无法读取地块文件 / cannot read the site file {path.name}: {exc}") from exc
    geoms = gdf.geometry
    poly = geoms.notna() & geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    if not poly.any():
        raise ValueError(f"文件中没有面要素 / {path.name} contains no polygon")
    return gdf[poly].reset_index(drop=True)


def site_from_gdf(gdf: gpd.GeoDataFrame, crs: str | None = None) -> gpd.GeoDataFrame:
    """Keep the polygons of ``gdf`` as one WGS84 site row; ``ValueError`` if there are none.

    A ``gdf`` without CRS is read in ``crs`` (e.g. the land check's reading,
    :attr:`cyc_geo.planning.site.PreparedSite.crs_read`), else in the CRS :func:`cyc_geo.geo.detect.guess_crs` finds."""
    if gdf.crs is None:
        crs = crs or guess_crs(gdf.total_bounds)
        if crs is None:
            raise ValueError("地块没有坐标系且无法判断 / the site has no CRS and its coordinates fit neither WGS84 nor EPSG:4547")
        gdf = gdf.set_crs(crs)
    geoms = gdf.geometry.dropna()
    geoms = geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
    if geoms.empty:
        raise ValueError("文件中没有面要素 / the file contains no polygon")
    merged = shapely.make_valid(shapely.union_all(shapely.make_valid(geoms.to_numpy())))
    return gpd.GeoDataFrame(geometry=[merged], crs=gdf.crs).to_crs(WGS84)



def export_site(site: gpd.GeoDataFrame, crs: str | None = None) -> gpd.GeoDataFrame:
    """The site to write as 界址点: the rows of a site that has CRS and ``name`` / ``use`` columns (an uploaded
    界址点 file) with their attributes, else one merged row (:func:`site_from_gdf`)."""
    if site.crs is not None and ("name" in site.columns or "use" in site.columns):
        keep = site[site.geometry.notna() & site.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(keep):
            return keep[[c for c in ("name", "use") if c in keep.columns] + ["geometry"]]
    return site_from_gdf(site, crs)

def site_from_geojson(obj: dict[str, Any] | list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """A site from drawn GeoJSON (a Feature, a FeatureCollection, a geometry or a list of features; WGS84)."""
    if isinstance(obj, list):
        obj = {"type": "FeatureCollection", "features": obj}
    if obj.get("type") == "FeatureCollection":
        geoms = [shape(f["geometry"]) for f in obj.get("features", []) if f.get("geometry")]
    elif obj.get("type") == "Feature":
        geoms = [shape(obj["geometry"])]
    else:
        geoms = [shape(obj)]
    return site_from_gdf(gpd.GeoDataFrame(geometry=geoms, crs=WGS84))


def save_project_site(
    conn: sqlite3.Connection,
    project_no: int,
    site: gpd.GeoDataFrame,
    actor: str,
    source: str = "drawn",
) -> int:
    """Store ``site`` as the site of ``project_no`` (version + 1), audited; returns the new version.

    The geometry is repaired (``make_valid``), reprojected to WGS84 and stored as GeoJSON;
    the audit record keeps the old and new GeoJSON so an edit can be traced and undone.
    """
    if not actor:
        raise ValueError("需要编辑人 / an actor name is required")
    project_row(project_no)
    one = site_from_gdf(site)
    geojson = json.dumps(mapping(one.geometry.iloc[0]), ensure_ascii=False)
    with db.transaction(conn):
        old = conn.execute("SELECT * FROM project_sites WHERE project_no = ?", (int(project_no),)).fetchone()
        version = (int(old["version"]) if old else 0) + 1
        now = db.now_iso()
        conn.execute(
            "INSERT INTO project_sites(project_no, geojson, source, version, updated_by, updated_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(project_no) DO UPDATE SET geojson=excluded.geojson, source=excluded.source, "
            "version=excluded.version, updated_by=excluded.updated_by, updated_at=excluded.updated_at",
            (int(project_no), geojson, source, version, actor, now),
        )
        db.audit(
            conn,
            actor,
            SITE_ENTITY,
            int(project_no),
            "update",
            {"version": int(old["version"]), "source": old["source"], "geojson": old["geojson"]} if old else None,
            {"version": version, "source": source, "geojson": geojson},
        )
    return version


def reset_project_site(conn: sqlite3.Connection, project_no: int, actor: str) -> bool:
    """Drop the saved site of ``project_no`` (back to the demo/planner site), audited; False if none saved."""
    with db.transaction(conn):
        old = conn.execute("SELECT * FROM project_sites WHERE project_no = ?", (int(project_no),)).fetchone()
        if old is None:
            return False
        conn.execute("DELETE FROM project_sites WHERE project_no = ?", (int(project_no),))
        db.audit(
            conn,
            actor,
            SITE_ENTITY,
            int(project_no),
            "reset",
            {"version": int(old["version"]), "source": old["source"], "geojson": old["geojson"]},
            None,
        )
    return True


def site_history(conn: sqlite3.Connection, project_no: int | None = None, limit: int = 50) -> pd.DataFrame:
    """Audit trail of site edits (newest first): at, actor, project, action, version."""
    rows = db.audit_trail(conn, SITE_ENTITY, limit=1000)
    out = []
    for r in rows:
        if project_no is not None and str(r["entity_key"]) != str(project_no):
            continue
        new = json.loads(r["new_value"]) if r["new_value"] else {}
        out.append(
            {
                "at": r["at"],
                "actor": r["actor"],
                "project_no": int(r["entity_key"]),
                "action": r["action"],
                "version": new.get("version"),
                "source": new.get("source"),
            }
        )
    return pd.DataFrame(out[:limit], columns=["at", "actor", "project_no", "action", "version", "source"])
