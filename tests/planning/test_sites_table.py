"""The priority-projects page's values (cyc_geo.planning.sites_table), against a temporary database."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from cyc_geo import db
from cyc_geo.planning import sites_table as st_
from cyc_geo.planning.site import Finding, LandCheck, Township

RESULT = LandCheck(
    project_no=None, site_type="other", rooftop=False, area_m2=90_000.0, area_ha=9.0, area_mu=135.0,
    townships=[Township(f"{i}", f"镇{i}", f"Town {i}", 1.0, 0.1) for i in range(7)],
    findings=[
        Finding.of("ok", "county", 0.0, 0.0, "在市域内", "inside the county"),
        Finding.of("conflict", "devzone", 0.0, 0.0, "占用", "overlaps"),
        Finding.of("warning", "forest", 0.0, 0.0, "林地", "forest", sink_lost_t_co2_yr=12.04),
    ],
    repaired=False, crs_in="EPSG:4547",
)


def test_sites_key_changes_with_saved_sites(data_dir):
    conn = db.connect()
    assert st_.sites_key(conn) == ()
    with db.transaction(conn):
        conn.execute("INSERT INTO project_sites VALUES (2, '{}', 'drawn', 1, 'alice', '2026-01-01T00:00:00+00:00')")
        conn.execute("INSERT INTO project_sites VALUES (1, '{}', 'upload', 3, 'bob', '2026-01-02T00:00:00+00:00')")
    first = st_.sites_key(conn)
    assert first == ((1, 3, "2026-01-02T00:00:00+00:00"), (2, 1, "2026-01-01T00:00:00+00:00"))
    with db.transaction(conn):
        conn.execute("UPDATE project_sites SET version = 2, updated_at = 'later' WHERE project_no = 2")
    assert st_.sites_key(conn) != first and hash(st_.sites_key(conn))  # hashable: a cache key
    conn.close()


def test_shown_summary_icons_and_land_need_text():
    table = pd.DataFrame({"核查结论 status": ["conflict", "ok", ""], "用地需求(亩)": [1234.4, None, 5.0]})
    show = st_.shown_summary(table)
    assert list(show["核查结论 status"]) == ["✖ conflict", "✔ ok", " "]
    assert list(show["用地需求(亩)"]) == ["1,234", "—", "5"]
    assert table["用地需求(亩)"].iloc[0] == 1234.4  # the input is not changed



def test_a_number_column_with_gaps_is_shown_as_rounded_text_the_browser_can_take():
    """The summary's 地块面积 (亩) is empty for the rooftop project: its numbers are shown as text rounded for
    亩 (1 decimal) beside "—", and the frame converts to Arrow (a float column holding "—" did not)."""
    import pyarrow as pa

    table = pd.DataFrame({"序号": [1, 2, 3], "地块面积(亩)": [1234.5678, None, 5.0],
                          "地块面积(ha)": [82.30452, float("nan"), 0.333], "投资规模(万元)": [1000.0, 2500.5, 3.25]})
    show = st_.labelled(table, "zh")
    assert list(show["地块面积 (亩)"]) == ["1,234.6", "—", "5.0"]
    assert list(show["地块面积 (ha)"]) == ["82.3", "—", "0.33"]
    assert list(show["投资规模 (万元)"]) == [1000.0, 2500.5, 3.25]  # no gap: numbers stay numbers
    assert list(show["序号"]) == [1, 2, 3]
    pa.Table.from_pandas(show)  # raised ArrowInvalid ("Could not convert '—' ... tried to convert to double")

def test_project_names_in_both_languages():
    projects = pd.DataFrame({"序号": ["1", "2"], "项目名称": ["光伏", "林地"], "name_en": ["PV", "Forest"]})
    assert st_.project_names(projects, "zh") == {1: "光伏", 2: "林地"}
    assert st_.project_names(projects, "en") == {1: "PV", 2: "Forest"}


def test_site_focus_only_on_parcels():
    sites = gpd.GeoDataFrame(
        {"project_no": [1, 3], "site_kind": ["parcel", "rooftops"]},
        geometry=[box(114.70, 35.10, 114.72, 35.14), box(114.6, 35.0, 114.9, 35.3)],
        crs="EPSG:4326",
    )
    (lat, lon), zoom = st_.site_focus(sites, 1)
    assert (round(lat, 5), round(lon, 5), zoom) == (35.12, 114.71, st_.PARCEL_ZOOM)
    assert st_.site_focus(sites, 3) == (None, None)
    assert st_.site_focus(sites, 99) == (None, None)


def test_site_state_demo_and_saved():
    demo = pd.Series({"source": "demo", "demo": True, "version": 0, "updated_by": "", "updated_at": ""})
    assert st_.site_state(demo, "zh") == "**当前地块**：来源：演示（演示）"
    assert st_.site_state(demo, "en") == "**Current site**: source: demo (demo)"
    saved = pd.Series({"source": "drawn", "demo": False, "version": 2, "updated_by": "bob",
                       "updated_at": "2026-11-30T16:06:57+00:00"})
    assert st_.site_state(saved, "zh") == "**当前地块**：来源：绘制，第 2 版，bob，2026-12-01 00:06"
    assert st_.site_state(saved, "en") == "**Current site**: source: drawn, version 2, bob, 2026-12-01 00:06"
    upload = saved.copy()
    upload["source"], upload["updated_by"] = "upload", "**x**"
    assert st_.site_state(upload, "zh") == r"**当前地块**：来源：上传，第 2 版，\*\*x\*\*，2026-12-01 00:06"


def test_findings_most_severe_first_in_the_language():
    lines = st_.finding_lines(RESULT, "en")
    assert [level for level, _ in lines] == ["conflict", "warning", "ok"]
    assert lines[0][1] == "✖ **conflict** · development zone — overlaps"
    assert st_.finding_lines(RESULT, "zh")[2][1] == "✔ **通过** · 市域范围 — 在市域内"


def test_area_figures_and_townships():
    assert st_.area_figures(RESULT, "zh") == [
        ("面积 (m²)", "90,000"), ("面积 (亩)", "135.0"), ("面积 (公顷)", "9.00"), ("碳汇损失 (t CO2/年)", "12.0"),
    ]
    assert st_.area_figures(RESULT, "en")[1] == ("Area (mu)", "135.0")
    assert st_.township_line(RESULT, "zh") == "所在乡镇：镇0、镇1、镇2、镇3、镇4、镇5…"
    assert st_.township_line(dataclasses.replace(RESULT, townships=RESULT.townships[:2]), "en") == "Townships: Town 0, Town 1"
    assert st_.township_line(dataclasses.replace(RESULT, townships=[]), "en") == "Townships: —"


def test_names_from_planner_files_stay_text_in_the_markdown_lines():
    """Township, project and parcel names come from planner files: the lines given to st.caption / st.info show
    them as text, never as a link, emphasis or HTML."""
    hostile = "[x](javascript:alert(1)) **b** <img src=x onerror=alert(1)>"
    result = dataclasses.replace(RESULT, townships=[Township("1", hostile, hostile, 1.0, 0.1)], findings=[
        Finding.of("warning", "project_sites", 0.0, 0.0, f"与项目 2（{hostile}）重叠", f"overlaps project 2 ({hostile})")])
    escaped = r"\[x\]\(javascript\:alert\(1\)\) \*\*b\*\* \<img src\=x onerror\=alert\(1\)\>"
    assert st_.township_line(result, "zh") == "所在乡镇：" + escaped
    assert st_.township_line(result, "en") == "Townships: " + escaped
    (level, line), = st_.finding_lines(result, "en")
    assert line == st_.LEVEL_ICON["warning"] + rf" **warning** · other project sites — overlaps project 2 \({escaped}\)"


def test_level_marks_are_text_glyphs_a_text_font_carries():
    """Issue 29: ⛔ (and ✅) drew as empty boxes on a machine without an emoji font."""
    from pathlib import Path

    import matplotlib
    from fontTools.ttLib import TTFont

    cmap = TTFont(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf").getBestCmap()
    for level, mark in st_.LEVEL_ICON.items():
        assert mark and all(ord(ch) in cmap for ch in mark), (level, mark)


def test_land_check_map_legend_always_shows_the_overlap_colours_and_cropland_is_drawn():
    """Issue 29: the land-check map legend lacked the 注意/冲突 colours and cropland."""
    from cyc_geo.planning.compliance import CONFLICT_COLOURS

    for lang, warn, conf in (("zh", "注意区域", "冲突区域"), ("en", "Warning area", "Conflict area")):
        rows = st_.checked_site_rows(lang)
        by_label = {label.split("（")[0].split(" (")[0]: colour for _, colour, label in rows}
        assert by_label[warn] == st_.AREA_COLOURS["warning"] and by_label[conf] == st_.AREA_COLOURS["conflict"]
    assert CONFLICT_COLOURS == st_.AREA_COLOURS  # the report map uses the page's colours
    ids = st_.CONTEXT_LAYER_IDS
    assert "cropland" in ids and ids.index("cropland") < ids.index("farmland")  # under the farmland it contains
