"""Saved PV scenarios side by side: numbers equal the single-scenario estimates, parameters' differences."""

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cyc_geo.pv import aggregation, compare
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import NEA_ADOPTION, Scenario


@pytest.fixture(scope="module")
def small():
    from cyc_geo.places.townships import load_townships
    from cyc_geo.pv.rooftops import load_rooftops

    roofs = load_rooftops()
    table = pd.DataFrame(roofs.drop(columns="geometry")).iloc[::50].reset_index(drop=True)
    return table, load_townships()


def _scenarios():
    half = Scenario(adoption={c: v / 2 for c, v in NEA_ADOPTION.items()})
    pr = Scenario(params={"performance_ratio": 0.7})
    return {"默认": Scenario(), "减半": half, "PR 0.7": pr}


def test_comparison_equals_the_single_scenario_estimates(small):
    roofs, towns = small
    scs = _scenarios()
    out = compare.compare(scs, roofs, towns)
    tot = out["totals"].set_index("scenario")
    for name, sc in scs.items():
        single = aggregation.summary(pv.estimate(roofs, sc))
        assert tot.loc[name, "capacity_mw"] == pytest.approx(single["capacity_mw"])
        assert tot.loc[name, "annual_gwh"] == pytest.approx(single["annual_gwh"])
        assert tot.loc[name, "co2_t"] == pytest.approx(single["co2_t"])
        town = aggregation.township_table(pv.estimate(roofs, sc), towns).set_index("code")["capacity_mw"]
        got = out["by_township"].query("scenario == @name").set_index("code")["capacity_mw"]
        assert np.allclose(got.loc[town.index].to_numpy(), town.to_numpy())
    # half the adoption shares: a little over half the capacity (the per-roof usable cap binds on some roofs
    # at the default shares, not at half of them)
    half, full = tot.loc["减半", "capacity_mw"], tot.loc["默认", "capacity_mw"]
    assert full / 2 <= half <= full / 2 * 1.01
    # a lower PR changes the generation, not the capacity
    assert tot.loc["PR 0.7", "capacity_mw"] == pytest.approx(tot.loc["默认", "capacity_mw"])
    assert tot.loc["PR 0.7", "annual_gwh"] < tot.loc["默认", "annual_gwh"]
    assert len(out["by_township"]) == 3 * len(towns)


def test_parameter_differences_are_named_in_words():
    table = compare.parameter_table(_scenarios(), "zh")
    differs = table[table["不同"] == "是"]["参数"].tolist()
    assert "开发比例：党政机关 (%)" in differs and "系统效率 PR" in differs
    assert "最小屋顶面积 (m²)" not in differs
    row = table.set_index("参数").loc["开发比例：党政机关 (%)"]
    assert (row["默认"], row["减半"]) == ("50", "25")
    assert table.set_index("参数").loc["系统效率 PR", "默认"] == "默认"
    only = compare.parameter_table(_scenarios(), "en", only_differences=True)
    assert set(only["Differs"]) == {"yes"} and "Performance ratio" in only["Parameter"].tolist()


def test_comparison_needs_two_scenarios(small):
    with pytest.raises(ValueError, match="两个"):
        compare.compare({"a": Scenario()}, *small)


def test_comparison_workbook_numbers_are_numbers_with_demo_note(small):
    roofs, towns = small
    out = compare.compare(dict(list(_scenarios().items())[:2]), roofs, towns)
    wb = openpyxl.load_workbook(io.BytesIO(compare.workbook(out, "zh", demo=True)))
    assert wb.sheetnames == ["合计", "分乡镇装机", "分乡镇发电", "分乡镇减排", "参数差异"]
    rows = [[c.value for c in r] for r in wb["合计"].iter_rows()]
    assert rows[0][0] == "屋顶光伏情景对比（开发比例情景潜力）"
    assert any(r[0] == "数据性质" and "演示" in str(r[1]) for r in rows)
    assert any(r[0] == "情景" and r[1] == "默认、减半" for r in rows)
    head = next(i for i, r in enumerate(rows) if r[0] == "情景" and r[2] == "潜力装机 (MW)")
    first = rows[head + 1]
    assert first[0] == "默认" and isinstance(first[2], float)
    assert first[2] == round(out["totals"]["capacity_mw"].iloc[0], 1)
    town = [[c.value for c in r] for r in wb["分乡镇装机"].iter_rows()]
    assert ["代码", "乡镇", "默认 (MW)", "减半 (MW)"] in town


def test_pv_page_compares_two_saved_scenarios(tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from cyc_geo import db
    from cyc_geo.pv import scenarios
    from ui.common import database

    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "cmp.sqlite"))
    monkeypatch.chdir(repo)
    database.clear()
    conn = db.connect()
    scenarios.save_scenario(conn, "甲", Scenario(), "alice")
    scenarios.save_scenario(conn, "乙", Scenario.from_dict({"adoption": {"rural": 0.1}}), "alice")
    conn.close()
    at = AppTest.from_file(str(repo / "views" / "pv.py"), default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    pick = at.multiselect(key="pv_compare_pick")
    assert set(pick.value) == {"甲", "乙"}
    tot = next(d.value for d in at.dataframe if "潜力装机 (MW)" in d.value.columns and "情景" in d.value.columns)
    cap = dict(zip(tot["情景"], tot["潜力装机 (MW)"], strict=True))
    assert cap["乙"] < cap["甲"]  # rural adoption 10 % instead of 20 %
    params = next(d.value for d in at.dataframe if "不同" in d.value.columns)
    assert params.set_index("参数").loc["开发比例：农村居民 (%)", "不同"] == "是"
    assert any(b.label == "下载对比 Excel" for b in at.get("download_button"))
