"""Exact zonal statistics against hand-computed answers (cyc_geo.geo.zonal)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from cyc_geo.geo.zonal import RasterError, class_areas, read_raster, zonal_stats, zonal_sum

CRS = "EPSG:4547"
# 4 x 4 grid of 10 m cells, top-left corner at (500000, 3900040)
X0, Y0 = 500_000.0, 3_900_040.0
T = Affine(10, 0, X0, 0, -10, Y0)
VALUES = np.arange(16, dtype="float64").reshape(4, 4)  # row 0 is the top row


def box(x0: float, y0: float, x1: float, y1: float):
    """A box in grid units (cell = 10 m), origin at the grid's bottom-left corner."""
    return shapely.box(X0 + 10 * x0, Y0 - 40 + 10 * y0, X0 + 10 * x1, Y0 - 40 + 10 * y1)


def zones(*geoms, crs: str = CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": [f"z{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs)


def test_partial_pixels_at_a_boundary_hand_computed():
    # box from (0,0) to (1.5,1.5) cells covers, counted from the bottom-left:
    # row 3 col 0 (value 12) fully, row 3 col 1 (13) half, row 2 col 0 (8) half, row 2 col 1 (9) a quarter
    out = zonal_stats((VALUES, T, CRS), zones(box(0, 0, 1.5, 1.5)), ("sum", "mean", "count"), id_col="code")
    expected_sum = 12 * 1 + 13 * 0.5 + 8 * 0.5 + 9 * 0.25
    assert out.loc[0, "sum"] == pytest.approx(expected_sum)
    assert out.loc[0, "count"] == pytest.approx(2.25)
    assert out.loc[0, "mean"] == pytest.approx(expected_sum / 2.25)
    assert out.loc[0, "area_m2"] == pytest.approx(225.0)  # 15 m x 15 m
    assert out.loc[0, "code"] == "z0"


def test_nodata_cells_are_excluded_from_sum_and_area():
    arr = np.ma.masked_array(VALUES, mask=np.zeros_like(VALUES, dtype=bool))
    arr.mask[0, 0] = True  # top-left cell
    # top two rows, from x = 0.5 cell to the right edge
    out = zonal_sum((arr, T, CRS), zones(box(0.5, 2, 4, 4)))
    # row 0: cell 0 masked, cells 1,2,3 full; row 1: cell 0 (4) half, 5,6,7 full
    assert out.iloc[0]["sum"] == pytest.approx(1 + 2 + 3 + 4 * 0.5 + 5 + 6 + 7)
    assert out.iloc[0]["count"] == pytest.approx(6.5)
    assert out.iloc[0]["area_m2"] == pytest.approx(650.0)


def test_zones_splitting_pixels_add_up_to_the_whole():
    # a diagonal cut through the grid: every cut pixel is shared, nothing is lost or doubled
    whole = box(0, 0, 4, 4)
    left = shapely.Polygon([(X0, Y0 - 40), (X0 + 13, Y0 - 40), (X0 + 31, Y0), (X0, Y0)])
    right = whole.difference(left)
    out = zonal_sum((VALUES, T, CRS), zones(left, right, whole))
    assert out["sum"].iloc[0] + out["sum"].iloc[1] == pytest.approx(VALUES.sum())
    assert out["sum"].iloc[2] == pytest.approx(VALUES.sum())
    assert out["area_m2"].iloc[0] == pytest.approx(left.area)


def test_zones_in_another_crs_are_reprojected_to_the_raster():
    z = zones(box(0, 0, 1.5, 1.5)).to_crs("EPSG:4326")
    out = zonal_sum((VALUES, T, CRS), z)
    assert out.iloc[0]["sum"] == pytest.approx(24.75, rel=1e-6)


def test_empty_geometry_and_outside_zone_give_zero():
    far = shapely.box(0, 0, 10, 10)
    z = zones(box(0, 0, 1, 1), shapely.Polygon(), far)
    out = zonal_sum((VALUES, T, CRS), z, id_col="code")
    assert list(out["code"]) == ["z0", "z1", "z2"]
    assert out["sum"].tolist() == pytest.approx([12.0, 0.0, 0.0])


def test_multiband_and_file_input(tmp_path):
    path = tmp_path / "two.tif"
    data = np.stack([VALUES, VALUES * 2]).astype("float32")
    data[0, 3, 0] = -9999  # the bottom-left cell of band 1 is nodata
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=2, dtype="float32",
                       crs=CRS, transform=T, nodata=-9999) as dst:
        dst.write(data)
    out = zonal_sum(path, zones(box(0, 0, 2, 1)), band_names=["a", "b"])
    assert out.loc[0, "a_sum"] == pytest.approx(13.0)  # 12 is nodata
    assert out.loc[0, "b_sum"] == pytest.approx(2 * (12 + 13))


def test_class_areas_partial_pixels():
    classes = np.array([[1, 1, 2, 2]] * 4)
    out = class_areas((classes, T, CRS), zones(box(1.5, 0, 3, 2)), classes=[1, 2, 3])
    got = dict(zip(out["class_value"], out["area_m2"], strict=True))
    assert got[1] == pytest.approx(0.5 * 10 * 20)  # half a column of class 1, 2 cells tall
    assert got[2] == pytest.approx(1.0 * 10 * 20)
    assert got[3] == 0.0
    assert out["share"].sum() == pytest.approx(1.0)


def test_geographic_raster_area_is_spherical():
    t = Affine(0.001, 0, 114.5, 0, -0.001, 35.2)
    z = gpd.GeoDataFrame(geometry=[shapely.box(114.5, 35.198, 114.502, 35.2)], crs="EPSG:4326")
    out = zonal_sum((np.ones((4, 4)), t, "EPSG:4326"), z)
    planar = z.to_crs(CRS).area.iloc[0]
    assert out.loc[0, "sum"] == pytest.approx(4.0)
    assert out.loc[0, "area_m2"] == pytest.approx(planar, rel=0.01)


@pytest.mark.parametrize(
    "array",
    [np.ma.masked_all((3, 3)), np.full((3, 3), np.nan), np.zeros((0, 3))],
    ids=["all-masked", "all-nan", "empty"],
)
def test_empty_or_all_nodata_raster_raises_clear_error(array):
    with pytest.raises(RasterError, match="nodata|empty"):
        zonal_sum((array, T, CRS), zones(box(0, 0, 1, 1)))


def test_all_nodata_file_and_missing_crs(tmp_path):
    path = tmp_path / "nodata.tif"
    with rasterio.open(path, "w", driver="GTiff", width=3, height=3, count=1, dtype="uint8",
                       crs=CRS, transform=T, nodata=0) as dst:
        dst.write(np.zeros((1, 3, 3), dtype="uint8"))
    with pytest.raises(RasterError, match="无数据"):
        read_raster(path)
    with pytest.raises(RasterError, match="no CRS"):
        read_raster((VALUES, T, None))
    with pytest.raises(FileNotFoundError):
        read_raster(tmp_path / "missing.tif")


def test_zones_without_crs_rejected():
    z = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="CRS"):
        zonal_sum((VALUES, T, CRS), z)
