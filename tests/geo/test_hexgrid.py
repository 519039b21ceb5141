"""cyc_geo.geo.hexgrid: cells agree with h3 itself, sums per cell are the hand-computed ones."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from cyc_geo.geo import hexgrid

# two points 15 m apart in one res-8 cell near the city centre, one 14 km away
LON = np.array([114.75, 114.7501, 114.90])
LAT = np.array([35.19, 35.1901, 35.25])


def test_cells_match_h3_and_are_uint64():
    got = hexgrid.cells(LON, LAT, 8)
    assert got.dtype == np.uint64
    assert got.tolist() == [h3.str_to_int(h3.latlng_to_cell(la, lo, 8)) for lo, la in zip(LON, LAT, strict=True)]
    # the city-centre cell, printed once from h3 4.x
    assert h3.int_to_str(int(got[0])) == "884096074dfffff"
    assert got[0] == got[1] and got[0] != got[2]
    assert hexgrid.cells(np.array([]), np.array([]), 8).shape == (0,)


def test_cell_columns_and_names():
    cols = hexgrid.cell_columns(LON, LAT)
    assert list(cols) == ["h3_7", "h3_8", "h3_9"] == [hexgrid.column(r) for r in hexgrid.RESOLUTIONS]
    for res in hexgrid.RESOLUTIONS:
        assert [h3.get_resolution(h3.int_to_str(int(c))) for c in cols[f"h3_{res}"]] == [res] * 3
        # each cell is a child of its res-7 parent
        parents = [h3.cell_to_parent(h3.int_to_str(int(c)), 7) for c in cols[f"h3_{res}"]]
        assert parents == [h3.int_to_str(int(c)) for c in cols["h3_7"]]


def test_cell_ids_use_precomputed_column_first():
    df = pd.DataFrame({"lon": LON, "lat": LAT})
    expected = [h3.latlng_to_cell(la, lo, 8) for lo, la in zip(LON, LAT, strict=True)]
    assert hexgrid.cell_ids(df, 8).tolist() == expected
    # a precomputed column wins over lon/lat (here deliberately the res-8 cell of another place)
    other = h3.str_to_int(h3.latlng_to_cell(35.0, 114.5, 8))
    assert hexgrid.cell_ids(df.assign(h3_8=np.uint64(other)), 8).tolist() == [h3.int_to_str(other)] * 3
    with pytest.raises(ValueError, match="lon and lat"):
        hexgrid.cell_ids(pd.DataFrame({"x": [1.0]}), 8)


def test_aggregate_sums_by_cell_in_cell_order():
    df = pd.DataFrame({"lon": LON, "lat": LAT, "kw": [1.5, 2.0, 5.0], "n": [1, 1, 1]})
    out = hexgrid.aggregate(df, ["kw", "n"], 8)
    assert list(out.columns) == ["h3", "kw", "n"]
    ids = [h3.latlng_to_cell(la, lo, 8) for lo, la in zip(LON, LAT, strict=True)]
    by_cell = dict(zip(out["h3"], zip(out["kw"], out["n"], strict=True), strict=True))
    assert by_cell == {ids[0]: (3.5, 2), ids[2]: (5.0, 1)}
    assert out["h3"].tolist() == sorted(set(ids), key=h3.str_to_int)
    # with the precomputed column the result is the same
    pre = df.assign(**hexgrid.cell_columns(LON, LAT, (8,))).drop(columns=["lon", "lat"])
    pd.testing.assert_frame_equal(hexgrid.aggregate(pre, ["kw", "n"], 8), out)


def test_hexagons_count_and_contain_their_points():
    ints = hexgrid.cells(LON, LAT, 8)
    hexes = hexgrid.hexagons(ints, pd.DataFrame({"kw": [1.0, 2.0, 5.0]}))
    assert hexes.crs.to_epsg() == 4326
    assert hexes["count"].tolist() == [2, 1] and hexes["kw"].tolist() == [3.0, 5.0]
    # strings give the same hexagons
    same = hexgrid.hexagons(hexgrid.to_str(ints))
    assert same["h3"].tolist() == hexes["h3"].tolist() and same["count"].tolist() == [2, 1]
    for (_, row), lon, lat in zip(hexes.iterrows(), LON[[0, 2]], LAT[[0, 2]], strict=True):
        assert len(shapely.get_coordinates(row.geometry.exterior)) == 7  # 6 corners, closed ring
        assert row.geometry.contains(shapely.Point(lon, lat))


def test_cell_polygons_keeps_rows_and_uses_h3_boundary():
    cell = h3.latlng_to_cell(35.19, 114.75, 8)
    gdf = hexgrid.cell_polygons(pd.DataFrame({"h3": [cell], "v": [7]}))
    assert gdf["v"].tolist() == [7]
    ring = shapely.get_coordinates(gdf.geometry.iloc[0].exterior)[:-1]
    assert ring.tolist() == [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
    # its planar area in EPSG:4547 is h3's own (spherical) cell area to 0.1 %
    assert gdf.to_crs("EPSG:4547").area.iloc[0] / 1e6 == pytest.approx(h3.cell_area(cell, "km^2"), rel=1e-3)
