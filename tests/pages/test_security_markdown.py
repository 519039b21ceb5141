"""File-derived strings shown through Streamlit Markdown stay text (side panel of the map page)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui.text import md_escape


def test_md_escape_by_hand():
    assert md_escape("[link](javascript:alert(1))") == r"\[link\]\(javascript\:alert\(1\)\)"
    assert md_escape("**粗** <b>x</b> :red[y] $z$") == r"\*\*粗\*\* \<b\>x\<\/b\> \:red\[y\] \$z\$"
    assert md_escape("蒲东街道 410783001") == "蒲东街道 410783001"  # nothing to escape
    assert md_escape(12.5) == r"12\.5" and md_escape(None) == ""
    assert md_escape("a\nb") == "a b"


def _panel_script() -> None:
    from cyc_geo.catalog.registry import get_layer
    from views.map import _side_panel

    _side_panel([(get_layer("townships"), {"名称": "[link](javascript:alert(1))", "[c](http://example.invalid/x)": "**b**"})])


def test_side_panel_table_cells_are_escaped():
    at = AppTest.from_function(_panel_script, default_timeout=60)
    at.run()
    assert not at.exception
    (table,) = [t.value for t in at.table]
    assert list(table.index) == ["名称", r"\[c\]\(http\:\/\/example\.invalid\/x\)"]
    assert list(table.iloc[:, 0]) == [r"\[link\]\(javascript\:alert\(1\)\)", r"\*\*b\*\*"]


PANEL_APP = '''
import pandas as pd
import streamlit as st

from ui.text import md_escape

# what views/map.py _side_panel hands st.table (the AppTest above checks that it escapes)
rec = {"名称": "[link](javascript:alert(1))", "面积(km²)": 12.5, "**b**": "<img src=x onerror=alert(1)> :red[r] $x$"}
rows = [(md_escape(k), md_escape(v)) for k, v in rec.items()]
st.table(pd.DataFrame(rows, columns=["项目", "数值"]).astype(str).set_index("项目"))
'''
