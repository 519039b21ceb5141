"""Markup (cyc_geo.mapview.markup, markup_store): drawings checked into kind/text frames, bilingual refusals,
drawn on the print (PDF text and legend) and in the HTML export, saved by name with an audit trail."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.figure import Figure

from cyc_geo import db
from cyc_geo.exports.pdf import pdf_text
from cyc_geo.mapview import markup as mk
from cyc_geo.mapview import markup_store as store
from cyc_geo.mapview import print_layout as pl

CJK = re.compile(r"[\u4e00-\u9fff]")


def feat(gtype: str, coords, text: str | None = None) -> dict:
    props = {} if text is None else {"text": text}
    return {"type": "Feature", "properties": props, "geometry": {"type": gtype, "coordinates": coords}}


SQUARE = [[[114.60, 35.15], [114.70, 35.15], [114.70, 35.22], [114.60, 35.22], [114.60, 35.15]]]
DRAWN = [feat("Polygon", SQUARE), feat("LineString", [[114.55, 35.10], [114.80, 35.30]]),
         feat("Point", [114.75, 35.25]), feat("Point", [114.68, 35.20], "拟建光伏车棚\n（东侧）")]


def test_drawings_become_kinds_and_texts():
    gdf = mk.markup_frame({"type": "FeatureCollection", "features": DRAWN})
    assert list(gdf["kind"]) == ["polygon", "line", "point", "note"]  # a point with text is a note
    assert gdf.crs.to_epsg() == 4326
    assert gdf["text"].iloc[3] == "拟建光伏车棚 （东侧）"  # the line break is a space: one line of PDF text
    assert list(gdf["text"].iloc[:3]) == ["", "", ""]
    again = mk.markup_frame(mk.to_geojson(gdf))  # what the session and the database keep reads back the same
    assert list(again["kind"]) == list(gdf["kind"]) and list(again["text"]) == list(gdf["text"])
    assert all(a.equals(b) for a, b in zip(again.geometry, gdf.geometry, strict=True))
    assert len(mk.markup_frame(None)) == 0 and len(mk.markup_frame([])) == 0


def test_drawings_over_amap_are_taken_back_to_wgs84():
    from cyc_geo.geo.gcj02 import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(np.array([114.68]), np.array([35.20]))
    gdf = mk.markup_frame([feat("Point", [float(lon[0]), float(lat[0])], "甲")], gcj02=True)
    assert gdf.geometry.iloc[0].x == pytest.approx(114.68, abs=1e-7)
    assert gdf.geometry.iloc[0].y == pytest.approx(35.20, abs=1e-7)


def test_a_crossing_polygon_is_repaired_not_refused():
    bowtie = [[[114.6, 35.1], [114.7, 35.2], [114.7, 35.1], [114.6, 35.2], [114.6, 35.1]]]
    gdf = mk.markup_frame([feat("Polygon", bowtie)])
    assert gdf.geometry.iloc[0].is_valid and gdf.geometry.iloc[0].area > 0 and gdf["kind"].iloc[0] == "polygon"


@pytest.mark.parametrize(("data", "code"), [
    ("not geojson", "shape"),
    ([{"type": "Feature", "properties": {}}], "feature"),
    ([feat("GeometryCollection", [])], "geometry_type"),
    ([feat("Point", [514.6, 35.1])], "range"),
    ([feat("Point", [float("nan"), 35.1])], "range"),
    ([feat("Point", ["a", "b"])], "coordinates"),
    ([feat("Polygon", [[[114.6, 35.1], [114.7, 35.1], [114.6, 35.1]]])], "degenerate"),
    ([feat("LineString", [[114.6 + i * 1e-5, 35.1] for i in range(mk.MAX_VERTICES + 1)])], "vertices"),
    ([feat("Point", [114.6, 35.1])] * (mk.MAX_FEATURES + 1), "too_many"),
    ([feat("Point", [114.6, 35.1], "字" * (mk.MAX_TEXT + 1))], "text_long"),
    ([feat("Point", [114.6, 35.1], 42)], "text"),
])
def test_bad_markup_is_refused_as_a_whole_in_both_languages(data, code):
    good = [feat("Point", [114.6, 35.1], "好")]
    with pytest.raises(mk.MarkupRejected) as err:
        mk.markup_frame(good + data if isinstance(data, list) and code != "too_many" else data)
    assert err.value.code == code
    assert CJK.search(err.value.message("zh")) and not CJK.search(err.value.message("en"))


def test_only_new_drawings_are_taken():
    a, b = feat("Point", [114.6, 35.1]), feat("Point", [114.6000000001, 35.1])  # b is a within 1e-7°
    c = feat("LineString", [[114.6, 35.1], [114.7, 35.2]])
    assert mk.new_drawings([a, b, c], []) == [a, c]
    assert mk.new_drawings([a, c], [mk.drawing_key(a)]) == [c]
    assert mk.new_drawings(None, []) == []


def test_web_map_group_and_legend_carry_the_markup():
    import folium

    gdf = mk.markup_frame(DRAWN)
    fmap = folium.Map()
    mk.markup_group(gdf, "en").add_to(fmap)
    html = fmap.get_root().render()
    assert "拟建光伏车棚" in html and "window.drawnItems.clearLayers" in html
    assert [r[2] for r in mk.legend_section(gdf, "en").rows] == ["Marked area", "Marked line", "Marked point", "Text note"]
    assert mk.legend_section(gdf, "zh").title == "标注" and mk.legend_section(gdf.iloc[:0], "zh") is None
    hostile = mk.markup_frame([feat("Point", [114.7, 35.2], "</script><img src=x onerror=alert(1)>")])
    page = folium.Map()
    mk.markup_group(hostile, "zh").add_to(page)
    rendered = page.get_root().render()
    assert "<img src=x" not in rendered and "</script><img" not in rendered  # a note is text, never markup
    exported = folium.Map()
    mk.markup_group(gdf, "zh", clear_drawn=False).add_to(exported)
    assert "drawnItems" not in exported.get_root().render()  # an export has no drawing tool to empty


def test_markup_is_drawn_on_the_print_axes():
    gdf = mk.markup_frame(DRAWN).to_crs("EPSG:4547")
    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    mk.draw_on_axes(ax, gdf, tuple(gdf.total_bounds))
    assert len(ax.collections) == 3  # polygons, lines, points (notes included)
    far = gdf.iloc[[2]].set_geometry(gdf.geometry.iloc[[2]].translate(1e6, 0))
    ax2 = Figure().add_axes((0, 0, 1, 1))
    mk.draw_on_axes(ax2, far, tuple(gdf.total_bounds))
    assert not ax2.collections  # outside the map window: nothing drawn
    assert [t for *_, t in mk.text_points(gdf)] == ["拟建光伏车棚 （东侧）"]


@pytest.fixture(scope="module")
def county():
    return gpd.GeoDataFrame({"name": ["县"]}, geometry=[shapely.box(114.5, 35.0, 114.9, 35.35)], crs="EPSG:4326")


def test_print_has_the_markup_legend_and_the_notes_as_text(county):
    gdf = mk.markup_frame(DRAWN + [feat("Point", [120.0, 40.0], "框外注记")])
    data = pl.print_layout(["county"], "A4", True, "标注测试", "zh", frames={"county": county}, markup=gdf)
    text = pdf_text(data)
    assert "拟建光伏车棚 （东侧）" in text  # printed on the map as PDF text
    assert "框外注记" not in text  # a note outside the map frame prints no text
    legend = text[text.index("图例"):]
    assert all(w in legend for w in ("标注", "标注范围（面）", "标注线", "标注点", "文字注记"))
    plain = pdf_text(pl.print_layout(["county"], "A4", True, "标注测试", "zh", frames={"county": county}))
    assert "标注范围" not in plain and "拟建光伏车棚" not in plain


def test_export_map_draws_the_markup(county):
    from cyc_geo.mapview.standalone import export_map

    gdf = mk.markup_frame(DRAWN)
    html = export_map(["county"], "zh", load=lambda _id: county, markup=gdf).get_root().render()
    assert "拟建光伏车棚" in html and "文字注记" in html  # drawn, and in the legend
    assert "文字注记" not in export_map(["county"], "zh", load=lambda _id: county).get_root().render()


def test_saved_markup_round_trips_with_an_audit_trail(conn):
    gdf = mk.markup_frame(DRAWN)
    row = store.save_markup(conn, " 周一例会 ", gdf, "alice")
    assert row["name"] == "周一例会" and row["count"] == 4
    back = store.load_markup(conn, "周一例会")
    assert list(back["kind"]) == list(gdf["kind"]) and list(back["text"]) == list(gdf["text"])
    store.save_markup(conn, "周一例会", gdf.iloc[:1], "bob")
    assert [(r["name"], r["count"], r["updated_by"]) for r in store.list_markups(conn)] == [("周一例会", 1, "bob")]
    store.delete_markup(conn, "周一例会", "carol")
    assert store.list_markups(conn) == []
    trail = db.audit_trail(conn, "markup")
    assert [(r["action"], r["actor"]) for r in trail] == [("delete", "carol"), ("update", "bob"), ("create", "alice")]
    assert len(json.loads(trail[1]["old_value"])["features"]) == 4 and trail[0]["new_value"] is None
    with pytest.raises(KeyError):
        store.load_markup(conn, "周一例会")


def test_saving_refuses_nothing_to_save_and_bad_names(conn):
    gdf = mk.markup_frame(DRAWN)
    with pytest.raises(mk.MarkupRejected) as err:
        store.save_markup(conn, "空", gdf.iloc[:0], "alice")
    assert err.value.code == "nothing"
    for name, code in (("  ", "name_empty"), ("名" * (store.MAX_NAME_LEN + 1), "name_long")):
        with pytest.raises(mk.MarkupRejected) as err:
            store.save_markup(conn, name, gdf, "alice")
        assert err.value.code == code
    with pytest.raises(ValueError):
        store.save_markup(conn, "甲", gdf, " ")
    assert store.list_markups(conn) == [] and db.audit_trail(conn, "markup") == []


def test_map_print_cli_draws_a_markup_file_and_refuses_a_bad_one(tmp_path, capsys):
    from cyc_geo.cli import main

    good = tmp_path / "marks.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": DRAWN}), encoding="utf-8")
    out = tmp_path / "map.pdf"
    assert main(["map", "print", "--out", str(out), "--layers", "county", "--markup", str(good)]) == 0
    text = pdf_text(out.read_bytes())
    assert "拟建光伏车棚 （东侧）" in text and "文字注记" in text
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(b"\xff\xfe not json")
    assert main(["map", "print", "--out", str(tmp_path / "x.pdf"), "--layers", "county", "--markup", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "GeoJSON" in err and "标注文件" in err and not (tmp_path / "x.pdf").exists()  # nothing half-written
    assert main(["map", "print", "--out", str(tmp_path / "y.pdf"), "--atlas", "townships", "--markup", str(good)]) == 2
    with pytest.raises(mk.MarkupRejected) as exc:
        mk.read_markup_file(tmp_path / "missing.geojson")
    assert exc.value.code == "file"
