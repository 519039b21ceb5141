"""The change between two years: new installations, forest gained / lost, farmland lost."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from cyc_geo.geo.zonal import RasterData
from cyc_geo.planning import change as chg


def _raster(classes: list[list[int]], res: float = 20.0) -> RasterData:
    arr = np.ma.masked_equal(np.array([classes], dtype="uint16"), 0)
    return RasterData(arr, Affine(res, 0, 500_000, 0, -res, 3_900_000), rasterio.crs.CRS.from_epsg(4547), ["landcover"])


def test_masks_count_class_changes_between_forest_and_cropland_only():
    before = np.array([[301, 307, 102, 102, 301, 0]])
    after = np.array([[307, 301, 301, 702, 102, 301]])
    m = chg.change_masks(before, after)
    # 0301↔0307 stays forest; 0102→0301 is forest gained and farmland lost; 0301→0102 forest lost; nodata nothing
    assert m[chg.FOREST_GAINED].tolist() == [[False, False, True, False, False, False]]
    assert m[chg.FOREST_LOST].tolist() == [[False, False, False, False, True, False]]
    assert m[chg.FARMLAND_LOST].tolist() == [[False, False, True, True, False, False]]


def test_area_change_in_ha_and_drawn_blocks():
    before = _raster([[102, 102, 301, 301, 201]] * 5)
    after = _raster([[301, 102, 102, 301, 201]] * 5)
    totals, drawn = chg.area_change(before, after, block_m=100.0)
    cell_ha = 20 * 20 / 10_000
    assert totals[chg.FOREST_GAINED] == pytest.approx(5 * cell_ha)
    assert totals[chg.FOREST_LOST] == pytest.approx(5 * cell_ha)
    assert totals[chg.FARMLAND_LOST] == pytest.approx(5 * cell_ha)
    assert sorted(drawn["kind"]) == sorted(chg.KINDS) and drawn.crs.to_epsg() == 4326
    assert drawn.set_index("kind")["area_ha"][chg.FOREST_GAINED] == pytest.approx(5 * cell_ha)


def test_change_2022_to_2024_on_the_demo(demo_landcover_dir, monkeypatch):
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(demo_landcover_dir))
    from cyc_geo.carbon.landcover import FOREST_CODES, load_landcover
    from cyc_geo.catalog.vintages import layer_for_year
    from cyc_geo.pv.installations import load_installations
    from cyc_geo.pv.progress import installations_as_of

    c = chg.change_for_years(2024, 2022)  # either order: earlier → later
    assert (c.year_a, c.year_b) == (2022, 2024)
    ledger = load_installations()
    new = chg.new_installations(ledger, 2022, 2024)
    assert c.new_count == len(installations_as_of(ledger, 2024)) - len(installations_as_of(ledger, 2022)) == len(new) > 0
    assert c.new_mw == pytest.approx(new["capacity_kw"].sum() / 1000.0)
    # the net forest change equals the difference of the two years' forest areas
    areas = []
    for year in (2022, 2024):
        lc = load_landcover(layer_for_year("landcover", year)[0]["path"].iloc[0])
        cells = np.isin(np.ma.filled(lc.array[0], 0), FOREST_CODES).sum()
        areas.append(cells * abs(lc.transform.a * lc.transform.e) / 10_000)
    assert c.forest_gained_ha - c.forest_lost_ha == pytest.approx(areas[1] - areas[0])
    assert c.forest_gained_ha > 0 and c.forest_lost_ha > 0 and c.farmland_lost_ha > 0
    assert c.farmland_lost_mu == pytest.approx(c.farmland_lost_ha * 15)
    assert (c.features["kind"] == chg.NEW_PV).sum() == c.new_count
    rows = chg.legend_rows(c, "zh")
    assert rows[0][2] == f"新增并网光伏 {c.new_count} 个，{c.new_mw:,.1f} MW"
    assert rows[3][0] == "outline" and rows[3][2].endswith(f"{c.farmland_lost_mu:,.0f} 亩")
    assert all(ord(ch) < 0x3000 for _, _, text in chg.legend_rows(c, "en") for ch in text)


def test_change_needs_two_different_years():
    with pytest.raises(ValueError, match="earlier"):
        chg.change_between(None, "a.tif", "b.tif", 2024, 2024)
