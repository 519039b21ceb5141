"""Land-allocation check of a site polygon against the plan's spatial layers.

:func:`check_site` answers the planner's questions for one site: how big is it
(m², ha, 亩), which townships does it lie in, does it overlap the Yellow River
ecological belt, forest carbon-sink land, 三区三线 or 耕地, or another project's site, does it lie
inside the county and inside the development zone, and does its area match the
project's stated land need. Each answer is a :class:`~cyc_geo.planning.site.Finding` with a level
(``conflict`` / ``warning`` / ``ok`` / ``info``) and a plain-language reason in Chinese and English;
the result is a :class:`~cyc_geo.planning.site.LandCheck` (``to_dict()`` for JSON).

This module orchestrates: the site is prepared once (:func:`cyc_geo.planning.site.prepare_site`: CRS
read or guessed, geometry made valid, EPSG:4547 areas), the parameters are fixed once
(:class:`~cyc_geo.planning.site.CheckParams`: site type, rooftop flag, project), and every rule of
:data:`cyc_geo.planning.rules.CHECKS` runs on them.

Context layers (county, townships, belt, forest, development zone, other project
sites, project table, 三区三线, 耕地) come from the project's loaders by default and can be
injected through :class:`CheckContext` (tests, what-if checks). Features within
one context layer are assumed not to overlap each other (true for townships,
belt zones, forest patches and the development zone).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import shapely

from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.planning import rules
from cyc_geo.planning.landuse_breakdown import landuse_breakdown
from cyc_geo.planning.rules import BELT_ZONE_NAMES, FOREST_CLASS_NAMES, forest_sink_lost
from cyc_geo.planning.site import (
    CONTEXT_LAYERS,
    LEVELS,
    CheckParams,
    Finding,
    IndustryFigures,
    LandCheck,
    LandCheckParams,
    PreparedSite,
    RuleParams,
    prepare_site,
    rounded_areas,
    worst_level,
)

__all__ = ["BELT_ZONE_NAMES", "FOREST_CLASS_NAMES", "LEVELS", "CheckContext", "CheckParams", "Finding", "LandCheck",
           "LandCheckParams", "PreparedSite", "check_projects", "check_site", "forest_sink_lost", "prepare_site",
           "site_conflicts", "worst_level"]


class CheckContext:
    """Context layers of the land check; each is loaded on first use unless injected.

    ``forest`` may be injected as None (no forest layer): the check then reports a warning
    instead of failing.
    """

    NAMES = ("county", "townships", "belt", "forest", "devzone", "sites", "projects",
             "farmland", "eco_redline", "urban_boundary", "cropland", "forest_protection", "landcover", "dltb")
    ZONING = ("farmland", "eco_redline", "urban_boundary", "cropland", "forest_protection")
    """三区三线 and 耕地 layers: injected as None they are reported as not checked (``info``)."""

    def __init__(self, **layers: Any) -> None:
        unknown = set(layers) - set(self.NAMES)
        if unknown:
            raise TypeError(f"unknown context layers {sorted(unknown)}")
        self._layers: dict[str, Any] = dict(layers)
        self._area: dict[str, gpd.GeoDataFrame | None] = {}
        self._base: CheckContext | None = None

    def derived(self, **layers: Any) -> CheckContext:
        """A context with ``layers`` (e.g. new ``sites``) that reads every other layer through this one:
        loaded once and projected once, however many site versions are checked against them."""
        out = CheckContext(**layers)
        out._base = self
        return out

    LAYER_IDS = {"sites": "projects"}
    """Context name -> catalogue layer id where they differ. ``sites`` is the map's ``projects`` layer: only
    parcels are compared with (rooftop sets may share roofs), so the rooftop site is its footprint."""

    def _load(self, name: str) -> Any:
        """A context layer from the catalogue by id (``projects`` is the 附件2 table, not a layer)."""
        if name == "projects":
            from cyc_geo.planning.projects import load_projects

            return load_projects()
        if name in self.ZONING:
            return _load_zoning(name)
        if name in ("landcover", "dltb"):
            return _load_landuse(name)
        if name not in self.NAMES:
            raise KeyError(name)
        from cyc_geo.catalog.loader import load_layer

        return load_layer(self.LAYER_IDS.get(name, name))

    def get(self, name: str) -> Any:
        """The layer (WGS84 or the injected CRS) or None if unavailable."""
        if name not in self._layers:
            if self._base is not None:
                return self._base.get(name)
            self._layers[name] = self._load(name)
        return self._layers[name]

    def area_crs(self, name: str) -> gpd.GeoDataFrame | None:
        """The layer in :data:`AREA_CRS` (cached)."""
        if self._base is not None and name not in self._layers:
            return self._base.area_crs(name)
        if name not in self._area:
            gdf = self.get(name)
            self._area[name] = None if gdf is None else gdf.to_crs(AREA_CRS)
        return self._area[name]

    def required(self, name: str) -> gpd.GeoDataFrame:
        """The layer in :data:`AREA_CRS` for a rule that cannot run without it (county, belt, ...);
        :class:`LookupError` when it cannot be had."""
        gdf = self.area_crs(name)
        if gdf is None:
            raise LookupError(f"land check: context layer {name!r} is not available")
        return gdf

    def is_demo(self, name: str) -> bool:
        gdf = self.get(name)
        return gdf is not None and provenance_of(gdf).demo


def _load_zoning(name: str) -> gpd.GeoDataFrame | None:
    """A 三区三线 or 耕地 layer from the catalogue (planner file or demo). None when it cannot be had
    (no land cover)."""
    from cyc_geo.catalog.loader import load_layer

    try:
        return load_layer(name)
    except (FileNotFoundError, KeyError, OSError):
        return None


def _load_landuse(name: str) -> Any:
    """The land-cover raster (:class:`cyc_geo.geo.zonal.RasterData`, EPSG:4547) or a planner's 地类图斑 file
    (``data/boundaries/dltb.<ext>``); None when it cannot be had."""
    from cyc_geo.geo.zonal import RasterError

    try:
        if name == "landcover":
            from cyc_geo.carbon.landcover import load_landcover

            return load_landcover()
        from cyc_geo.catalog.loader import planner_path
        from cyc_geo.catalog.sources import read_planner_file

        user = planner_path("dltb")
        return None if user is None else read_planner_file(user)
    except (FileNotFoundError, KeyError, OSError, RasterError):
        return None


def _layer_provenance(ctx: CheckContext) -> dict[str, str]:
    """Each of :data:`~cyc_geo.planning.site.CONTEXT_LAYERS`: ``demo``, ``approximate``, ``real`` or ``absent``."""
    out = {}
    for name in CONTEXT_LAYERS:
        gdf = ctx.get(name)
        out[name] = "absent" if gdf is None else provenance_of(gdf).status
    return out


def check_params(
    project_no: int | None,
    ctx: CheckContext,
    params: LandCheckParams | None = None,
    site_type: str | None = None,
    redline_activity: str | None = None,
    rule_params: RuleParams | None = None,
    standalone_siting: bool = False,
    industry: IndustryFigures | None = None,
) -> CheckParams:
    """The check's parameters: the project's row, the site type (chosen, else from the project's kind,
    :data:`cyc_geo.planning.rules.PROJECT_KIND_TYPES`, else ``other``) and the rooftop flag (a rooftop-PV
    project: roofs take no land)."""
    project = None
    if project_no is not None:
        from cyc_geo.planning.projects import project_row

        project = project_row(int(project_no), ctx.get("projects"))
    kind = None if project is None else str(project.get("project_kind", ""))
    return CheckParams(
        site_type=rules.site_type_for(kind, site_type), rooftop=kind == "rooftops",
        project_no=None if project_no is None else int(project_no), project=project,
        redline_activity=redline_activity, standalone_siting=bool(standalone_siting), industry=industry,
        thresholds=params or LandCheckParams(), rules=rule_params or RuleParams())


def check_site(
    site: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    project_no: int | None = None,
    context: CheckContext | None = None,
    params: LandCheckParams | None = None,
    site_type: str | None = None,
    redline_activity: str | None = None,
    rule_params: RuleParams | None = None,
    standalone_siting: bool = False,
    industry: IndustryFigures | None = None,
    support: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    support_area_m2: float | None = None,
) -> LandCheck:
    """Check one site (any CRS; none: guessed) against the context layers.

    ``site_type`` (``industrial``, ``pv``, ``public``, ``other``) defaults to the project's kind
    (:data:`cyc_geo.planning.rules.PROJECT_KIND_TYPES`), else ``other``; ``redline_activity`` declares
    the site one of the limited human activities allowed in the red line
    (:data:`cyc_geo.planning.rules.REDLINE_ACTIVITIES`); ``standalone_siting`` declares it a 单独选址 project
    (outside the 城镇开发边界 an industrial site is then a warning, not a conflict); ``industry`` gives an industrial
    project's 24号 figures; ``support`` (a polygon) or ``support_area_m2`` a PV site's 配套设施 part, checked as
    construction land. ``ValueError`` (zh + en) for an unusable site.
    """
    ctx = context or CheckContext()
    cp = check_params(project_no, ctx, params, site_type, redline_activity, rule_params, standalone_siting, industry)
    if support is not None or support_area_m2:
        sup = None if support is None else prepare_site(support, cp.thresholds)
        cp = dataclasses.replace(cp, support=sup, support_area_m2=support_area_m2)
    prepared = prepare_site(site, cp.thresholds)
    findings = rules.run_checks(prepared, cp, ctx)
    area_m2, area_ha, area_mu = rounded_areas(prepared.area_m2)
    return LandCheck(
        project_no=cp.project_no, site_type=cp.site_type, rooftop=cp.rooftop,
        area_m2=area_m2, area_ha=area_ha, area_mu=area_mu,
        townships=rules.township_rows(prepared, cp, ctx), findings=findings,
        repaired=prepared.repair_note is not None, crs_in=prepared.crs_in,
        layers=_layer_provenance(ctx), standalone_siting=cp.standalone_siting,
        landuse_breakdown=landuse_breakdown(prepared, cp.rooftop, ctx, cp.thresholds.min_overlap_m2), site=prepared)


def site_conflicts(
    site: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    result: LandCheck,
    context: CheckContext | None = None,
    params: LandCheckParams | None = None,
) -> gpd.GeoDataFrame:
    """The conflict areas of a checked site (WGS84 polygons with ``layer``, ``level``, ``area_m2``) for the
    map and the report; see :func:`cyc_geo.planning.rules.conflict_areas`. The site prepared by the check
    is used when the result has it (a check read back from the result store has not: then ``site`` is)."""
    p = params or LandCheckParams()
    ctx = context or CheckContext()
    cp = CheckParams(site_type=result.site_type, rooftop=result.rooftop, project_no=result.project_no,
                     standalone_siting=result.standalone_siting, thresholds=p)
    if result.rooftop:  # roofs take no land: nothing to draw (and no 10^5-part site to prepare)
        empty = gpd.GeoDataFrame({"layer": [], "level": [], "area_m2": []}, geometry=[], crs=AREA_CRS)
        return empty.to_crs("EPSG:4326")
    prepared = result.site if result.site is not None else prepare_site(site, p)
    return rules.conflict_areas(prepared, cp, ctx)


def check_projects(conn: Any = None, context: CheckContext | None = None,
                   params: LandCheckParams | None = None) -> list[LandCheck]:
    """Land-check every project's current site (shared context, so layers load once)."""
    from cyc_geo.planning.projects import load_project_sites

    ctx = context or CheckContext()
    if ctx._layers.get("sites") is None and "sites" not in ctx._layers:
        ctx._layers["sites"] = load_project_sites(conn)
    sites = ctx.required("sites")
    results = []
    for _, row in sites.iterrows():
        one = gpd.GeoDataFrame({"project_no": [row["project_no"]]}, geometry=[row.geometry], crs=sites.crs)
        results.append(check_site(one, int(row["project_no"]), ctx, params))
    return results
