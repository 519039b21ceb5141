"""Indicator catalogue against the seed's 附件1, status logic, derived net CO2, spatial providers, validation."""

from __future__ import annotations

import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cyc_geo import db
from cyc_geo.indicators import catalogue as ind

REPO = Path(__file__).resolve().parents[2]
SEED = Path("/work/shared/seed/000_36a725ee7d72af04.txt")
ANNEX_HEADER = "序号\t领域\t指标\t单位\t现状值\t2022年\t2023年\t2024年\t牵头单位\t配合单位"


def seed_annex1() -> list[list[str]]:
    """Parse 附件1 straight from the seed text: tab-separated rows, a blank 领域 repeats the one above,
    and a line that does not start with a number continues the previous row's 指标 (row 10's title is
    split by a page break: 规上高碳行业增加值占 / 比)."""
    text = SEED.read_text(encoding="utf-8")
    block = text[text.index(ANNEX_HEADER) + len(ANNEX_HEADER) : text.index("附件2\n\n重点项目表")]
    rows: list[list[str]] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        cells = line.split("\t")
        if cells[0].strip().isdigit():
            cells = [c.strip() for c in cells] + [""] * (10 - len(cells))
            if not cells[1]:
                cells[1] = rows[-1][1]
            rows.append(cells[:10])
        else:
            rows[-1][2] += cells[0].strip()
    return rows


SEED_ROWS = seed_annex1() if SEED.exists() else []
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="seed text not available")


@pytest.fixture(scope="module")
def cat():
    return ind.load_catalogue()


@needs_seed
def test_catalogue_matches_seed_annex1_cell_by_cell(cat):
    assert len(SEED_ROWS) == 18
    annex = ind.annex_rows(cat)
    assert list(annex["no"]) == list(range(1, 19))
    for seed_row, (_, row) in zip(SEED_ROWS, annex.iterrows(), strict=True):
        no, domain, name, unit, base, t22, t23, t24, lead, partners = seed_row
        assert int(no) == row["no"]
        assert (domain, name, unit, lead, partners) == (row["domain"], row["name"], row["unit"], row["lead"], row["partners"])
        for seed_val, col in zip((base, t22, t23, t24), ("baseline", "target_2022", "target_2023", "target_2024"), strict=True):
            assert float(seed_val) == row[col], (no, col)
    assert cat.loc[10, "name"] == "规上高碳行业增加值占比"
    assert cat.loc[13, "partners"] == "——"


def test_catalogue_extra_columns_are_complete(cat):
    assert cat["name_en"].str.len().gt(3).all()
    assert set(cat["direction"]) == {"higher", "lower"}
    # every baseline and target sits inside the indicator's valid range (else validation would reject the plan's own numbers)
    for col in ("baseline", "target_2022", "target_2023", "target_2024"):
        vals = cat[col].dropna()
        assert (vals >= cat.loc[vals.index, "valid_min"]).all() and (vals <= cat.loc[vals.index, "valid_max"]).all(), col
    # the PV goal of 三、二: 光伏装机容量力争达到 7 万千瓦 = 70 MW in 2024, marked as not part of 附件1
    pv = cat.loc[19]
    assert pv["origin"] != "附件1" and pv["unit"] == "MW" and pv["target_2024"] == 7 * 10_000 / 1000
    assert math.isnan(pv["target_2022"])


def test_directions_follow_meaning(cat):
    lower = {3, 5, 9, 10, 15, 17}  # totals, intensities, high-carbon share, per-capita emissions: caps
    higher = {1, 2, 4, 6, 7, 8, 11, 12, 13, 14, 16, 18, 19}  # growth, decline rates, sinks, shares
    assert set(cat.index[cat["direction"] == "lower"]) == lower
    assert set(cat.index[cat["direction"] == "higher"]) == higher
    # 二氧化碳排放总量's targets rise year on year, yet lower is better: they are caps
    assert cat.loc[3, "target_2022"] < cat.loc[3, "target_2024"]


def test_status_higher_is_better():
    assert ind.status(5.6, 5.5, "higher") == ind.MET
    assert ind.status(5.5, 5.5, "higher") == ind.MET
    assert ind.status(5.4, 5.5, "higher") == ind.BEHIND
    assert ind.status(None, 5.5, "higher") == ind.NO_DATA
    assert ind.status(5.0, None, "higher") == ind.NO_DATA


def test_status_lower_is_better():
    # 二氧化碳排放总量 2024 cap 267.25 万吨
    assert ind.status(266.0, 267.25, "lower") == ind.MET
    assert ind.status(267.25, 267.25, "lower") == ind.MET
    assert ind.status(270.0, 267.25, "lower") == ind.BEHIND
    assert ind.status(float("nan"), 267.25, "lower") == ind.NO_DATA


def test_status_array_vectorised_and_rejects_unknown_direction():
    got = ind.status_array([1, 3, None, 2, 2], [2, 2, 2, np.nan, 2], ["higher", "higher", "lower", "lower", "lower"])
    assert list(got) == [ind.BEHIND, ind.MET, ind.NO_DATA, ind.NO_DATA, ind.MET]
    with pytest.raises(ValueError):
        ind.status_array([1], [1], ["sideways"])


def test_net_emission_rule_holds_for_seed_numbers(cat):
    """附件1: 二氧化碳净排放量 = 二氧化碳排放总量 − 碳汇量 for 现状值 and every target year."""
    assert cat.loc[5, "source"] == "derived" and ind.parse_rule(cat.loc[5, "rule"]) == [(1, 3), (-1, 4)]
    checked = 0
    for col in ("baseline", "target_2022", "target_2023", "target_2024"):
        derived = ind.derive(cat.loc[5, "rule"], {3: cat.loc[3, col], 4: cat.loc[4, col]})
        assert derived == pytest.approx(cat.loc[5, col], abs=1e-9), col
        checked += 1
    assert checked == 4
    # hand check of one year: 267.25 − 26.05 = 241.20
    assert round(267.25 - 26.05, 2) == cat.loc[5, "target_2024"]


def test_derived_status_meets_target_exactly_at_seed_values(data_dir, cat):
    """With total and sink reported exactly at the 2023 targets, net emission equals its target -> 达标 (no float
    artefact); a map value of the sink is never an input of #5 (issue 26: reported inputs only)."""
    spatial = {4: ind.SpatialValue(cat.loc[4, "target_2023"]), 3: ind.SpatialValue(cat.loc[3, "target_2023"])}
    cat2 = cat.copy()
    cat2.loc[3, "source"] = "spatial"
    cat2.loc[3, "rule"] = "x:y"
    ev = ind.evaluate(2023, None, spatial, cat2).set_index("no")
    assert ev.loc[5, "status"] == ind.NO_DATA and "#3, #4 not reported" in ev.loc[5, "reason"]
    conn = db.connect()
    ind.save_values(conn, [{"no": 3, "year": 2023, "value": cat.loc[3, "target_2023"]},
                           {"no": 4, "year": 2023, "value": cat.loc[4, "target_2023"]}], actor="a", catalogue=cat)
    ev = ind.evaluate(2023, conn, spatial, cat).set_index("no")
    conn.close()
    assert ev.loc[5, "value"] == pytest.approx(240.11)
    assert ev.loc[5, "status"] == ind.MET and ev.loc[5, "value_source"] == "derived"


def test_parse_rule_rejects_garbage():
    for bad in ("", "#3 #4", "3 - 4", "#3 * #4"):
        with pytest.raises(ValueError):
            ind.parse_rule(bad)
    assert ind.derive("#3 - #4", {3: 10.0}) is None


def test_spatial_providers_missing_or_failing_give_no_data(cat, monkeypatch):
    boom = types.ModuleType("cyc_geo_fake_provider")

    def fail() -> float:
        raise RuntimeError("raster missing")

    boom.fail = fail
    boom.good = lambda scenario=None: 12.5 if scenario is None else 99.0
    monkeypatch.setitem(sys.modules, "cyc_geo_fake_provider", boom)
    cat2 = cat.copy()
    cat2.loc[4, "rule"] = "cyc_geo_fake_provider:fail"
    cat2.loc[16, "rule"] = "cyc_geo_no_such_module:f"
    cat2.loc[19, "rule"] = "cyc_geo.pv_fake:x"
    sv = ind.spatial_values(cat2)
    assert sv[4].value is None and "raster missing" in sv[4].reason
    assert sv[16].value is None and "not available" in sv[16].reason
    ev = ind.evaluate(2024, None, sv, cat2).set_index("no")
    assert (ev.loc[[4, 16, 19], "status"] == ind.NO_DATA).all()
    assert ev.loc[5, "status"] == ind.NO_DATA
    # a working provider is used, and the PV scenario is passed only to providers that take one
    boom.plain = lambda: 7.0
    cat2.loc[16, "rule"] = "cyc_geo_fake_provider:good"
    cat2.loc[4, "rule"] = "cyc_geo_fake_provider:plain"
    assert ind.spatial_values(cat2)[16].value == 12.5
    both = ind.spatial_values(cat2, pv_scenario=object())
    assert both[16].value == 99.0 and both[4].value == 7.0


def test_every_spatial_rule_of_the_catalogue_names_a_function(cat):
    """The shipped catalogue's providers resolve (a moved module once left three indicators without data)."""
    rules = cat.loc[cat["source"] == "spatial", "rule"]
    assert len(rules) == 3
    for rule in rules:
        assert callable(ind.provider(rule)), rule


def test_spatial_value_statuses(cat):
    sv = {4: ind.SpatialValue(27.0), 16: ind.SpatialValue(182.5), 19: ind.SpatialValue(35.0)}
    ev = ind.evaluate(2024, None, sv, cat).set_index("no")
    assert ev.loc[4, "status"] == ind.MET  # 27.0 >= 26.05
    assert ev.loc[16, "status"] == ind.BEHIND  # 182.5 < 183
    assert ev.loc[19, "status"] == ind.BEHIND  # 35 MW < 70 MW
    ev22 = ind.evaluate(2022, None, sv, cat).set_index("no")
    assert ev22.loc[19, "status"] == ind.NO_TARGET and "no target for 2022" in ev22.loc[19, "reason"]
    assert pd.isna(ev22.loc[19, "reference_path"])  # a year-independent value has no path start


def test_reported_values_flow_into_status_and_derived(data_dir, cat):
    conn = db.connect()
    n = ind.save_values(
        conn,
        [{"no": 3, "year": 2024, "value": "265.0"}, {"no": 4, "year": 2024, "value": 24.0, "note": "林业局年报"}],
        actor="alice",
        catalogue=cat,
    )
    assert n == 2
    ev = ind.evaluate(2024, conn, {16: ind.SpatialValue(190.0)}, cat).set_index("no")
    assert ev.loc[3, "status"] == ind.MET  # 265 <= 267.25
    assert ev.loc[4, "status"] == ind.BEHIND and ev.loc[4, "value_source"] == "reported"  # overrides the map
    assert ev.loc[5, "value"] == pytest.approx(265.0 - 24.0)
    assert ev.loc[5, "status"] == ind.MET  # 241.0 <= cap 241.2
    ind.save_values(conn, [{"no": 3, "year": 2024, "value": 267.3}], actor="bob", catalogue=cat)
    ev = ind.evaluate(2024, conn, {}, cat).set_index("no")
    assert ev.loc[3, "status"] == ind.BEHIND  # 267.3 > cap 267.25
    assert ev.loc[5, "value"] == pytest.approx(243.3) and ev.loc[5, "status"] == ind.BEHIND  # > 241.2
    conn.close()


def test_audit_trail_records_old_new_actor(data_dir, cat):
    conn = db.connect()
    ind.save_values(conn, [{"no": 7, "year": 2023, "value": 9.9}], "alice", cat)
    ind.save_values(conn, [{"no": 7, "year": 2023, "value": 10.2}], "bob", cat)
    assert ind.save_values(conn, [{"no": 7, "year": 2023, "value": 10.2}], "bob", cat) == 0  # unchanged: no write
    ind.save_values(conn, [{"no": 7, "year": 2023, "value": ""}], "carol", cat)  # empty cell deletes
    trail = db.audit_trail(conn, ind.AUDIT_ENTITY)
    assert [(t["actor"], t["action"]) for t in trail] == [("carol", "delete"), ("bob", "update"), ("alice", "insert")]
    assert json.loads(trail[1]["old_value"])["value"] == 9.9 and json.loads(trail[1]["new_value"])["value"] == 10.2
    assert trail[0]["entity_key"] == "7:2023" and trail[0]["new_value"] is None
    assert all(t["at"] for t in trail)
    assert ind.read_value(conn, 7, 2023) is None
    conn.close()


@pytest.mark.parametrize(
    "entry, fragment",
    [
        ({"no": 1, "year": 2024, "value": "abc"}, "numbers only"),
        ({"no": 1, "year": 2024, "value": "7.5%"}, "numbers only"),
        ({"no": 1, "year": 2024, "value": True}, "numbers only"),
        ({"no": 1, "year": 2024, "value": float("inf")}, "numbers only"),
        ({"no": 7, "year": 2024, "value": 120}, "outside the valid range"),
        ({"no": 3, "year": 2024, "value": -5}, "outside the valid range"),
        ({"no": 5, "year": 2024, "value": 200}, "derived"),
        ({"no": 99, "year": 2024, "value": 1}, "no such indicator"),
        ({"no": 1, "year": 2030, "value": 1}, "year must be one of"),
        ({"no": 1, "year": 2024, "value": 1, "note": "x" * 501}, "note longer"),
    ],
)
def test_bad_input_rejected_and_nothing_written(data_dir, cat, entry, fragment):
    conn = db.connect()
    ind.save_values(conn, [{"no": 2, "year": 2024, "value": 5.0}], "alice", cat)
    before_vals = ind.read_values(conn).to_dict("records")
    before_audit = len(db.audit_trail(conn))
    good = {"no": 1, "year": 2024, "value": 7.0}  # a valid entry in the same batch must not be written either
    with pytest.raises(ind.ValidationError) as err:
        ind.save_values(conn, [good, entry], "alice", cat)
    assert fragment in str(err.value)
    assert any("/" in e for e in err.value.errors)  # zh / en message
    assert ind.read_values(conn).to_dict("records") == before_vals
    assert len(db.audit_trail(conn)) == before_audit
    conn.close()


def test_duplicate_and_missing_actor_rejected(data_dir, cat):
    conn = db.connect()
    with pytest.raises(ind.ValidationError, match="duplicate"):
        ind.save_values(conn, [{"no": 1, "year": 2024, "value": 1}, {"no": 1, "year": 2024, "value": 2}], "a", cat)
    with pytest.raises(ind.ValidationError, match="actor"):
        ind.save_values(conn, [{"no": 1, "year": 2024, "value": 1}], " ", cat)
    assert ind.read_values(conn).empty
    conn.close()


def test_write_value_requires_transaction(data_dir):
    conn = db.connect()
    with pytest.raises(RuntimeError):
        ind.write_value_in_tx(conn, 1, 2024, 1.0, "a")
    conn.close()


def test_trajectories_long_table(cat):
    long = ind.trajectories(None, {4: ind.SpatialValue(25.0)}, cat)
    sink = long[long["no"] == 4]
    plan = sink[sink["kind"] == "plan"].sort_values("order")
    assert list(plan["stage"]) == ["现状", "2022", "2023", "2024"]
    assert list(plan["amount"]) == [23.36, 24.19, 25.12, 26.05]
    assert list(sink[sink["kind"] == "actual"]["amount"]) == [25.0, 25.0, 25.0]


def test_cli_json(demo_data_dir, tmp_path, capsys):
    from cyc_geo.cli import main  # in-process: the command's own output and exit code, no interpreter start

    cmd = ["indicators"]
    code = main([*cmd, "--year", "2024", "--set", "9=1.05", "--actor", "cli", "--no-spatial", "--json"])
    r = capsys.readouterr()
    assert code == 0, r.err
    rows = json.loads(r.out)
    assert [row["no"] for row in rows][:18] == list(range(1, 19))
    for row in rows:
        assert {"no", "name", "unit", "baseline", "target", "value", "status", "source"} <= set(row)
    r9 = rows[8]
    assert (r9["name"], r9["target"], r9["value"], r9["status"]) == ("单位工业增加值碳排放", 1.1, 1.05, "达标")
    assert rows[0]["status"] == "无数据" and rows[0]["value"] is None
    bad = main([*cmd, "--year", "2024", "--set", "9=lots", "--actor", "cli", "--no-spatial"])
    assert bad == 2 and "numbers only" in capsys.readouterr().err
    out = tmp_path / "ind.csv"
    code = main([*cmd, "--year", "2023", "--no-spatial", "--export", str(out)])
    assert code == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")
