"""The projects page's caches (ui.projects_data): checks keyed by the sites' content."""

from __future__ import annotations

import geopandas as gpd
import shapely

from ui import projects_data


def _sites(width: float = 10.0, use: str = "industrial") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"project_no": [1, 2], "site_type": [use, "pv"]},
                            geometry=[shapely.box(0, 0, width, 10), shapely.box(20, 0, 30, 10)], crs="EPSG:4547")


def test_the_digest_follows_the_sites_content_not_their_version():
    assert projects_data.sites_digest(_sites()) == projects_data.sites_digest(_sites())  # same content, new frame
    assert projects_data.sites_digest(_sites(width=11)) != projects_data.sites_digest(_sites())  # a geometry moved
    assert projects_data.sites_digest(_sites(use="public")) != projects_data.sites_digest(_sites())  # an attribute


def test_a_reset_site_finds_the_check_made_before(monkeypatch):
    calls = []
    monkeypatch.setattr(projects_data, "check_projects", lambda _db, ctx: calls.append(1) or [{"n": len(calls)}])
    monkeypatch.setattr(projects_data, "database", lambda: None)
    projects_data._checks_of.clear()
    demo, saved = _sites(), _sites(width=12)
    first = projects_data._checks_of(projects_data.sites_digest(demo), demo)
    projects_data._checks_of(projects_data.sites_digest(saved), saved)  # a site was saved: checked once
    again = projects_data._checks_of(projects_data.sites_digest(_sites()), _sites())  # reset to the demo
    assert again is first and len(calls) == 2
