"""cyc_geo.geo.transformers: one PROJ search per CRS pair and process, identical coordinates."""

from __future__ import annotations

import threading

import geopandas as gpd
import geopandas.array as gpd_array
import numpy as np
import pyproj
import pytest
import shapely

from cyc_geo.geo import transformers
from cyc_geo.geo.crs import AREA_CRS, CGCS2000, WGS84


def _in_thread(fn):
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = exc

    th = threading.Thread(target=run)
    th.start()
    th.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_geopandas_uses_the_project_transformers():
    assert gpd_array.TransformerFromCRS is transformers.transformer


@pytest.mark.parametrize("src,dst", [(WGS84, AREA_CRS), (AREA_CRS, WGS84), (CGCS2000, AREA_CRS), (WGS84, "EPSG:3857"),
                                     ("EPSG:4546", WGS84)])
def test_coordinates_equal_a_fresh_proj_search(src, dst):
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(114.5, 115.0, 500), rng.uniform(35.0, 35.4, 500)
    if src != WGS84 and src != CGCS2000:
        lon, lat = pyproj.Transformer.from_crs(WGS84, src, always_xy=True).transform(lon, lat)
    expected = pyproj.Transformer.from_crs(src, dst, always_xy=True).transform(lon, lat)
    got = _in_thread(lambda: transformers.transformer(src, dst, always_xy=True).transform(lon, lat))
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_a_new_thread_reprojects_without_searching_proj_again(monkeypatch):
    frame = gpd.GeoDataFrame(geometry=[shapely.box(114.7, 35.1, 114.71, 35.11)], crs=WGS84)
    area = frame.to_crs(AREA_CRS).area.iloc[0]  # the pair is searched (and cached) here
    searches: list[tuple] = []
    real = pyproj.Transformer.from_crs
    monkeypatch.setattr(pyproj.Transformer, "from_crs", staticmethod(lambda *a, **k: searches.append(a) or real(*a, **k)))
    # what a Streamlit page run does: reproject in a thread of its own, both ways
    back = _in_thread(lambda: frame.to_crs(AREA_CRS).to_crs(WGS84))
    assert searches == []
    assert _in_thread(lambda: frame.to_crs(AREA_CRS).area.iloc[0]) == area
    assert back.geometry.iloc[0].equals_exact(frame.geometry.iloc[0], 1e-9)


def test_the_searched_transformer_is_kept_when_the_pipeline_differs(monkeypatch):
    transformers._cached.cache_clear()
    monkeypatch.setattr(transformers, "_same", lambda a, b, points: False)
    try:
        kept = transformers.transformer(WGS84, AREA_CRS, always_xy=True)
        assert kept.source_crs is not None  # the searched (from_crs) one knows its CRS
    finally:
        monkeypatch.undo()
        transformers._cached.cache_clear()
    piped = transformers.transformer(WGS84, AREA_CRS, always_xy=True)
    assert piped.source_crs is None  # a pipeline carries no CRS: it is the operation PROJ chose
    assert piped.definition == pyproj.Transformer.from_crs(WGS84, AREA_CRS, always_xy=True).definition
