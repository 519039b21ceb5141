"""Cached data behind the projects page: the sites, their checks and reports, and the check context.

Thin ``st.cache_resource`` caches over :mod:`cyc_geo.planning`, keyed by the sites' version
(:func:`cyc_geo.planning.sites_table.sites_key`: a saved or reset site is a new key). They live here,
not in the page script, so the start-up warm-up (:func:`ui.warmup.warm_up`) can fill them before the
first planner opens the page. ``cache_resource``, not ``cache_data``: the rooftop site has ~10^5
parts and must not be re-pickled on every rerun (callers treat the results as read-only).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import shapely
import streamlit as st

from cyc_geo.catalog import result_store, sources
from cyc_geo.planning import projects, sites_table
from cyc_geo.planning.landcheck import CheckContext, LandCheck, check_projects
from cyc_geo.planning.projects import load_project_layer, load_project_sites
from cyc_geo.planning.report import project_report
from ui.common import big_layer, database, roof_layer, source_version


def sites_key() -> tuple:
    """The sites' version: the saved sites' (:func:`cyc_geo.planning.sites_table.sites_key`, from the app's database)
    and the roofs' (project 3's site is its roofs, :func:`roof_site`), so a new roofs import is a new key even where
    the caches are not cleared."""
    layer = roof_layer()
    return sites_table.sites_key(database()), source_version(layer.id) if layer is not None else ""


@st.cache_resource(show_spinner=False, max_entries=2)
def _roof_site(version: str):
    layer = roof_layer()
    return projects._roof_site(big_layer(layer.id)) if layer is not None else projects._roof_site()


def roof_site():
    """Project 3's rooftop site (:func:`cyc_geo.planning.projects._roof_site`), built once per roof version:
    saving or resetting another site does not rebuild the ~10^5-part MultiPolygon."""
    layer = roof_layer()
    return _roof_site(source_version(layer.id) if layer is not None else "")


@st.cache_resource(show_spinner=False, max_entries=4)
def sites(key: tuple):
    """The four projects' current sites (GeoDataFrame, WGS84)."""
    return load_project_sites(database(), roof_site=roof_site)


@st.cache_resource(show_spinner=False, max_entries=4)
def site_layer(key: tuple):
    """The project-sites layer as the map draws it."""
    return load_project_layer()


def sites_digest(frame) -> str:
    """A digest of the sites' content: every attribute and every geometry (WKB), row by row."""
    h = hashlib.sha1(pd.util.hash_pandas_object(pd.DataFrame(frame.drop(columns="geometry")).astype(str),
                                                index=False).values.tobytes())
    for geom in frame.geometry:
        h.update(shapely.to_wkb(geom) if geom is not None else b"")
    return h.hexdigest()


CONTEXT_LAYERS = ("county", "townships", "belt", "forest", "devzone", "farmland", "eco_redline",
                  "urban_boundary", "landcover", "cropland", "forest_protection")
"""What a land check reads besides the sites (:class:`cyc_geo.planning.landcheck.CheckContext`; the demo 耕地
parcels are derived from the land cover). Not the ``projects`` layer: the sites are given to every derived
context, and that layer's version changes with each saved site, which made a save load and project every
context layer again (1.5 CPU s of a 2 CPU s save, py-spy)."""


def context_version() -> tuple:
    """Source versions of :data:`CONTEXT_LAYERS` (planner file or source file with size and time)."""
    return tuple((layer_id, sources.source_version(layer_id)) for layer_id in CONTEXT_LAYERS)


@st.cache_resource(show_spinner=False, max_entries=2)
def _base_context(version: tuple) -> CheckContext:
    return CheckContext()


def base_context() -> CheckContext:
    """The check's context layers without sites, loaded and projected once per data version and shared by
    every site version (:meth:`cyc_geo.planning.landcheck.CheckContext.derived`)."""
    return _base_context(context_version())


@st.cache_resource(show_spinner=False, max_entries=8)
def _checks_of(digest: str, version: tuple, _sites) -> list[LandCheck]:
    # kept across restarts (cyc_geo.catalog.result_store): project 3's ~10^5 roofs take seconds to check;
    # stored as the checks' JSON with every context layer's provenance, read back as LandCheck
    return result_store.remember(("land_checks", digest, version),
                                 lambda: check_projects(database(), base_context().derived(sites=_sites)),
                                 encode=lambda checks: [c.to_dict(with_layers=True) for c in checks],
                                 decode=lambda stored: [LandCheck.from_dict(d) for d in stored])


@st.cache_resource(show_spinner=False, max_entries=4)
def _sites_digest(key: tuple) -> str:
    return sites_digest(sites(key))


def checks(key: tuple) -> list[LandCheck]:
    """The land check of every project (:func:`cyc_geo.planning.landcheck.check_projects`), cached by the
    sites' content: resetting a site to the demo finds the check made before (project 3's ~10^5 roofs take
    seconds to check), and a saved site is checked once. The content's digest is kept with the sites (hashing
    project 3's roofs was a fifth of a projects-page run, py-spy)."""
    return _checks_of(_sites_digest(key), context_version(), sites(key))


@st.cache_resource(show_spinner=False, max_entries=16)
def report(project_no: int, key: tuple) -> dict:
    """One project's report files (Excel, printable HTML, PNG)."""
    rep = project_report(project_no, database(), base_context().derived(sites=sites(key)))
    return {k: rep[k] for k in ("xlsx", "html", "png")}


@st.cache_resource(show_spinner=False, max_entries=4)
def context(key: tuple) -> CheckContext:
    """Context layers for checking drawn/uploaded shapes, loaded once (parcels only, no roofs)."""
    return base_context().derived(sites=site_layer(key))


def clear() -> None:
    """Forget the cached sites and checks (after a site is saved or reset)."""
    for fn in (sites, _sites_digest, site_layer, report, context):  # checks stay: keyed by the sites' content
        fn.clear()


def warm() -> None:
    """Fill the caches the projects page opens with: sites, the check of every project and the check context
    with its zoning layers (三区三线 demo layers are built on first use). Reports are built when downloaded."""
    key = sites_key()
    checks(key)
    ctx = context(key)
    for layer_id in ("farmland", "eco_redline", "urban_boundary"):
        ctx.get(layer_id)
