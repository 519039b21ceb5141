"""Language switch, demo-data banner and cached data access for every page.

This is the only place (with ``app.py`` and ``views/``) where Streamlit state and
caching live; everything computed comes from :mod:`cyc_geo`.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from cyc_geo import db
from cyc_geo.catalog import result_store, sources
from cyc_geo.catalog.loader import load_layer as load_by_id
from cyc_geo.catalog.provenance import LayerFacts, facts_from_json, facts_to_json, layer_facts, provenance_of
from cyc_geo.catalog.registry import LayerDef, get_layer, load_registry, registry_signature
from cyc_geo.mapview.payloads import attribute_table
from cyc_geo.pv import aggregation, installations, opening_stock, progress, results
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import Scenario

LANGS = {"zh": "中文", "en": "English"}


def lang() -> str:
    """Current UI language: session state, else the ``lang`` query parameter, else Chinese."""
    if "lang" not in st.session_state:
        q = st.query_params.get("lang", "zh")
        st.session_state["lang"] = q if q in LANGS else "zh"
    return st.session_state["lang"]


def tr(zh: str, en: str) -> str:
    """Pick the Chinese or English text for the current language."""
    return zh if lang() == "zh" else en


def language_switch() -> None:
    """Sidebar radio for 中文 / English, kept in the URL (``?lang=en``) so links keep it."""
    current = lang()
    choice = st.sidebar.radio(
        "语言 / Language",
        list(LANGS),
        index=list(LANGS).index(current),
        format_func=LANGS.get,
        horizontal=True,
        key="lang_radio",
    )
    if choice != current:
        st.session_state["lang"] = choice
    # Write the URL only when it disagrees: writing query parameters before st.navigation
    # has resolved a deep link (e.g. /pv) makes Streamlit fall back to the main page.
    if st.query_params.get("lang", "zh") != st.session_state["lang"]:
        st.query_params["lang"] = st.session_state["lang"]


@st.cache_resource(show_spinner=False)
def choice_value(value: Any, labels: dict[Any, tuple[str, str]]) -> Any:
    """The option behind a choice widget's value, which may be one of its (zh, en) labels.

    Read a language-labelled selectbox/radio/multiselect through this.

    After switching language twice, Streamlit 1.67 hands back a selectbox's or radio's
    *label* instead of the option when its ``format_func`` depends on the language (seen
    on the PV page's emission preset, which then failed). ``labels`` maps each option to
    its (zh, en) labels; a list (multiselect) is mapped item by item; unknown values give
    ``None`` (dropped from lists).
    """
    by_label = {lab: option for option, pair in labels.items() for lab in pair}

    def one(v: Any) -> Any:
        return v if v in labels else by_label.get(v)

    if isinstance(value, (list, tuple)):
        return [o for o in map(one, value) if o is not None]
    return one(value)


def language_choice(widget: Callable[..., Any], label: str, options: Sequence[Any],
                    labels: Mapping[Any, tuple[str, str]], *, key: str, default: Any, **kwargs: Any) -> Any:
    """A select or radio whose option labels follow the language; returns the chosen option.

    ``widget`` is ``st.selectbox``/``st.radio`` or a container's (``st.sidebar.selectbox``, ``col.radio``);
    ``labels`` maps each option to its (zh, en) label. Streamlit 1.67 keeps a choice widget's label from
    before a language switch: a select went on showing its Chinese name in English, a radio showed no
    choice, and after two switches the widget handed back the label instead of the option. So the widget
    is keyed per language (``{key}_zh``, ``{key}_en``) and seeded from one session value,
    ``st.session_state[key]``, which its ``on_change`` keeps before the next run. It is given no
    ``index``, so it keeps its identity between runs. ``default`` is the choice while the session holds
    none that is among ``options`` (the URL's, the page's default; the first option if it is not one); a
    choice that left ``options`` falls back to it.
    """
    options = list(options)
    widget_key = f"{key}_{lang()}"
    ss = st.session_state
    value = ss[key] if key in ss and ss[key] in options else default if default in options else options[0]
    if widget_key not in ss or ss[widget_key] != value:
        ss[widget_key] = value

    def keep() -> None:
        ss[key] = ss[widget_key]

    picked = widget(label, options, format_func=lambda o: tr(*labels[o]), key=widget_key, on_change=keep, **kwargs)
    ss[key] = picked
    return picked


def run_memo() -> dict[Any, Any]:
    """A dict that lives for one script run (a full run or a fragment rerun) of the current session.

    What every page asks many times per run, but may change between runs (another process imports a
    layer, a TOML is edited), is looked up once per run: the layer registry and the layers' source
    versions (each a listing and a dozen ``stat`` calls; py-spy: a quarter of a warm map visit's script
    time went to them). Outside a script run (CLI, warm-up thread) it is a fresh dict each call: no
    memo. Streamlit gives every run a new ``parallel_coordinator`` (``ScriptRunContext.reset``); the memo
    keeps a reference to the one it belongs to, so a later run never reads it.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    token = getattr(ctx, "parallel_coordinator", None)
    if token is None:
        return {}
    memo = getattr(ctx, "_cyc_run_memo", None)
    if memo is None or memo[0] is not token:
        memo = (token, {})
        ctx._cyc_run_memo = memo
    return memo[1]


def _memoised(key: tuple, compute):
    memo = run_memo()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def registry() -> list[LayerDef]:
    """Layer registry (parsed once per process; a changed TOML folder is re-read, see load_registry;
    listed once per script run, :func:`run_memo`)."""
    return list(_memoised(("registry",), load_registry))


def registry_version() -> tuple:
    """The layer TOMLs' signature (:func:`cyc_geo.catalog.registry.registry_signature`), once per script run."""
    return _memoised(("registry_signature",), registry_signature)


def layer_def(layer_id: str) -> LayerDef:
    """A registered layer by id (``KeyError`` when unknown)."""
    by_id = _memoised(("registry_by_id",), lambda: {layer.id: layer for layer in registry()})
    if layer_id in by_id:
        return by_id[layer_id]
    return get_layer(layer_id)  # raises the registry's KeyError


@functools.lru_cache(maxsize=8)
def _toml_file(path: str, mtime_ns: int) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def app_secrets() -> dict[str, Any]:
    """The app's secrets: the TOML files Streamlit's ``secrets.files`` option lists (the user's
    ``~/.streamlit/secrets.toml``, then the project's ``.streamlit/secrets.toml``; a later file's keys win),
    re-read when a file changes; ``{}`` when there is none or a file is not valid TOML.

    Read here rather than through ``st.secrets``: its first use starts one polling watcher per secrets
    path, each checking the file every 0.2 s for the life of the process (py-spy: ~5-9 % of the server's
    CPU during a batch of map visits).
    """
    from streamlit import config

    out: dict[str, Any] = {}
    for path in config.get_option("secrets.files"):
        try:
            out.update(_toml_file(path, os.stat(path).st_mtime_ns))
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return out


TOWNSHIPS = "townships"
"""The township layer: every other layer's township codes and per-township figures are derived from it."""


def source_version(layer_id: str) -> str:
    """Cache key of a layer's data: its source version (:func:`cyc_geo.catalog.sources.source_version`)
    and, for every layer but the townships, the township layer's too: township codes (roofs, forest
    patches) and every per-township figure are derived spatially from the active township layer, so a
    township import or rollback (in this process or another one, e.g. the CLI) renews them all.
    Looked up once per script run (:func:`run_memo`)."""
    return _memoised(("source_version", layer_id), lambda: _source_version(layer_id))


def _source_version(layer_id: str) -> str:
    own = sources.source_version(layer_id)
    return own if layer_id == TOWNSHIPS else f"{own}|{TOWNSHIPS}={sources.source_version(TOWNSHIPS)}"


# Every layer cache below is keyed by the layer's source version (planner file or source file,
# with its modification time): an import, a rollback or a new file is a new key, in this
# process or another one. The import page also clears both caches after a write.


@st.cache_data(show_spinner=False, max_entries=32)
def _small_layer(layer_id: str, version: str) -> gpd.GeoDataFrame:
    return load_by_id(layer_def(layer_id))


def load_layer(layer_id: str) -> gpd.GeoDataFrame:
    """A layer's GeoDataFrame, cached per process and source version (building demo data on first use)."""
    return _small_layer(layer_id, source_version(layer_id))


@st.cache_resource(show_spinner=False, max_entries=4)
def _shared_layer(layer_id: str, version: str) -> gpd.GeoDataFrame:
    return load_by_id(layer_def(layer_id))


def big_layer(layer_id: str) -> gpd.GeoDataFrame:
    """A big layer's GeoDataFrame, one read-only copy per process and source version.

    ``st.cache_resource``: ``st.cache_data`` would pickle-copy 250k polygons on every call.
    """
    return _shared_layer(layer_id, source_version(layer_id))


def layer_frame(layer_id: str) -> gpd.GeoDataFrame:
    """A layer's GeoDataFrame from the cache that fits it (shared for big layers)."""
    return big_layer(layer_id) if layer_def(layer_id).big else load_layer(layer_id)


@st.cache_resource(show_spinner=False, max_entries=64)
def _facts(layer_id: str, version: str) -> LayerFacts:
    return result_store.remember(("facts", layer_id, version), lambda: layer_facts(layer_frame(layer_id)),
                                 encode=facts_to_json, decode=facts_from_json)


def facts(layer_id: str) -> LayerFacts:
    """Provenance, row count, columns and total area of a layer (:func:`cyc_geo.catalog.provenance.layer_facts`),
    cached per source version: what banners and sidebar figures need, without copying the layer."""
    return _facts(layer_id, source_version(layer_id))


def roof_layer() -> LayerDef | None:
    """The layer whose features carry the PV scenario's per-roof results (``scenario = "pv"``)."""
    return next((layer for layer in registry() if layer.scenario == "pv"), None)


def _roofs_key() -> tuple[str, str]:
    """(id, source version) of the PV scenario's roof layer; ``KeyError`` when the registry has none."""
    layer = roof_layer()
    if layer is None:
        raise KeyError("no layer with scenario = 'pv' in the registry")
    return layer.id, source_version(layer.id)


@st.cache_resource(show_spinner=False, max_entries=2)
def _roof_table(layer_id: str, version: str) -> pd.DataFrame:
    return attribute_table(_shared_layer(layer_id, version))


def roofs() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The rooftops (shared read-only GeoDataFrame) and their attribute table, for every page."""
    key = _roofs_key()
    return _shared_layer(*key), _roof_table(*key)


# The PV derivation chain (:mod:`cyc_geo.pv.results`), one cache per step, each keyed by the roof layer's
# (id, source version) and the scenario's key (:func:`cyc_geo.pv.results.scenario_key`); a step reads its
# inputs from the caches of the steps before it.


@st.cache_resource(show_spinner=False, max_entries=8)
def _per_roof(layer_id: str, version: str, scenario_json: str) -> pd.DataFrame:
    return pv.estimate(_roof_table(layer_id, version), results.scenario_from_key(scenario_json))


def per_roof(scenario: Scenario) -> pd.DataFrame:
    """Per-roof PV results of ``scenario`` (shared read-only; cached per roof version and scenario)."""
    return _per_roof(*_roofs_key(), results.scenario_key(scenario))


@st.cache_resource(show_spinner=False, max_entries=8)
def _roof_summary(layer_id: str, version: str, scenario_json: str) -> dict[str, Any]:
    return result_store.remember(("roof_summary", layer_id, version, scenario_json),
                                 lambda: aggregation.summary(_per_roof(layer_id, version, scenario_json)), decode=dict)


def roof_summary(scenario: Scenario) -> dict[str, Any]:
    """County totals of the rooftops under ``scenario`` (:func:`cyc_geo.pv.aggregation.summary` of :func:`per_roof`),
    cached beside it."""
    return dict(_roof_summary(*_roofs_key(), results.scenario_key(scenario)))


@st.cache_resource(show_spinner=False, max_entries=8)
def _township_table(layer_id: str, version: str, scenario_json: str) -> pd.DataFrame:
    return aggregation.township_table(_per_roof(layer_id, version, scenario_json), load_layer(TOWNSHIPS))


def township_table(scenario: Scenario) -> pd.DataFrame:
    """Per-township sums of ``scenario`` (:func:`cyc_geo.pv.aggregation.township_table`), cached beside :func:`per_roof`
    (shared read-only)."""
    return _township_table(*_roofs_key(), results.scenario_key(scenario))


@st.cache_resource(show_spinner=False, max_entries=8)
def _class_breakdown(layer_id: str, version: str, scenario_json: str, lg: str) -> tuple[pd.DataFrame, list[str]]:
    return results.class_breakdown(_per_roof(layer_id, version, scenario_json), load_layer(TOWNSHIPS), lg)


def class_breakdown(scenario: Scenario) -> tuple[pd.DataFrame, list[str]]:
    """Capacity by township and building class under ``scenario`` (:func:`cyc_geo.pv.results.class_breakdown`),
    in the current language; cached beside :func:`per_roof` (shared read-only)."""
    return _class_breakdown(*_roofs_key(), results.scenario_key(scenario), lang())


@st.cache_resource(show_spinner=False, max_entries=16)
def _capacity_features(layer_id: str, version: str, scenario_json: str, view: str, resolution: int) -> list[dict]:
    table = _township_table(layer_id, version, scenario_json) if view == "township" else None
    return results.capacity_features(_per_roof(layer_id, version, scenario_json), load_layer(TOWNSHIPS), view,
                                     resolution, township_table=table)


def capacity_features(scenario: Scenario, view: str, resolution: int = 8) -> list[dict]:
    """GeoJSON features of ``scenario``'s capacity per township (``view="township"``, MW) or per H3 cell
    (kW at ``resolution``), for the PV page's chart (:func:`cyc_geo.pv.results.capacity_features`); cached beside
    :func:`per_roof`."""
    return _capacity_features(*_roofs_key(), results.scenario_key(scenario), view, int(resolution))


@st.cache_resource(show_spinner=False, max_entries=8)
def _potential_range(layer_id: str, version: str, scenario_json: str) -> dict[str, Any]:
    return pv.potential_range(_roof_table(layer_id, version), results.scenario_from_key(scenario_json),
                              per_roof=_per_roof(layer_id, version, scenario_json))


def potential_range(scenario: Scenario) -> dict[str, Any]:
    """Low / central / high county potential of ``scenario`` (:func:`cyc_geo.pv.model.potential_range`), cached
    beside :func:`per_roof`."""
    return _potential_range(*_roofs_key(), results.scenario_key(scenario))


@st.cache_resource(show_spinner=False, max_entries=4)
def _ledger(version: str, edits: str) -> gpd.GeoDataFrame:
    return installations.load_ledger(database())


def ledger() -> gpd.GeoDataFrame:
    """The PV installations ledger with the app's edits (shared read-only; keyed by source version and edits)."""
    return _ledger(source_version(installations.LAYER_ID), installations.edits_stamp(database()))


@st.cache_resource(show_spinner=False, max_entries=4)
def _remaining(roof_key: tuple[str, str], version: str, edits: str) -> pd.DataFrame:
    return progress.remaining_potential(_shared_layer(*roof_key), _ledger(version, edits))


@st.cache_resource(show_spinner=False, max_entries=4)
def _progress(roof_key: tuple[str, str], version: str, edits: str, towns_version: str, as_of: str,
              stock: str = "") -> dict[str, Any]:
    # kept across restarts: the remaining potential joins ~10^5 roofs with the ledger (the map's sidebar needs it first)
    return result_store.remember(
        ("pv_progress", tuple(roof_key), version, edits, towns_version, as_of, stock),
        lambda: progress.progress_summary(_ledger(version, edits), progress.as_of_date(as_of), load_layer("townships"),
                                          remaining=_remaining(roof_key, version, edits),
                                          opening=opening_stock.read_opening_stock(database())), decode=dict)


@st.cache_resource(show_spinner=False, max_entries=4)
def _remaining_towns(roof_key: tuple[str, str], version: str, edits: str, towns_version: str) -> pd.DataFrame:
    return progress.remaining_by_township(_remaining(roof_key, version, edits), load_layer("townships"))


def _progress_keys() -> tuple[tuple[str, str], str, str, str]:
    return (_roofs_key(), source_version(installations.LAYER_ID), installations.edits_stamp(database()),
            source_version("townships"))


def pv_progress(as_of: str) -> dict[str, Any]:
    """:func:`cyc_geo.pv.progress.progress_summary` of the ledger on ``as_of`` (cached per data versions and date)."""
    return _progress(*_progress_keys(), as_of, opening_stock_stamp())


def opening_stock_stamp() -> str:
    """A string that changes whenever the PV opening stock is set or cleared (part of the progress cache key)."""
    stock = opening_stock.read_opening_stock(database())
    return "" if stock is None else f"{stock.mw}|{stock.as_of}|{stock.source}|{stock.updated_at}"


def remaining_by_township() -> pd.DataFrame:
    """Remaining technical potential per township of the roofs without PV (cached per data versions)."""
    return _remaining_towns(*_progress_keys())


def clear_caches() -> None:
    """Forget every cached layer and result (after an import or a rollback)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    run_memo().clear()


@st.cache_resource(show_spinner=False)
def database():
    """One SQLite connection per process (WAL; writes serialised by transactions)."""
    return db.connect()


def demo_banner(gdfs: dict[str, gpd.GeoDataFrame | LayerFacts], notes: list[str] | None = None) -> None:
    """Warn, on every page, which of the shown layers are demo or approximate data.

    Compact: one line (an expander labelled ⚠️ 演示数据…) that opens to the full warning, the
    flagged layers and any further ``notes`` (e.g. the approximate township boundaries).
    """
    titles = {layer.id: layer for layer in registry()}
    flagged = []
    for layer_id, gdf in gdfs.items():
        if not provenance_of(gdf).is_real:
            layer = titles.get(layer_id)
            flagged.append(layer.title(lang()) if layer else layer_id)
    if not flagged and not notes:
        return
    label = tr(f"⚠️ 演示数据：{len(flagged)} 个图层非官方数据，仅供规划讨论（展开查看）",
               f"⚠️ Demo data: {len(flagged)} layer(s) not official, for discussion only (expand)")
    with st.expander(label if flagged else tr("ℹ️ 数据说明", "ℹ️ About the data")):
        if flagged:
            st.warning(
                tr(
                    "⚠️ 演示数据：以下图层为演示/近似数据，非官方数据，仅供规划讨论：",
                    "⚠️ Demo data: these layers are demo/approximate, not official, for discussion only: ",
                )
                + "、".join(flagged),
                icon=None,
            )
        for note in notes or []:
            st.info(note)


WIDGET_TEXTS_ZH: dict[str, str] = {
    "Select all": "全选", "No results": "无匹配项", "Upload": "上传", "Browse files": "浏览文件",
    "Drag and drop file here": "将文件拖放到此处", "Drag and drop files here": "将文件拖放到此处",
    "Drag and drop a file here": "将文件拖放到此处", "Choose options": "请选择", "Choose an option": "请选择",
}
"""Streamlit's own widget texts (file uploader, multiselect) that no widget argument sets, in Chinese."""

WIDGET_PATTERNS_ZH: list[tuple[str, str]] = [
    (r"^\s*(\d+(?:\.\d+)?\s*[KMGT]?B) per file$", "单个文件不超过 $1"),
    (r"^Select (\d+) matches$", "选择 $1 个匹配项"),
    (r"^You can only select up to (\d+) options?\.?", "最多可选 $1 项"),
]
"""Streamlit widget texts with a number in them: (JavaScript regular expression, replacement)."""


def widget_texts_js(lang_code: str) -> str:
    """A script (run in a same-origin component frame) that rewrites Streamlit's built-in widget texts of
    :data:`WIDGET_TEXTS_ZH` / :data:`WIDGET_PATTERNS_ZH` in the page as they appear (one MutationObserver over
    text nodes and ``placeholder`` attributes, e.g. a multiselect's "Choose options", installed once per browser
    tab) while the page is in Chinese; in English it turns the rewriting off and puts the fixed texts back."""
    import json

    return (
        "<script>(function(){var d=window.parent.document;"
        f"d.cycWidgetLang={json.dumps(lang_code)};"
        f"var T={json.dumps(WIDGET_TEXTS_ZH, ensure_ascii=False)};"
        "if(d.cycWidgetLang!=='zh'){var R={};Object.keys(T).forEach(function(k){if(!R[T[k]])R[T[k]]=k;});"
        "var w0=d.createTreeWalker(d.body,NodeFilter.SHOW_TEXT),n0;"
        "while((n0=w0.nextNode())){var t0=n0.nodeValue.trim();if(R.hasOwnProperty(t0))n0.nodeValue=R[t0];}"
        "d.querySelectorAll('input[placeholder]').forEach(function(e0){var p0=e0.getAttribute('placeholder');"
        "if(R.hasOwnProperty(p0))e0.setAttribute('placeholder',R[p0]);});return;}"
        "if(d.cycWidgetObserver)return;"
        f"var P={json.dumps([[p, r] for p, r in WIDGET_PATTERNS_ZH], ensure_ascii=False)}"
        ".map(function(x){return [new RegExp(x[0]),x[1]];});"
        "function fix(n){if(d.cycWidgetLang!=='zh')return;var v=n.nodeValue,t=v&&v.trim();if(!t)return;"
        "if(T.hasOwnProperty(t)){n.nodeValue=T[t];return;}"
        "for(var i=0;i<P.length;i++){if(P[i][0].test(v)){n.nodeValue=v.replace(P[i][0],P[i][1]);return;}}}"
        "function ph(e){if(d.cycWidgetLang!=='zh')return;var p=e.getAttribute('placeholder');"
        "if(T.hasOwnProperty(p))e.setAttribute('placeholder',T[p]);}"
        "function walk(r){if(r.nodeType===3){fix(r);return;}if(r.nodeType!==1)return;"
        "if(r.hasAttribute('placeholder'))ph(r);r.querySelectorAll('[placeholder]').forEach(ph);"
        "var w=d.createTreeWalker(r,NodeFilter.SHOW_TEXT),n;while((n=w.nextNode()))fix(n);}"
        "d.cycWidgetObserver=new MutationObserver(function(ms){ms.forEach(function(m){"
        "if(m.type==='characterData')fix(m.target);else if(m.type==='attributes')ph(m.target);"
        "else m.addedNodes.forEach(walk);});});"
        "d.cycWidgetObserver.observe(d.body,{childList:true,subtree:true,characterData:true,"
        "attributes:true,attributeFilter:['placeholder']});"
        "walk(d.body);})();</script>"
    )


def script_frame(html: str) -> None:
    """Run ``html`` (a ``<script>``) in a one-pixel frame of the sidebar: ``st.iframe`` with an HTML string, a
    ``srcdoc`` frame of the app's origin whose script may reach the page (``window.parent``).

    ``st.iframe`` replaces ``streamlit.components.v1.html`` (deprecated since 2026-06-01, Streamlit 1.67: it logs a
    warning on every run); its height must be a positive number of pixels."""
    with st.sidebar:
        st.iframe(html, height=1)


def widget_texts() -> None:
    """Streamlit's built-in widget texts in the page's language (Streamlit has no API or locale for them):
    :func:`widget_texts_js` in a :func:`script_frame`."""
    script_frame(widget_texts_js(lang()))
