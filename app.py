"""cyc-geo web app: ``streamlit run app.py``.

A thin router: it sets up the page, the language switch and the navigation;
each page lives in ``views/`` and every computation in :mod:`cyc_geo`.
A page appears when its file exists, so adding a page is adding one file and
one line below.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cyc_geo.places.profile import profile
from ui import charts
from ui.auth import signin_sidebar
from ui.common import language_switch, tr, widget_texts
from ui.errors import database_usable, storage_errors
from ui.warmup import script_running

ROOT = Path(__file__).parent

# (file, title in Chinese, title in English, icon)
PAGES: list[tuple[str, str, str, str]] = [
    ("views/map.py", "地图", "Map", ":material/map:"),
    ("views/pv.py", "屋顶光伏", "Rooftop PV", ":material/solar_power:"),
    ("views/carbon.py", "森林碳汇", "Forest carbon sink", ":material/forest:"),
    ("views/projects.py", "重点项目用地", "Priority projects", ":material/domain:"),
    ("views/indicators.py", "指标看板", "Indicators", ":material/monitoring:"),
    ("views/data_import.py", "数据导入", "Data import", ":material/upload_file:"),
]

st.set_page_config(page_title=f"{profile().name_zh}碳达峰规划图 cyc-geo", page_icon="🗺️", layout="wide")
charts.configure()
language_switch()
widget_texts()  # Streamlit's own widget texts ("Select all", "Upload", …) in Chinese
usable = database_usable()  # a damaged database: say which file and what to do, run no page
pages = [
    st.Page(str(ROOT / file), title=tr(zh, en), icon=icon, url_path=Path(file).stem, default=(i == 0))
    for i, (file, zh, en, icon) in enumerate(PAGES)
    if (ROOT / file).exists()
]
page = st.navigation(pages)
if usable:
    with script_running(), storage_errors():
        signin_sidebar()
        page.run()
