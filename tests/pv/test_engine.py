"""The dask engine gives the same totals as the in-process path; the scaled data keeps the meaning.

Data: a small deterministic synthetic roof table (all classes and roof types, some roofs under
the 40 m² minimum, four townships), replicated by :func:`cyc_geo.demo.scaling.build_scaled` into
partitioned GeoParquet. The reference is the plain in-process computation on the whole table
(``aggregation.aggregate(pv.estimate(all roofs))``), not the local engine.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from cyc_geo.demo import scaling
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.hexgrid import cell_columns
from cyc_geo.pv import aggregation, emissions, engine
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import CLASSES, ROOF_TYPES, Scenario

CODES = ["410783001000", "410783002000", "410783101000", "410783200000"]


def synthetic_roofs(n: int = 3000, seed: int = 7) -> gpd.GeoDataFrame:
    """Rectangles near Changyuan (35.2 N, 114.7 E) with the rooftop interface columns."""
    rng = np.random.default_rng(seed)
    lon = 114.60 + rng.random(n) * 0.25
    lat = 35.05 + rng.random(n) * 0.25
    to_area = Transformer.from_crs(WGS84, AREA_CRS, always_xy=True)
    x, y = to_area.transform(lon, lat)
    w, h = rng.uniform(4, 40, n), rng.uniform(4, 30, n)
    d = 0.5 / 111_000
    geoms = shapely.box(lon - w * d, lat - h * d, lon + w * d, lat + h * d)
    df = pd.DataFrame({
        "roof_id": np.arange(1, n + 1, dtype=np.int64),
        "building_class": rng.choice(list(CLASSES), n),
        "roof_type": rng.choice(list(ROOF_TYPES), n),
        "area_m2": w * h,
        "township_code": rng.choice(CODES, n),
        "x": x, "y": y, "lon": lon, "lat": lat,
    })
    df["h3_8"] = cell_columns(lon, lat, (8,))["h3_8"]
    return gpd.GeoDataFrame(df, geometry=geoms, crs=WGS84)


def reference(roofs: pd.DataFrame, scenario: Scenario, h3_res: int = 8) -> dict:
    """The in-process path on the whole table at once."""
    per_roof = pv.estimate(pd.DataFrame(roofs.drop(columns="geometry")), scenario)
    return {"by_township": aggregation.aggregate(per_roof), "h3": aggregation.aggregate_h3(per_roof, h3_res),
            "summary": aggregation.summary(per_roof)}


def assert_same(got: dict, ref: dict) -> None:
    """Every per-township value, every H3 cell and every summary figure agree."""
    pd.testing.assert_frame_equal(got["by_township"].reset_index(drop=True),
                                  ref["by_township"].reset_index(drop=True), check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(got["h3"].sort_values("h3").reset_index(drop=True),
                                  ref["h3"].sort_values("h3").reset_index(drop=True), check_dtype=False, rtol=1e-9)
    assert got["summary"].keys() == ref["summary"].keys()
    for key, value in ref["summary"].items():
        assert got["summary"][key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    base = synthetic_roofs()
    folder = scaling.build_scaled(7_000, tmp_path_factory.mktemp("scaled") / "s", partition_rows=1_000, base=base)
    whole = pd.concat([gpd.read_parquet(f) for f in scaling.partition_files(folder)], ignore_index=True)
    return base, folder, whole


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """Two small worker processes, configured through the engine's config file (not code)."""
    cfg = tmp_path_factory.mktemp("cfg") / "engine.toml"
    cfg.write_text('engine = "dask"\n[dask]\nn_workers = 2\nthreads_per_worker = 1\nmemory_limit = "1GiB"\n')
    mp = pytest.MonkeyPatch()
    mp.setenv("CYC_GEO_ENGINE_CONFIG", str(cfg))
    mp.delenv("CYC_GEO_DASK_SCHEDULER", raising=False)
    mp.delenv("CYC_GEO_ENGINE", raising=False)
    engine.shutdown_client()
    client = engine.get_client()
    yield client
    engine.shutdown_client()
    mp.undo()


SCENARIOS = [
    Scenario(),
    Scenario(adoption={"gov": 1.0, "public": 0.1, "commercial": 0.55, "rural": 0.0},
                townships=(CODES[0], CODES[2], "990002" + CODES[1][6:]), min_roof_m2=100.0,
                params={"performance_ratio": 0.75,
                        "emission_preset": [p for p in emissions.PRESETS if p != emissions.DEFAULT_PRESET][0]}),
]


@pytest.mark.parametrize(("scenario", "reader"), [(SCENARIOS[0], "pyarrow"), (SCENARIOS[1], "dask-geopandas")],
                         ids=["nea-default-pyarrow", "custom-dask-geopandas"])
def test_dask_matches_in_process_on_partitioned_data(dataset, dask_cluster, scenario, reader, monkeypatch):
    base, folder, whole = dataset
    monkeypatch.setenv("CYC_GEO_DASK_READER", reader)
    assert engine.dask_config().reader == reader
    ref = reference(whole, scenario)
    assert engine.default_engine() == "dask"  # chosen by the config file
    got = engine.run_estimate(folder, scenario, None, h3_resolution=8)
    assert got["engine"] == "dask" and got["scheduler"].startswith("tcp://")
    assert got["partitions"] == 7 and got["roofs_in"] == 7_000
    assert len(ref["by_township"]) == len(got["by_township"]) > 0
    assert_same(got, ref)
    local = engine.run_estimate(folder, scenario, "local", h3_resolution=8)
    assert local["partitions"] == 7
    assert_same(local, ref)


def test_dask_on_in_memory_table_and_without_h3_column(dask_cluster):
    roofs = synthetic_roofs(2_500, seed=11).drop(columns="h3_8")  # H3 computed from lon/lat
    ref = reference(roofs, Scenario(), h3_res=7)
    got = engine.run_estimate(roofs, Scenario(), "dask", h3_resolution=7)
    assert got["roofs_in"] == 2_500
    assert_same(got, ref)


def test_dask_workers_run_without_malloc_trim(dask_cluster):
    import os

    envs = dask_cluster.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert len(envs) == 2 and set(envs.values()) == {None}


def test_scaled_copies_keep_per_township_values(dataset):
    """Copy k of the county is the county again under township codes 99kkkk + suffix."""
    base, folder, whole = dataset
    manifest = scaling.read_manifest(folder)
    assert manifest["copies"] == 3 and manifest["roofs"] == 7_000 and manifest["demo"] == "true"
    assert [f["rows"] for f in manifest["files"]] == [1_000] * 7
    assert whole["roof_id"].is_unique
    res = engine.run_estimate(folder, Scenario(), "local")["by_township"].set_index("township_code")
    base_res = aggregation.aggregate(pv.estimate(pd.DataFrame(base.drop(columns="geometry"))))
    base_res = base_res.set_index("township_code")
    for code in CODES:
        copy1 = res.loc["990001" + code[6:]]
        pd.testing.assert_series_equal(copy1, base_res.loc[code], check_names=False, rtol=1e-12)
        pd.testing.assert_series_equal(res.loc[code], base_res.loc[code], check_names=False, rtol=1e-12)
    # the third copy holds the first 1,000 roofs of the county only
    part = aggregation.aggregate(pv.estimate(pd.DataFrame(base.drop(columns="geometry")).iloc[:1_000]))
    assert res.loc[res.index.str.startswith("990002"), "capacity_kw"].sum() == pytest.approx(part["capacity_kw"].sum())


def test_scaled_geometry_ids_and_coordinates_are_consistent(dataset):
    base, folder, whole = dataset
    manifest = scaling.read_manifest(folder)
    stride = manifest["id_stride"]
    assert stride == 10_000
    copy2 = whole[whole["county_code"] == "990002"]
    assert len(copy2) == 1_000
    np.testing.assert_array_equal(copy2["roof_id"].to_numpy(), base["roof_id"].to_numpy()[:1_000] + 2 * stride)
    np.testing.assert_allclose(copy2["area_m2"].to_numpy(), base["area_m2"].to_numpy()[:1_000])
    # geometry moved by exactly the lon/lat shift
    dlon = copy2["lon"].to_numpy() - base["lon"].to_numpy()[:1_000]
    dlat = copy2["lat"].to_numpy() - base["lat"].to_numpy()[:1_000]
    cent = shapely.centroid(copy2.geometry.to_numpy())
    base_cent = shapely.centroid(base.geometry.to_numpy()[:1_000])
    np.testing.assert_allclose(shapely.get_x(cent) - shapely.get_x(base_cent), dlon, atol=1e-9)
    np.testing.assert_allclose(shapely.get_y(cent) - shapely.get_y(base_cent), dlat, atol=1e-9)
    assert np.ptp(dlon) < 1e-9 and np.ptp(dlat) < 1e-9  # one rigid shift per copy
    assert dlat[0] > 0.2  # 3 copies on a 2-column grid: copy 2 sits north of the county
    # x/y are the EPSG:4547 projection of the new lon/lat, H3 cells recomputed
    x, y = Transformer.from_crs(WGS84, AREA_CRS, always_xy=True).transform(copy2["lon"], copy2["lat"])
    np.testing.assert_allclose(copy2["x"], x, atol=1e-6)
    np.testing.assert_allclose(copy2["y"], y, atol=1e-6)
    cells = cell_columns(copy2["lon"].to_numpy(), copy2["lat"].to_numpy(), (8,))["h3_8"]
    np.testing.assert_array_equal(copy2["h3_8"], cells)
    # copies do not overlap each other
    boxes = whole.groupby("county_code").apply(lambda g: shapely.box(*g.total_bounds), include_groups=False)
    assert not any(boxes.iloc[i].intersects(boxes.iloc[j]) for i in range(3) for j in range(i + 1, 3))


def test_partition_files_and_rebuild_rules(dataset, tmp_path):
    base, folder, whole = dataset
    assert len(scaling.partition_files(folder, 3_000)) == 3
    with pytest.raises(ValueError, match="whole number of partitions"):
        scaling.partition_files(folder, 2_500)
    out = tmp_path / "s"
    scaling.build_scaled(1_500, out, partition_rows=1_000, base=base.iloc[:1_000])
    first = (out / "part.00000.parquet").stat().st_mtime_ns
    scaling.build_scaled(1_500, out, partition_rows=1_000, base=base.iloc[:1_000])  # same request: reused
    assert (out / "part.00000.parquet").stat().st_mtime_ns == first
    changed = base.iloc[:1_000].assign(area_m2=base["area_m2"].iloc[:1_000] * 2)
    scaling.build_scaled(1_500, out, partition_rows=1_000, base=changed)  # county data changed: rebuilt
    assert gpd.read_parquet(out / "part.00000.parquet")["area_m2"].sum() == pytest.approx(changed["area_m2"].sum())
    with pytest.raises(ValueError):
        scaling.build_scaled(0, out, base=base)


def test_engine_configuration(monkeypatch, tmp_path):
    cfg = tmp_path / "engine.toml"
    monkeypatch.setenv("CYC_GEO_ENGINE_CONFIG", str(cfg))
    monkeypatch.delenv("CYC_GEO_ENGINE", raising=False)
    monkeypatch.delenv("CYC_GEO_DASK_SCHEDULER", raising=False)
    assert engine.default_engine() == "local"  # no file, no env
    cfg.write_text('engine = "dask"\n[dask]\nscheduler = "tcp://10.1.2.3:8786"\nn_workers = 4\n')
    assert engine.default_engine() == "dask"
    assert engine.dask_config() == engine.DaskConfig(scheduler="tcp://10.1.2.3:8786", n_workers=4)
    monkeypatch.setenv("CYC_GEO_DASK_SCHEDULER", "tcp://sched:8786")
    monkeypatch.setenv("CYC_GEO_ENGINE", "local")
    assert engine.dask_config().scheduler == "tcp://sched:8786"
    assert engine.default_engine() == "local"
    monkeypatch.setenv("CYC_GEO_ENGINE", "spark")
    with pytest.raises(ValueError, match="unknown engine"):
        engine.default_engine()
    monkeypatch.setenv("CYC_GEO_DASK_READER", "spark-sql")
    with pytest.raises(ValueError, match="unknown dask reader"):
        engine.dask_config()
    monkeypatch.delenv("CYC_GEO_DASK_READER")
    cfg.write_text('[dask]\nworkers = 3\n')
    with pytest.raises(ValueError, match="unknown"):
        engine.dask_config()
    cfg.write_text('engine = \n')
    with pytest.raises(ValueError, match="invalid engine config"):
        engine.dask_config()


def test_bad_sources_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        engine.run_estimate(tmp_path / "missing.parquet", Scenario(), "local")
    with pytest.raises(FileNotFoundError, match="no .parquet"):
        engine.run_estimate(tmp_path, Scenario(), "local")
    bad = synthetic_roofs(50).drop(columns=["roof_type"])
    bad.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(ValueError, match="lacks columns"):
        engine.run_estimate(tmp_path / "bad.parquet", Scenario(), "local")


def test_cli_engine_flag_matches_in_process_cli(dataset, data_dir, capsys):
    """``pv estimate --engine local|dask --source`` give the same figures (LocalCluster started by the CLI)."""
    from cyc_geo.cli import main

    base, folder, whole = dataset
    outs = {}
    for eng in ("local", "dask"):
        assert main(["pv", "estimate", "--engine", eng, "--source", str(folder), "--json"]) == 0
        outs[eng] = json.loads(capsys.readouterr().out)
    ref = reference(whole, Scenario())
    for eng, out in outs.items():
        assert out["engine"] == eng and out["roofs_in"] == 7_000 and out["demo"] is True
        assert out["capacity_mw"] == pytest.approx(ref["summary"]["capacity_mw"], rel=1e-9)
        assert out["co2_t"] == pytest.approx(ref["summary"]["co2_t"], rel=1e-9)
        got = {r["code"]: r["annual_gwh"] for r in out["by_township"]}
        exp = dict(zip(ref["by_township"]["township_code"], ref["by_township"]["annual_gwh"], strict=True))
        assert got.keys() == exp.keys()
        for code, value in exp.items():
            assert got[code] == pytest.approx(value, rel=1e-9)
    names = {r["code"]: r["name"] for r in outs["dask"]["by_township"]}
    assert names["410783001000"] == names["990001001000"] == "蒲西街道"
    assert main(["pv", "estimate", "--engine", "dask", "--source", str(data_dir / "nope")]) == 2


def test_workers_do_not_rerun_the_parents_main_script(tmp_path, monkeypatch):
    """Under Streamlit (and AppTest) ``__main__`` is the page script; spawned dask workers re-ran it (reading every
    layer, pausing at their memory limit, never registering). A ``__main__`` whose file leaves a mark when run."""
    import sys
    import types

    mark = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(mark)!r}, 'a').write('x')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    cfg = tmp_path / "engine.toml"
    cfg.write_text('engine = "dask"\n[dask]\nn_workers = 1\nthreads_per_worker = 1\nmemory_limit = "1GiB"\n')
    monkeypatch.setenv("CYC_GEO_ENGINE_CONFIG", str(cfg))
    monkeypatch.delenv("CYC_GEO_DASK_SCHEDULER", raising=False)
    engine.shutdown_client()
    try:
        client = engine.get_client()
        assert client.submit(sum, [1, 2]).result(timeout=60) == 3
    finally:
        engine.shutdown_client()
    assert not mark.exists()  # no worker ran the page
    assert sys.modules["__main__"] is page  # and the parent's __main__ is back
