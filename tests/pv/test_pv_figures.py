"""Issue 26 items 4, 6, 7: named CO2 factors with their year, lifetime (degraded) yields and loss items,
labels of the scenario potential (docs/sources.md, "Grid emission factors", "PV losses", "NEA rooftop shares")."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cyc_geo.pv import aggregation, compare, emissions, tables
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import Scenario


def _gpkg(path) -> str:
    """Two roofs near the 蒲西 seat (EPSG:4547): a 120 m² home and a 1,800 m² shed."""
    x, y = 559_233.0, 3_897_378.0
    geoms = [shapely.box(x, y, x + 12, y + 10), shapely.box(x + 100, y, x + 160, y + 30)]
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=geoms, crs="EPSG:4547").to_file(path, layer="roofs", driver="GPKG")
    return str(path)


def _roofs() -> pd.DataFrame:
    return pd.DataFrame([(1, "410783001000", "gov", "flat", 1000.0), (2, "410783001000", "rural", "pitched", 200.0)],
                        columns=["roof_id", "township_code", "building_class", "roof_type", "area_m2"])


# ---------------------------------------------------------------- item 4: named CO2 factors


def test_default_factor_is_a_named_official_grid_factor_with_its_year():
    default = emissions.get_preset(emissions.DEFAULT_PRESET)
    assert default.co2_factor() != pytest.approx(0.78)
    assert (default.id, default.co2_factor(), default.year) == ("central_china_2023", 0.5271, 2023)
    assert emissions.factor_label(lang="zh") == "因子 0.5271 t CO₂/MWh（华中区域电网平均 2023）"
    assert emissions.factor_label(lang="en") == "factor 0.5271 t CO2/MWh (Central China grid average 2023)"


def test_pv_estimate_json_names_its_factor_and_seed_plan_reproduces_the_plan(data_dir, capsys):
    from cyc_geo.cli import main

    roofs = _gpkg(data_dir / "roofs.gpkg")
    assert main(["pv", "estimate", "--footprints", roofs, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["co2_factor_t_per_mwh"] == 0.5271 and out["co2_factor_year"] == 2023
    assert "华中" in out["co2_factor_name"] and "Central China" in out["co2_factor_name"]
    assert out["co2_t"] == pytest.approx(out["annual_gwh"] * 1000 * 0.5271)
    assert main(["pv", "estimate", "--footprints", roofs, "--preset", "seed_plan", "--json"]) == 0
    seed = json.loads(capsys.readouterr().out)
    assert seed["co2_factor_t_per_mwh"] == pytest.approx(0.78) and seed["co2_factor_preset"] == "seed_plan"
    assert seed["co2_t"] == pytest.approx(seed["annual_gwh"] * 1000 * 0.78)
    # 附件2 #3: 198.2 GWh -> 59,460 tce and 15.46 万t CO2 under the plan's preset, less under the default
    assert main(["emissions", "--mwh", "198200", "--preset", "seed_plan", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["tce"], round(got["co2_t"] / 1e4, 2), got["co2_factor_year"]) == (pytest.approx(59_460), 15.46, 2023)
    assert main(["emissions", "--mwh", "198200", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["co2_t"] == pytest.approx(198_200 * 0.5271) and got["co2_factor_year"] == 2023


def test_cli_text_prints_the_factor_and_year(data_dir, capsys):
    from cyc_geo.cli import main

    assert main(["pv", "estimate", "--footprints", _gpkg(data_dir / "roofs.gpkg")]) == 0
    text = capsys.readouterr().out
    assert "0.5271 t CO₂/MWh（华中区域电网平均 2023）" in text and "Central China grid average 2023" in text


def test_page_caption_workbook_map_and_comparison_print_the_factor():
    assert "0.78 t CO₂/MWh（长垣方案附件2口径 2023）" in tables.co2_factor_note("seed_plan", "zh")
    rng = pv.potential_range(_roofs())
    assert "(factor 0.5271 t CO2/MWh (Central China grid average 2023))" in tables.range_caption(
        rng, "en", emissions.DEFAULT_PRESET)
    per_roof = pv.estimate(_roofs())
    raw = tables.workbook(tables.township_display(aggregation.township_table(per_roof), "zh"),
                          aggregation.summary(per_roof), Scenario(), True)
    book = pd.read_excel(io.BytesIO(raw), sheet_name=None, header=None)
    cells = {str(v) for sheet in book.values() for v in sheet.to_numpy().ravel()}
    assert "0.5271 t CO₂/MWh（华中区域电网平均 2023）" in cells  # the summary sheet's factor row
    assert any(c.startswith("减排 CO₂ 按 0.5271 t CO₂/MWh（华中区域电网平均 2023）") for c in cells)  # the About sheet
    from cyc_geo.mapview.click import roof_record

    rec = roof_record(pd.Series({"roof_id": 1}), per_roof.iloc[0], "en", emissions.factor_label(lang="en"))
    assert rec["CO₂ factor"] == "factor 0.5271 t CO2/MWh (Central China grid average 2023)"
    tot = compare.totals({"a": per_roof, "b": pv.estimate(_roofs(), Scenario(params={"emission_preset": "seed_plan"}))},
                         {"a": Scenario(), "b": Scenario(params={"emission_preset": "seed_plan"})}, "en")
    assert list(tot["co2_factor"]) == [emissions.factor_label(lang="en"), emissions.factor_label("seed_plan", "en")]


# ---------------------------------------------------------------- item 6: missing losses, degradation, lifetime


def test_loss_table_has_external_shading_and_low_irradiance_and_matches_pvwatts():
    import pvlib

    from cyc_geo.pv import losses

    pvwatts = inspect_defaults(pvlib.pvsystem.pvwatts_losses)
    table = losses.FIXED_LOSSES_PCT
    assert table["external_shading"] == pvwatts["shading"] == 3.0
    assert table["low_irradiance_spectral"] > 0
    for ours, theirs in (("mismatch", "mismatch"), ("wiring", "wiring"), ("connections", "connections"),
                         ("light_induced_degradation", "lid"), ("nameplate", "nameplate_rating"),
                         ("availability", "availability")):
        assert table[ours] == pvwatts[theirs]
    # PVWatts v5: 14.08 % system losses x 96 % inverter = 0.825; ours must not be more optimistic
    pvwatts_product = (1 - float(pvlib.pvsystem.pvwatts_losses()) / 100) * 0.96
    assert pvwatts_product == pytest.approx(0.825, abs=5e-4)
    assert losses.fixed_factor(table) < pvwatts_product
    assert set(losses.FIXED_LOSSES_LOW_PCT) == set(losses.FIXED_LOSSES_HIGH_PCT) == set(table)


def inspect_defaults(func) -> dict[str, float]:
    import inspect

    return {k: float(v.default) for k, v in inspect.signature(func).parameters.items()}


def test_lifetime_factor_by_hand():
    from cyc_geo.pv import losses

    # mean of 0.995^k, k = 0..24: (1 - 0.995^25) / (25 x 0.005)
    assert losses.lifetime_factor(0.5, 25) == pytest.approx((1 - 0.995 ** 25) / 0.125)
    assert losses.lifetime_factor(0.5, 25) == pytest.approx(0.9422, abs=1e-4)
    assert losses.lifetime_factor(0.0, 25) == 1.0
    with pytest.raises(ValueError, match="lifetime"):
        losses.lifetime_factor(0.5, 0)


def test_pv_yield_json_flat_lifetime_below_first_year_and_names_external_shading(data_dir, capsys):
    from cyc_geo.cli import main

    assert main(["pv", "yield", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    flat = out["flat"]
    assert flat["specific_yield_lifetime_kwh_kwp"] < flat["specific_yield_kwh_kwp"]
    assert flat["specific_yield_lifetime_kwh_kwp"] == pytest.approx(flat["specific_yield_kwh_kwp"] * 0.94224, rel=1e-4)
    assert "external_shading" in flat["losses"] and "low_irradiance_spectral" in flat["losses"]
    assert (out["degradation_pct_per_yr"], out["lifetime_years"]) == (0.5, 25)
    assert out["fixed_loss_factor"] == pytest.approx(0.8167, abs=1e-4)
    assert out["plan_vs_lifetime_flat"] == pytest.approx(991 / flat["specific_yield_lifetime_kwh_kwp"])
    assert main(["pv", "yield"]) == 0
    text = capsys.readouterr().out
    assert "lifetime average" in text and "25-year average" in text


def test_page_tables_show_lifetime_yield_and_the_new_loss_items():
    from cyc_geo.pv.params import PVParams

    p = PVParams()
    rows = tables.yield_rows(p, "en")
    first, life = rows["First-year specific yield (kWh/kWp/yr)"], rows["25-year average specific yield (kWh/kWp/yr)"]
    assert (life < first).all()
    names = list(tables.loss_table(p, "en")["Loss"])
    assert "External shading (trees, neighbours, parapets)" in names and "Low irradiance and spectrum" in names
    note = tables.yield_model_note(p, "zh")
    assert "25 年平均单位发电量" in note and "方案隐含单位发电量 991 kWh/kWp" in note
    with pytest.raises(ValueError, match="degradation"):
        PVParams(degradation_pct_per_yr=7.0).validate()


# ---------------------------------------------------------------- item 7: labels that say no more than the figure


def test_estimate_json_has_no_gap_or_goal_share_and_names_the_potential(data_dir, capsys):
    from cyc_geo.cli import main

    assert main(["pv", "estimate", "--footprints", _gpkg(data_dir / "roofs.gpkg"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "gap_mw" not in out and "share_of_goal" not in out
    assert "整县推进最低比例" in out["potential_kind"] and "not a technical ceiling" in out["potential_kind"]
    caps = out["adoption_capped_by_usable_area"]
    assert set(caps) == {"rural", "commercial"}  # the home (flat, 20 % < 45 %) and the shed (30 % < 70 %)
    assert not caps["rural"]["capped"] and caps["rural"]["roofs_at_cap"] == 0
    assert main(["pv", "estimate", "--footprints", _gpkg(data_dir / "roofs.gpkg")]) == 0
    text = capsys.readouterr().out
    assert "情景潜力 scenario potential" in text and "技术潜力" not in text


def test_raising_a_capped_share_says_it_is_capped():
    """党政机关 on flat roofs: 50 % of the roof > the 45 % usable cap, so 55 % gives the same potential."""
    roofs = pd.DataFrame([(1, "410783001000", "gov", "flat", 1000.0), (2, "410783001000", "gov", "pitched", 400.0),
                          (3, "410783001000", "commercial", "flat", 2000.0)],
                         columns=["roof_id", "township_code", "building_class", "roof_type", "area_m2"])
    base = Scenario()
    more = Scenario(adoption={**base.adoption, "gov": 0.55})
    a, b = pv.estimate(roofs, base), pv.estimate(roofs, more)
    assert a["capacity_kw"].sum() == pytest.approx(b["capacity_kw"].sum())  # unchanged ...
    caps = pv.share_caps(b, more)
    assert caps["gov"] == {"share": 0.55, "roofs": 2, "roofs_at_cap": 2, "requested_m2": pytest.approx(
        1000 * 0.55 + 400 * 0.55 / np.cos(np.radians(26.6))), "module_m2": pytest.approx(450 + 200), "capped": True}
    assert not caps["commercial"]["capped"] and caps["commercial"]["roofs_at_cap"] == 0
    note = tables.share_cap_note(caps, "zh")  # ... and says so
    assert note == "开发比例受可用面积封顶：党政机关 55%：所有屋顶均受可用面积封顶，提高比例不会增加潜力。"
    assert "every roof is at its usable-area cap" in tables.share_cap_note(caps, "en")
    assert tables.share_cap_note(pv.share_caps(a, base) | {"gov": {**caps["gov"], "capped": False, "roofs_at_cap": 1}},
                                 "en").endswith("some roofs at the cap (share of the class's roofs): Government 50%.")


def test_labels_name_the_scenario_not_a_technical_ceiling():
    zh, en = tables.POTENTIAL_DEFINITION
    assert "整县推进最低比例" in zh and "不是技术上限" in zh and "not a technical ceiling" in en
    assert tables.goal_bars({"capacity_mw": 1.0}, "zh")["item"][0] == "本情景开发比例潜力（按可用面积封顶）"
    assert "200 MW" in tables.PROJECT_VS_GOAL_NOTE[0] and "70 MW" in tables.PROJECT_VS_GOAL_NOTE[0]
    assert "programme's scale" in tables.PROJECT_VS_GOAL_NOTE[1] and "installed (grid-connected) by 2024" in \
        tables.PROJECT_VS_GOAL_NOTE[1]
    assert "gap_mw" not in tables.SUMMARY_ROWS and "share_of_goal" not in tables.SUMMARY_ROWS


@pytest.fixture
def fresh_db(tmp_path, monkeypatch):
    from pathlib import Path

    from ui.common import database

    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "pv_fig.sqlite"))
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    database.clear()


def test_pv_page_flags_project_vs_goal_factor_lifetime_yield_and_capped_share(fresh_db):
    """Demo county: 党政机关 at 55 % gives the same potential as at 50 % (every gov roof at its cap) and the page says so."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "views" / "pv.py"), default_timeout=240)
    at.session_state["pv_state"] = Scenario(adoption={**Scenario().adoption, "gov": 0.55}).to_dict()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert tables.PROJECT_VS_GOAL_NOTE[0] in [i.value for i in at.info]
    assert any("0.5271 t CO₂/MWh（华中区域电网平均 2023）" in c.value for c in at.caption)
    assert any("党政机关 55%：所有屋顶均受可用面积封顶，提高比例不会增加潜力" in w.value for w in at.warning)
    metrics = {m.label: m.value for m in at.metric}
    first = float(metrics["首年单位发电量 (kWh/kWp)"].replace(",", ""))
    assert float(metrics["25 年平均单位发电量 (kWh/kWp)"].replace(",", "")) == pytest.approx(first * 0.9422, abs=1)
    assert "技术潜力" not in " ".join(h.value for h in list(at.header) + list(at.subheader) + list(at.title))
