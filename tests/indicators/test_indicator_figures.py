"""Issue 26: indicator rows carry the bureau's reported value and the map estimate side by side, one scored
actual, #5 from reported inputs only with the stock-difference net sink beside it, and one stock scope shared
with ``carbon --json`` — on the demo county through the CLI."""

from __future__ import annotations

import json

import pytest

from cyc_geo.cli import main
from cyc_geo.indicators import catalogue as ind

# poplar factors written out independently of the code: BEF 1.446, R 0.227, D 0.378, CF 0.4956, × 44/12
T_CO2_PER_M3 = 1.446 * (1 + 0.227) * 0.378 * 0.4956 * 44 / 12


def _rows(capsys, *args: str) -> dict[int, dict]:
    assert main(["indicators", "--year", "2023", "--json", *args]) == 0
    return {r["no"]: r for r in json.loads(capsys.readouterr().out)}


def test_map_estimate_of_the_years_own_version_is_scored(demo_data_dir, capsys):
    rows = _rows(capsys)
    for no in (4, 16):
        r = rows[no]
        assert {"map_estimate", "reported", "actual", "scored"} <= set(r)
        assert r["reported"] is None
        # the demo ships a land-cover vintage of 2023 (issue 28): the map estimate of 2023 is the actual
        est = r["map_estimate"]
        assert est["value"] > 0 and est["data_year"] == 2023 and est["scored"] is True
        assert r["actual"] == est["value"] and r["scored"] == "map_estimate" and r["status"] != ind.NO_DATA
        assert "2023" in est["note"] and ("sink_by_year" if no == 4 else "stock_by_year") in est["method"]


def test_reported_sink_is_the_actual_and_net_emissions_use_reported_inputs_only(demo_data_dir, capsys):
    rows = _rows(capsys, "--set", "3=266.0", "--actor", "x")
    # #3 reported, #4 not (its actual is the map estimate of the 2023 vintage): #5 is not computed from the map's
    # modelled uptake (was 266.0 − 23.354 = 242.65)
    assert rows[3]["actual"] == 266.0 and rows[4]["reported"] is None and rows[4]["scored"] == "map_estimate"
    assert rows[5]["actual"] is None and rows[5]["status"] == ind.NO_DATA and "#4" in rows[5]["reason"]
    rows = _rows(capsys, "--set", "4=24.0", "--actor", "x", "--note", "林业局年报")
    r4 = rows[4]
    assert r4["actual"] == 24.0 and r4["scored"] == "reported" and r4["status"] == ind.BEHIND  # 24.0 < 25.12
    assert r4["reported"]["value"] == 24.0 and r4["reported"]["who"] == "x" and r4["reported"]["year"] == 2023
    assert r4["reported"]["note"] == "林业局年报" and r4["reported"]["when"]
    assert r4["map_estimate"]["value"] > 0 and r4["map_estimate"]["scored"] is False  # shown beside, not scored
    r5 = rows[5]
    assert r5["actual"] == pytest.approx(266.0 - 24.0) and r5["scored"] == "derived"
    # beside #5: the IPCC 2006 stock-difference net sink of the plan's stock path, 3 万m³ / 3 yr, never scored
    ref = r5["reference"]
    assert ref["value"] == pytest.approx(1.0 * T_CO2_PER_M3, rel=1e-6)  # ≈ 1.22 万t CO2/yr
    assert "蓄积差" in ref["name"] and "stock-difference" in ref["name_en"] and "180→183" in ref["definition"]


def test_indicator16_and_4_equal_carbon_json_for_the_same_scope(demo_data_dir, capsys):
    rows = _rows(capsys)
    assert main(["carbon", "--json", "--year", "2023"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stock_scope_classes"] == ["0301"] and doc["data_year"] == 2023
    assert rows[16]["map_estimate"]["value"] == pytest.approx(doc["stock_m3"] / 1e4, rel=1e-3)
    assert rows[4]["map_estimate"]["value"] == pytest.approx(doc["sink_t_co2"] / 1e4, rel=1e-3)
    assert "0301" in rows[16]["map_estimate"]["note"] and "0307" not in rows[16]["map_estimate"]["note"]
