"""The map page's 标注 / Markup: drawings taken from the map into the session, the panel that lists them, gives a
point its text (a text note), deletes them, and saves or loads named sets (saving and deleting: editors only).

Streamlit glue only: checking and drawing are :mod:`cyc_geo.mapview.markup`, the database is
:mod:`cyc_geo.mapview.markup_store`. The session keeps one dict (:data:`STATE`) changed in place, so the map
export's deferred builder, made in an earlier run, reads the markup as it is when the download is clicked.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from cyc_geo.mapview import markup_store
from cyc_geo.mapview.basemaps import BASEMAPS
from cyc_geo.mapview.markup import (
    KIND_LABELS,
    MAX_FEATURES,
    MarkupRejected,
    drawing_key,
    markup_frame,
    new_drawings,
    to_geojson,
)
from ui.common import database, lang, tr

STATE = "markup"
"""``st.session_state[STATE]``: ``{"features": [GeoJSON features, WGS84, checked], "seen": [drawing keys taken]}``."""

REPORTED = ("all_drawings",)
"""What the map must report for the markup: every drawing on it (streamlit-folium's ``all_drawings``)."""


def box() -> dict[str, Any]:
    """The session's markup holder (created empty)."""
    return st.session_state.setdefault(STATE, {"features": [], "seen": []})


def frame(holder: dict[str, Any] | None = None) -> gpd.GeoDataFrame:
    """The session's markup (or ``holder``'s) as a checked WGS84 frame."""
    return markup_frame((holder if holder is not None else box())["features"])


def _set(gdf: gpd.GeoDataFrame) -> None:
    box()["features"] = to_geojson(gdf)["features"]


def take_drawings(value: Any, basemap_id: str) -> None:
    """Add the drawings the map reported (``value["all_drawings"]``) that were not taken yet to the session's
    markup (GCJ-02 undone over AMap). A refused drawing is not taken and its message is kept for the panel."""
    drawn = value.get("all_drawings") if isinstance(value, dict) else None
    holder = box()
    fresh = new_drawings(drawn if isinstance(drawn, list) else None, holder["seen"])
    if not fresh:
        return
    holder["seen"].extend(drawing_key(f) for f in fresh)  # a refused drawing is not offered again
    try:
        gdf = pd.concat([frame(), markup_frame(fresh, gcj02=BASEMAPS[basemap_id].gcj02)], ignore_index=True)
        if len(gdf) > MAX_FEATURES:
            raise MarkupRejected("too_many", f"标注过多：最多 {MAX_FEATURES} 个，请先删除一些。",
                                 f"Too much markup: at most {MAX_FEATURES} features; delete some first.")
    except MarkupRejected as exc:
        st.session_state["markup_msg"] = ("error", exc.message(lang()))
        return
    _set(gpd.GeoDataFrame(gdf, geometry="geometry", crs=gdf.crs))


def _kind_word(kind: str) -> str:
    zh, en = KIND_LABELS[kind]
    return tr(zh, en)


def _set_text(i: int, key: str) -> None:
    gdf = frame()
    try:
        feats = to_geojson(gdf)["features"]
        feats[i]["properties"]["text"] = st.session_state.get(key, "")
        _set(markup_frame(feats))
        st.session_state["markup_msg"] = ("success", tr("已设置注记文字。", "Note text set."))
    except MarkupRejected as exc:
        st.session_state["markup_msg"] = ("error", exc.message(lang()))


def _delete(i: int) -> None:
    gdf = frame()
    _set(gdf.drop(index=gdf.index[i]).reset_index(drop=True))


def _clear() -> None:
    box()["features"] = []


def _storage_error(exc: Exception) -> None:
    from ui.errors import storage_message

    message = storage_message(exc)
    if message is None:
        raise exc
    st.session_state["markup_msg"] = ("error", message)


def _save() -> None:
    from ui.auth import require_editor

    try:
        user = require_editor()
        row = markup_store.save_markup(database(), st.session_state.get("markup_name", ""), frame(), user)
        st.session_state["markup_msg"] = ("success", tr(f"已保存标注「{row['name']}」（{row['count']} 项）。",
                                                        f"Markup '{row['name']}' saved ({row['count']} items)."))
    except PermissionError as exc:
        st.session_state["markup_msg"] = ("error", str(exc))
    except MarkupRejected as exc:
        st.session_state["markup_msg"] = ("error", exc.message(lang()))
    except (sqlite3.DatabaseError, OSError) as exc:
        _storage_error(exc)


def _load(name: str | None) -> None:
    try:
        _set(markup_store.load_markup(database(), name or ""))
        st.session_state["markup_msg"] = ("success", tr(f"已载入标注「{name}」。", f"Markup '{name}' loaded."))
    except KeyError:
        st.session_state["markup_msg"] = ("error", tr(f"没有名为「{name}」的标注。", f"No markup named '{name}'."))
    except MarkupRejected as exc:
        st.session_state["markup_msg"] = ("error", exc.message(lang()))


def _remove_saved(name: str | None) -> None:
    from ui.auth import require_editor

    try:
        markup_store.delete_markup(database(), name or "", require_editor())
        st.session_state["markup_msg"] = ("success", tr(f"已删除标注「{name}」。", f"Markup '{name}' deleted."))
    except PermissionError as exc:
        st.session_state["markup_msg"] = ("error", str(exc))
    except KeyError:
        st.session_state["markup_msg"] = ("error", tr(f"没有名为「{name}」的标注。", f"No markup named '{name}'."))
    except (sqlite3.DatabaseError, OSError) as exc:
        _storage_error(exc)


def panel() -> None:
    """The 标注 / Markup expander: the list, a text for the chosen item, delete, clear, and the saved sets."""
    from ui.auth import current_editor
    from ui.text import md_escape

    gdf = frame()
    n = len(gdf)
    # a key keeps the panel the same element when its label (the count) changes: without one, deleting or drawing
    # an item made a new, folded panel
    with st.expander(tr(f"标注（{n}）", f"Markup ({n})"), expanded=False, key="markup_panel"):
        msg = st.session_state.pop("markup_msg", None)
        if msg:
            (st.success if msg[0] == "success" else st.error)(msg[1])
        if not n:
            st.caption(tr("用地图左侧的工具画点、线、面；选中一个点并写上文字即成为文字注记。标注随打印和 HTML 导出输出。",
                          "Draw points, lines and polygons with the map's tools (left); a point given a text is a text "
                          "note. Markup goes into the print layout and the HTML export."))
        else:
            colon = "：" if lang() == "zh" else ": "
            labels = [f"{i + 1}. {_kind_word(k)}" + (colon + t if t else "")
                      for i, (k, t) in enumerate(zip(gdf["kind"], gdf["text"], strict=True))]
            st.markdown("\n".join(f"- {md_escape(s)}" for s in labels))
            # the list as it is now is a new widget (a widget keeps the words of its first options); it opens on
            # the item chosen before, or on the one just drawn when the list grew
            last_n, last_i = st.session_state.get("markup_pick_last", (n, n - 1))
            start = n - 1 if last_n != n or not 0 <= last_i < n else last_i
            i = st.selectbox(tr("选择标注", "Markup item"), list(range(n)), index=start,
                             key="markup_pick_" + _digest(labels), format_func=lambda j: labels[j])
            st.session_state["markup_pick_last"] = (n, i)
            key = f"markup_text_{n}_{i}"
            st.text_input(tr("注记文字", "Note text"), value=str(gdf["text"].iloc[i]), key=key,
                          max_chars=200, placeholder=tr("例如：拟建光伏车棚", "e.g. planned PV carport"))
            # one button a row: the side panel is a quarter of the page, two columns cut "Delete item"
            st.button(tr("设置文字", "Set text"), key="markup_set", on_click=_set_text, args=(i, key), width="stretch")
            st.button(tr("删除此项", "Delete item"), key="markup_del", on_click=_delete, args=(i,), width="stretch")
            st.button(tr("全部清除", "Clear all"), key="markup_clear", on_click=_clear, width="stretch")
        _saved_sets(n, current_editor())


def _digest(labels: list[str]) -> str:
    import hashlib

    return hashlib.sha1("\n".join(labels).encode("utf-8")).hexdigest()[:12]


def _saved_sets(n: int, editor: str | None) -> None:
    st.markdown(tr("**已保存的标注**", "**Saved markup**"))
    try:
        saved = markup_store.list_markups(database())
    except sqlite3.DatabaseError as exc:
        _storage_error(exc)
        return
    if saved:
        names = [r["name"] for r in saved]
        pick = st.selectbox(tr("标注集", "Markup set"), names, key="markup_saved_pick",
                            format_func=lambda s: f"{s}（{next(r['count'] for r in saved if r['name'] == s)}）")
        st.button(tr("载入（替换当前标注）", "Load (replaces the current markup)"), key="markup_load", on_click=_load,
                  args=(pick,), width="stretch")
        st.button(tr("删除该标注集", "Delete this set"), key="markup_saved_del", on_click=_remove_saved, args=(pick,),
                  disabled=editor is None, width="stretch")
    st.text_input(tr("名称", "Name"), key="markup_name", max_chars=markup_store.MAX_NAME_LEN)
    st.button(tr("保存当前标注", "Save the current markup"), key="markup_save", on_click=_save,
              disabled=editor is None or not n)
    if editor is None:
        st.caption(tr("保存或删除标注集需登录编辑账号；浏览、绘制和载入无需登录。",
                      "Saving or deleting a set needs an editor sign-in; drawing and loading are open to all."))
