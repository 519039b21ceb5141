"""The rooftop PV page (views/pv.py) through Streamlit's AppTest, with an isolated database.

Uses the repository's demo rooftops (built on first use) and a temporary SQLite file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cyc_geo import db
from cyc_geo.pv import aggregation, scenarios
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import Scenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pv_app.sqlite"
    monkeypatch.setenv("CYC_GEO_DB", str(path))
    monkeypatch.chdir(REPO)
    _restart()
    return path


def _restart() -> None:
    """Forget process-wide Streamlit caches (as a server restart would), keeping files on disk."""
    from ui.common import database

    database.clear()


def _page() -> AppTest:
    return AppTest.from_file(str(REPO / "views" / "pv.py"), default_timeout=240)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page with ``column`` (the page also shows the ledger and a ranking)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _editor(at: AppTest, user: str = "alice", ttl: float = 3600) -> None:
    at.session_state["cyc_auth"] = {"user": user, "expires": time.time() + ttl}


def test_page_renders_demo_numbers(fresh_db):
    at = _page().run()
    assert not at.exception, [e.value for e in at.exception]
    from cyc_geo.pv.rooftops import load_rooftops

    roofs = load_rooftops()
    expected = aggregation.summary(pv.estimate(pd.DataFrame(roofs.drop(columns="geometry"))))
    assert _metric(at, "潜力装机容量") == f"{expected['capacity_mw']:,.1f} MW"
    assert _metric(at, "计入屋顶") == f"{expected['roofs']:,}"
    assert any("演示数据" in w.value for w in at.warning)
    table = _table(at, "潜力装机 (MW)")
    assert len(table) == 18
    assert table["潜力装机 (MW)"].sum() == pytest.approx(expected["capacity_mw"], rel=1e-3)
    # anonymous visitors cannot save
    assert at.button(key="pv_save").disabled


def test_inputs_change_results_and_survive_reload(fresh_db):
    at = _page().run()
    before = _metric(at, "潜力装机容量")
    at.slider(key="pv_adopt_rural").set_value(5).run()
    assert _metric(at, "潜力装机容量") != before
    link = at.query_params["pv"]
    link = link[0] if isinstance(link, list) else link
    assert json.loads(link)["adoption"]["rural"] == 0.05
    # a browser reload is a new session: the inputs come back from the URL
    again = _page()
    again.query_params["pv"] = link
    again.run()
    assert again.slider(key="pv_adopt_rural").value == 5
    assert _metric(again, "潜力装机容量") == _metric(at, "潜力装机容量")
    # after another page ran, widget state is gone but the canonical state restores it
    third = _page()
    third.session_state["pv_state"] = Scenario(min_roof_m2=123.0).to_dict()
    third.run()
    assert third.number_input(key="pv_min_roof").value == 123.0
    # a damaged link falls back to the defaults with a warning, never a crash
    bad = _page()
    bad.query_params["pv"] = "{not json"
    bad.run()
    assert not bad.exception and bad.slider(key="pv_adopt_rural").value == 20


def test_saved_scenario_survives_restart(fresh_db):
    at = _page()
    _editor(at)
    at.run()
    assert not at.button(key="pv_save").disabled
    at.slider(key="pv_adopt_rural").set_value(35).run()
    at.text_input(key="pv_save_name").input("方案A").run()
    at.button(key="pv_save").click().run()
    assert any("方案A" in s.value for s in at.success), [e.value for e in at.error]
    conn = db.connect(fresh_db)
    assert scenarios.load_scenario(conn, "方案A").adoption["rural"] == 0.35
    assert db.audit_trail(conn, scenarios.ENTITY)[0]["actor"] == "alice"
    conn.close()

    _restart()  # the server restarts: new process-wide caches, same database file
    later = _page().run()
    assert any("方案A" in c.value for c in later.caption)  # the last saved scenario is offered
    assert later.slider(key="pv_adopt_rural").value == 20
    later.button(key="pv_load").click().run()
    assert later.slider(key="pv_adopt_rural").value == 35
    assert not later.exception


def test_expired_session_cannot_save(fresh_db):
    at = _page()
    _editor(at, ttl=-10)
    at.run()
    assert at.button(key="pv_save").disabled
    conn = db.connect(fresh_db)
    assert scenarios.list_scenarios(conn) == []
    conn.close()


def test_roofs_geopackage_download_matches_township_table(fresh_db, tmp_path, monkeypatch):
    import geopandas as gpd

    at = _page()
    at.session_state["pv_state"] = Scenario(townships=("410783108000",)).to_dict()  # 张三寨镇 only
    at.run()
    assert not at.exception
    monkeypatch.setenv("CYC_GEO_DOWNLOADS_DIR", str(tmp_path / "downloads"))
    at.button(key="pv_make_gpkg").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # a static, content-named file linked from the page (cyc_geo.exports.static_files; issue 29 item 3)
    from cyc_geo.exports import static_files

    url = at.session_state["pv_gpkg_url"]
    assert any(f'href="{url}" download="pv_roofs.gpkg"' in m.value for m in at.markdown)
    data = static_files.path_of(url).read_bytes()
    path = tmp_path / "roofs.gpkg"
    path.write_bytes(data)
    roofs = gpd.read_file(path)
    table = _table(at, "代码")
    row = table[table["代码"] == "410783108000"].iloc[0]
    assert set(roofs["township_code"]) == {"410783108000"}
    assert len(roofs) == row["计入屋顶"]
    assert roofs["capacity_kw"].sum() / 1000 == pytest.approx(row["潜力装机 (MW)"], abs=1e-3)
    assert table["潜力装机 (MW)"].sum() == pytest.approx(row["潜力装机 (MW)"], abs=1e-3)  # other townships are 0


def test_typed_name_and_map_choice_survive_page_switch(fresh_db):
    at = _page()
    _editor(at)
    at.run()
    at.text_input(key="pv_save_name").input("草稿").run()
    at.radio(key="pv_map_view_zh").set_value("h3").run()
    assert not at.exception
    # another page ran: Streamlit drops this page's widget keys, the mirrored values remain
    keep = at.session_state["pv_keep"]
    later = _page()
    _editor(later)
    later.session_state["pv_keep"] = keep
    later.session_state["pv_state"] = at.session_state["pv_state"]
    later.run()
    assert later.text_input(key="pv_save_name").value == "草稿"
    assert later.radio(key="pv_map_view_zh").value == "h3"
    assert not later.exception


def test_english_page(fresh_db):
    at = _page()
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert {"Potential capacity", "Potential generation", "Roofs counted"} <= {m.label for m in at.metric}
    assert {"Township", "Potential capacity (MW)"} <= set(_table(at, "Code").columns)
    assert any("Demo data" in w.value for w in at.warning)


def test_yield_raster_scenario_drives_the_page(fresh_db, tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    tif = tmp_path / "pvout.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=80, height=60, count=1, dtype="float32", crs="EPSG:4326",
                       transform=from_origin(114.4, 35.5, 0.01, 0.01)) as dst:
        dst.write(np.full((60, 80), 1100.0, dtype="float32"), 1)
    at = _page()
    at.session_state["pv_state"] = Scenario(params={"yield_raster": str(tif)}).to_dict()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "首年单位发电量 (kWh/kWp)") == "1,100"
    assert at.checkbox(key="pv_use_raster").value is True
    at.checkbox(key="pv_use_raster").uncheck().run()
    assert _metric(at, "首年单位发电量 (kWh/kWp)") != "1,100"


def test_site_weather_replaces_the_approximate_climate_on_the_page(fresh_db, tmp_path):
    """The page's own weather input (as the uploader leaves it in the session): a station's monthly means
    10 % sunnier than the bundled approximation raise the central specific yield by about 10 %."""
    clim = pd.read_csv(REPO / "data/reference/climate_changyuan.csv")
    station = tmp_path / "station.csv"
    clim.assign(ghi_kwh_m2_day=clim["ghi_kwh_m2_day"] * 1.10).to_csv(station, index=False)

    def central_yield(at: AppTest) -> float:
        line = next(c.value for c in at.caption if c.value.startswith("区间"))
        return float(line.rsplit("单位发电量", 1)[1].split("/")[1].replace(",", ""))

    at = _page()
    at.run()
    assert not at.exception and any("默认月均水平总辐照为近似值" in c.value for c in at.caption)
    before = central_yield(at)
    at.session_state["pv_weather_path"] = str(station)
    at.session_state["pv_weather_param"] = "climate_file"
    at.session_state["pv_use_weather"] = True
    at.run()
    assert not at.exception and any("场址气象" in c.value and "月均值" in c.value for c in at.caption)
    assert 1.08 < central_yield(at) / before < 1.12
