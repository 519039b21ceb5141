"""Vintages (issue 28 item 1): every layer reports the version it uses for a year — its data year, or
"carried from YYYY" — and the demo ships land-cover vintages 2021–2024 built by deterministic rules."""

from __future__ import annotations

import json

import numpy as np

from cyc_geo.catalog.provenance import data_year_label, version_label
from cyc_geo.cli import main
from cyc_geo.demo.landcover_vintages import FIRST_YEAR, LATEST_YEAR, VintageParams, derive_vintages


def _layers(capsys, year: int) -> dict[str, dict]:
    assert main(["layers", "--json", "--year", str(year)]) == 0
    return {r["id"]: r for r in json.loads(capsys.readouterr().out)}


def test_layers_year_reports_the_version_of_each_layer(demo_data_dir, capsys):
    rows = _layers(capsys, 2022)
    lc, forest, pv = rows["landcover"]["version"], rows["forest"]["version"], rows["pv_installations"]["version"]
    # the demo's land cover of 2022, its own file, said as data of 2022
    assert (lc["year"], lc["data_year"], lc["carried_from"], lc["origin"]) == (2022, 2022, None, "demo")
    assert lc["path"].endswith("landcover_demo_2022.tif") and (lc["label_zh"], lc["label_en"]) == ("2022 年数据",
                                                                                                   "data of 2022")
    # the forest patches are derived from the land cover: the same version
    assert forest["data_year"] == 2022 and forest["derived_from"] == "landcover" and forest["path"] == lc["path"]
    # the PV ledger's rows are dated: its version of 2022 is the ledger as of 31 Dec 2022
    assert pv["data_year"] == 2022 and pv["label_en"] == "ledger as of 31 Dec 2022"
    assert rows["landcover"]["data_year"] == "2024"  # the current demo raster is the latest vintage
    # a later year carries the latest vintage and says so; an earlier year has none
    later = _layers(capsys, 2025)["landcover"]["version"]
    assert (later["data_year"], later["carried_from"]) == (2024, 2024) and later["path"].endswith("landcover_demo.tif")
    assert (later["label_zh"], later["label_en"]) == ("沿用 2024 年数据", "carried from 2024")
    assert _layers(capsys, 2025)["pv_installations"]["version"]["label_en"] == "carried from 2024"
    before = _layers(capsys, 2020)["landcover"]["version"]
    assert before["data_year"] is None and before["label_en"] == "no data for 2020 or earlier"


def test_layers_year_refuses_a_bad_year(demo_data_dir, capsys):
    assert main(["layers", "--json", "--year", "20x2"]) == 2
    assert "invalid year: '20x2'" in json.loads(capsys.readouterr().out)["message_en"]


def test_labels_say_carried_from():
    assert version_label(2022, 2024, "zh") == "沿用 2022 年数据" and version_label(2022, 2024, "en") == "carried from 2022"
    assert version_label(2024, 2024, "zh") == "2024 年数据"
    assert data_year_label(2022, "zh", for_year=2023) == "沿用 2022 年数据"
    assert data_year_label(2022, "en") == "data year 2022" and data_year_label(None, "en", 2023) == "data year unknown"


def _toy() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 60 × 60 grid at 20 m (0.04 ha a cell): tree forest, young stands and cropland, a corridor strip."""
    lc = np.full((60, 60), 102, dtype="uint16")
    lc[:20, :] = 301
    lc[20:30, :] = 307
    lc[50:, :] = 301  # the corridor's forest
    corridor = np.zeros(lc.shape, dtype=bool)
    corridor[50:, :] = True
    farmland = np.zeros(lc.shape, dtype=bool)
    farmland[50:, :10] = True  # cells touching 永久基本农田
    return lc, corridor, farmland


def test_demo_vintages_follow_the_stated_rules():
    lc, corridor, farmland = _toy()
    params = VintageParams(belt_share=0.10, growth_ha=2.0, harvest_ha=1.0, loss_ha=0.4)
    out = derive_vintages(lc, corridor, farmland, 0.04, params)
    assert sorted(out) == list(range(FIRST_YEAR, LATEST_YEAR + 1)) and (out[LATEST_YEAR] == lc).all()
    again = derive_vintages(lc, corridor, farmland, 0.04, params)
    assert all((out[y] == again[y]).all() for y in out)  # deterministic
    pool = int((corridor & ~farmland & (lc == 301)).sum())  # 500 cells: 50 planted a year
    for year in range(FIRST_YEAR + 1, LATEST_YEAR + 1):
        before, after = out[year - 1].astype(int), out[year].astype(int)
        changed = before != after
        planted = changed & corridor
        assert planted.sum() == round(pool * 0.10) and (before[planted] == 102).all() and (after[planted] == 301).all()
        grown = changed & ~corridor & (before == 307)
        assert grown.sum() == 50 and (after[grown] == 301).all()  # 2 ha of young stands closed canopy
        harvested = changed & ~corridor & (after == 307)
        assert harvested.sum() == 25 and (before[harvested] == 301).all()  # 1 ha clear-felled to 迹地
        lost = changed & ~corridor & (after == 102)
        assert lost.sum() == 10 and (before[lost] == 301).all()  # 0.4 ha returned to cropland
        assert changed.sum() == planted.sum() + 50 + 25 + 10
    assert not any((out[y][farmland] != lc[farmland]).any() for y in out)  # 永久基本农田 never planted
    # the 0301 area grows by the belt and growth, less harvest and loss: (50 + 50 − 25 − 10) cells a year
    assert [int((out[y] == 301).sum()) for y in out] == [int((lc == 301).sum()) - 65 * k for k in (3, 2, 1, 0)]
