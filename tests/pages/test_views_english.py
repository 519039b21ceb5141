"""The carbon and projects pages under AppTest in English (their Chinese runs are in test_carbon / test_projects)."""

from __future__ import annotations

import re

import streamlit as st

from tests.carbon.test_carbon import county_demo  # noqa: F401 - fixture
from tests.conftest import REPO, app_test
from tests.planning.test_projects import fresh_db, proj_env  # noqa: F401 - fixtures


def test_carbon_page_in_english_draws_through_mapview(county_demo, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(county_demo))
    monkeypatch.setenv("CYC_GEO_TILES_DIR", str(tmp_path / "tiles"))
    monkeypatch.chdir(REPO)
    at = app_test("views/carbon.py", timeout_s=180)
    at.session_state["lang"] = "en"
    at.session_state["carbon_method"] = "pools"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Forest carbon sink"
    labels = {m.label for m in at.metric}
    assert "Carbon storage (10k t C)" in labels
    assert any(m.startswith("Gross sink (growth of the forest stock") and m.endswith("(10k t CO2/yr)") for m in labels), labels
    args = at.get("component_instance")[0].proto.json_args
    assert "base64" not in args and "cyc-legend" in args and "Sink per ha" in args
    png = re.search(r"/app/static/tiles/(carbon-forest-[\w-]+\.png)", args)
    assert png and (tmp_path / "tiles" / png.group(1)).exists()


def test_projects_page_in_english(proj_env, fresh_db):  # noqa: F811
    st.cache_resource.clear()
    st.cache_data.clear()
    at = app_test("views/projects.py", timeout_s=180)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Priority projects: land check"
    assert any(m.value.startswith("**Current site**: source: demo (demo)") for m in at.markdown)
    assert {"Area (m²)", "Area (mu)", "Area (ha)", "Sink lost (t CO2/yr)"} <= {m.label for m in at.metric}
    assert any(c.value.startswith("Townships: ") for c in at.caption)
    assert any("sign in" in i.value for i in at.info)
    assert [b.label for b in at.get("download_button")] == [
        "Download summary (Excel)", "Download summary (printable HTML)", "Report (Excel)", "Report (printable HTML)",
        "Compliance report (Excel)", "Compliance report (PDF)", "Export boundary-point file (.txt)",
    ]
    st.cache_resource.clear()
    st.cache_data.clear()
