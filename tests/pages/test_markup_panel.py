"""The map page under AppTest: drawings taken into the session's 标注 / Markup, a point given its text, the markup
drawn on the map and handed to the print layout; named sets saved and deleted by editors only."""

from __future__ import annotations

import json
import time

import pytest

from cyc_geo import db
from cyc_geo.mapview import markup_store
from tests.conftest import app_test

POINT = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [114.68, 35.20]}}
SQUARE = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
    [[114.66, 35.18], [114.672, 35.18], [114.672, 35.19], [114.66, 35.19], [114.66, 35.18]]]}}


@pytest.fixture
def own_db(tmp_path, monkeypatch):
    """A database of this test's own (the page's cached connection is reopened on it)."""
    from ui.common import database

    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "markup.sqlite"))
    database.clear()
    yield tmp_path / "markup.sqlite"
    database.clear()


def _drawn(at, drawings: list[dict]) -> None:
    """The map reports its drawings (the component's value, which the page also keeps under its map key)."""
    comp = list(at.get("component_instance"))[0]
    value = {"last_clicked": None, "all_drawings": drawings, "zoom": 12, "center": {"lat": 35.2, "lng": 114.7}}
    at.session_state[comp.proto.id.split("-")[-1]] = value
    at.session_state["main_map"] = value
    at.run()


def _feature_group(at) -> str:
    return json.loads(list(at.get("component_instance"))[0].proto.json_args)["feature_group"]


def _expander(at, start: str):
    return next(e for e in at.expander if e.label.startswith(start))


def test_drawings_become_markup_a_point_a_note_and_the_print_gets_them(own_db, monkeypatch):
    from cyc_geo.mapview import print_layout

    at = app_test("views/map.py")
    at.run()
    assert not at.exception
    args = json.loads(list(at.get("component_instance"))[0].proto.json_args)
    assert "all_drawings" in args["returned_objects"]  # the map reports every drawing
    assert '"circle": false' in args["script"]  # the drawing tool's options are in the script …
    assert '"polyline": false' not in args["script"] and '"marker": false' not in args["script"]  # … lines, points on
    assert _expander(at, "标注").label == "标注（0）"
    _drawn(at, [SQUARE, POINT])
    assert not at.exception
    assert _expander(at, "标注").label == "标注（2）"
    pick = next(b for b in at.selectbox if b.key.startswith("markup_pick_"))
    assert pick.value == 1  # the newest drawing is chosen
    at.text_input(key="markup_text_2_1").set_value("周一现场踏勘").run()
    at.button(key="markup_set").click().run()
    assert not at.exception
    assert [f["properties"]["text"] for f in at.session_state["markup"]["features"]] == ["", "周一现场踏勘"]
    assert "周一现场踏勘" in _feature_group(at) and "window.drawnItems.clearLayers" in _feature_group(at)
    pick = next(b for b in at.selectbox if b.key.startswith("markup_pick_"))
    assert pick.value == 1 and "文字注记" in pick.format_func(1)  # still the note, named as one now
    _drawn(at, [SQUARE, POINT])  # the same report again (a rerun): nothing is taken twice
    assert len(at.session_state["markup"]["features"]) == 2
    # anonymous: drawing is open, saving is not
    assert at.button(key="markup_save").disabled
    # the print layout of the view gets the markup (its PDF is checked in tests/mapview/test_markup.py)
    got = {}
    monkeypatch.setattr(print_layout, "print_layout", lambda *a, **kw: got.update(kw) or b"%PDF-1.4")
    assert at.checkbox(key="map_print_markup").value
    at.button(key="map_print_btn").click().run()
    assert not at.exception
    assert list(got["markup"]["kind"]) == ["polygon", "note"] and list(got["markup"]["text"]) == ["", "周一现场踏勘"]
    at.button(key="markup_del").click().run()  # the chosen item (the note) goes
    assert [f["geometry"]["type"] for f in at.session_state["markup"]["features"]] == ["Polygon"]
    assert "周一现场踏勘" not in _feature_group(at)


def test_a_refused_drawing_is_a_message_not_a_traceback(own_db):
    at = app_test("views/map.py")
    at.run()
    _drawn(at, [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [514.0, 35.2]}}])
    assert not at.exception
    assert any("经纬度" in e.value for e in at.error)
    assert at.session_state["markup"]["features"] == []


def test_editors_save_load_and_delete_named_markup(own_db):
    at = app_test("views/map.py")
    at.session_state["cyc_auth"] = {"user": "bob", "expires": time.time() + 600}
    at.run()
    _drawn(at, [SQUARE, POINT])
    at.text_input(key="markup_name").set_value("踏勘路线").run()
    at.button(key="markup_save").click().run()
    assert not at.exception
    assert any("踏勘路线" in s.value for s in at.success)
    conn = db.connect(own_db)
    assert [(r["name"], r["count"], r["updated_by"]) for r in markup_store.list_markups(conn)] == [("踏勘路线", 2, "bob")]
    at.button(key="markup_clear").click().run()
    assert at.session_state["markup"]["features"] == []
    at.button(key="markup_load").click().run()
    assert len(at.session_state["markup"]["features"]) == 2
    at.button(key="markup_saved_del").click().run()
    assert markup_store.list_markups(conn) == []
    assert [r["action"] for r in db.audit_trail(conn, "markup")] == ["delete", "create"]
