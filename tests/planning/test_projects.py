"""Projects table (seed 附件2), demo sites, persisted site edits, CLI, reports and the page."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from shapely.geometry import Polygon, box

from cyc_geo import db
from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU, WGS84
from cyc_geo.planning.projects import _roof_site as roof_site_unpatched
from tests.conftest import copy_demo_county

REPO = Path(__file__).resolve().parents[2]
SEED = Path("/work/shared/seed/000_36a725ee7d72af04.txt")
FOREST = gpd.GeoDataFrame(
    {"patch_id": [1], "class_code": ["0301"], "class_name": ["乔木林地"], "area_ha": [1.0], "stock_m3": [90.0], "sink_t_co2_yr": [12.0]},
    geometry=[box(562_000, 3_885_800, 562_100, 3_885_900)],
    crs=AREA_CRS,
).to_crs(WGS84)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def proj_env(tmp_path_factory, demo_county):
    """One isolated data folder per module (a copy of the session's demo county); rooftops and forest are
    replaced to stay fast.

    Project 3 is then represented by its township footprint (documented fallback); the
    forest layer is one synthetic 1-ha patch (12 t CO2/yr) inside project 1's demo parcel.
    """
    mp = pytest.MonkeyPatch()
    d = copy_demo_county(demo_county, tmp_path_factory.mktemp("proj") / "data")
    mp.setenv("CYC_GEO_DATA_DIR", str(d))
    mp.setenv("CYC_GEO_DB", str(d / "module.sqlite"))
    import cyc_geo.planning.projects as projects

    mp.setattr(projects, "_roof_site", lambda roofs=None: None)
    import cyc_geo.carbon.forest as forest

    mp.setattr(forest, "load_forest_patches", lambda: FOREST)
    import cyc_geo.catalog.loader as loader

    load_layer = loader.load_layer  # the land check asks the catalogue for layer "forest" by id
    mp.setattr(loader, "load_layer", lambda layer, transform=True:
               FOREST if layer == "forest" else load_layer(layer, transform))
    import cyc_geo.planning.landcheck as landcheck

    # the 三区三线 demo layers derive from the land-cover raster (slow to build): not checked here,
    # they have their own tests (tests/planning/test_landcheck_rules.py, tests/planning/test_landcheck_zoning.py)
    mp.setattr(landcheck, "_load_zoning", lambda name: None)
    projects.load_project_sites()  # builds county, townships, demo sites once
    yield d
    mp.undo()


@pytest.fixture
def fresh_db(proj_env, tmp_path, monkeypatch):
    path = tmp_path / "fresh.sqlite"
    monkeypatch.setenv("CYC_GEO_DB", str(path))
    return path


# ---------------------------------------------------------------- table


def test_projects_table_has_the_seed_rows():
    from cyc_geo.planning.projects import SEED_COLUMNS, load_projects

    p = load_projects()
    assert list(p.columns[:7]) == list(SEED_COLUMNS)
    assert list(p["序号"]) == [1, 2, 3, 4]
    # 附件2 investments (万元) and their 合计 row
    assert list(p["投资规模(万元)"]) == [42000, 79000, 83000, 10000]
    assert p["投资规模(万元)"].sum() == 214000
    assert list(p["建设主体"]) == [
        "河南蒲瑞精密机械有限公司", "长垣市齿传重工有限公司", "长垣市豫能综合能源有限公司", "河南源宏高分子新材料有限公司",
    ]
    assert list(p["建设期限"]) == ["2023.01—2024.12", "2022.03—2024.12", "2022.08—2024.12", "2022.03—2023.12"]
    # the structured columns agree with the Chinese text they were read from
    text1 = p.loc[0, "建设内容和规模"]
    assert "约137亩" in text1 and "67742平方米" in text1
    assert p.loc[0, "land_need_mu"] == 137
    assert p.loc[0, "land_need_m2"] == pytest.approx(137 * 10_000 / 15, abs=0.01)
    assert p.loc[0, "new_floor_area_m2"] == 67742
    assert "393830平方米" in p.loc[1, "建设内容和规模"] and p.loc[1, "floor_area_m2"] == 393830
    assert "20万千瓦" in p.loc[2, "建设内容和规模"] and p.loc[2, "capacity_mw"] == 200
    # project 4's benefit is split over two lines in the seed; stored joined
    assert p.loc[3, "效益"].startswith("项目建成后，年可回收废弃的PET瓶片32900吨")
    assert list(p["period_start"]) == ["2023-01", "2022-03", "2022-08", "2022-03"]
    assert p["name_en"].str.len().min() > 10


@pytest.mark.skipif(not SEED.exists(), reason="seed text only present in the planning workspace")
def test_projects_table_is_verbatim_seed_text():
    from cyc_geo.planning.projects import load_projects

    seed = SEED.read_text(encoding="utf-8")
    block = seed[seed.index("重点项目表") :]
    for _, row in load_projects().iterrows():
        for col in ("项目名称", "建设内容和规模", "建设主体", "建设期限"):
            assert row[col] in block, (row["序号"], col)
        for piece in re.split(r"(?<=PET)", row["效益"]):
            assert piece in block
    assert re.search(r"合计\t+214000", block)


# ---------------------------------------------------------------- demo sites


def test_demo_sites_are_plausible_parcels(proj_env):
    from cyc_geo.places.belt import load_belt
    from cyc_geo.places.county import county_geometry_area_crs
    from cyc_geo.planning.projects import load_devzone, load_project_sites

    sites = load_project_sites()
    assert list(sites["project_no"]) == [1, 2, 3, 4]
    assert sites["demo"].all() and sites.attrs["meta"]["demo"] == "true"
    assert sites.crs.to_epsg() == 4326
    m = sites.to_crs(AREA_CRS).set_index("project_no").geometry
    zone = load_devzone().to_crs(AREA_CRS)
    crane = zone.loc[zone["part"] == "crane"].geometry.iloc[0]
    north = zone.loc[zone["part"] == "north"].geometry.iloc[0]
    assert m[1].area / M2_PER_MU == pytest.approx(137, rel=0.01)  # stated: about 137 亩
    assert crane.contains(m[1])
    assert m[2].intersects(crane) and not crane.contains(m[2])  # beside the park, astride its edge
    assert north.contains(m[4])
    county = county_geometry_area_crs()
    belt = load_belt().to_crs(AREA_CRS).geometry.union_all()
    for no in (1, 2, 4):
        assert county.contains(m[no]) and not m[no].intersects(belt)
    row3 = sites.set_index("project_no").loc[3]
    assert row3["site_kind"] == "footprint"  # rooftops switched off in this module
    assert m[3].area == pytest.approx(county.area, rel=0.01)


def test_project3_is_the_set_of_roofs(proj_env, data_dir, monkeypatch):
    """The project layers are built here, from the three roofs below: an empty data folder and database
    (``data_dir``), not the module's copy of the demo county."""
    import cyc_geo.planning.projects as projects
    import cyc_geo.pv.rooftops as rooftops

    roofs = gpd.GeoDataFrame(
        {"roof_id": [1, 2, 3]},
        geometry=[
            box(560_000, 3_890_000, 560_020, 3_890_010),
            box(560_100, 3_890_000, 560_110, 3_890_010),
            box(561_000, 3_891_000, 561_030, 3_891_030),
        ],
        crs=AREA_CRS,
    ).to_crs(WGS84)
    monkeypatch.setattr(rooftops, "load_rooftops", lambda: roofs)
    geom, note, area = roof_site_unpatched()
    assert len(shapely.get_parts(geom)) == 3 and "3 roofs" in note and area == pytest.approx(1200, abs=0.01)
    monkeypatch.setattr(projects, "_roof_site", roof_site_unpatched)
    sites = projects.load_project_sites().set_index("project_no")
    assert sites.loc[3, "site_kind"] == "rooftops"
    assert sites.loc[3, "area_m2"] == pytest.approx(200 + 100 + 900, abs=0.01)
    # the map layer draws the light township footprint instead of the roofs, but its area is the roofs'
    layer = projects.load_project_layer().set_index("project_no")
    assert layer.to_crs(AREA_CRS).geometry.area.loc[3] > 1e9
    assert layer.loc[3, "area_m2"] == pytest.approx(1200, abs=0.01)
    # checked as project 3, roofs are existing buildings: no new land needed
    from cyc_geo.planning.landcheck import check_site

    r = check_site(sites.loc[[3]].reset_index()[["geometry"]].set_crs(WGS84), 3)
    assert r.area_m2 == pytest.approx(1200, abs=0.01)
    assert r.finding("land_need").level == "ok"


# ---------------------------------------------------------------- edits


def test_edited_site_is_persisted_and_reloaded(fresh_db):
    from cyc_geo.planning.projects import load_project_sites, reset_project_site, save_project_site, site_history

    new_site = gpd.GeoDataFrame(geometry=[box(562_100, 3_885_900, 562_400, 3_886_200)], crs=AREA_CRS).to_crs("EPSG:3857")
    conn = db.connect()
    assert save_project_site(conn, 1, new_site, "alice", "drawn") == 1
    conn.close()

    conn2 = db.connect()  # a new connection, as after a restart
    sites = load_project_sites(conn2).set_index("project_no")
    assert sites.loc[1, "source"] == "drawn" and not sites.loc[1, "demo"]
    assert sites.loc[1, "version"] == 1 and sites.loc[1, "updated_by"] == "alice"
    assert sites.loc[1, "updated_at"]
    assert sites.loc[1, "area_m2"] == pytest.approx(90_000.0, abs=1.0)
    assert sites.loc[2, "demo"]  # others untouched
    trail = db.audit_trail(conn2, "project_site")
    assert trail[0]["actor"] == "alice" and trail[0]["action"] == "update" and trail[0]["old_value"] is None

    # a second process (restart) sees the same saved site
    code = (
        "import cyc_geo.planning.projects as p; p._roof_site = lambda roofs=None: None; "  # as in this module's fixture
        "s = p.load_project_sites().set_index('project_no'); "
        "print(s.loc[1, 'source'], s.loc[1, 'version'], round(s.loc[1, 'area_m2']))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["drawn", "1", "90000"], out.stderr[-2000:]

    site = gpd.GeoDataFrame(geometry=[box(562_100, 3_885_900, 562_300, 3_886_200)], crs=AREA_CRS)
    assert save_project_site(conn2, 1, site, "bob", "upload") == 2
    trail = db.audit_trail(conn2, "project_site")
    assert trail[0]["actor"] == "bob" and json.loads(trail[0]["old_value"])["version"] == 1
    assert list(site_history(conn2, 1)["actor"]) == ["bob", "alice"]

    assert reset_project_site(conn2, 1, "carol") is True
    assert load_project_sites(conn2).set_index("project_no").loc[1, "demo"]
    assert db.audit_trail(conn2, "project_site")[0]["action"] == "reset"
    assert reset_project_site(conn2, 1, "carol") is False
    conn2.close()


def test_saving_repairs_and_rejects_bad_sites(fresh_db):
    from cyc_geo.planning.projects import load_project_sites, save_project_site

    conn = db.connect()
    x, y = 562_000, 3_886_000
    bowtie = gpd.GeoDataFrame(geometry=[Polygon([(x, y), (x + 200, y + 200), (x + 200, y), (x, y + 200)])], crs=AREA_CRS)
    save_project_site(conn, 4, bowtie, "alice")
    saved = load_project_sites(conn).set_index("project_no").loc[4]
    assert saved["area_m2"] == pytest.approx(20_000.0, abs=1.0)  # two 10,000 m² triangles
    with pytest.raises(ValueError):
        save_project_site(conn, 1, bowtie, "")
    with pytest.raises(KeyError):
        save_project_site(conn, 7, bowtie, "alice")
    with pytest.raises(ValueError, match="no polygon"):
        save_project_site(conn, 1, gpd.GeoDataFrame(geometry=[shapely.Point(x, y)], crs=AREA_CRS), "alice")
    assert [r["project_no"] for r in conn.execute("SELECT project_no FROM project_sites")] == [4]
    assert len(db.audit_trail(conn, "project_site")) == 1
    conn.close()


def test_site_from_drawn_geojson():
    from cyc_geo.planning.projects import site_from_geojson

    feat = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [[[114.70, 35.13], [114.71, 35.13], [114.71, 35.14],
                                                  [114.70, 35.14], [114.70, 35.13]]]},
    }
    site = site_from_geojson(feat)
    assert site.crs.to_epsg() == 4326 and len(site) == 1
    # 0.01 degree square at 35.135 N: about 911 m (E-W) x 1109 m (N-S)
    assert site.to_crs(AREA_CRS).area.iloc[0] == pytest.approx(911 * 1109, rel=0.01)
    assert len(site_from_geojson([feat, feat])) == 1


def test_read_site_file_keeps_crs_and_rejects_bad_files(tmp_path):
    from cyc_geo.planning.projects import read_site_file

    g = gpd.GeoDataFrame({"n": [1]}, geometry=[box(562_000, 3_886_000, 562_100, 3_886_100)], crs=AREA_CRS).to_crs("EPSG:3857")
    g.to_file(tmp_path / "s.gpkg")
    back = read_site_file(tmp_path / "s.gpkg")
    assert back.crs.to_epsg() == 3857
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(114.7, 35.1)], crs=WGS84)
    pts.to_file(tmp_path / "p.geojson")
    with pytest.raises(ValueError, match="no polygon"):
        read_site_file(tmp_path / "p.geojson")
    (tmp_path / "junk.geojson").write_text("not json")
    with pytest.raises(ValueError, match="cannot read"):
        read_site_file(tmp_path / "junk.geojson")
    with pytest.raises(FileNotFoundError):
        read_site_file(tmp_path / "missing.gpkg")


# ---------------------------------------------------------------- CLI


def test_cli_land_check_and_projects(proj_env, fresh_db, tmp_path, capsys):
    from cyc_geo.cli import main

    site = gpd.GeoDataFrame(geometry=[box(562_000, 3_885_800, 562_320, 3_886_085)], crs=AREA_CRS).to_crs("EPSG:3857")
    site.to_file(tmp_path / "site.gpkg")
    assert main(["land-check", "--site", str(tmp_path / "site.gpkg"), "--project", "1", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["area_m2"] == pytest.approx(320 * 285, abs=2)
    assert r["area_mu"] == pytest.approx(320 * 285 / M2_PER_MU, abs=0.01)
    assert r["area_ha"] == pytest.approx(9.12, abs=0.001)
    assert [t["name"] for t in r["townships"]] == ["魏庄街道"]
    layers = {f["layer"]: f for f in r["findings"]}
    assert {"county", "townships", "belt", "forest", "project_sites", "devzone", "land_need"} <= set(layers)
    for f in r["findings"]:
        assert set(f) >= {"level", "layer", "overlap_m2", "reason_zh", "reason_en"}
    assert layers["devzone"]["level"] == "ok" and layers["land_need"]["level"] == "ok"
    # the synthetic 1-ha forest patch lies wholly inside the parcel: all its 12 t CO2/yr are lost
    assert layers["forest"]["level"] == "warning"
    assert layers["forest"]["overlap_m2"] == pytest.approx(10_000, abs=1)
    assert r["sink_lost_t_co2_yr"] == pytest.approx(12.0, abs=0.01)
    # same parcel as the demo site of project 1 -> checked as project 2 it overlaps project 1 completely
    assert main(["land-check", "--site", str(tmp_path / "site.gpkg"), "--project", "2", "--json"]) == 0
    r2 = json.loads(capsys.readouterr().out)
    ps = next(f for f in r2["findings"] if f["layer"] == "project_sites")
    assert ps["level"] == "conflict" and ps["details"]["projects"] == [1]
    assert ps["overlap_m2"] == pytest.approx(320 * 285, abs=2)

    assert main(["land-check", "--site", str(tmp_path / "nope.geojson")]) == 2
    assert "not found" in capsys.readouterr().err

    assert main(["projects", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["序号"] for r in rows] == [1, 2, 3, 4]
    assert sum(r["投资规模(万元)"] for r in rows) == 214000
    assert rows[0]["site"]["source"] == "demo" and rows[0]["site"]["demo"] is True
    assert all(r["land_check"]["status"] in {"ok", "warning", "conflict"} for r in rows)
    # project 2's demo parcel is astride the development-zone edge: a warning about the zone
    assert any(i["layer"] == "devzone" for i in rows[1]["land_check"]["issues"])


# ---------------------------------------------------------------- reports


def test_reports_excel_html_and_summary(proj_env, fresh_db, tmp_path):
    from cyc_geo.planning.report import cjk_font_family, project_report, summary_table, write_project_reports

    rep = project_report(1)
    assert rep["png"][:8] == b"\x89PNG\r\n\x1a\n"
    wb = openpyxl.load_workbook(io.BytesIO(rep["xlsx"]))
    # issue 27: + the site's 三调 地类 breakdown
    assert wb.sheetnames == ["项目 Project", "核查 Findings", "地类 Land use", "乡镇 Townships", "地图 Map"]
    findings = list(wb["核查 Findings"].iter_rows(min_row=2, values_only=True))
    assert len(findings) == len(rep["result"].findings)
    assert {row[0] for row in findings} <= {"info", "ok", "warning", "conflict"}
    values = {r[0]: r[1] for r in wb["项目 Project"].iter_rows(min_row=2, values_only=True)}
    assert values["项目名称"] == "低碳智能装备产业园年产100万套传动零部件项目"
    assert values["地块面积 (亩)"] == pytest.approx(136.8, abs=0.01)
    assert "data:image/png;base64," in rep["html"] and "136.8 亩" in rep["html"]
    assert "河南蒲瑞精密机械有限公司" in rep["html"]
    assert cjk_font_family() is None or cjk_font_family().startswith(("Noto", "Source", "WenQuanYi"))

    written = write_project_reports(tmp_path / "out", [1, 2])
    assert sorted(p.name for p in written) == sorted(
        [f"project_{n}.{e}" for n in (1, 2) for e in ("xlsx", "html")] + ["summary.xlsx", "summary.html"]
    )
    summary = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["汇总 Summary"]
    cells = list(summary.iter_rows(values_only=True))
    assert cells[0][0] == "重点项目用地核查汇总"
    head = next(i for i, r in enumerate(cells) if r[0] == "序号")
    rows = cells[head + 1: head + 5]
    assert [r[0] for r in rows] == [1, 2, 3, 4]  # every project is listed, checked or not
    assert sum(r[4] for r in rows) == 214000
    assert rows[0][10] in {"ok", "warning", "conflict"} and rows[3][10] in (None, "")  # not checked
    table = summary_table([rep["result"]])
    assert table.loc[0, "地块面积(亩)"] == pytest.approx(136.8, abs=0.01)
    assert table.loc[1, "核查结论 status"] == ""  # no result given for project 2


# ---------------------------------------------------------------- page


def test_projects_page_renders_and_gates_edits(proj_env, fresh_db):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cyc_geo.planning.projects import save_project_site

    conn = db.connect()
    save_project_site(conn, 1, gpd.GeoDataFrame(geometry=[box(562_000, 3_885_800, 562_300, 3_886_100)], crs=AREA_CRS), "alice")
    conn.close()
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(REPO / "views" / "projects.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    metrics = [m.value for m in at.metric]
    assert "90,000" in metrics and "135.0" in metrics  # the saved 300 m x 300 m site of project 1
    assert any("版" in m.value and "alice" in m.value for m in at.markdown)
    assert any("演示数据" in w.value for w in at.warning)
    assert any("登录" in i.value for i in at.info)  # anonymous: edits need sign-in
    assert not [b for b in at.button if "恢复" in b.label]
    levels = [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    assert any("经开区" in v for v in levels)  # the development-zone check, named in words
    map_el = at.get("component_instance")
    assert map_el and "leaflet-draw" in map_el[0].proto.json_args and "cdnjs" not in map_el[0].proto.json_args

    # a drawn rectangle (st_folium's value, keyed by its hash key) is checked but not savable anonymously
    drawn = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [[[114.70, 35.13], [114.705, 35.13], [114.705, 35.135],
                                                  [114.70, 35.135], [114.70, 35.13]]]},
    }
    at.session_state[map_el[0].key] = {"last_active_drawing": drawn}
    at.run()
    assert not at.exception
    assert "绘制地块预检" in [h.value for h in at.subheader]
    assert not [b for b in at.button if "保存" in b.label]

    at.session_state["cyc_auth"] = {"user": "bob", "expires": 4.0e9}
    at.run()
    assert not at.exception
    assert not any("登录" in i.value for i in at.info)
    save = [b for b in at.button if b.label == "保存为项目 1 的地块"]
    assert save
    save[0].click().run()
    assert not at.exception
    assert any("第 2 版" in s.value and "bob" in s.value for s in at.success)
    conn = db.connect()
    row = conn.execute("SELECT version, updated_by, source FROM project_sites WHERE project_no = 1").fetchone()
    assert tuple(row) == (2, "bob", "drawn")
    conn.close()

    reset = [b for b in at.button if "恢复" in b.label]
    assert reset
    reset[0].click().run()
    assert not at.exception
    conn = db.connect()
    assert conn.execute("SELECT COUNT(*) FROM project_sites").fetchone()[0] == 0
    assert [r["actor"] for r in db.audit_trail(conn, "project_site")] == ["bob", "bob", "alice"]
    conn.close()
    st.cache_resource.clear()  # do not leave a connection to this test's database cached
    st.cache_data.clear()


def test_every_project_can_be_picked_in_both_languages(proj_env, fresh_db):
    """Picking each 附件2 project draws its check and its map: project 3's site is its roofs, which has no parcel to
    centre on (``site_focus`` gives no centre), and picking it raised ``TypeError: 'NoneType' object is not
    subscriptable`` in the map's view key (a planner's click-through found it)."""
    import streamlit as st

    from cyc_geo.planning.projects import load_projects
    from tests.conftest import app_test

    st.cache_resource.clear()
    st.cache_data.clear()
    for lang in ("zh", "en"):  # a new session per language, as a planner's browser opening the page in it
        at = app_test("views/projects.py", timeout_s=180)
        at.session_state["lang"] = lang
        at.run()
        assert not at.exception, (lang, at.exception)
        for no in load_projects()["序号"].astype(int):
            at.selectbox(key="projects_selected").set_value(no).run()
            assert not at.exception, (lang, no, at.exception)
            assert at.selectbox(key="projects_selected").value == no
            assert at.get("component_instance"), (lang, no)  # the map is drawn
