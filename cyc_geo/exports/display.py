"""Tables as shown to planners: column labels in the UI language, Beijing times, "—" for missing.

One dictionary of the machine column names that reach a page (audit trails, forest tables,
check results, parameter tables) and their (Chinese, English) labels, so no page shows
``forest_area_ha`` or ``actor``; :func:`display_frame` applies it with :func:`meta.beijing_time`
to timestamp columns and :data:`meta.MISSING` to empty cells. Units follow the language:
:func:`unit` turns 万t / 万吨 / 万m³ / 亩 into 10k t / 10k m³ / mu on the English UI.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pandas as pd

from cyc_geo.exports.meta import MISSING, beijing_time

COLUMN_LABELS: dict[str, tuple[str, str]] = {
    # audit trails and histories
    "at": ("时间（北京时间）", "Time (Beijing)"),
    "actor": ("操作人", "By"),
    "entity_key": ("对象", "Item"),
    "action": ("操作", "Action"),
    "old_value": ("原值", "Old value"),
    "new_value": ("新值", "New value"),
    "project_no": ("项目序号", "Project no."),
    "version": ("版本", "Version"),
    "source": ("来源", "Source"),
    "updated_at": ("更新时间（北京时间）", "Updated (Beijing)"),
    "updated_by": ("更新人", "Updated by"),
    "imported_at": ("导入时间（北京时间）", "Imported (Beijing)"),
    # forest tables
    "code": ("代码", "Code"),
    "name": ("名称", "Name"),
    "name_zh": ("名称", "Name"),
    "forest_area_ha": ("林地面积 (ha)", "Forest area (ha)"),
    "forest_area_mu": ("林地面积 (亩)", "Forest area (mu)"),
    "stock_m3": ("森林蓄积量，乔木林地 0301 (m³)", "Forest stock, tree forest 0301 (m³)"),
    "sink_t_co2": ("年碳汇 (t CO₂)", "Sink (t CO₂/yr)"),
    "storage_t_c": ("碳储量 (t C)", "Carbon storage (t C)"),
    "storage_future_t_c": ("情景碳储量 (t C)", "Scenario carbon storage (t C)"),
    "sequestration_t_c": ("情景固碳量 (t C)", "Scenario sequestration (t C)"),
    "sequestration_t_co2_yr": ("情景年固碳 (t CO₂/年)", "Scenario sequestration (t CO₂/yr)"),
    "sink_t_co2_per_ha": ("单位面积碳汇 (t CO₂/ha)", "Sink per ha (t CO₂/ha)"),
    "area_ha": ("面积 (ha)", "Area (ha)"),
    "area_m2": ("面积 (m²)", "Area (m²)"),
    "area_mu": ("面积 (亩)", "Area (mu)"),
    "value": ("数值", "Value"),
    # indicator input ranges
    "no": ("序号", "No."),
    "unit": ("单位", "Unit"),
    "range": ("合理范围", "Valid range"),
    "note": ("说明", "Note"),
    "id": ("编号", "Id"),
}
"""Machine column name -> (Chinese, English) label."""

TIME_COLUMNS = ("at", "updated_at", "imported_at", "created_at", "created")
"""Columns holding ISO timestamps (stored in UTC): shown in Beijing time."""

UNITS_EN: dict[str, str] = {"万t": "10k t", "万吨": "10k t", "万m³": "10k m³", "万亩": "10k mu", "亩": "mu",
                            "万元": "10k yuan", "万kWh": "10k kWh"}
"""Chinese unit words and their English forms (万 = 10⁴)."""

ACTIONS: dict[str, tuple[str, str]] = {
    "save": ("保存", "saved"), "set": ("填报", "set"), "update": ("修改", "updated"), "reset": ("重置", "reset"),
    "delete": ("删除", "deleted"), "insert": ("新增", "added"), "sign_in": ("登录", "signed in"),
    "import": ("导入", "imported"), "rollback": ("回滚", "rolled back"), "activate": ("启用", "activated"),
}
"""Audit actions as words."""

SOURCES: dict[str, tuple[str, str]] = {
    "upload": ("上传", "upload"), "drawn": ("绘制", "drawn"), "demo": ("演示", "demo"), "project": ("项目表", "project table"),
    "planner file": ("规划文件", "planner file"),
    "import": ("导入", "import"), "app": ("网页录入", "entered in the app"), "planner": ("规划文件", "planner file"),
}
"""Where a site or record came from (the ``source`` column of histories) as words."""

WORD_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {"source": SOURCES}
"""Columns whose codes :func:`display_frame` shows as words (unknown values unchanged)."""


def word(words: dict[str, tuple[str, str]], value: Any, lang: str) -> str:
    """``value``'s word in ``lang`` from ``words`` (the value itself when unknown)."""
    pair = words.get(str(value))
    return str(value) if pair is None else (pair[1] if lang == "en" else pair[0])


def label(column: str, lang: str) -> str:
    """A column's label in ``lang`` (the name itself when unknown)."""
    pair = COLUMN_LABELS.get(column)
    return column if pair is None else (pair[1] if lang == "en" else pair[0])


def unit(text: str, lang: str) -> str:
    """``text`` with its Chinese unit words in English on the English UI (万t → 10k t, 亩 → mu)."""
    if lang != "en":
        return text
    for zh in sorted(UNITS_EN, key=len, reverse=True):
        text = text.replace(zh, UNITS_EN[zh])
    return text


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MODULE_REF = re.compile(r"\s*\((?:cyc_geo|[a-z_]+(?:\.[a-z_]+)+:[a-z_]+)[^()]*\)")
_PAIR = re.compile(r" ?/ ")
_SEP = re.compile(r"(?:[;；]\s*|[:：]\s*|[,，]\s*)(?=[^;；:：,，]*$)")


def one_language(text: Any, lang: str) -> Any:
    """A library note written as "中文 / English" pairs (``"未填报 / not reported"``, several joined by "; " or
    "：") in ``lang`` only, without the code references in brackets (``(cyc_geo.pv.progress:…)``). A planner's note
    after the last pair (``"填报值 / reported: 统计局"``) is kept in both languages. Text without such pairs is
    returned without its code references; a non-string unchanged."""
    if not isinstance(text, str):
        return text
    parts = _PAIR.split(text)
    if len(parts) < 2:
        return _MODULE_REF.sub("", text)
    zh, en = [parts[0]], []
    for i, part in enumerate(parts[1:], start=1):  # "English of a pair<sep>中文 of the next pair (or a note)"
        first_cjk = _CJK.search(part)
        sep = _SEP.search(part[:first_cjk.start()]) if first_cjk else None
        if sep is None:
            en.append(part)
            continue
        head, tail = part[:sep.start()], part[sep.start():]
        if i == len(parts) - 1:  # a note after the last pair: both languages
            en.append(head + _ascii_sep(sep.group(0)) + tail[len(sep.group(0)):])
            zh.append(_zh_sep(sep.group(0)) + tail[len(sep.group(0)):])
        else:
            en.append(head + _ascii_sep(sep.group(0)))
            zh.append(_zh_sep(sep.group(0)) + tail[len(sep.group(0)):])
    out = "".join(zh) if lang == "zh" else "".join(en)
    return _MODULE_REF.sub("", out).strip()


def _ascii_sep(sep: str) -> str:
    return {"；": "; ", ";": "; ", "：": ": ", ":": ": ", "，": ", ", ",": ", "}.get(sep.strip(), sep)


def _zh_sep(sep: str) -> str:
    return {"；": "；", ";": "；", "：": "：", ":": "：", "，": "，", ",": "，"}.get(sep.strip(), sep)


def _word_of(key: str, value: Any, lang: str) -> Any:
    """A JSON value as shown: a word when ``key`` is one of :data:`WORD_COLUMNS`."""
    return word(WORD_COLUMNS[key], value, lang) if key in WORD_COLUMNS else value


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() in ("", "None", "nan", "NaN", "NaT")


def value_text(v: Any, lang: str = "zh") -> Any:
    """A cell as shown: MISSING for nothing, a JSON object as ``key: value`` pairs, other values unchanged."""
    if _missing(v):
        return MISSING
    if isinstance(v, str) and v[:1] in "{[":
        try:
            obj = json.loads(v)
        except ValueError:
            return v
        if isinstance(obj, dict):
            return "；".join(f"{label(str(k), lang)}: {MISSING if _missing(x) else _word_of(str(k), x, lang)}"
                            for k, x in obj.items())
        if isinstance(obj, list):
            return "、".join(MISSING if _missing(x) else str(x) for x in obj)
    return v


_ISO = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def display_frame(df: pd.DataFrame, lang: str = "zh", labels: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """A copy of ``df`` for a page: timestamps in Beijing time, audit actions and JSON values in words,
    missing cells as MISSING, then the columns relabelled (``labels`` over :data:`COLUMN_LABELS`).

    Numeric columns without missing cells keep their dtype (so sorting stays numeric).
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        textual = s.dtype == object or pd.api.types.is_string_dtype(s)
        if col in TIME_COLUMNS or (textual and s.notna().any() and s.dropna().astype(str).str.match(_ISO).all()):
            out[col] = s.map(lambda v: MISSING if _missing(v) else beijing_time(v))
        elif col == "action":
            out[col] = s.map(lambda v: MISSING if _missing(v) else ACTIONS.get(str(v), (v, v))[1 if lang == "en" else 0])
        elif col in WORD_COLUMNS:
            out[col] = s.map(lambda v, w=WORD_COLUMNS[col]: MISSING if _missing(v) else word(w, v, lang)).astype(object)
        elif textual or s.isna().any():
            out[col] = s.map(lambda v: value_text(v, lang)).astype(object)
    names = {**COLUMN_LABELS, **(labels or {})}
    return out.rename(columns={c: (names[c][1] if lang == "en" else names[c][0]) for c in out.columns if c in names})
