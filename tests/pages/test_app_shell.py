"""The app shell: AppTest (script level) and the real app in headless Chromium."""

import json
import re

from streamlit.testing.v1 import AppTest

from cyc_geo.mapview import static_payloads
from tests.conftest import app_test


def _map_text(at: AppTest) -> str:
    """The st_folium component's arguments (map script, feature groups, asset links) as text."""
    comps = list(at.get("component_instance"))
    assert comps, "no st_folium component rendered"
    args = json.dumps(json.loads(comps[0].proto.json_args), ensure_ascii=False)
    args = static_payloads.with_payloads(args)  # the layers' data are fetched files (static_payloads)
    # folium writes non-ASCII text into the JS as \\uXXXX escapes
    return re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), args)


def test_map_page_renders_layers_and_demo_warning():
    at = app_test("views/map.py")
    at.run()
    assert not at.exception
    assert any("演示数据" in w.value for w in at.warning)
    assert any("近似" in i.value for i in at.info)
    script = _map_text(at)
    assert "蒲西街道" in script and "武邱乡" in script
    # Leaflet comes from the app's own static folder, never a CDN
    assert "/app/static/vendor/leaflet/dist/leaflet.js" in script
    assert "cdn.jsdelivr.net/npm/leaflet" not in script


def test_language_switch_to_english():
    at = app_test("views/map.py")
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Changyuan carbon-peak planning map"
    assert "Puxi Subdistrict" in _map_text(at)


def test_layer_switch_removes_a_layer():
    at = app_test("views/map.py")
    at.run()
    at.checkbox(key="layer_belt").uncheck().run()
    assert "黄河滩区" not in _map_text(at)
    at.checkbox(key="layer_belt").check().run()
    assert "黄河滩区" in _map_text(at)


def test_no_pages_folder_beside_app_py():
    """A ``pages/`` folder next to app.py (even an empty one) puts Streamlit in its old multipage
    mode, in which the first run of every deep link (e.g. /indicators) shows "Page not found"."""
    from pathlib import Path

    assert not (Path(__file__).resolve().parents[2] / "pages").exists()


def test_launcher_preloads_libraries_but_no_streamlit_component():
    """``python -m ui.serve`` imports the heavy libraries before the server starts, but not
    streamlit_folium: a component imported outside a script run is never registered with the
    server, and the map would not load."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, ui.serve as s; s.preload(); "
            "print('streamlit_folium' in sys.modules, 'mapclassify' in sys.modules, 'pvlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]


def test_choice_value_maps_labels_back_to_options():
    from ui.common import choice_value

    labels = {"seed_plan": ("方案口径", "Plan's arithmetic"), "national_2023": ("全国 2023", "National 2023")}
    assert choice_value("national_2023", labels) == "national_2023"
    assert choice_value("方案口径", labels) == "seed_plan"
    assert choice_value("National 2023", labels) == "national_2023"
    assert choice_value("something else", labels) is None
    assert choice_value(["全国 2023", "seed_plan", "x"], labels) == ["national_2023", "seed_plan"]
