"""The projects page's caches (ui.projects_data): checks keyed by the sites' content."""

from __future__ import annotations

import geopandas as gpd
import shapely

from cyc_geo.planning.site import Finding, LandCheck
from ui import projects_data


def _check(no: int, level: str = "ok") -> LandCheck:
    return LandCheck(project_no=no, site_type="industrial", rooftop=False, area_m2=100.0, area_ha=0.01, area_mu=0.15,
                     townships=[], findings=[Finding.of(level, "county", 0.0, 0.0, "在市域内", "inside")],
                     repaired=False, crs_in="EPSG:4547", layers={"belt": "real", "forest": "demo"})


def _sites(width: float = 10.0, use: str = "industrial") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"project_no": [1, 2], "site_type": [use, "pv"]},
                            geometry=[shapely.box(0, 0, width, 10), shapely.box(20, 0, 30, 10)], crs="EPSG:4547")


def test_the_digest_follows_the_sites_content_not_their_version():
    assert projects_data.sites_digest(_sites()) == projects_data.sites_digest(_sites())  # same content, new frame
    assert projects_data.sites_digest(_sites(width=11)) != projects_data.sites_digest(_sites())  # a geometry moved
    assert projects_data.sites_digest(_sites(use="public")) != projects_data.sites_digest(_sites())  # an attribute


def test_a_reset_site_finds_the_check_made_before(monkeypatch):
    calls = []
    monkeypatch.setattr(projects_data, "check_projects", lambda _db, ctx: calls.append(1) or [_check(len(calls))])
    monkeypatch.setattr(projects_data, "database", lambda: None)
    projects_data._checks_of.clear()
    demo, saved = _sites(), _sites(width=12)
    version = projects_data.context_version()
    first = projects_data._checks_of(projects_data.sites_digest(demo), version, demo)
    projects_data._checks_of(projects_data.sites_digest(saved), version, saved)  # a site was saved: checked once
    again = projects_data._checks_of(projects_data.sites_digest(_sites()), version, _sites())  # reset to the demo
    assert again is first and len(calls) == 2


def test_checks_are_read_back_by_a_restarted_process(monkeypatch, tmp_path):
    """After a restart (empty Streamlit caches) the same sites and context layers find the stored check."""
    calls = []
    monkeypatch.setenv("CYC_GEO_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr(projects_data, "check_projects", lambda _db, ctx: calls.append(1) or [_check(1, "warning")])
    monkeypatch.setattr(projects_data, "database", lambda: None)
    demo = _sites()
    version = projects_data.context_version()
    projects_data._checks_of.clear()
    assert projects_data._checks_of(projects_data.sites_digest(demo), version, demo) == [_check(1, "warning")]
    projects_data._checks_of.clear()  # a new process
    again = projects_data._checks_of(projects_data.sites_digest(demo), version, demo)
    assert again == [_check(1, "warning")] and isinstance(again[0], LandCheck)  # read back as a LandCheck
    assert again[0].layers == {"belt": "real", "forest": "demo"} and again[0].status == "warning"
    assert len(calls) == 1
    # a replaced context layer (another source version) is checked again
    projects_data._checks_of(projects_data.sites_digest(demo), version + (("forest", "planner:new"),), demo)
    assert len(calls) == 2


def test_site_versions_share_the_context_layers(monkeypatch):
    """A saved site gets a new context for its sites, but the zoning and forest layers are not loaded again."""
    from cyc_geo.planning.landcheck import CheckContext

    loads = []
    monkeypatch.setattr(CheckContext, "_load", lambda self, name: loads.append(name) or _sites())
    base = CheckContext()
    one, two = base.derived(sites=_sites()), base.derived(sites=_sites(width=12))
    assert one.get("farmland") is two.get("farmland")
    assert one.area_crs("forest") is two.area_crs("forest")
    assert one.get("sites") is not two.get("sites")
    assert sorted(loads) == ["farmland", "forest"]


def test_a_saved_site_or_progress_record_keeps_the_context_layers(demo_data_dir, monkeypatch, tmp_path):
    """Saving a site (or a progress record) changes the projects layer's version, not the land check's context
    layers: the context is not loaded and projected again (it was, and a save took 2 CPU s instead of 0.5)."""
    from cyc_geo import db
    from cyc_geo.catalog import sources
    from cyc_geo.planning.progress import save_progress
    from cyc_geo.planning.projects import load_project_sites, save_project_site

    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "cyc.sqlite"))
    conn = db.connect()
    before, layer_before = projects_data.context_version(), sources.source_version("projects")
    site = load_project_sites(conn)
    one = site[site["project_no"] == 1].to_crs("EPSG:4547")
    c = one.geometry.iloc[0].representative_point()
    square = gpd.GeoDataFrame(geometry=[shapely.box(c.x - 50, c.y - 50, c.x + 50, c.y + 50)], crs="EPSG:4547")
    save_project_site(conn, 1, square, "tester", "upload")
    after_site = sources.source_version("projects")
    save_progress(conn, 1, 2024, {"status": "在建"}, "tester")
    assert len({layer_before, after_site, sources.source_version("projects")}) == 3  # the map's layer sees both
    assert projects_data.context_version() == before


def test_the_sites_key_changes_with_the_roofs_version(monkeypatch, data_dir):
    """Project 3's site is its roofs: a roofs import (a new source version) is a new sites key, so the cached sites,
    checks and digest are not those of the old roofs even where the caches were not cleared."""
    versions = {"rooftops": "planner:v1"}
    monkeypatch.setattr(projects_data, "source_version", lambda layer_id: versions[layer_id])
    first = projects_data.sites_key()
    assert projects_data.sites_key() == first and hash(first)  # stable and hashable: a cache key
    versions["rooftops"] = "planner:v2"
    assert projects_data.sites_key() != first
