"""Every page survives every layer's worst accepted import; file text is shown as text on the import page."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import streamlit as st
from import_helpers import CENTRE_4547
from streamlit.testing.v1 import AppTest

from cyc_geo.catalog.registry import load_registry
from cyc_geo.ingest.importer import ImportFailure, import_file
from ui.text import md_escape

REPO = Path(__file__).resolve().parents[2]
PAGES = ["views/map.py", "views/pv.py", "views/carbon.py", "views/projects.py", "views/indicators.py",
         "views/data_import.py"]


def _worst_file(layer, folder: Path) -> Path:
    """One 500 m feature near the county centre with only the layer's required columns, each "1"."""
    x, y = CENTRE_4547
    geom = {"polygon": shapely.box(x, y, x + 500, y + 500), "line": shapely.LineString([(x, y), (x + 500, y + 500)]),
            "point": shapely.Point(x, y)}[layer.geometry]
    gdf = gpd.GeoDataFrame({c: ["1"] for c in layer.schema.get("required", [])}, geometry=[geom], crs="EPSG:4547")
    path = folder / f"{layer.id}.gpkg"
    gdf.to_file(path)
    return path


def test_every_page_survives_the_worst_accepted_file_of_every_layer(data_dir: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # before: e.g. a belt without zone, forest patches without class_code or a ledger without install_id
    # were accepted and 地图 / 屋顶光伏 / 森林碳汇 / 重点项目用地 / 指标看板 raised KeyError until a rollback
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("CYC_GEO_TILES_DIR", str(tmp_path / "tiles"))
    imported = []
    for layer in load_registry():
        if layer.geometry == "raster":
            continue
        if layer.schema.get("required"):  # a file without the columns the pages need asks for a mapping
            bare = gpd.GeoDataFrame({"other": ["x"]}, geometry=[shapely.box(*CENTRE_4547, CENTRE_4547[0] + 9,
                                                                            CENTRE_4547[1] + 9)], crs="EPSG:4547")
            if layer.geometry == "polygon":
                bare.to_file(tmp_path / "bare.gpkg")
                with pytest.raises(ImportFailure) as err:
                    import_file(tmp_path / "bare.gpkg", layer.id, "t")
                assert err.value.code == "mapping_needed", layer.id
        import_file(_worst_file(layer, tmp_path), layer.id, "t")
        imported.append(layer.id)
    assert {"townships", "belt", "forest", "rooftops", "pv_installations", "county", "projects"} <= set(imported)
    for page in PAGES:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(REPO / page), default_timeout=300)
        at.session_state["cyc_auth"] = {"user": "eve", "expires": time.time() + 3600}
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_column_name_with_markdown_is_shown_as_text(demo_data_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # before: st.error rendered the column name as a live link to example.invalid
    monkeypatch.chdir(REPO)
    hostile = "[c](http://example.invalid/x)"
    gdf = gpd.GeoDataFrame({hostile: ["a"]}, geometry=[shapely.box(114.7, 35.2, 114.71, 35.21)], crs="EPSG:4326")
    path = tmp_path / "md.geojson"
    gdf.to_file(path)
    with pytest.raises(ImportFailure) as err:
        import_file(path, "townships", "t")
    assert err.value.code == "mapping_needed" and hostile in err.value.en
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "views/data_import.py"), default_timeout=300)
    at.session_state["cyc_auth"] = {"user": "eve", "expires": time.time() + 3600}
    at.session_state["imp_failure"] = {**err.value.as_dict(), "options": {}}
    at.run()
    assert not at.exception
    shown = at.error[0].value
    assert "[c](" not in shown and "http://" not in shown  # no Markdown link, no GFM bare-URL autolink
    assert r"\[c\]\(http\:\/\/example\.invalid\/x\)" in shown
    assert shown == md_escape(err.value.zh)


def test_md_escape_keeps_the_text() -> None:
    assert md_escape("a*b_c") == r"a\*b\_c"
    assert md_escape("![x](javascript:alert(1))") == r"\!\[x\]\(javascript\:alert\(1\)\)"
    assert md_escape("蒲西街道\n:red[x] $y$ <b>") == r"蒲西街道 \:red\[x\] \$y\$ \<b\>"


def _stopped(path: Path, **kw) -> tuple[dict, dict]:
    from cyc_geo.ingest import upload_safety

    staged_path, sha = upload_safety.stage_upload(path.read_bytes(), path.name)
    staged = {"file_id": "f1", "path": str(staged_path), "name": path.name, "sha256": sha}
    with pytest.raises(ImportFailure) as err:
        import_file(staged_path, "townships", "x", file_name=path.name, **kw)
    return staged, {**err.value.as_dict(), "options": kw}


def test_the_page_asks_which_sublayer_and_imports_it(demo_data_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from import_helpers import squares

    from cyc_geo import db
    from cyc_geo.catalog import versions as layer_versions

    monkeypatch.chdir(REPO)
    path = tmp_path / "two.gpkg"
    squares(3).to_file(path, layer="a_old_2015")
    squares(5).to_file(path, layer="b_current_2024")
    staged, failure = _stopped(path)
    assert failure["error"] == "choose_sublayer"
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "views/data_import.py"), default_timeout=300)
    at.session_state["cyc_auth"] = {"user": "eve", "expires": time.time() + 3600}
    at.session_state["imp_staged"] = staged
    at.session_state["imp_failure"] = failure
    at.run()
    box = at.selectbox(key="imp_fix_sublayer")
    assert box.options == ["a_old_2015 (3 个要素)", "b_current_2024 (5 个要素)"]
    box.select("b_current_2024")
    at.button(key="imp_retry").click().run()
    assert not at.exception
    assert any("已导入 5 个要素" in s.value for s in at.success)
    assert layer_versions.list_versions(db.connect(), "townships")[0]["counts"]["sublayer"] == "b_current_2024"
