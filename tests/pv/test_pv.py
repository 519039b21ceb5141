"""PV yield model, per-roof estimate, aggregation, emissions, scenarios and the CLI.

Hand calculations here are independent of cyc_geo.pv.yield_model: the clear-sky model is re-implemented
from Ineichen & Perez (2002) with solar geometry from Spencer (1971) / NOAA formulas.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cyc_geo import db
from cyc_geo.pv import aggregation, emissions, irradiance, raster_io, scenarios
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import (
    CLASSES,
    FLAT_CLEAR_SHARE,
    NEA_ADOPTION,
    ROOF_TYPES,
    PVParams,
    Scenario,
    clearsky_ghi_kwh_m2,
    roof_area_factor,
)
from cyc_geo.pv.plan import SEED_SPECIFIC_YIELD
from cyc_geo.pv.rooftops import FootprintError, prepare_footprints
from cyc_geo.pv.yield_model import simulate, specific_yield, yield_table

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]

# Monthly Linke turbidity at 35.19 N 114.75 E (pvlib's bundled climatology, printed once and written
# down here so the hand calculation does not call pvlib).
LINKE_MONTHLY = [2.85, 3.01, 3.47, 3.85, 4.40, 4.47, 4.78, 4.70, 4.22, 3.53, 3.02, 2.54]


def hand_sun(lat: float, lon: float) -> dict[str, np.ndarray]:
    """Hourly solar geometry of 2023 (UTC+8 mid-points) from the textbook formulas: Spencer (1971)
    declination and equation of time, hour angle from true solar time, cos z = sin φ sin δ + cos φ cos δ cos ω."""
    n = np.arange(365 * 24)
    doy = n // 24 + 1
    hour = n % 24 + 0.5
    b = 2 * np.pi * (doy - 1) / 365
    decl = (0.006918 - 0.399912 * np.cos(b) + 0.070257 * np.sin(b) - 0.006758 * np.cos(2 * b)
            + 0.000907 * np.sin(2 * b) - 0.002697 * np.cos(3 * b) + 0.00148 * np.sin(3 * b))
    eot = 229.18 * (0.000075 + 0.001868 * np.cos(b) - 0.032077 * np.sin(b) - 0.014615 * np.cos(2 * b)
                    - 0.040849 * np.sin(2 * b))
    ha = np.deg2rad(15 * (hour + (4 * (lon - 120) + eot) / 60 - 12))
    phi = np.deg2rad(lat)
    cosz = np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(ha)
    i0 = 1367.0 * (1.00011 + 0.034221 * np.cos(b) + 0.00128 * np.sin(b) + 0.000719 * np.cos(2 * b)
                   + 0.000077 * np.sin(2 * b))  # Spencer (1971) eccentricity correction
    return {"decl": decl, "ha": ha, "phi": np.full_like(ha, phi), "cosz": cosz, "i0": i0, "doy": doy}


def hand_clearsky_poa(lat: float, lon: float, alt: float, tilt: float, albedo: float = 0.2) -> tuple[float, float]:
    """Annual clear-sky GHI and isotropic POA (kWh/m²), hourly mid-points of 2023, UTC+8, south-facing."""
    sun = hand_sun(lat, lon)
    decl, ha, cosz, doy = sun["decl"], sun["ha"], sun["cosz"], sun["doy"]
    phi = np.deg2rad(lat)
    month = pd.to_datetime(doy - 1, unit="D", origin="2023-01-01").month.to_numpy()
    up = cosz > 0.01
    z_deg = np.degrees(np.arccos(np.clip(cosz, -1, 1)))
    am_rel = 1 / (cosz + 0.50572 * (96.07995 - np.minimum(z_deg, 96)) ** -1.6364)  # Kasten & Young 1989
    am = am_rel * np.exp(-alt / 8434.5)  # pressure correction (barometric)
    tl = np.array(LINKE_MONTHLY)[month - 1]
    i0 = 1367.7 * (1 + 0.033 * np.cos(2 * np.pi * doy / 365))
    fh1, fh2 = np.exp(-alt / 8000), np.exp(-alt / 1250)
    cg1, cg2 = 5.09e-5 * alt + 0.868, 3.92e-5 * alt + 0.0387
    # Ineichen & Perez (2002) eq. without the optional "Perez enhancement" factor exp(0.01 AM^1.8)
    ghi = cg1 * i0 * cosz * np.exp(-cg2 * am * (fh1 + fh2 * (tl - 1)))
    dni1 = (0.664 + 0.163 / fh1) * i0 * np.exp(-0.09 * am * (tl - 1))
    dni2 = ghi * (1 - (0.1 - 0.2 * np.exp(-tl)) / (0.1 + 0.882 / fh1)) / cosz
    dni = np.clip(np.minimum(dni1, dni2), 0, None)
    ghi, dni = np.where(up, ghi, 0), np.where(up, dni, 0)
    dhi = np.clip(ghi - dni * np.clip(cosz, 0, None), 0, None)
    beta = np.deg2rad(tilt)
    # incidence angle on a south-facing plane tilted by beta (Duffie & Beckman eq. 1.6.7 for azimuth 0)
    cos_aoi = (np.sin(decl) * np.sin(phi - beta) + np.cos(decl) * np.cos(phi - beta) * np.cos(ha))
    poa = dni * np.clip(cos_aoi, 0, None) + dhi * (1 + np.cos(beta)) / 2 + ghi * albedo * (1 - np.cos(beta)) / 2
    return float(ghi.sum() / 1000), float(poa.sum() / 1000)


def test_clearsky_horizontal_matches_hand_calculation():
    hand_ghi, _ = hand_clearsky_poa(35.19, 114.75, 65.0, 0.0)
    model = clearsky_ghi_kwh_m2()
    assert 1800 < hand_ghi < 2300  # clear-sky, 35 N: about 2,000 kWh/m²
    assert model == pytest.approx(hand_ghi, rel=0.01)


def hand_poa_ratio(ghi: np.ndarray, tilt: float, albedo: float = 0.2) -> float:
    """Annual POA / GHI of a south-facing plane from hourly GHI: Erbs et al. (1982) diffuse fraction,
    Hay & Davies (1980) sky diffuse, isotropic ground reflection, incidence angle after Duffie &
    Beckman eq. 1.6.7 (azimuth 0 = south)."""
    sun = hand_sun(35.19, 114.75)
    cosz, decl, ha, phi, i0 = sun["cosz"], sun["decl"], sun["ha"], sun["phi"], sun["i0"]
    up = cosz > 0.065  # as pvlib's erbs: no split below cos z 0.065
    kt = np.where(up, ghi / (i0 * np.maximum(cosz, 0.065)), 0.0)
    kt = np.minimum(kt, 1.0)
    df = np.where(kt <= 0.22, 1 - 0.09 * kt,
                  np.where(kt <= 0.80, 0.9511 - 0.1604 * kt + 4.388 * kt**2 - 16.638 * kt**3 + 12.336 * kt**4, 0.165))
    dhi = np.where(up, ghi * df, ghi)
    dni = np.where(up, (ghi - dhi) / np.maximum(cosz, 0.065), 0.0)
    beta = np.deg2rad(tilt)
    cos_aoi = np.sin(decl) * np.sin(phi - beta) + np.cos(decl) * np.cos(phi - beta) * np.cos(ha)
    rb = np.clip(cos_aoi, 0, None) / np.maximum(cosz, 0.01745)
    ai = dni / i0
    sky = dhi * ((1 - ai) * (1 + np.cos(beta)) / 2 + ai * rb)
    poa = dni * np.clip(cos_aoi, 0, None) + np.clip(sky, 0, None) + ghi * albedo * (1 - np.cos(beta)) / 2
    return float(poa.sum() / ghi.sum())


def test_clearsky_poa_still_matches_hand_calculation_on_tilted_plane():
    _, hand_poa = hand_clearsky_poa(35.19, 114.75, 65.0, 25.0)
    model = irradiance.clearsky_poa_kwh_m2(35.19, 114.75, 65.0, 25.0, 180.0, 0.2, "isotropic")
    assert model == pytest.approx(hand_poa, rel=0.01)


def test_all_sky_poa_ghi_ratio_matches_hand_calculation():
    """The 25° all-sky POA/GHI ratio re-derived from the model's hourly GHI with hand solar geometry,
    a hand Erbs split and hand Hay-Davies transposition (no pvlib)."""
    from cyc_geo.pv import irradiance

    p = PVParams()
    w = irradiance.all_sky(p.latitude, p.longitude, p.altitude_m, irradiance.climate_tuple())
    ghi = w["ghi"].to_numpy()
    # the year meets the monthly means exactly
    months = w["month"].to_numpy()
    clim = irradiance.load_climate()
    for m, g in zip(clim["month"], clim["ghi_kwh_m2_day"], strict=True):
        assert ghi[months == m].sum() / 1000 == pytest.approx(g * irradiance.DAYS[m - 1], rel=1e-9)
    hand = hand_poa_ratio(ghi, 25.0)
    model = simulate(p, "flat").poa_ghi_ratio
    assert model == pytest.approx(hand, rel=0.01)
    assert 1.07 < model < 1.14  # all-sky gain: well below the clear-sky 1.166 at 25°
    clear_poa = irradiance.clearsky_poa_kwh_m2(35.19, 114.75, 65.0, 25.0, 180.0, 0.2, "haydavies")
    clear_ratio = clear_poa / clearsky_ghi_kwh_m2()
    assert clear_ratio > model + 0.03


def test_solstice_gcr_matches_hand_geometry():
    """GCR from the 9:00-15:00 winter-solstice rule, by hand: sun altitude and azimuth at ω = ±45°,
    shadow of the row top reaching L sin β cos γ / tan α behind it."""
    from cyc_geo.pv import layout

    phi, dec = np.radians(35.19), np.radians(-23.44)
    ha = np.radians(45.0)
    sin_alt = np.sin(phi) * np.sin(dec) + np.cos(phi) * np.cos(dec) * np.cos(ha)
    alt = np.arcsin(sin_alt)
    cos_gamma = (sin_alt * np.sin(phi) - np.sin(dec)) / (np.cos(alt) * np.cos(phi))  # azimuth from south
    for tilt, expected in ((25.0, 0.53), (15.0, 0.64)):
        beta = np.radians(tilt)
        hand = 1.0 / (np.cos(beta) + np.sin(beta) * cos_gamma / np.tan(alt))
        assert layout.solstice_gcr(tilt, 35.19) == pytest.approx(hand, rel=1e-6)
        assert round(hand, 2) == expected
    assert PVParams().gcr == pytest.approx(layout.solstice_gcr(25.0, 35.19))
    assert PVParams().usable_fraction["flat"] == round(PVParams().gcr * FLAT_CLEAR_SHARE, 2)
    # a steeper flat-roof tilt needs wider rows: the derived GCR and usable share follow the tilt
    steep = PVParams().with_overrides({"tilt_deg": {"flat": 35.0}})
    assert steep.gcr < PVParams().gcr and steep.usable_fraction["flat"] < 0.45


def test_row_shading_at_dense_gcr_matches_hand_geometry():
    """At GCR 0.70 and 25° the solstice-noon shaded share of the slant is 1 - P / (cos β + sin β cot α)."""
    from cyc_geo.pv import layout

    alt = np.radians(90 - (35.19 + 23.44))
    beta = np.radians(25.0)
    hand = 1 - (1 / 0.70) / (np.cos(beta) + np.sin(beta) / np.tan(alt))
    got = layout.beam_shaded_fraction([90 - np.degrees(alt)], [180.0], 25.0, 0.70)[0]
    assert got == pytest.approx(hand, abs=1e-6) and 0.10 < got < 0.11
    assert layout.beam_shaded_fraction([90 - np.degrees(alt)], [180.0], 25.0, PVParams().gcr)[0] == 0.0
    dense = simulate(PVParams(gcr=0.70), "flat").losses_pct["row_shading_beam"]
    spaced = simulate(PVParams(), "flat").losses_pct["row_shading_beam"]
    assert spaced < 0.5 < dense  # the solstice-rule spacing shades only around sunrise and sunset


def test_slope_factor_of_pitched_roofs():
    from cyc_geo.pv import layout

    assert layout.slope_factor(26.6) == pytest.approx(1.118, abs=1e-3)
    p = PVParams()
    assert roof_area_factor(p) == pytest.approx({"flat": 1.0, "pitched": 1 / np.cos(np.radians(26.6)),
                                                   "shed": 1 / np.cos(np.radians(5.0))})
    assert p.usable_fraction["pitched"] == round(0.5 * layout.slope_factor(26.6) * 0.98 * 0.92, 2) == 0.50


def test_specific_yields_per_roof_type_and_loss_tables():
    p = PVParams()
    ytab = yield_table(p)
    for t in ROOF_TYPES:
        r = simulate(p, t)
        assert sum(r.monthly_kwh_kwp) == pytest.approx(r.specific_yield_kwh_kwp, rel=1e-12)
        assert len(r.monthly_kwh_kwp) == 12 and min(r.monthly_kwh_kwp) > 0
        # yield = POA x product of the loss factors
        factor = np.prod([1 - v / 100 for v in r.losses_pct.values()])
        assert r.specific_yield_kwh_kwp == pytest.approx(r.poa_kwh_m2 * factor, rel=1e-9)
        assert 0.72 < r.performance_ratio < 0.85
        assert ytab[t] == r.specific_yield_kwh_kwp
    assert set(simulate(p, "flat").losses_pct) >= {"temperature", "row_shading_beam", "soiling", "availability"}
    assert "row_shading_beam" not in simulate(p, "pitched").losses_pct
    # flush modules run hotter than racked rows
    assert simulate(p, "pitched").losses_pct["temperature"] > simulate(p, "flat").losses_pct["temperature"]
    assert ytab["shed"] < ytab["pitched"] < ytab["flat"]
    # an explicit performance ratio replaces the fixed items, the modelled ones stay
    one = simulate(p.with_overrides({"performance_ratio": 0.75}), "shed")
    assert "other (performance_ratio)" in one.losses_pct and "temperature" in one.losses_pct
    # an explicit clearness factor rescales the year's GHI to that share of clear-sky GHI
    dim = p.with_overrides({"clearness_factor": 0.55})
    assert simulate(dim, "flat").ghi_kwh_m2 == pytest.approx(0.55 * clearsky_ghi_kwh_m2(), rel=1e-6)
    assert p.clearness_factor == pytest.approx(simulate(p, "flat").ghi_kwh_m2 / clearsky_ghi_kwh_m2())


def test_default_yield_against_the_plans_implied_991():
    """The model is not tuned to the plan: with the approximate climatology it gives more than 991."""
    assert pytest.approx(991.0) == SEED_SPECIFIC_YIELD
    ytab = yield_table()
    assert all(991 < v < 1.35 * 991 for v in ytab.values()), ytab


def test_seed_conversion_figures_exact():
    res = emissions.convert(198_200.0, "seed_plan")  # 198.2 GWh
    assert res["tce"] == pytest.approx(59_460.0, abs=1e-6)
    assert res["co2_t"] == pytest.approx(154_596.0, abs=1e-6)
    assert round(res["co2_t"] / 1e4, 2) == 15.46
    assert emissions.PRESETS["seed_plan"].co2_factor() == pytest.approx(0.78)
    nat = emissions.convert(1000.0, "national_2023")
    assert nat["co2_t"] == pytest.approx(530.6) and nat["tce"] == pytest.approx(300.0)
    arr = emissions.convert(np.array([0.0, 10.0]), "central_china_2023")
    assert np.allclose(arr["co2_t"], [0.0, 5.271])
    with pytest.raises(KeyError, match="unknown emission preset"):
        emissions.convert(1.0, "nope")
    with pytest.raises(ValueError):
        emissions.convert(-1.0)


def _table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["roof_id", "township_code", "building_class", "roof_type", "area_m2"])


def test_seed_project_reproduced_from_200_mw_of_roofs():
    # flat industrial roof x 0.45 usable (100 % adoption is capped there) x 200 W/m² = 200 MW
    usable = PVParams().usable_fraction["flat"]
    roofs = _table([(1, "410783005000", "commercial", "flat", 200_000_000 / usable / 200 * 1.0)])
    sc = Scenario(adoption={"commercial": 1.0}, params={"specific_yield_kwh_per_kwp": 991.0,
                                                        "emission_preset": "seed_plan"})
    s = aggregation.summary(pv.estimate(roofs, sc))
    assert s["capacity_mw"] == pytest.approx(200.0)
    assert s["annual_gwh"] == pytest.approx(198.2)
    assert s["tce"] == pytest.approx(59_460.0)
    assert s["co2_t"] == pytest.approx(154_596.0)
    assert s["share_of_project_mw"] == pytest.approx(1.0)
    assert "gap_mw" not in s and "share_of_goal" not in s  # a potential has no gap to an installed goal (issue 26)
    assert round(s["co2_t"] / 1e4, 2) == 15.46
    rng = pv.potential_range(roofs, sc)  # the plan preset has no spread
    assert rng["low"]["annual_gwh"] == rng["high"]["annual_gwh"] == pytest.approx(198.2)


def test_per_roof_hand_calculation():
    """NEA shares are shares of the total roof surface (footprint x slope factor), capped by the usable area."""
    k = 1 / np.cos(np.radians(26.6))
    k_shed = 1 / np.cos(np.radians(5.0))
    roofs = _table([
        (1, "410783001000", "rural", "flat", 100.0),       # min(100 x 0.20, 100 x 0.45) x 0.2 kW = 4.0 kW
        (2, "410783001000", "gov", "pitched", 300.0),      # min(300 x 1.118 x 0.50, 300 x 0.50) x 0.2 = 30 kW (cap)
        (3, "410783100000", "commercial", "shed", 2000.0),  # min(2000 x 1.004 x 0.30, 2000 x 0.70) x 0.2 kW
        (4, "410783100000", "public", "flat", 30.0),        # below 40 m²: skipped
        (5, "410783100000", "rural", "pitched", 100.0),     # min(100 x 1.118 x 0.20, 50) x 0.2 kW
    ])
    res = pv.estimate(roofs)
    expected_kw = [4.0, 30.0, 2000 * k_shed * 0.30 * 0.2, 0.0, 100 * k * 0.20 * 0.2]
    assert res["capacity_kw"].tolist() == pytest.approx(expected_kw)
    assert res["usable_area_m2"].tolist() == pytest.approx([45.0, 150.0, 1400.0, 0.0, 50.0])
    assert res["roofs"].tolist() == [1, 1, 1, 0, 1]
    ytab = yield_table()
    expected_kwh = np.array(expected_kw) * np.array([ytab["flat"], ytab["pitched"], ytab["shed"], 0.0, ytab["pitched"]])
    assert res["annual_kwh"].to_numpy() == pytest.approx(expected_kwh)
    assert res["co2_t"].to_numpy() == pytest.approx(expected_kwh / 1000 * 0.5271)  # default: 华中 2023
    assert res["tce"].to_numpy() == pytest.approx(expected_kwh / 1000 * 0.300)
    # township filter and minimum size
    only = pv.estimate(roofs, Scenario(townships=("410783100000",), min_roof_m2=10.0))
    assert only["capacity_kw"].tolist() == pytest.approx([0.0, 0.0, expected_kw[2], 30 * 0.4 * 0.2, expected_kw[4]])
    # parameter overrides merge into the defaults: a lower cap binds, a share above the cap is capped
    dense = pv.estimate(roofs, Scenario(params={"module_w_per_m2": 100.0, "usable_fraction": {"flat": 0.1}}))
    assert dense["capacity_kw"].tolist() == pytest.approx([1.0, 15.0, expected_kw[2] / 2, 0.0, expected_kw[4] / 2])
    full = pv.estimate(roofs, Scenario(adoption={c: 1.0 for c in CLASSES}))
    assert full["pv_area_m2"].tolist() == pytest.approx(full["usable_area_m2"].tolist())


def test_aggregation_is_additive_and_township_sums_equal_total():
    rng = np.random.default_rng(1)
    n = 5000
    codes = np.array(["410783001000", "410783002000", "410783100000", "410783201000"])
    roofs = pd.DataFrame({
        "roof_id": np.arange(n),
        "township_code": codes[rng.integers(0, 4, n)],
        "building_class": np.array(CLASSES)[rng.integers(0, 4, n)],
        "roof_type": np.array(ROOF_TYPES)[rng.integers(0, 3, n)],
        "area_m2": rng.uniform(10, 3000, n),
    })
    res = pv.estimate(roofs)
    by_town = aggregation.aggregate(res)
    total = aggregation.summary(res)
    assert by_town["capacity_kw"].sum() == pytest.approx(total["capacity_mw"] * 1000)
    assert by_town["annual_kwh"].sum() == pytest.approx(total["annual_gwh"] * 1e6)
    assert by_town["co2_t"].sum() == pytest.approx(total["co2_t"])
    assert int(by_town["roofs"].sum()) == total["roofs"] == int((roofs["area_m2"] >= 40).sum())
    # partitions estimated separately and summed give the same aggregate
    parts = [aggregation.aggregate(pv.estimate(roofs.iloc[i::3])) for i in range(3)]
    summed = pd.concat(parts).groupby("township_code").sum(numeric_only=True).reset_index()
    pd.testing.assert_frame_equal(summed[["township_code", "capacity_kw", "tce", "roofs"]],
                                  by_town[["township_code", "capacity_kw", "tce", "roofs"]], check_dtype=False)
    # adoption 0 everywhere: nothing, but no crash; empty input works too
    zero = pv.estimate(roofs, Scenario(adoption={c: 0.0 for c in CLASSES}))
    assert zero["capacity_kw"].sum() == 0.0
    empty = pv.estimate(roofs.iloc[:0])
    assert len(empty) == 0 and aggregation.summary(empty)["capacity_mw"] == 0.0


def test_h3_cells_precomputed_equal_computed():
    import h3

    lat = np.array([35.19, 35.20, 35.05, 35.33])
    lon = np.array([114.65, 114.70, 114.75, 114.90])
    df = pd.DataFrame({"lon": lon, "lat": lat})
    from cyc_geo.geo.hexgrid import cell_columns, cell_ids

    with_cols = df.assign(**cell_columns(lon, lat))
    expected = [h3.latlng_to_cell(a, b, 8) for a, b in zip(lat, lon, strict=True)]
    assert cell_ids(with_cols, 8).tolist() == expected
    assert cell_ids(df, 8).tolist() == expected
    roofs = _table([(i, "410783001000", "rural", "flat", 100.0) for i in range(4)]).assign(**with_cols)
    cells = aggregation.aggregate_h3(pv.estimate(roofs), 8)
    assert cells["capacity_kw"].sum() == pytest.approx(4 * 4.0)  # 100 m² x 20 % NEA share x 0.2 kW/m²
    assert set(cells["h3"]) == set(expected)


def test_scenario_validation_and_roundtrip():
    sc = Scenario(adoption={**NEA_ADOPTION, "rural": 0.35}, townships=("410783001000",), min_roof_m2=20,
                     params={"performance_ratio": 0.78, "tilt_deg": {"shed": 8.0}})
    back = Scenario.from_dict(json.loads(sc.to_json()))
    assert back == sc
    with pytest.raises(ValueError, match="adoption"):
        Scenario(adoption={"rural": 1.5}).validate()
    with pytest.raises(ValueError, match="unknown PV parameters"):
        Scenario(params={"bogus": 1}).validate()
    with pytest.raises(ValueError, match="performance_ratio"):
        Scenario(params={"performance_ratio": 1.7}).validate()
    with pytest.raises(ValueError, match="unknown scenario fields"):
        Scenario.from_dict({"nonsense": 1})


def test_scenario_saved_survives_reconnect_with_audit(data_dir):
    conn = db.connect()
    sc = Scenario(adoption={**NEA_ADOPTION, "rural": 0.1}, min_roof_m2=60.0)
    scenarios.save_scenario(conn, "低方案", sc, actor="planner1")
    scenarios.save_scenario(conn, "低方案", replace(sc, min_roof_m2=80.0), actor="planner2")
    conn.close()
    conn2 = db.connect()  # a restart: new connection, same file
    loaded = scenarios.load_scenario(conn2, "低方案")
    assert loaded.min_roof_m2 == 80.0 and loaded.adoption["rural"] == 0.1
    trail = db.audit_trail(conn2, scenarios.ENTITY)
    assert [(r["actor"], r["action"]) for r in trail] == [("planner2", "update"), ("planner1", "create")]
    assert json.loads(trail[0]["old_value"])["min_roof_m2"] == 60.0
    assert [r["name"] for r in scenarios.list_scenarios(conn2)] == ["低方案"]
    with pytest.raises(ValueError, match="actor"):
        scenarios.save_scenario(conn2, "x", sc, actor=" ")
    with pytest.raises(ValueError, match="empty"):
        scenarios.save_scenario(conn2, "  ", sc, actor="a")
    with pytest.raises(KeyError):
        scenarios.load_scenario(conn2, "missing")
    scenarios.delete_scenario(conn2, "低方案", actor="planner1")
    assert scenarios.list_scenarios(conn2) == []
    assert db.audit_trail(conn2, scenarios.ENTITY)[0]["action"] == "delete"


def _rect(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _footprints() -> gpd.GeoDataFrame:
    """Footprints near the 蒲西 seat (EPSG:4547) with bad rows mixed in."""
    x, y = 559_233.0, 3_897_378.0
    geoms = [
        _rect(x, y, 12, 10),                                     # 120 m², rural by size
        _rect(x + 100, y, 60, 30),                               # 1,800 m², shed by size
        None,                                                    # null
        shapely.Polygon(),                                       # empty
        shapely.Point(x, y + 50),                                # not a polygon
        shapely.Polygon([(x, y + 200), (x + 20, y + 220), (x + 20, y + 200), (x, y + 220)]),  # bow-tie
        _rect(900_000.0, 3_000_000.0, 10, 10),                   # far outside the county
    ]
    return gpd.GeoDataFrame({"name": list("abcdefg")}, geometry=geoms, crs="EPSG:4547")


def test_prepare_footprints_skips_and_counts_bad_rows(data_dir):
    out = prepare_footprints(_footprints())
    sk = out.attrs["skipped"]
    assert sk["empty_or_null"] == 2 and sk["not_polygon"] == 1 and sk["repaired"] == 1
    assert sk["outside_county"] == 1
    assert len(out) == 3  # two rectangles + the repaired bow-tie
    big = out.loc[out["area_m2"] > 1000].iloc[0]
    assert big["building_class"] == "commercial" and big["roof_type"] == "shed"
    assert big["area_m2"] == pytest.approx(1800.0, rel=1e-6)
    assert set(out["township_code"]) == {"410783001000"}
    with pytest.raises(FootprintError, match="no features"):
        prepare_footprints(_footprints().iloc[:0])
    with pytest.raises(FootprintError, match="no usable footprint"):
        prepare_footprints(_footprints().iloc[2:5])
    labelled = _footprints().iloc[:2].assign(类别=["党政机关", "不存在"])
    got = prepare_footprints(labelled)
    assert got["building_class"].tolist() == ["gov"] and got.attrs["skipped"]["unknown_class"] == 1


def _cli(*args: str, env_dir) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "CYC_GEO_DATA_DIR": str(env_dir), "CYC_GEO_DB": str(env_dir / "test.sqlite")}
    return subprocess.run([sys.executable, "-m", "cyc_geo", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def test_cli_estimate_on_footprint_file(data_dir):
    path = data_dir / "roofs.gpkg"
    _footprints().iloc[:2].to_file(path, layer="roofs", driver="GPKG")
    conn = db.connect()
    scenarios.save_scenario(conn, "all", Scenario(adoption={c: 1.0 for c in CLASSES}), actor="t")
    conn.close()
    r = _cli("pv", "estimate", "--footprints", str(path), "--scenario", "all", "--json", env_dir=data_dir)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("roofs", "usable_area_m2", "capacity_mw", "annual_gwh", "co2_t", "tce", "goal_mw", "by_township"):
        assert key in out
    # 120 m² flat x 0.45 + 1800 m² shed x 0.70 at 100 % adoption (capped by the usable share), 200 W/m²
    assert out["capacity_mw"] == pytest.approx((120 * 0.45 + 1800 * 0.70) * 0.2 / 1000, rel=1e-6)
    assert out["roofs"] == 2 and out["goal_mw"] == 70 and out["demo"] is False
    assert len(out["by_township"]) == 18
    assert sum(t["capacity_mw"] for t in out["by_township"]) == pytest.approx(out["capacity_mw"])
    puxi = next(t for t in out["by_township"] if t["code"] == "410783001000")
    assert puxi["name"] == "蒲西街道" and puxi["capacity_mw"] == pytest.approx(out["capacity_mw"])



def test_cli_emissions_and_errors_in_process(data_dir, capsys):
    from cyc_geo.cli import main

    assert main(["emissions", "--mwh", "198200", "--preset", "seed_plan", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["tce"] == pytest.approx(59_460) and got["co2_t"] == pytest.approx(154_596)
    assert main(["emissions", "--mwh", "1000", "--preset", "national_2023", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["co2_t"] == pytest.approx(530.6)
    assert main(["emissions", "--mwh", "-5", "--json"]) == 2
    assert "non-negative" in capsys.readouterr().err

    bad = data_dir / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    assert main(["pv", "estimate", "--footprints", str(bad), "--json"]) == 2
    assert "footprint" in capsys.readouterr().err
    good = data_dir / "roofs.gpkg"
    _footprints().iloc[:2].to_file(good, layer="roofs", driver="GPKG")
    assert main(["pv", "estimate", "--scenario", "missing", "--footprints", str(good)]) == 2
    assert "no PV scenario" in capsys.readouterr().err
    assert main(["pv", "estimate", "--footprints", str(good), "--preset", "national_2023", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["emission_preset"] == "national_2023"
    assert out["co2_t"] == pytest.approx(out["annual_gwh"] * 1000 * 0.5306)


def _geotiff(path, value: float, nodata_block: bool = False) -> None:
    import rasterio
    from rasterio.transform import from_origin

    arr = np.full((40, 60), value, dtype="float32")
    if nodata_block:
        arr[:, :30] = -9999
    with rasterio.open(path, "w", driver="GTiff", width=60, height=40, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(114.5, 35.4, 0.01, 0.01), nodata=-9999) as dst:
        dst.write(arr, 1)


def test_yield_raster_sampled_per_building(tmp_path):
    tif = tmp_path / "pvout.tif"
    _geotiff(tif, 1200.0, nodata_block=True)  # west half (114.5-114.8 E) is nodata
    roofs = _table([(1, "a", "rural", "flat", 100.0), (2, "b", "rural", "flat", 100.0)]).assign(
        lon=[114.9, 114.6], lat=[35.2, 35.2])
    res = pv.estimate(roofs, Scenario(params={"yield_raster": str(tif)}))
    assert res["specific_yield"].tolist() == pytest.approx([1200.0, specific_yield(None, "flat")])
    assert res["annual_kwh"].iloc[0] == pytest.approx(4.0 * 1200.0)
    # GHI raster: kWh/m² horizontal x the roof type's modelled yield per kWh/m² of GHI
    ghi = tmp_path / "ghi.tif"
    _geotiff(ghi, 1300.0)
    three = _table([(1, "a", "rural", t, 100.0) for t in ROOF_TYPES]).assign(lon=114.9, lat=35.2)
    r2 = pv.estimate(three, Scenario(params={"yield_raster": str(ghi), "yield_raster_kind": "ghi"}))
    for i, t in enumerate(ROOF_TYPES):
        sim = simulate(PVParams(), t)
        assert r2["specific_yield"].iloc[i] == pytest.approx(1300.0 * sim.poa_ghi_ratio * sim.performance_ratio)
        assert r2["specific_yield"].iloc[i] == pytest.approx(sim.specific_yield_kwh_kwp * 1300.0 / sim.ghi_kwh_m2)
    # without a raster the same roofs get the model's yields
    plain = pv.estimate(three)
    assert plain["specific_yield"].tolist() == pytest.approx([specific_yield(None, t) for t in ROOF_TYPES])


def test_rooftop_area_raster_through_zonal_sums(data_dir):
    from rasterio.transform import from_origin

    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    arr = np.full((50, 50), 25.0)  # 25 m² of roof in every 100 m pixel, 5 km x 5 km around 蒲西
    res = pv.estimate_from_area_raster((arr, from_origin(556_000, 3_900_000, 100, 100), "EPSG:4547"), towns)
    assert len(res) == 18
    assert res["area_m2"].sum() == pytest.approx(25.0 * 2500, rel=1e-6)  # all inside the county
    # rural flat: min(20 % NEA share, 0.45 usable) of the roof area x 200 W/m²
    assert res["capacity_kw"].sum() == pytest.approx(25.0 * 2500 * 0.2 * 0.2, rel=1e-6)


def test_raster_checks_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"this is not a GeoTIFF")
    with pytest.raises(ValueError, match="cannot read the raster"):
        raster_io.check_raster(bad)
    with pytest.raises(ValueError, match="yield raster not found"):
        Scenario(params={"yield_raster": str(tmp_path / "missing.tif")}).validate()
    good = tmp_path / "good.tif"
    _geotiff(good, 1000.0)
    assert raster_io.check_raster(good)["crs"] == "EPSG:4326"


def test_in_process_and_engine_payloads_agree(data_dir):
    """``pv estimate --footprints F`` and ``pv estimate --engine local --source F`` describe the same
    estimate with the same builder (cyc_geo.pv.report): shared keys hold equal values."""
    from cyc_geo.commands.pv import estimate_payload
    from cyc_geo.pv import engine, report

    path = data_dir / "roofs.gpkg"
    _footprints().to_file(path, layer="roofs", driver="GPKG")
    local = json.loads(json.dumps(estimate_payload(str(path)), default=float))
    eng = json.loads(json.dumps(engine.cli_payload(str(path), Scenario(), "local"), default=float))
    assert set(eng) - set(local) == set(report.RUN_KEYS)
    assert set(local) - set(eng) == {"scenario", "specific_yield_by_roof_type", "adoption_capped_by_usable_area"}
    for key in set(eng) & set(local) - {"by_township"}:
        # floats up to summation order (groupby sums are compensated, Series.sum pairwise)
        assert eng[key] == (pytest.approx(local[key], rel=1e-12) if isinstance(local[key], float) else local[key]), key
    assert local["skipped"]["outside_county"] == 1 and local["demo"] is False
    rows = {r["code"]: r for r in local["by_township"]}
    assert eng["by_township"] and all(
        {k: v for k, v in r.items() if k != "county_code"} == rows[r["code"]] for r in eng["by_township"])


def test_potential_range_brackets_the_central_estimate():
    rng_ = np.random.default_rng(3)
    n = 400
    roofs = pd.DataFrame({
        "roof_id": np.arange(n), "township_code": "410783001000",
        "building_class": np.array(CLASSES)[rng_.integers(0, 4, n)],
        "roof_type": np.array(ROOF_TYPES)[rng_.integers(0, 3, n)],
        "area_m2": rng_.uniform(50, 3000, n),
    })
    out = pv.potential_range(roofs)
    central = aggregation.summary(pv.estimate(roofs))
    assert out["central"]["annual_gwh"] == pytest.approx(central["annual_gwh"])
    assert out["central"]["tce"] == pytest.approx(central["tce"])
    assert out["low"]["annual_gwh"] < out["central"]["annual_gwh"] < out["high"]["annual_gwh"]
    assert out["low"]["capacity_mw"] == out["central"]["capacity_mw"] == out["high"]["capacity_mw"]
    spread = out["high"]["annual_gwh"] / out["low"]["annual_gwh"]
    assert 1.2 < spread < 1.55  # ±7 % GHI and the loss spreads (external shading 1-6 %, low light 0.5-2 %): -20 % / +20 %
    for case in ("low", "high"):
        assert out[case]["co2_t"] == pytest.approx(out[case]["annual_gwh"] * 1000 * 0.5271)


def test_cli_pv_yield_json(data_dir, capsys):
    from cyc_geo.cli import main

    assert main(["pv", "yield", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ghi_kwh_m2"] == pytest.approx(sum(g * d for g, d in zip(
        pd.read_csv(REPO / "data/reference/climate_changyuan.csv")["ghi_kwh_m2_day"],
        [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], strict=True)))
    for t in ("flat", "pitched", "shed"):
        r = out[t]
        for key in ("tilt_deg", "gcr", "poa_ghi_ratio", "specific_yield_kwh_kwp", "monthly_kwh_kwp", "losses", "ghi_kwh_m2"):
            assert key in r, (t, key)
        assert len(r["monthly_kwh_kwp"]) == 12
        assert sum(r["monthly_kwh_kwp"]) == pytest.approx(r["specific_yield_kwh_kwp"], rel=1e-9)
        assert r["ghi_kwh_m2"] == out["ghi_kwh_m2"]
        assert r["specific_yield_kwh_kwp"] == pytest.approx(specific_yield(None, t))
    assert out["flat"]["gcr"] == pytest.approx(0.53, abs=0.005) and out["pitched"]["gcr"] is None
    assert out["plan_implied_kwh_kwp"] == pytest.approx(991.0)


def _write_epw(path, weather: pd.DataFrame) -> None:
    """A minimal EPW (8 header lines, 35 columns) holding ``weather``'s GHI, DNI, DHI and air temperature."""
    head = ["LOCATION,Changyuan,HA,CHN,synthetic,000000,35.19,114.75,8.0,65.0",
            "DESIGN CONDITIONS,0", "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
            "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0", "COMMENTS 1,test", "COMMENTS 2,test",
            "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31"]
    rows = []
    for (ts, r) in weather.iterrows():
        vals = [2023, ts.month, ts.day, ts.hour + 1, 0, "?", f"{r.temp_air:.6f}", 0, 50, 101325, 0, 0, 0,
                f"{r.ghi:.6f}", f"{r.dni:.6f}", f"{r.dhi:.6f}"] + [0] * 19
        rows.append(",".join(str(v) for v in vals))
    path.write_text("\n".join(head + rows) + "\n", encoding="utf-8")


def test_hourly_weather_file_replaces_the_monthly_means(tmp_path):
    from cyc_geo.pv import irradiance

    p = PVParams()
    w = irradiance.all_sky(p.latitude, p.longitude, p.altitude_m, irradiance.climate_tuple())
    epw = tmp_path / "changyuan.epw"
    _write_epw(epw, w)
    q = p.with_overrides({"weather_file": str(epw)})
    for t in ROOF_TYPES:
        assert simulate(q, t).specific_yield_kwh_kwp == pytest.approx(simulate(p, t).specific_yield_kwh_kwp, rel=1e-6)
    assert q.clearness_factor == pytest.approx(p.clearness_factor, rel=1e-6)
    with pytest.raises(ValueError, match="weather file not found"):
        p.with_overrides({"weather_file": str(tmp_path / "missing.epw")})


def test_own_climate_file_scales_the_yield(tmp_path):
    clim = pd.read_csv(REPO / "data/reference/climate_changyuan.csv")
    path = tmp_path / "station.csv"
    clim.assign(ghi_kwh_m2_day=clim["ghi_kwh_m2_day"] * 1.10).to_csv(path, index=False)
    base = simulate(PVParams(), "shed")
    own = simulate(PVParams(climate_file=str(path)), "shed")
    assert own.ghi_kwh_m2 == pytest.approx(1.10 * base.ghi_kwh_m2)
    assert 1.08 < own.specific_yield_kwh_kwp / base.specific_yield_kwh_kwp < 1.11
    clim.iloc[:11].to_csv(path, index=False)  # edited in place: read again, and refused
    with pytest.raises(ValueError, match="12 months"):
        simulate(PVParams(climate_file=str(path)), "shed")


def test_cli_yield_and_estimate_take_the_sites_own_weather(data_dir, tmp_path, capsys):
    """``--weather`` (an hourly EPW) and ``--climate`` (monthly means) replace the bundled climate in the CLI;
    a missing file is refused with its reason and exit code 2."""
    from cyc_geo.cli import main
    from cyc_geo.pv import irradiance

    p = PVParams()
    epw = tmp_path / "changyuan.epw"
    _write_epw(epw, irradiance.all_sky(p.latitude, p.longitude, p.altitude_m, irradiance.climate_tuple()))
    assert main(["pv", "yield", "--json"]) == 0
    base = json.loads(capsys.readouterr().out)
    assert main(["pv", "yield", "--weather", str(epw), "--json"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert same["climate"] == str(epw.resolve())
    assert same["shed"]["specific_yield_kwh_kwp"] == pytest.approx(base["shed"]["specific_yield_kwh_kwp"], rel=1e-6)
    clim = pd.read_csv(REPO / "data/reference/climate_changyuan.csv")
    station = tmp_path / "station.csv"
    clim.assign(ghi_kwh_m2_day=clim["ghi_kwh_m2_day"] * 1.10).to_csv(station, index=False)
    assert main(["pv", "yield", "--climate", str(station), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ghi_kwh_m2"] == pytest.approx(1.10 * base["ghi_kwh_m2"])
    assert main(["pv", "yield", "--weather", str(tmp_path / "missing.epw")]) == 2
    assert "weather file not found" in capsys.readouterr().err
