"""A second county from its profile alone: 封丘县 (410727, the bundled county's western neighbour).

The profile is a temporary folder with a ``county.toml`` and a five-row township table written here
(approximate seats, GCJ-02); no plan targets, no projects; the climate table is the bundled one
(the neighbour's monthly means are the same regional values). Every command runs through the CLI in
a fresh process with ``--county <folder>``, without ``CYC_GEO_DATA_DIR``: the built data must land
in ``<folder>/data``, not in the bundled county's data folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.county import read_cnmaps_outline
from cyc_geo.places.profile import DEFAULT_DIR, read_profile

REPO = Path(__file__).resolve().parents[2]

TOWNSHIPS = """code,name,type,seat_lon_gcj02,seat_lat_gcj02,seat_quality
410727100000,城关镇,镇,114.42,35.04,estimated
410727101000,黄陵镇,镇,114.30,35.08,estimated
410727102000,荆隆宫乡,乡,114.45,34.93,estimated
410727103000,陈固镇,镇,114.62,35.10,estimated
410727104000,赵岗镇,镇,114.60,34.98,estimated
"""
CODES = {line.split(",")[0] for line in TOWNSHIPS.splitlines()[1:]}

SITE = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
    "type": "Polygon",
    "coordinates": [[[114.50, 35.10], [114.502, 35.10], [114.502, 35.1018], [114.50, 35.1018], [114.50, 35.10]]]}}]}
"""About 180 m x 200 m (3.6 ha) between the 陈固 and 城关 seats, well inside 封丘."""


def _profile_toml() -> str:
    climate = read_profile(DEFAULT_DIR.resolve()).climate
    return f'''adcode = "410727"
name_zh = "封丘县"
short_zh = "封丘"
name_en = "Fengqiu"
full_en = "Fengqiu County"
centre = [35.04, 114.42]
townships = "townships.csv"
climate = "{climate}"

[[neighbours]]
adcode = "410212"
name = "祥符区"
river_edge = true

[[neighbours]]
adcode = "410225"
name = "兰考县"
river_edge = true

[[neighbours]]
adcode = "410725"
name = "原阳县"
river_edge = false
'''


def _cli(folder: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CYC_GEO_DATA_DIR", "CYC_GEO_DB", "CYC_GEO_COUNTY")}
    env["CYC_GEO_RESULTS"] = "0"
    done = subprocess.run([sys.executable, "-m", "cyc_geo", "--county", str(folder), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    if ok:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def fengqiu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 封丘 profile folder, its data built (``data build``)."""
    folder = tmp_path_factory.mktemp("fengqiu")
    (folder / "county.toml").write_text(_profile_toml(), encoding="utf-8")
    (folder / "townships.csv").write_text(TOWNSHIPS, encoding="utf-8")
    (folder / "site.geojson").write_text(json.dumps(SITE), encoding="utf-8")
    _cli(folder, "data", "build", "--json")
    return folder


def test_data_build_writes_the_county_from_its_outline_into_its_own_folder(fengqiu):
    area_km2 = float(read_cnmaps_outline("410727").to_crs(AREA_CRS).area.iloc[0]) / 1e6
    assert 1150 < area_km2 < 1300  # 封丘 (~1,220 km²), not the bundled county (~1,050 km²)
    towns = json.loads(_cli(fengqiu, "townships", "--json").stdout)
    assert {t["code"] for t in towns} == CODES
    assert sum(t["area_km2"] for t in towns) == pytest.approx(area_km2, rel=1e-3)
    assert all(t["area_km2"] > 20 for t in towns)  # the demo partition gives every seat a real cell
    assert (fengqiu / "data" / "boundaries" / "county.gpkg").exists()
    assert (fengqiu / "data" / "generated" / "townships_demo.gpkg").exists()


def test_layers_lists_the_county_and_no_projects(fengqiu):
    layers = {row["id"]: row for row in json.loads(_cli(fengqiu, "layers", "--json").stdout)}
    minx, miny, maxx, maxy = layers["county"]["bounds"]
    assert 114.2 < minx < 114.3 and 114.7 < maxx < 114.8 and 34.85 < miny < 34.9 and 35.2 < maxy < 35.25
    assert layers["townships"]["features"] == 5
    assert (layers["county"]["title_zh"], layers["county"]["title_en"]) == ("封丘县界", "Fengqiu County boundary")
    assert layers["rooftops"]["features"] > 10_000
    assert layers["belt"]["features"] == 2  # derived from the edge shared with the river neighbours
    assert layers["projects"]["features"] == 0
    rminx, rminy, rmaxx, rmaxy = layers["rooftops"]["bounds"]
    assert minx <= rminx and rmaxx <= maxx and miny <= rminy and rmaxy <= maxy


def test_pv_estimate_gives_the_potential_and_no_plan_goals(fengqiu):
    out = json.loads(_cli(fengqiu, "pv", "estimate", "--json").stdout)
    assert out["capacity_mw"] > 0 and out["annual_gwh"] > 0 and out["roofs"] > 0
    assert 900 < out["specific_yield"] < 1400
    assert out["goal_mw"] is None and out["project_mw"] is None and out["share_of_project_mw"] is None
    assert {t["code"] for t in out["by_township"]} == CODES


def test_carbon_gives_the_forest_and_no_plan_sink(fengqiu):
    out = json.loads(_cli(fengqiu, "carbon", "--json").stdout)
    assert out["forest_area_ha"] > 0 and out["gross_sink_t_co2"] > 0
    assert out["net_sink_t_co2"] is None and out["plan_sink_t_co2"] == {} and out["plan_stock_m3"] == {}
    assert "has no plan" in out["net_sink_definition"]
    assert {t["code"] for t in out["by_township"]} == CODES


def test_land_check_of_a_site_inside_names_the_county(fengqiu):
    out = json.loads(_cli(fengqiu, "land-check", "--site", str(fengqiu / "site.geojson"), "--json").stdout)
    county = next(f for f in out["findings"] if f["layer"] == "county")
    assert county["level"] == "ok"
    assert county["reason_zh"] == "地块全部位于封丘县域内"
    assert county["reason_en"] == "The site lies entirely inside Fengqiu County"
    assert 30_000 < out["area_m2"] < 45_000
    assert {t["code"] for t in out["townships"]} <= CODES and out["townships"]


@pytest.mark.parametrize("args", [("indicators", "--json"), ("pv", "progress", "--json")])
def test_commands_that_need_plan_targets_say_there_are_none(fengqiu, args):
    done = _cli(fengqiu, *args, ok=False)
    assert done.returncode == 2
    assert "封丘县的县域配置没有" in done.stderr and "Fengqiu County has no" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_folder_without_a_profile_is_refused(tmp_path):
    done = _cli(tmp_path, "layers", ok=False)
    assert done.returncode == 2
    assert "no county profile" in done.stderr and "Traceback" not in done.stderr


def test_downloads_are_named_after_the_county(fengqiu):
    assert read_profile(fengqiu).slug == "fengqiu"  # views name their files f"{slug}_map.html", ...
    assert read_profile(DEFAULT_DIR.resolve()).slug == "changyuan"
