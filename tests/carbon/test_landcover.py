"""Demo land cover (calibration, patterns, provenance) and planner rasters in other CRSs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from scipy import ndimage

from cyc_geo.carbon import landcover
from cyc_geo.carbon.landcover import afforest, load_landcover
from cyc_geo.demo import landcover as demo_landcover
from cyc_geo.demo.landcover import DemoParams
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.geo.zonal import RasterError


@pytest.fixture(scope="module")
def demo(demo_landcover_dir):
    """The session's demo raster and its data folder, which this module reads from."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_DATA_DIR", str(demo_landcover_dir))
        yield landcover.landcover_path(), demo_landcover_dir


def test_demo_calibrated_areas_and_provenance(demo):
    path, d = demo
    assert path == d / "generated" / landcover.DEMO_FILE
    assert path.stat().st_size < 5e6  # compressed, a few MB at most
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4547
        assert src.res == (20.0, 20.0)
        assert src.tags()["demo"] == "true"
        arr = src.read(1)
    px_ha = 20 * 20 / 10_000
    for code, ha in DemoParams().target_ha:
        assert (arr == code).sum() * px_ha == pytest.approx(ha, abs=px_ha)
    # stock with the documented densities = the plan's 180 万m³ (附件1 #16)
    stock = (arr == 301).sum() * px_ha * 92 + (arr == 307).sum() * px_ha * 30
    assert stock == pytest.approx(1_800_000, rel=1e-4)
    assert set(np.unique(arr)) <= set(landcover.CLASSES) | {0}
    meta = landcover.landcover_meta(path)
    assert meta["demo"] == "true" and meta["crs"] == "EPSG:4547"


def test_demo_patterns_shelterbelts_and_floodplain(demo):
    path, d = demo
    arr = rasterio.open(path).read(1)
    roads = arr == 1006
    near_forest = ndimage.binary_dilation(arr == 301, structure=np.ones((3, 3)))
    # farm roads are lined with shelterbelt rows (农田林网)
    assert (roads & near_forest).sum() / roads.sum() > 0.8
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_DATA_DIR", str(d))
        from cyc_geo.places.belt import load_belt

        belt = load_belt().to_crs(AREA_CRS)
    with rasterio.open(path) as src:
        fp = landcover.burn_mask(belt.geometry, arr.shape, src.transform)
    fp_forest_ha = ((arr == 301) & fp).sum() * 0.04
    assert fp_forest_ha >= 18_000 * DemoParams().floodplain_forest_share
    # the river water lies in the floodplain, the city does not
    assert ((arr == 1101) & fp).sum() > 0.9 * (arr == 1101).sum()
    assert ((arr == 701) & fp).sum() < 0.2 * (arr == 701).sum()


def test_demo_is_deterministic_and_resolution_independent(demo):
    """Two builds give the same raster (fixed seed); at 100 m the class targets still hold."""
    path, d = demo
    coarse = DemoParams(resolution_m=100.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_DATA_DIR", str(d))
        a, ta = demo_landcover.generate_demo(coarse)
        b, tb = demo_landcover.generate_demo(coarse)
    assert ta == tb and np.array_equal(a, b)
    for code, ha in coarse.target_ha:
        assert (a == code).sum() * 1.0 == pytest.approx(ha, abs=1.0)  # 1 ha cells


def _write(path, arr, transform, crs, nodata=0):
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                       dtype=arr.dtype, crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(arr, 1)
    return path


def test_planner_raster_in_utm_is_reprojected_with_correct_area(tmp_path):
    # UTM zone 50N, 10 m cells: a 1 km x 1 km block of 0301 inside 3 km x 3 km of cropland
    arr = np.full((300, 300), 102, dtype="uint16")
    arr[100:200, 100:200] = 301
    t = Affine(10, 0, 280_000, 0, -10, 3_900_000)
    path = _write(tmp_path / "utm.tif", arr, t, "EPSG:32650")
    data = load_landcover(path)
    assert data.crs.to_epsg() == 4547
    assert abs(data.transform.a) == pytest.approx(10.0)
    forest_ha = (data.array[0] == 301).sum() * data.pixel_area_m2 / 1e4
    # true area: the block reprojected as a polygon (UTM vs Gauss-Kruger scale factors differ ~1e-3)
    block = gpd.GeoSeries([shapely.box(281_000, 3_898_000, 282_000, 3_899_000)], crs="EPSG:32650")
    assert forest_ha == pytest.approx(block.to_crs(AREA_CRS).area.iloc[0] / 1e4, rel=0.01)


def test_planner_raster_in_geographic_crs_and_resolution_option(tmp_path):
    # WGS84 grid of 0.0005 deg; forest in the left half
    arr = np.full((80, 80), 102, dtype="uint16")
    arr[:, :40] = 301
    t = Affine(0.0005, 0, 114.70, 0, -0.0005, 35.20)
    path = _write(tmp_path / "wgs.tif", arr, t, "EPSG:4326")
    data = load_landcover(path, resolution_m=30)
    assert abs(data.transform.a) == 30
    half = gpd.GeoSeries([shapely.box(114.70, 35.16, 114.72, 35.20)], crs="EPSG:4326")
    expected_ha = half.to_crs(AREA_CRS).area.iloc[0] / 1e4
    got_ha = (data.array[0] == 301).sum() * 900 / 1e4
    assert got_ha == pytest.approx(expected_ha, rel=0.02)
    # outside the source footprint is nodata, not cropland
    total_ha = data.array[0].count() * 900 / 1e4
    assert total_ha == pytest.approx(2 * expected_ha, rel=0.02)


def test_planner_raster_wins_over_demo(data_dir):
    arr = np.full((10, 10), 301, dtype="uint16")
    path = _write(data_dir / "boundaries" / "landcover.tif", arr, Affine(20, 0, 560_000, 0, -20, 3_900_000), AREA_CRS)
    assert landcover.landcover_path() == path
    assert landcover.landcover_meta()["demo"] == "false"
    assert not (data_dir / "generated" / landcover.DEMO_FILE).exists()


def test_all_nodata_planner_raster_gives_clear_error(tmp_path):
    path = _write(tmp_path / "empty.tif", np.zeros((5, 5), dtype="uint16"), Affine(20, 0, 0, 0, -20, 100), AREA_CRS)
    with pytest.raises(RasterError, match="nodata"):
        load_landcover(path)


def test_afforest_converts_only_eligible_cells_inside_zone():
    arr = np.array([[102, 102, 701, 1101], [102, 404, 102, 102]], dtype="int64")
    t = Affine(10, 0, 500_000, 0, -10, 3_900_020)
    data = landcover.read_raster((np.ma.masked_equal(arr, 0), t, AREA_CRS))
    zone = gpd.GeoDataFrame(geometry=[shapely.box(500_000, 3_900_000, 500_030, 3_900_020)], crs=AREA_CRS)
    out = afforest(data, zone)
    assert out.array[0].tolist() == [[301, 301, 701, 1101], [301, 301, 301, 102]]


def test_demo_buildings_stand_on_built_up_land(demo):
    """Every cell a demo roof touches is built-up (06xx 工矿, 07xx 住宅, 10xx 交通) in the demo land cover: the land
    check must not find the plan's rooftop programme on forest or cropland of its own demo data."""
    from rasterio.features import rasterize

    from cyc_geo import paths
    from cyc_geo.pv.rooftops import DEMO_FILE

    path, d = demo
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_DATA_DIR", str(d))
        roofs = gpd.read_parquet(paths.rooftops_dir() / DEMO_FILE).to_crs(AREA_CRS)
    with rasterio.open(path) as src:
        arr = src.read(1)
        touched = rasterize([(g, 1) for g in roofs.geometry], out_shape=arr.shape, transform=src.transform,
                            fill=0, dtype="uint8", all_touched=True).astype(bool)
    under = arr[touched & (arr != landcover.NODATA)]  # a footprint may reach over the county line
    built_up = np.isin(under // 100, (6, 7, 10))
    assert len(roofs) > 200_000 and touched.sum() > 100_000
    bad = {int(c): int(n) for c, n in zip(*np.unique(under[~built_up], return_counts=True), strict=True)}
    assert bad == {}, f"cells under demo roofs that are not built-up, by class: {bad}"


def test_demo_land_use_layers_follow_a_rebuilt_land_cover(demo_data_dir):
    """The demo 耕地 / 永久基本农田 / 城镇开发边界 / 生态保护红线 are derived from the land cover: a new land-cover
    file (the demo one rebuilt with built-up land under the roofs) makes them stale, and loading rebuilds them."""
    import os

    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.demo import landuse

    files = {name: demo_data_dir / "generated" / f for name, f in landuse.FILES.items() if name != "forest_protection"}
    assert files and not [n for n, f in files.items() if landuse.is_stale(f)]
    raster = landcover.landcover_path()
    os.utime(raster, (raster.stat().st_atime, raster.stat().st_mtime + 60))
    assert all(landuse.is_stale(f) for f in files.values())
    load_layer("cropland")
    assert not landuse.is_stale(files["cropland"]) and not landuse.is_stale(files["farmland"])
    assert not landuse.is_stale(demo_data_dir / "generated" / "not_a_demo_file.gpkg")
