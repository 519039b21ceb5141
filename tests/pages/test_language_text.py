"""One language at a time: every page's rendered text in English has no Chinese, in Chinese no English words.

An AppTest run of every page in ``views/`` in each language (an editor signed in, audit and site-history records
seeded so those tables are shown) collects every text a reader sees: titles, headers, markdown, captions, alerts,
metric labels, values, deltas and help, widget labels, help, placeholders and options, expander and button labels,
and every table's headers and cells. In English a CJK character outside :data:`CJK_ALLOWED` (the plan's title,
the city's own name, the developers' registered names from the plan's 附件2, the PV ledger's installation and
owner names, the editor's name) is a defect; in Chinese an ASCII word
of more than three letters outside :data:`LATIN_ALLOWED` (units, codes and file formats) is one. The map's own
HTML (folium) and Streamlit's built-in widget texts are not seen by AppTest.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from google.protobuf.message import Message

from cyc_geo import db
from tests.conftest import REPO, app_test

PAGES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "views").glob("*.py"))
MORE_VIEWS: dict[str, list[dict[str, Any]]] = {"views/carbon.py": [{"carbon_method": "pools"}]}
"""Session state showing more of a page than its first view (one more run each)."""

PLAN_TITLE = "长垣市推进碳达峰试点建设工作方案"
"""docs/sources.md, "The plan"."""
EDITOR = "规划员"
"""The signed-in editor's account name (a name, shown as it is)."""
CJK_ALLOWED = [PLAN_TITLE, "长垣市", "长垣", EDITOR,
               *pd.read_csv(REPO / "data/reference/projects.csv", dtype=str)["建设主体"].dropna()]
"""Chinese text allowed on the English pages: the plan's title, the city's name and the developers' registered
names (附件2 建设主体, proper names with no English form) and the editor's name."""

LATIN_ALLOWED = {
    # units
    "kWh", "MWh", "GWh", "TWh", "kWp", "tCO2", "tCO₂",
    # codes, standards, methods
    "EPSG", "CGCS2000", "WGS84", "IPCC", "InVEST", "AR-CM-001-V01", "GCJ", "SHA",
    # cited methods and their authors (Erbs 1982, Hay-Davies, Perez, Jordan & Kurtz 2013), hourly-weather sources
    "Erbs", "Hay-Davies", "Perez", "Jordan", "Kurtz", "PVGIS", "CCER",
    # chemical codes in the plan's own project text (附件2 #4)
    "BHET", "PETG",
    # a date pattern and a setting the administrator types as it is
    "YYYY-MM-DD", "TIANDITU_TOKEN",
    # file formats and software planners name as they are
    "Excel", "HTML", "GeoJSON", "GeoPackage", "Shapefile", "FileGDB", "GeoParquet", "GeoTIFF", "Chromium", "XLSX",
}
"""ASCII words of more than three letters allowed on the Chinese pages."""

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9₂_]*(?:-[A-Za-z0-9]+)*")
DATA_PATH = re.compile(r"\b(?:data|docs)/[\w./-]+|`[^`]*`|(?<![\w])\.[a-z0-9]+\b")  # a file in the data folder or the documentation, and
# code spans (a file's column names) and file extensions (.xlsx), named as they are
CODE_COLUMNS = {"图层标识", "Layer id"}
"""Table columns of codes (layer ids, as typed on the command line and in file names)."""
TEXT_FIELDS = {"label", "body", "help", "placeholder", "options", "delta", "default", "value"}
"""Fields of an element's message that a reader sees (ids, tags, formats and dates are not text)."""
SKIP_ELEMENTS = {"DateInput", "NumberInput.value", "Slider", "Html"}
"""Dates, numbers and ``st.html`` (the page's own CSS) are not text."""


@functools.lru_cache(maxsize=1)
def _ledger_names() -> frozenset[str]:
    """Installation and owner names of the PV ledger in use: names as the planner's ledger writes them."""
    from cyc_geo.catalog.loader import load_layer

    led = load_layer("pv_installations")
    return frozenset(str(v) for col in ("name", "owner") if col in led for v in led[col].dropna())


def chinese_of(text: str) -> str:
    """The CJK characters of ``text`` outside the allowed names (a whole cell may be a ledger name)."""
    if text in _ledger_names():
        return ""
    for name in sorted(CJK_ALLOWED, key=len, reverse=True):
        text = text.replace(name, "")
    return "".join(CJK.findall(text))


def english_words(text: str) -> list[str]:
    """ASCII words of more than three letters in ``text`` outside :data:`LATIN_ALLOWED` and data-folder paths."""
    text = DATA_PATH.sub(" ", text)
    return [w for w in WORD.findall(text) if sum(c.isalpha() for c in w) > 3 and w not in LATIN_ALLOWED]


def test_the_checks_find_what_they_should():
    assert chinese_of("Name 常村镇") == "常村镇"
    assert chinese_of(f"Report on {PLAN_TITLE}, Changyuan (长垣市)") == ""
    assert english_words("未填报 / not reported") == ["reported"]
    assert english_words("年发电量 (GWh)，tCO2，EPSG:4547，MW") == []
    assert english_words("正在生成矢量瓦片（rooftops）") == ["rooftops"]
    assert english_words("将文件放入 data/boundaries/townships.gpkg，列为 `month`、`t_air_c`") == []
    assert english_words("来源 cyc_geo.pv.progress 种子 seed 20230508") == ["cyc_geo", "progress", "seed"]


def _strings(msg: Message, path: str, out: list[tuple[str, str]]) -> None:
    for field, value in msg.ListFields():
        if field.name not in TEXT_FIELDS and field.message_type is None:
            continue
        values = value if not isinstance(value, (str, bytes, Message)) and hasattr(value, "__iter__") else [value]
        for v in values:
            if isinstance(v, Message):
                _strings(v, f"{path}.{field.name}", out)
            elif isinstance(v, str) and v.strip() and f"{path}.{field.name}" not in SKIP_ELEMENTS \
                    and path.split(".")[0] not in SKIP_ELEMENTS:
                out.append((f"{path}.{field.name}", v))


def _table_texts(node, out: list[tuple[str, str]]) -> None:
    df = node.value
    cfg = json.loads(getattr(node.proto, "columns", "") or "{}")
    for col in df.columns:
        c = cfg.get(str(col), {})
        if not c.get("hidden"):
            out.append(("table header", str(c.get("label") or col)))
    shown = [c for c in df.columns if not cfg.get(str(c), {}).get("hidden") and str(c) not in CODE_COLUMNS]
    for cell in dict.fromkeys(str(v) for v in df[shown].to_numpy().ravel()):
        out.append(("table cell", cell))


def rendered_texts(at) -> list[tuple[str, str]]:
    """(element.field, text) of everything the page shows (see the module docstring)."""
    out: list[tuple[str, str]] = []

    def walk(node) -> None:
        kind = type(node).__name__
        if kind in ("Dataframe", "Table"):
            _table_texts(node, out)
        elif kind not in ("ComponentInstance", "UnknownElement") and isinstance(getattr(node, "proto", None), Message):
            _strings(node.proto, kind, out)
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else []):
            walk(child)

    walk(at._tree)
    return out


def problems(texts: list[tuple[str, str]], lang: str) -> list[str]:
    """The texts in the other language, once each."""
    found = []
    for where, text in dict.fromkeys(texts):
        if lang == "en" and chinese_of(text):
            found.append(f"{where}: {text[:160]!r}")
        if lang == "zh" and english_words(text):
            found.append(f"{where}: {text[:160]!r} {english_words(text)[:5]}")
    return list(dict.fromkeys(found))


@pytest.fixture
def lang_env(tmp_path, monkeypatch) -> Iterator[None]:
    """The repo's demo data, a fresh database with an audit record and a saved site, throw-away tiles."""
    from cyc_geo.indicators import catalogue as ind
    from cyc_geo.planning.projects import SITE_ENTITY

    path = tmp_path / "lang.sqlite"
    monkeypatch.setenv("CYC_GEO_DB", str(path))
    monkeypatch.setenv("CYC_GEO_TILES_DIR", str(tmp_path / "tiles"))
    monkeypatch.chdir(REPO)
    conn = db.connect(path)
    db.audit(conn, EDITOR, ind.AUDIT_ENTITY, "1|2023", "set", None, {"value": 80.5, "note": None})
    db.audit(conn, EDITOR, SITE_ENTITY, "1", "save", None, {"version": 1, "source": "upload"})
    conn.commit()
    conn.close()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def page_problems(page: str, lang: str) -> list[str]:
    """Problems of ``page`` in ``lang``, over its first view and its MORE_VIEWS."""
    found: list[str] = []
    for extra in [{}, *MORE_VIEWS.get(page, [])]:
        at = app_test(page, timeout_s=300)
        at.session_state["lang"] = lang
        at.session_state["cyc_auth"] = {"user": EDITOR, "expires": time.time() + 3600}
        for k, v in extra.items():
            at.session_state[k] = v
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        found += problems(rendered_texts(at), lang)
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page_file", PAGES)
def test_every_page_shows_one_language(page_file: str, lang: str, lang_env):
    found = page_problems(page_file, lang)
    assert found == [], f"{len(found)} texts in the other language on {page_file} ({lang}):\n" + "\n".join(found)
