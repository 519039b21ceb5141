"""The land check's types (cyc_geo.planning.site): LandCheck round trip, status, rules as (site, params, context).

Synthetic world in EPSG:4547 metres (as tests/planning/test_landcheck_rules.py): county and one township over
x 550-570 km, y 3880-3900 km; the belt's floodplain at x 566-570 km; development zone x 551-555 km,
y 3881-3885 km; basic farmland F1-F3 (200 m squares at x 551.0-551.6 km, y 3890.0-3890.2 km) and
cropland F1-F3 plus C4 (x 551.6-551.8 km); forest patch x 552.0-552.1 km, y 3890.0-3890.1 km;
red line x 568-570 km; urban boundary x 551-556 km, y 3881-3886 km; project 1's site x 553-554 km,
y 3882-3883 km. Site A (x 551.1-551.7 km, y 3890.05-3890.15 km, 60,000 m²) takes 50,000 m² of basic
farmland and 10,000 m² of C4 and lies wholly outside the urban boundary.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.planning import landcheck, rules
from cyc_geo.planning.landcheck import CheckContext, check_site, site_conflicts
from cyc_geo.planning.projects import load_projects, project_row
from cyc_geo.planning.site import LEVELS, CheckParams, Finding, LandCheck, Township, prepare_site, worst_level
from tests.planning.test_landcheck_rules import SITE_A, X0, Y0, gdf, world


@pytest.fixture(scope="module")
def ctx() -> CheckContext:
    return world()


BOWTIE = Polygon([(X0 + 9_000, Y0 + 9_000), (X0 + 10_000, Y0 + 10_000), (X0 + 10_000, Y0 + 9_000),
                  (X0 + 9_000, Y0 + 10_000), (X0 + 9_000, Y0 + 9_000)])
CASES = {
    "farmland, industrial": dict(site=gdf([SITE_A]), site_type="industrial"),
    "farmland, pv": dict(site=gdf([SITE_A]), site_type="pv"),
    "forest and belt": dict(site=gdf([box(552_050, 3_890_050, 566_500, 3_890_150)])),
    "red line, declared tourism": dict(site=gdf([box(568_500, 3_885_000, 568_800, 3_885_300)]), site_type="public",
                                       redline_activity="tourism"),
    "project 1 in the zone": dict(site=gdf([box(X0 + 1_500, Y0 + 1_500, X0 + 1_800, Y0 + 1_800)]), project_no=1),
    "roofs of project 3": dict(site=gdf([box(552_090, 3_890_000, 552_100, 3_890_100), box(560_000, 3_885_000, 560_020, 3_885_020)]),
                               project_no=3),
    "no CRS, repaired": dict(site=gpd.GeoSeries([BOWTIE])),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_check_round_trips_through_its_json(ctx, case):
    kw = dict(CASES[case])
    check = check_site(kw.pop("site"), context=ctx, **kw)
    assert isinstance(check, LandCheck) and check.site is not None
    stored = json.loads(json.dumps(check.to_dict(with_layers=True), ensure_ascii=False))  # as the result store keeps it
    back = LandCheck.from_dict(stored)
    assert back == check and back.site is None
    assert back.to_dict() == check.to_dict() and back.status == check.status
    # the CLI's JSON alone gives the same JSON again (only the demo layers are known from it)
    assert LandCheck.from_dict(json.loads(json.dumps(check.to_dict()))).to_dict() == check.to_dict()
    assert "layers" not in check.to_dict() and set(check.layers) == set(landcheck.CONTEXT_LAYERS)


@pytest.mark.parametrize("case", list(CASES))
def test_status_is_the_worst_finding_level(ctx, case):
    kw = dict(CASES[case])
    check = check_site(kw.pop("site"), context=ctx, **kw)
    levels = [f.level for f in check.findings]
    assert check.status == max(levels, key=LEVELS.index) == check.to_dict()["status"]


def test_status_by_hand():
    def with_levels(*levels: str) -> LandCheck:
        return LandCheck(None, "other", False, 1.0, 0.0001, 0.0015, [],
                         [Finding.of(lv, "county", 0.0, None, "z", "e") for lv in levels], False, None)

    assert with_levels("ok", "info", "warning", "ok").status == "warning"
    assert with_levels("info", "conflict", "warning").status == "conflict"
    assert with_levels("info").status == "info" and with_levels().status == "ok"
    assert worst_level(["ok", "info"]) == "ok"
    with pytest.raises(ValueError):
        Finding.of("fine", "county", 0.0, None, "z", "e")


def test_the_check_figures_come_from_its_findings(ctx):
    """Site A takes 50,000 m² of basic farmland (75 亩) in three parcels, 10,000 m² of C4, and lies outside the
    development zone: the sink and zone share are the forest and devzone findings' numbers."""
    check = check_site(gdf([SITE_A]), context=ctx, site_type="industrial")
    farm = check.finding("farmland")
    assert farm.level == "conflict" and farm.overlap_m2 == pytest.approx(50_000.0) and farm.overlap_mu == pytest.approx(75.0)
    assert [p["parcel_id"] for p in farm.parcels] == ["F2", "F3", "F1"] and farm.rule.key == "farmland"
    assert check.finding("urban_boundary").outside_m2 == pytest.approx(60_000.0)
    assert check.sink_lost_t_co2_yr == 0.0 and check.devzone_share == 0.0
    assert [r.key for r in check.rules] == ["farmland", "eco_redline", "urban_boundary", "cropland"]
    assert check.townships == [Township("410783001", "东乡", "T1", 60_000.0, 1.0)]
    # the forest patch (100 m x 100 m, 10 t CO2/yr) half taken by a 50 m strip: 5 t CO2/yr lost
    half = check_site(gdf([box(552_050, 3_890_000, 552_100, 3_890_100)]), context=ctx)
    assert half.sink_lost_t_co2_yr == pytest.approx(5.0) == half.to_dict()["sink_lost_t_co2_yr"]


@pytest.mark.parametrize("where", ["farmland", "forest", "red line", "outside"])
def test_every_rule_returns_findings(ctx, where):
    """Each rule of rules.CHECKS is a function (site, params, context) -> Finding or list of Findings."""
    sites = {"farmland": SITE_A, "forest": box(552_050, 3_890_050, 566_500, 3_890_150),
             "red line": box(568_500, 3_885_000, 568_800, 3_885_300), "outside": box(X0 - 5_000, Y0, X0 + 500, Y0 + 500)}
    site = prepare_site(gdf([sites[where]]))
    rows = {None: None, 1: project_row(1, load_projects()), 3: project_row(3, load_projects())}
    params = [CheckParams(site_type=t, rooftop=no == 3, project_no=no, project=rows[no], redline_activity=act)
              for t in ("industrial", "pv", "public", "other") for no in rows for act in (None, "tourism")]
    assert len(rules.CHECKS) == 15  # issue 27: + forest_protection, support_findings
    for p in params:
        for rule in rules.CHECKS:
            got = rule(site, p, ctx)
            found = got if isinstance(got, list) else [got]
            assert all(isinstance(f, Finding) and f.level in LEVELS for f in found), (rule.__name__, p)
        assert rules.run_checks(site, p, ctx)  # every site gets findings


def test_site_conflicts_use_the_site_the_check_prepared(ctx, monkeypatch):
    site = gdf([SITE_A])
    check = check_site(site, context=ctx, site_type="industrial")
    monkeypatch.setattr(landcheck, "prepare_site", lambda *a, **k: pytest.fail("the site was prepared twice"))
    areas = site_conflicts(site, check, ctx).to_crs(AREA_CRS).set_index("layer")
    assert areas.loc["farmland", "area_m2"] == pytest.approx(50_000.0)
    monkeypatch.undo()
    stored = LandCheck.from_dict(check.to_dict())  # read back from the store: no prepared site, prepared here
    again = site_conflicts(site, stored, ctx).to_crs(AREA_CRS).set_index("layer")
    assert again.loc["cropland", "area_m2"] == pytest.approx(10_000.0)


def test_compliance_tables_read_the_check(ctx):
    from cyc_geo.planning import compliance

    check = check_site(gdf([SITE_A]), context=ctx, site_type="industrial")
    table = compliance.findings_table(check, "en")
    assert table.iloc[0]["Level"] == "conflict" and len(table) == len(check.findings)
    assert table.set_index("Layer").loc["urban development boundary", "Area"] == pytest.approx(60_000.0)
    parcels = compliance.parcel_table(check, "en")
    assert list(parcels["Parcel"]) == ["F2", "F3", "F1"] and parcels["Overlap"].sum() == pytest.approx(50_000.0)
    assert list(compliance.rules_table(check, "zh")["条款"]) == [r.article for r in check.rules]


def test_the_land_check_types_sit_below_the_rules_and_the_orchestration():
    """site.py imports no planning module, rules.py only site.py: no import circle among them."""
    planning = Path(landcheck.__file__).parent

    def imported(name: str) -> set[str]:
        tree = ast.parse((planning / f"{name}.py").read_text(encoding="utf-8"))
        mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        mods |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        return {m for m in mods if m.startswith("cyc_geo.planning")}

    assert imported("site") == set()
    # issue 27: the 24号 indicators and the 地类 breakdown are modules of their own beside rules.py, below it
    # the overlap functions shared with the area statistics (cyc_geo.planning.overlaps) are one more such helper
    helpers = {"cyc_geo.planning.industrial_land", "cyc_geo.planning.landuse_breakdown", "cyc_geo.planning.overlaps"}
    assert imported("rules") == {"cyc_geo.planning.site"} | helpers
    for helper in helpers:
        assert imported(helper.rsplit(".", 1)[1]) == {"cyc_geo.planning.site"}
    assert "cyc_geo.planning.landcheck" not in imported("rules") | imported("site")
    assert shapely.is_valid(prepare_site(gpd.GeoSeries([BOWTIE])).parts).all()


def test_the_crs_is_guessed_once(ctx, monkeypatch):
    """A site without CRS is read once (guess_crs in prepare_site); the WGS84 site for the map and the 界址点 export
    reuse that reading instead of guessing again."""
    from cyc_geo.planning import projects

    bare = gpd.GeoDataFrame(geometry=[SITE_A])  # EPSG:4547 metres, no CRS
    check = check_site(bare, context=ctx, site_type="industrial")
    assert check.crs_in is None and check.site.crs_read == AREA_CRS and check.finding("crs").level == "warning"
    monkeypatch.setattr(projects, "guess_crs", lambda *_: pytest.fail("the CRS was guessed twice"))
    wgs = projects.site_from_gdf(bare, check.site.crs_read).to_crs(AREA_CRS)
    assert wgs.geometry.area.sum() == pytest.approx(60_000.0, rel=1e-6)
    given = check_site(gdf([SITE_A]), context=ctx)
    assert given.crs_in == given.site.crs_read == AREA_CRS
