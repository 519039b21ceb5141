"""cyc_geo.catalog.result_store: small results kept across restarts, and the map drawn from them."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from cyc_geo.catalog import result_store


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv(result_store.ENV, str(tmp_path / "results"))
    return tmp_path / "results"


def _counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_a_result_is_computed_once_and_found_by_the_next_process(store):
    compute, calls = _counting({"mw": np.float64(12.5), "roofs": np.int64(3)})
    assert result_store.remember(("summary", "v1"), compute) == {"mw": 12.5, "roofs": 3}
    # a new process has no memory but the folder: the same key is read, not computed
    again = result_store.remember(("summary", "v1"), compute)
    assert again == {"mw": 12.5, "roofs": 3} and isinstance(again["roofs"], int)
    assert calls == [1]
    result_store.remember(("summary", "v2"), compute)  # a new data version is a new key
    assert calls == [1, 1]


def test_new_code_starts_a_new_folder_and_prune_removes_the_old(store, monkeypatch):
    compute, calls = _counting([1, 2])
    result_store.remember(("k",), compute)
    old = result_store.code_fingerprint()
    monkeypatch.setattr(result_store, "code_fingerprint", lambda: "0123456789abcdef")
    result_store.remember(("k",), compute)
    assert calls == [1, 1]
    assert sorted(p.name for p in store.iterdir()) == sorted([old, "0123456789abcdef"])
    assert result_store.prune() == 1
    assert [p.name for p in store.iterdir()] == ["0123456789abcdef"]


def test_the_fingerprint_follows_the_layer_tomls(tmp_path, monkeypatch):
    layers = tmp_path / "layers"
    layers.mkdir()
    (layers / "a.toml").write_text('id = "a"\n', encoding="utf-8")
    monkeypatch.setenv("CYC_GEO_LAYERS_DIR", str(layers))
    first = result_store.code_fingerprint()
    (layers / "a.toml").write_text('id = "a"\ndefault_on = true\n', encoding="utf-8")
    result_store._fingerprint.cache_clear()
    try:
        assert result_store.code_fingerprint() != first
    finally:
        result_store._fingerprint.cache_clear()


def test_unreadable_invalid_or_switched_off_results_are_computed_again(store, monkeypatch):
    compute, calls = _counting("url-1")
    key = ("map", "token-3f9a7c")
    result_store.remember(key, compute)
    files = list(store.rglob("*.json"))
    assert len(files) == 1 and "token-3f9a7c" not in files[0].read_text(encoding="utf-8")  # keys are not written
    files[0].write_text("{not json", encoding="utf-8")
    assert result_store.remember(key, compute) == "url-1"
    assert result_store.remember(key, compute, valid=lambda v: False) == "url-1"
    assert calls == [1, 1, 1]
    monkeypatch.setenv(result_store.ENV, "0")
    result_store.remember(key, compute)
    result_store.remember(key, compute)
    assert len(calls) == 5


def test_values_that_are_not_json_are_not_kept(store):
    compute, calls = _counting({1, 2})
    result_store.remember(("set",), compute)
    result_store.remember(("set",), compute)
    assert calls == [1, 1] and not list(store.rglob("*.json"))


def test_a_restarted_app_draws_the_default_map_without_reading_a_layer(monkeypatch):
    """A new process (empty Streamlit caches) finds the facts, payload URLs, county bounds and the
    rendered map of the default view in the store: no layer file is read, the map is not rebuilt."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cyc_geo.catalog import loader
    from ui import folium_map

    def visit() -> AppTest:
        at = AppTest.from_file(os.path.abspath("app.py"), default_timeout=300)
        at.run()
        assert not at.exception, at.exception
        return at

    st.cache_data.clear()  # a fresh process: earlier tests' in-memory results would skip the computing (and storing)
    st.cache_resource.clear()
    first = visit()
    st.cache_data.clear()
    st.cache_resource.clear()
    loads, renders = [], []
    real_read, real_raster, real_render = loader._read_vector, loader.raster_footprint, folium_map.render
    # every layer the catalogue loads is read by one of these two (cyc_geo.catalog.loader.load_layer)
    monkeypatch.setattr(loader, "_read_vector", lambda layer, *a: loads.append(layer.id) or real_read(layer, *a))
    monkeypatch.setattr(loader, "raster_footprint", lambda path: loads.append(path.name) or real_raster(path))
    monkeypatch.setattr(folium_map, "render", lambda *a, **k: renders.append(1) or real_render(*a, **k))
    second = visit()
    assert loads == [] and renders == []
    assert [m.value for m in second.sidebar.get("metric")] == [m.value for m in first.sidebar.get("metric")]
    args = [json.dumps(c.proto.json_args if hasattr(c.proto, "json_args") else str(c.proto), sort_keys=True)
            for c in second.get("component_instance")]
    assert args and all("/app/static/payloads/" in a for a in args)


def test_a_kept_map_is_valid_while_its_payloads_and_tile_folders_exist(tmp_path, monkeypatch):
    from ui import folium_map

    monkeypatch.setattr(folium_map, "STATIC_ROOT", tmp_path)
    (tmp_path / "payloads").mkdir()
    (tmp_path / "payloads" / "county-osm-zh-0123.json.gz").write_bytes(b"x")
    (tmp_path / "tiles" / "rooftops-abc").mkdir(parents=True)
    script = ('fetch("/app/static/payloads/county-osm-zh-0123.json.gz");'
              'L.vectorGrid.protobuf("/app/static/tiles/rooftops-abc/{z}/{x}/{y}.pbf")')
    r = folium_map.RenderedMap(script, "", "", "map_1", None, ("/app/static/vendor/leaflet.css",), (), "h")
    assert not folium_map.files_present(r)  # the stylesheet is missing
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "leaflet.css").write_text("", encoding="utf-8")
    assert folium_map.files_present(r)  # a tile URL template needs its folder, not a file
    (tmp_path / "payloads" / "county-osm-zh-0123.json.gz").unlink()  # static/ was cleaned
    assert not folium_map.files_present(r)
