"""The annual evaluation of the pilot's indicators (年度评估): one year, or the whole pilot 2022–2024.

Per indicator: target, actual, the year its data describe (数据年份), the kind of source
(填报 reported / 空间测算 spatial / 推算 derived / 台账 ledger), who entered it and when (Beijing
time), status and a small trend chart; then counts of 达标 / 未达标 / 无数据 by field (领域) and
lead department (牵头单位, the 附件1 column). Excel in the 附件1 layout (``cyc_geo.exports.excel``,
a two-row header with each year's columns merged under it for the pilot) and a printable PDF
(``cyc_geo.exports.pdf``). Values are rounded as the plan prints them (``round_for_unit``); every
file carries the demo note while any input is demo.
"""

from __future__ import annotations

import functools
import io
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.styles import PatternFill

from cyc_geo.exports import excel, pdf
from cyc_geo.exports.meta import MISSING, ExportMeta, beijing_time, fmt
from cyc_geo.indicators.catalogue import (
    BEHIND,
    MET,
    NO_DATA,
    NO_TARGET,
    YEARS,
    SpatialValue,
    evaluate,
    load_catalogue,
    provider,
    spatial_values,
)
from cyc_geo.places.profile import profile

SOURCE_KINDS = {"reported": ("填报", "reported"), "spatial": ("地图测算（同年数据）", "map estimate (same year)"),
                "derived": ("推算（填报值）", "derived (reported inputs)"), "ledger": ("台账", "ledger"),
                "none": (MISSING, MISSING)}
"""The kind of the scored value's source, i.e. which figure the status used (zh, en)."""
STATUSES = (MET, BEHIND, NO_DATA, NO_TARGET)
STATUS_FILLS = {MET: PatternFill("solid", fgColor="C6EFCE"), BEHIND: PatternFill("solid", fgColor="FFC7CE")}
STATUS_RGB = {MET: (198, 239, 206), BEHIND: (255, 199, 206)}
FIRST = ("序号", "领域", "指标", "单位", "现状值")
LAST = ("牵头单位", "配合单位")
PER_YEAR = ("目标", "实际", "数据年份", "来源", "填报人", "填报时间", "状态", "填报值", "地图测算值", "地图数据年份")
"""Columns per year: the scored actual with its data year, source (which figure was scored), who and when,
status; then the reported value and the map estimate side by side (shown whether scored or not)."""
TITLE = ("碳达峰试点建设指标年度评估", "Annual evaluation of the carbon-peak pilot indicators")


def _is_ledger(rule: str) -> bool:
    """A spatial provider that reads a ledger (台账) says so in its ``value_label``."""
    if ":" not in rule:
        return False
    try:
        return "台账" in str(getattr(provider(rule), "value_label", ""))
    except (ImportError, AttributeError, ValueError):
        return False


def source_kind(evaluated: pd.DataFrame, catalogue: pd.DataFrame) -> pd.Series:
    """reported / spatial / derived / ledger / none for each evaluated row."""
    rules = catalogue.set_index("no")["rule"]
    kinds = evaluated["value_source"].fillna("none").astype(str).copy()
    ledger = kinds.eq("spatial") & evaluated["no"].map(lambda n: _is_ledger(str(rules.get(n, ""))))
    kinds[ledger] = "ledger"
    return kinds


def evaluate_years(
    years: Sequence[int] = YEARS,
    conn: sqlite3.Connection | None = None,
    spatial: Mapping[int, SpatialValue] | None = None,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`cyc_geo.indicators.catalogue.evaluate` for each of ``years`` in one long table, with ``kind``."""
    cat = load_catalogue() if catalogue is None else catalogue
    years = tuple(int(y) for y in years)
    if spatial is None:
        spatial = spatial_values(cat, years=years)
    frames = []
    for y in years:
        ev = evaluate(y, conn, spatial, cat)
        ev["kind"] = source_kind(ev, cat).to_numpy()
        frames.append(ev)
    return pd.concat(frames, ignore_index=True)


def _year_text(v) -> object:
    return MISSING if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)


def _figure_value(f: object) -> float | None:
    """The value of a row figure (:class:`~cyc_geo.indicators.catalogue.ReportedValue` / ``MapEstimate``), else None."""
    v = getattr(f, "value", None)
    return None if v is None else float(v)


def _map_year(f: object) -> object:
    """The data year of a map estimate with a value; 无数据年份 when its data carry none; MISSING without one."""
    if getattr(f, "value", None) is None:
        return MISSING
    year = getattr(f, "data_year", None)
    return "无数据年份" if year is None else int(year)


def annex_table(long: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The 附件1 layout with each evaluated year's columns: two-level columns ``(group, name)``."""
    years = sorted(long["year"].unique())
    first = long[long["year"] == years[0]].set_index("no", drop=False)
    out = pd.DataFrame(index=first.index)
    for c, src in zip(FIRST, ("no", "domain", "name", "unit", "baseline"), strict=True):
        out[("", c)] = first[src]
    for y in years:
        ev = long[long["year"] == y].set_index("no")
        g = f"{y}年"
        out[(g, "目标")] = ev["target"]
        out[(g, "实际")] = ev["value"]
        out[(g, "数据年份")] = ev["data_year"].map(_year_text)
        out[(g, "来源")] = ev["kind"].map(lambda k: SOURCE_KINDS.get(k, SOURCE_KINDS["none"])[0 if lang == "zh" else 1])
        out[(g, "填报人")] = ev["entered_by"].replace("", MISSING).fillna(MISSING)
        out[(g, "填报时间")] = ev["entered_at"].map(lambda t: beijing_time(t) if t else MISSING)
        out[(g, "状态")] = ev["status"]
        out[(g, "填报值")] = ev["reported"].map(_figure_value)
        out[(g, "地图测算值")] = ev["map_estimate"].map(_figure_value)
        out[(g, "地图数据年份")] = ev["map_estimate"].map(_map_year)
    for c, src in zip(LAST, ("lead", "partners"), strict=True):
        out[("", c)] = first[src]
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out.reset_index(drop=True)


def summary(long: pd.DataFrame, by: str) -> pd.DataFrame:
    """Counts of 达标 / 未达标 / 无数据 / 无年度目标 per ``by`` (``domain`` or ``lead``) and year, with a 合计 row per year."""
    rows = []
    for y, ev in long.groupby("year"):
        counts = ev.groupby(by)["status"].value_counts().unstack(fill_value=0).reindex(columns=STATUSES, fill_value=0)
        counts.loc["合计"] = counts.sum()
        for key, r in counts.iterrows():
            rows.append({"年份": int(y), "领域" if by == "domain" else "牵头单位": key,
                         **{s: int(r[s]) for s in STATUSES}})
    return pd.DataFrame(rows)


def notes_table(long: pd.DataFrame) -> pd.DataFrame:
    """Why each value is what it is (the reason of every year's value, carried-from notes included), and the
    reference figure shown beside an indicator (never scored, e.g. the stock-difference net sink beside #5)."""
    refs = long["reference"] if "reference" in long else pd.Series(None, index=long.index, dtype=object)
    ref_text = refs.map(lambda f: "" if getattr(f, "value", None) is None
                        else f"{f.name_zh} {f.value:.2f} {f.unit}（不计分）：{f.definition_zh}")
    return pd.DataFrame({"年份": long["year"], "序号": long["no"], "指标": long["name"], "说明 / note": long["reason"],
                         "参考值 / reference (not scored)": ref_text})


def trend_png(long: pd.DataFrame, catalogue: pd.DataFrame, width_in: float = 10.0) -> bytes:
    """Small multiples, one per indicator: the plan (现状 then targets, line) and the actuals (dots)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = _cjk_family()
    cat = catalogue.set_index("no")
    nos = list(cat.index)
    ncol = 5
    nrow = int(np.ceil(len(nos) / ncol))
    with plt.rc_context({"font.family": family} if family else {}):
        return _draw(plt, long, cat, nos, nrow, ncol, width_in)


@functools.lru_cache(maxsize=1)
def _cjk_family() -> str | None:
    """Register the report's CJK font with matplotlib once per process; its family name (None if absent)."""
    from matplotlib import font_manager

    try:
        font = str(pdf.cjk_font_file())
    except RuntimeError:
        return None
    font_manager.fontManager.addfont(font)
    return font_manager.FontProperties(fname=font).get_name()


def _draw(plt, long: pd.DataFrame, cat: pd.DataFrame, nos: list, nrow: int, ncol: int, width_in: float) -> bytes:
    fig, axes = plt.subplots(nrow, ncol, figsize=(width_in, 1.55 * nrow), squeeze=False)
    stages = ["现状", *[str(y) for y in YEARS]]
    for ax, no in zip(axes.ravel(), nos, strict=False):
        r = cat.loc[no]
        plan = [r["baseline"], *[r[f"target_{y}"] for y in YEARS]]
        ax.plot(range(len(stages)), plan, "-", color="#9e9e9e", lw=1.2, marker=".", ms=3)
        act = long[long["no"] == no].sort_values("year")
        xs = [stages.index(str(int(y))) for y in act["year"]]
        colours = ["#1a7a2e" if s == MET else "#c0392b" for s in act["status"]]
        ax.scatter(xs, act["value"], c=colours, s=14, zorder=3)
        ax.set_title(f"{no} {r['name']}", fontsize=6.5)
        ax.set_xticks(range(len(stages)), stages, fontsize=5)
        ax.tick_params(axis="y", labelsize=5)
    for ax in axes.ravel()[len(nos):]:
        ax.axis("off")
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.05, top=0.95, wspace=0.35, hspace=0.75)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _meta(years: Sequence[int], demo: bool, lang: str, sources: list[str]) -> ExportMeta:
    label = f"{years[0]}年" if len(years) == 1 else f"试点期 {years[0]}–{years[-1]}年"
    return ExportMeta(TITLE, lang=lang, filters={"评估年份" if lang == "zh" else "Year(s)": label},
                      sources=sources, demo=demo)


def _sources(long: pd.DataFrame) -> list[str]:
    kinds = sorted(set(long["kind"]) - {"none"})
    years = sorted({int(y) for y in long["data_year"].dropna()})
    dy = "、".join(str(y) for y in years) if years else MISSING
    return [f"附件1（{profile().plan_zh}）；值来源：{'、'.join(SOURCE_KINDS[k][0] for k in kinds) or MISSING}；"
            f"数据年份：{dy}"]


def workbook_bytes(long: pd.DataFrame, demo: bool, lang: str = "zh") -> bytes:
    """The evaluation workbook: sheet 附件1 (merged per-year header), 汇总 (by field and lead department), 说明."""
    years = sorted(int(y) for y in long["year"].unique())
    meta = _meta(years, demo, lang, _sources(long))
    wb = excel.workbook({"按领域汇总": summary(long, "domain"), "按牵头单位汇总": summary(long, "lead"),
                         "说明": notes_table(long)}, meta)
    ws = wb.create_sheet("附件1", 0)
    row = excel.write_header(ws, meta)
    excel.write_grouped_table(ws, annex_table(long, lang), row, unit_col="单位",
                              per_row_unit={"现状值", "目标", "实际", "填报值", "地图测算值"}, fills={"状态": STATUS_FILLS})
    return excel.save_bytes(wb)


def pdf_bytes(long: pd.DataFrame, catalogue: pd.DataFrame, demo: bool, lang: str = "zh") -> bytes:
    """The printable evaluation (A4 landscape): per-year tables, the summaries and the trend chart."""
    years = sorted(int(y) for y in long["year"].unique())
    report = pdf.new_report(_meta(years, demo, lang, _sources(long)), landscape=True)
    for y in years:
        ev = long[long["year"] == y]
        report.heading(f"{y}年评估")
        table = pd.DataFrame({
            "序号": ev["no"].astype(int).astype(str), "指标": ev["name"], "单位": ev["unit"],
            "目标": [fmt(v, u) for v, u in zip(ev["target"], ev["unit"], strict=True)],
            "实际": [fmt(v, u) for v, u in zip(ev["value"], ev["unit"], strict=True)],
            "数据年份": ev["data_year"].map(lambda v: str(_year_text(v))),
            "来源": ev["kind"].map(lambda k: SOURCE_KINDS.get(k, SOURCE_KINDS["none"])[0]),
            "填报人": ev["entered_by"].replace("", MISSING).fillna(MISSING),
            "填报时间": ev["entered_at"].map(lambda t: beijing_time(t) if t else MISSING),
            "状态": ev["status"], "牵头单位": ev["lead"],
            "填报值": [fmt(v, u) for v, u in zip(ev["reported"].map(_figure_value), ev["unit"],
                                                                    strict=True)],
            "地图测算值": [fmt(v, u) for v, u in zip(ev["map_estimate"].map(_figure_value),
                                                                      ev["unit"], strict=True)],
            "地图数据年份": ev["map_estimate"].map(lambda f: str(_map_year(f))),
        })
        w = report.content_width
        widths = [w * f for f in (0.04, 0.14, 0.05, 0.06, 0.06, 0.05, 0.09, 0.07, 0.09, 0.06, 0.10, 0.06, 0.07, 0.06)]
        report.table(table, font_size=7, col_widths=widths, fills=[STATUS_RGB.get(s) for s in ev["status"]])
    report.heading("汇总：按领域 / by field")
    report.table(summary(long, "domain").astype(str), font_size=7)
    report.heading("汇总：按牵头单位 / by lead department")
    report.table(summary(long, "lead").astype(str), font_size=7)
    report.figure("趋势 / trends（灰线：规划现状与目标；点：实际，绿=达标，红=未达标）", trend_png(long, catalogue),
                  width=report.content_width)
    return report.to_bytes()


def inputs_demo() -> bool:
    """Whether any layer feeding the indicators is demo data (its provenance)."""
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.catalog.provenance import provenance_of
    from cyc_geo.catalog.registry import load_registry

    return any(provenance_of(load_layer(layer)).demo for layer in load_registry() if layer.feeds_indicators)


def write(path: Path | str, long: pd.DataFrame, catalogue: pd.DataFrame, demo: bool, lang: str = "zh") -> Path:
    """Write the evaluation to ``path`` (``.xlsx`` or ``.pdf``)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        data = workbook_bytes(long, demo, lang)
    elif path.suffix.lower() == ".pdf":
        data = pdf_bytes(long, catalogue, demo, lang)
    else:
        raise ValueError(f"评估报告须为 .xlsx 或 .pdf / the evaluation is written as .xlsx or .pdf, not {path.suffix!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
