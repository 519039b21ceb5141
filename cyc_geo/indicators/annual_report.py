"""The 碳达峰年度评估 report a county sends up: its structure and text, independent of the file format.

The plan (四、保障措施（一）) asks for "碳达峰目标任务年度评估" and regular 调度 of 重点项目、重点目标和重点领域.
:func:`build` lays the report out as a list of :class:`Block` (headings, paragraphs, tables, images) in the
structure a county uses:

一、总体进展; 二、指标完成情况 (the 附件1 table: targets, actual, the kind of source of the actual with its data
year, status and early warning, then the plan-text goals of :mod:`cyc_geo.indicators.text_goals`);
三、重点工作进展 (the six areas of the plan's 三、重点工作 with the figures the app has and a place for the
bureau's text); 四、重点项目进展 (附件2, :mod:`cyc_geo.planning.progress`); 五、存在问题 (from the warnings);
六、下一步工作 (the "what it would take" figures); 附件 (the PV, forest and project maps of the print layout,
:func:`annex_maps`, added by :func:`write`).

:mod:`cyc_geo.exports.docx` writes it as Word, :func:`pdf_bytes` as PDF (:mod:`cyc_geo.exports.pdf`).

Numbers: plan figures (现状值 and targets) exactly as 附件1 prints them (``%g``: 3.55, 261.056); actual
values rounded by unit as the plan prints them (``round_for_unit``) with percentages to two decimals, as
附件1 prints them (4.56, 3.55). In English every label is English: indicator names (``name_en``),
domains, units (``unit_en``), departments (:data:`DEPARTMENTS_EN`), statuses, headings; Chinese remains
only in the plan's title and in text an editor typed in Chinese, which the English report replaces by a
note that it was entered in Chinese.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pandas as pd

from cyc_geo.exports.meta import MISSING, PLAN_DECIMALS, ExportMeta, round_for_unit
from cyc_geo.indicators import text_goals
from cyc_geo.indicators import warning as warn
from cyc_geo.indicators.catalogue import BEHIND, MET, NO_DATA, NO_TARGET, STATUS_EN
from cyc_geo.places.profile import profile

_COUNTY = profile()
PLAN_TITLE = (f"《{_COUNTY.plan_zh}》",
              f"the Work Plan of {_COUNTY.full_en.title()} for Promoting the Carbon-Peak Pilot (《{_COUNTY.plan_zh}》)")
REPORT_DECIMALS = {**PLAN_DECIMALS, "%": 2}
"""Decimals of actual values: the export rules, with percentages to two decimals as 附件1 prints them."""

DEPARTMENTS_EN = {
    "发改委": "Development and Reform Commission",
    "统计局": "Statistics Bureau",
    "财政局": "Finance Bureau",
    "生态环境分局": "Ecology and Environment Sub-bureau",
    "科工信局": "Science, Technology, Industry and Information Technology Bureau",
    "住建局": "Housing and Urban-Rural Development Bureau",
    "交通运输局": "Transport Bureau",
    "农业农村局": "Agriculture and Rural Affairs Bureau",
    "城市管理局": "Urban Management Bureau",
    "林业局": "Forestry Bureau",
    "自然资源规划局": "Natural Resources and Planning Bureau",
    "自然资源和规划局": "Natural Resources and Planning Bureau",
    "河务局": "Yellow River Affairs Bureau",
    "供电公司": "State Grid power supply company",
    "——": "—",
}
"""English names of the departments of 附件1's 牵头单位 / 配合单位 columns (the city's bureaus, 市…局)."""

SOURCE_LABELS = {"reported": ("填报", "reported"), "spatial": ("地图测算", "map estimate"),
                 "derived": ("推算", "derived"), "ledger": ("台账", "ledger"), "none": (MISSING, MISSING)}
STATUS_LABELS = {MET: (MET, STATUS_EN[MET]), BEHIND: (BEHIND, STATUS_EN[BEHIND]), NO_DATA: (NO_DATA, STATUS_EN[NO_DATA]),
                 NO_TARGET: (NO_TARGET, STATUS_EN[NO_TARGET])}

HEADINGS = {
    "overall": ("一、总体进展", "1. Overall progress"),
    "indicators": ("二、指标完成情况", "2. Indicators"),
    "tasks": ("三、重点工作进展", "3. Progress of the key tasks"),
    "projects": ("四、重点项目进展", "4. Priority projects"),
    "problems": ("五、存在问题", "5. Problems"),
    "next": ("六、下一步工作", "6. Next steps"),
    "annex": ("附件：地图", "Annex: maps"),
}
"""The six section headings of the report and the annex (zh, en)."""

TASK_AREAS: list[tuple[str, str, tuple[int, ...]]] = [
    ("（一）工业领域：制造业提升工程", "(1) Industry: manufacturing upgrading", (9, 10)),
    ("（二）能源领域：清洁能源工程", "(2) Energy: clean energy", (6, 7, 8, 19)),
    ("（三）交通领域：低碳交通工程", "(3) Transport: low-carbon transport", (13, 14)),
    ("（四）建筑领域：低碳建筑工程", "(4) Buildings: low-carbon buildings", (11, 12)),
    ("（五）农林领域：现代农业工程", "(5) Agriculture and forestry: modern agriculture", (15, 16, 4)),
    ("（六）生态系统：生态建设工程", "(6) Ecosystems: ecological construction", (18, 16, 4)),
]
"""The six areas of the plan's 三、重点工作 (一是 … 六是) with the indicators the app reports for each."""

PROGRESS_STATUS_EN = {"前期": "preparation", "在建": "under construction", "投产": "in operation"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


@dataclass
class Block:
    """One element of the report: ``kind`` heading (``level`` 1 or 2) / paragraph / note / table / image."""

    kind: str
    text: str = ""
    level: int = 1
    table: pd.DataFrame | None = None
    image: bytes | None = None
    widths: list[float] | None = None
    """Relative column widths of a table (sum 1)."""


@dataclass
class AnnualReport:
    """A report: its header facts (``meta``: title, years, sources, demo note) and its blocks in order."""

    meta: ExportMeta
    years: tuple[int, ...]
    blocks: list[Block] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.meta.lang

    def headings(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "heading"]


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def plan_number(v: Any) -> str:
    """A 附件1 figure as the plan prints it (``%g``); ``—`` when missing."""
    return MISSING if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{float(v):g}"


def actual_number(v: Any, unit: str) -> str:
    """An actual value rounded as the plan prints ``unit`` (percentages to 2 decimals); ``—`` when missing."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return MISSING
    r = round_for_unit(float(v), unit)
    digits = REPORT_DECIMALS.get(unit, 2)
    return f"{float(v):.{digits}f}".rstrip("0").rstrip(".") if r is not None else MISSING


def departments(text: str, lang: str) -> str:
    """附件1's 牵头单位 / 配合单位 cell in ``lang`` (departments separated by 、)."""
    if lang == "zh":
        return text
    return "; ".join(DEPARTMENTS_EN.get(d, d) for d in str(text).split("、") if d)


def entered_text(text: Any, lang: str) -> str:
    """Free text an editor typed: as typed, except Chinese text in the English report (a note instead)."""
    s = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text).strip()
    if not s:
        return MISSING
    return "(entered in Chinese; see the Chinese report)" if lang == "en" and has_cjk(s) else s


def _data_year_note(dy: str, lang: str) -> str:
    if lang == "zh":
        return "见表“数据年份”列" + (f"（本报告用到 {dy}）" if dy else "（—：数据未注明年份）")
    return "see the 'Data year' column" + (f" (this report uses {dy})" if dy else " (—: the data state no year)")


def _year_label(years: Sequence[int], lang: str) -> str:
    if len(years) == 1:
        return _t(lang, f"{years[0]}年度", f"{years[0]}")
    return _t(lang, f"试点期 {years[0]}–{years[-1]}年", f"pilot period {years[0]}–{years[-1]}")


# ---------------------------------------------------------------- section 2: the indicator table


def indicator_table(ev: pd.DataFrame, catalogue: pd.DataFrame, warnings: Mapping[int, warn.Warning], lang: str) -> pd.DataFrame:
    """One year's indicator rows: plan figures, the actual with its source and data year, status and warning."""
    cat = catalogue.set_index("no")
    zh = lang == "zh"
    year = int(ev["year"].iloc[0])
    rows = []
    for r in ev.itertuples(index=False):
        no = int(r.no)
        unit = str(r.unit) if zh else str(cat.at[no, "unit_en"])
        kind = str(getattr(r, "kind", r.value_source) or "none")
        data_year = getattr(r, "data_year", float("nan"))
        dy = MISSING if data_year is None or (isinstance(data_year, float) and math.isnan(data_year)) else str(int(data_year))
        w = warnings.get(no)
        rows.append({
            _t(lang, "序号", "No."): str(no),
            _t(lang, "指标", "Indicator"): r.name if zh else r.name_en,
            _t(lang, "单位", "Unit"): unit,
            _t(lang, "现状值", "Baseline"): plan_number(r.baseline),
            _t(lang, f"{year}年目标", f"Target {year}"): plan_number(r.target),
            _t(lang, "2024年目标", "Target 2024"): plan_number(cat.at[no, "target_2024"]),
            _t(lang, "实际值", "Actual"): actual_number(r.value, str(r.unit)),
            _t(lang, "来源", "Source"): SOURCE_LABELS.get(kind, SOURCE_LABELS["none"])[0 if zh else 1],
            _t(lang, "数据年份", "Data year"): dy,
            _t(lang, "状态", "Status"): STATUS_LABELS.get(str(r.status), (str(r.status), str(r.status)))[0 if zh else 1],
            _t(lang, "预警", "Warning"): MISSING if w is None else w.label(lang),
            _t(lang, "牵头单位", "Lead department"): departments(str(r.lead), lang),
        })
    if year == 2024:  # the year's target is the 2024 target: one column
        for row in rows:
            row.pop(_t(lang, "2024年目标", "Target 2024"))
    return pd.DataFrame(rows)


INDICATOR_WIDTHS = [0.04, 0.22, 0.07, 0.06, 0.07, 0.07, 0.07, 0.07, 0.06, 0.07, 0.06, 0.14]


def text_goal_table(goals: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The plan-text goals (item of :mod:`cyc_geo.indicators.text_goals`) with their target and the reported value."""
    zh = lang == "zh"
    return pd.DataFrame({
        _t(lang, "目标", "Goal"): goals["name"] if zh else goals["name_en"],
        _t(lang, "单位", "Unit"): goals["unit"] if zh else goals["unit_en"],
        _t(lang, "目标值", "Target"): [f"{c} {plan_number(v)}".strip() for c, v in zip(goals["comparison"], goals["target"],
                                                                                      strict=True)],
        _t(lang, "目标年", "By"): goals["target_year"].astype(str),
        _t(lang, "实际值", "Actual"): [actual_number(v, u) for v, u in zip(goals["value"], goals["unit"], strict=True)],
        _t(lang, "出处", "Where the plan says it"): goals["origin"] if zh else goals["origin_en"],
        _t(lang, "牵头单位", "Lead department"): [departments(d, lang) for d in goals["lead"]],
    })


# ---------------------------------------------------------------- section 4: projects


def project_table(progress: pd.DataFrame, lang: str) -> pd.DataFrame:
    """附件2's projects with the year's record (:func:`cyc_geo.planning.progress.progress_table`)."""
    zh = lang == "zh"
    rows = []
    for rec in progress.to_dict("records"):
        r: Any = SimpleNamespace(**rec)
        status = r.status if isinstance(r.status, str) and r.status else None
        benefit = entered_text(r.benefit_text, lang)
        extras = []
        if isinstance(r.connected_mw, float) and math.isfinite(r.connected_mw):
            extras.append(_t(lang, f"台账已并网 {r.connected_mw:.2f} MW", f"{r.connected_mw:.2f} MW grid-connected (ledger)"))
        if r.tce_saved is not None and not (isinstance(r.tce_saved, float) and math.isnan(r.tce_saved)):
            extras.append(_t(lang, f"节能 {float(r.tce_saved):g} 吨标准煤/年", f"{float(r.tce_saved):g} tce saved a year"))
        if benefit != MISSING:
            extras.insert(0, benefit)
        inv = r.investment_wan
        rows.append({
            _t(lang, "序号", "No."): str(r.序号),
            _t(lang, "项目名称", "Project"): r.项目名称 if zh else r.name_en,
            _t(lang, "建设期限", "Period"): str(r.建设期限).replace("—", "–"),
            _t(lang, "投资规模(万元)", "Planned investment (10^4 yuan)"): f"{float(rec['投资规模(万元)']):,.0f}",
            _t(lang, "状态", "Status"): (status or _t(lang, "未填报", "not reported")) if zh
            else (PROGRESS_STATUS_EN.get(status, status) if status else "not reported"),
            _t(lang, "完成投资(万元)", "Investment completed (10^4 yuan)"):
                MISSING if inv is None or (isinstance(inv, float) and math.isnan(inv)) else f"{float(inv):,.0f}",
            _t(lang, "形象进度", "Physical progress"): entered_text(r.progress_text, lang),
            _t(lang, "实际效益", "Realised benefit"): "；".join(extras) if zh else "; ".join(extras) or MISSING,
        })
    out = pd.DataFrame(rows)
    return out.replace("", MISSING)


PROJECT_WIDTHS = [0.04, 0.25, 0.1, 0.09, 0.08, 0.09, 0.17, 0.18]


# ---------------------------------------------------------------- build


@dataclass
class Inputs:
    """What :func:`build` needs: evaluated rows of every year (``long``, :func:`cyc_geo.indicators.evaluation.evaluate_years`),
    the catalogue, each year's project progress table, the plan-text goals, PV's need, demo flag, maps."""

    long: pd.DataFrame
    catalogue: pd.DataFrame
    progress: Mapping[int, pd.DataFrame]
    goals: pd.DataFrame
    pv_need: warn.PvNeed | None = None
    demo: bool = False


def build(inputs: Inputs, years: Sequence[int], lang: str = "zh") -> AnnualReport:
    """The report of ``years`` (one year, or the pilot 2022–2024) in ``lang``."""
    years = tuple(sorted(int(y) for y in years))
    last = years[-1]
    long = inputs.long[inputs.long["year"].isin(years)]
    warnings = warn.warnings(inputs.long, inputs.catalogue, last)
    title = (f"{_COUNTY.name_zh}碳达峰试点建设{_year_label(years, 'zh')}评估报告",
             f"{_COUNTY.name_en} carbon-peak pilot: evaluation report, {_year_label(years, 'en')}")
    data_years = sorted({int(y) for y in long["data_year"].dropna()})
    dy = "、".join(map(str, data_years)) if lang == "zh" else ", ".join(map(str, data_years))
    meta = ExportMeta(
        title, lang=lang,
        filters={_t(lang, "评估期", "Period evaluated"): _year_label(years, lang),
                 _t(lang, "各行数据年份", "Data year of each row"): _data_year_note(dy, lang)},
        sources=[_t(lang, f"目标：{PLAN_TITLE[0]}附件1及正文；实际值：填报值，否则由地图与台账测算",
                    f"targets: Annex 1 and the text of {PLAN_TITLE[1]}; actuals: reported values, else estimated "
                    "from the map and the PV ledger")],
        demo=inputs.demo)
    rep = AnnualReport(meta, years)
    b = rep.blocks
    _overall(b, long, years, warnings, inputs, lang)
    b.append(Block("heading", HEADINGS["indicators"][lang != "zh"]))
    for y in years:
        if len(years) > 1:
            b.append(Block("heading", _t(lang, f"{y}年", f"{y}"), level=2))
        ev = long[long["year"] == y]
        table = indicator_table(ev, inputs.catalogue, warn.warnings(inputs.long, inputs.catalogue, y), lang)
        widths = INDICATOR_WIDTHS if len(table.columns) == 12 else _drop_width(INDICATOR_WIDTHS, 5)
        b.append(Block("table", table=table, widths=widths))
    b.append(Block("heading", _t(lang, "方案正文中的其他目标（非附件1指标）", "Other goals from the plan's text (not Annex 1)"), level=2))
    b.append(Block("paragraph", _t(lang, "以下目标来自方案正文，附件1指标表未列，按填报值报告。",
                                   "These goals are from the plan's text, not Annex 1; they are reported as entered.")))
    b.append(Block("table", table=text_goal_table(inputs.goals, lang), widths=[0.26, 0.07, 0.08, 0.06, 0.08, 0.3, 0.15]))
    _tasks(b, long[long["year"] == last], inputs, lang)
    b.append(Block("heading", HEADINGS["projects"][lang != "zh"]))
    for y in years:
        if len(years) > 1:
            b.append(Block("heading", _t(lang, f"{y}年", f"{y}"), level=2))
        b.append(Block("table", table=project_table(inputs.progress[y], lang), widths=PROJECT_WIDTHS))
    b.append(Block("paragraph", _t(
        lang, "项目3已并网容量按装机台账统计：台账有“project_no”列时取其值为3的行；否则取有坐标、位于屋顶图层的屋顶上、"
              "并网日期在项目建设期限（2022年8月起）内的已并网行。",
        "Project 3's grid-connected capacity is counted from the PV ledger: the rows whose 'project_no' is 3 when the "
        "ledger has that column; otherwise the grid-connected rows with coordinates that lie on a roof of the rooftop "
        "layer and were connected within the project's period (from August 2022).")))
    _problems(b, long[long["year"] == last], warnings, inputs, lang)
    _next(b, long[long["year"] == last], warnings, inputs, lang)
    return rep


def _drop_width(widths: list[float], i: int) -> list[float]:
    out = widths[:i] + widths[i + 1:]
    s = sum(out)
    return [w / s for w in out]


def _overall(b: list[Block], long: pd.DataFrame, years: tuple[int, ...], warnings: Mapping[int, warn.Warning],
             inputs: Inputs, lang: str) -> None:
    b.append(Block("heading", HEADINGS["overall"][lang != "zh"]))
    for y in years:
        ev = long[long["year"] == y]
        c = ev["status"].value_counts()
        n = len(ev)
        if lang == "zh":
            text = (f"{y}年，{n}项指标（附件1的18项及方案正文的光伏装机目标）中，达标 {c.get(MET, 0)} 项，未达标 "
                    f"{c.get(BEHIND, 0)} 项，无数据 {c.get(NO_DATA, 0)} 项，无年度目标 {c.get(NO_TARGET, 0)} 项。")
        else:
            text = (f"In {y}, of {n} indicators (the 18 of Annex 1 and the PV goal of the plan's text), {c.get(MET, 0)} "
                    f"are on track, {c.get(BEHIND, 0)} behind, {c.get(NO_DATA, 0)} without data and {c.get(NO_TARGET, 0)} "
                    f"without an annual target.")
        b.append(Block("paragraph", text))
    levels = pd.Series([w.status for w in warnings.values()]).value_counts()
    b.append(Block("paragraph", _t(
        lang,
        f"预警（按近两点线性趋势能否达到2024年目标，差距超过{warn.ALERT_MISS:.0%}为预警）：正常 {levels.get(warn.NORMAL, 0)} 项，"
        f"关注 {levels.get(warn.WATCH, 0)} 项，预警 {levels.get(warn.ALERT, 0)} 项。",
        f"Early warning (does the linear trend of the last two points reach the 2024 target; a miss above "
        f"{warn.ALERT_MISS:.0%} is an alert): {levels.get(warn.NORMAL, 0)} normal, {levels.get(warn.WATCH, 0)} watch, "
        f"{levels.get(warn.ALERT, 0)} alert.")))
    prog = inputs.progress[years[-1]]
    st = prog["status"].fillna("").value_counts()
    b.append(Block("paragraph", _t(
        lang,
        f"附件2重点项目4个，总投资214000万元；{years[-1]}年填报：投产 {st.get('投产', 0)} 个，在建 {st.get('在建', 0)} 个，"
        f"前期 {st.get('前期', 0)} 个，未填报 {st.get('', 0)} 个。",
        f"Annex 2 lists 4 priority projects, 214,000 (10^4 yuan) in all; reported for {years[-1]}: {st.get('投产', 0)} in "
        f"operation, {st.get('在建', 0)} under construction, {st.get('前期', 0)} in preparation, {st.get('', 0)} not reported.")))


def _value_line(r: Any, cat: pd.DataFrame, lang: str) -> str:
    no = int(r["no"])
    unit = str(r["unit"]) if lang == "zh" else str(cat.at[no, "unit_en"])
    name = r["name"] if lang == "zh" else r["name_en"]
    target = plan_number(r["target"])
    value = actual_number(r["value"], str(r["unit"]))
    return _t(lang, f"#{no} {name}：实际 {value} {unit}（目标 {target}）", f"#{no} {name}: actual {value} {unit} (target {target})")


def _tasks(b: list[Block], ev: pd.DataFrame, inputs: Inputs, lang: str) -> None:
    b.append(Block("heading", HEADINGS["tasks"][lang != "zh"]))
    cat = inputs.catalogue.set_index("no")
    rows = ev.set_index("no", drop=False)
    for zh_title, en_title, nos in TASK_AREAS:
        b.append(Block("heading", _t(lang, zh_title, en_title), level=2))
        lines = [_value_line(rows.loc[n], cat, lang) for n in nos if n in rows.index]
        if zh_title.startswith("（二）"):
            goals = inputs.goals
            for g in goals.itertuples(index=False):
                if g.area == "energy":
                    lines.append(_t(lang, f"{g.name}：目标 {g.comparison}{plan_number(g.target)} {g.unit}（方案正文），实际 "
                                          f"{actual_number(g.value, g.unit)}",
                                    f"{g.name_en}: target {g.comparison}{plan_number(g.target)} {g.unit_en} (plan text), "
                                    f"actual {actual_number(g.value, g.unit)}"))
        b.append(Block("paragraph", "；".join(lines) + "。" if lang == "zh" else "; ".join(lines) + "."))
        b.append(Block("note", _t(lang, "【本领域工作进展由牵头单位填写】",
                                  "[Progress of this area: to be written by the lead department]")))


def _problems(b: list[Block], ev: pd.DataFrame, warnings: Mapping[int, warn.Warning], inputs: Inputs, lang: str) -> None:
    b.append(Block("heading", HEADINGS["problems"][lang != "zh"]))
    cat = inputs.catalogue.set_index("no")
    rows = ev.set_index("no")
    n = 0
    for level in (warn.ALERT, warn.WATCH):
        for no, w in warnings.items():
            if w.status != level or not math.isfinite(w.miss):
                continue
            n += 1
            name = rows.at[no, "name"] if lang == "zh" else rows.at[no, "name_en"]
            b.append(Block("paragraph", f"{n}. #{no} {name}（{w.label(lang)}）：{w.basis[0]}。" if lang == "zh"
                           else f"{n}. #{no} {name} ({w.label(lang)}): {w.basis[1]}."))
    missing = [int(no) for no, w in warnings.items() if not math.isfinite(w.miss)]
    if missing:
        n += 1
        leads = sorted({departments(str(cat.at[no, "lead"]), lang) for no in missing})
        sep = "、" if lang == "zh" else ", "
        b.append(Block("paragraph", _t(
            lang, f"{n}. {len(missing)}项指标尚无实际值（序号 {sep.join(map(str, missing))}），进度不明；需 {sep.join(leads)} 填报。",
            f"{n}. {len(missing)} indicators have no actual value yet (No. {sep.join(map(str, missing))}), so their progress "
            f"is unknown; to be reported by: {'; '.join(leads)}.")))
    if n == 0:
        b.append(Block("paragraph", _t(lang, "按现有数据，各指标均可达到2024年目标。",
                                       "On the data at hand every indicator reaches its 2024 target.")))


def _next(b: list[Block], ev: pd.DataFrame, warnings: Mapping[int, warn.Warning], inputs: Inputs, lang: str) -> None:
    b.append(Block("heading", HEADINGS["next"][lang != "zh"]))
    cat = inputs.catalogue.set_index("no")
    rows = ev.set_index("no")
    n = 0
    need = inputs.pv_need
    if need is not None:
        n += 1
        per = (_t(lang, f"，即每月 {need.per_month_mw:.2f} MW（距2024年12月31日 {need.months_left:.1f} 个月）",
                  f", i.e. {need.per_month_mw:.2f} MW a month ({need.months_left:.1f} months to 31 Dec 2024)")
               if need.per_month_mw is not None else _t(lang, "（期限已过）", " (the deadline has passed)"))
        b.append(Block("paragraph", _t(
            lang, f"{n}. 光伏：截至 {need.as_of.date()} 已并网 {need.installed_mw:.2f} MW，至2024年底还需并网 {need.needed_mw:.2f} MW"
                  f"才能达到 70 MW{per}。",
            f"{n}. PV: {need.installed_mw:.2f} MW grid-connected by {need.as_of.date()}; {need.needed_mw:.2f} MW more by "
            f"31 Dec 2024 reach 70 MW{per}.")))
    for no, w in warnings.items():
        if no == warn.PV_INDICATOR or w.status == warn.NORMAL or not math.isfinite(w.needed) or w.needed <= 0:
            continue
        n += 1
        unit = str(cat.at[no, "unit"]) if lang == "zh" else str(cat.at[no, "unit_en"])
        name = rows.at[no, "name"] if lang == "zh" else rows.at[no, "name_en"]
        higher = cat.at[no, "direction"] == "higher"
        verb = _t(lang, "提高" if higher else "降低", "raise" if higher else "lower")
        amount = actual_number(w.needed, str(cat.at[no, "unit"]))
        b.append(Block("paragraph", _t(lang, f"{n}. #{no} {name}：到2024年还需{verb} {amount} {unit}，才能达到目标 "
                                             f"{plan_number(cat.at[no, 'target_2024'])}。",
                                       f"{n}. #{no} {name}: {verb} by {amount} {unit} by 2024 to reach the target "
                                       f"{plan_number(cat.at[no, 'target_2024'])}.")))
    missing = [int(no) for no, w in warnings.items() if not math.isfinite(w.miss)]
    if missing:
        n += 1
        b.append(Block("paragraph", _t(lang, f"{n}. 各牵头单位按附件1报送尚缺的指标值，纳入下次评估。",
                                       f"{n}. The lead departments report the missing indicator values of Annex 1 for the "
                                       "next evaluation.")))


def evaluation_inputs(years: Sequence[int], conn: Any, catalogue: pd.DataFrame, demo: bool,
                      as_of: str | None = None, spatial: Any = None, ledger: Any = None, roofs: Any = None) -> Inputs:
    """Gather :class:`Inputs` for ``years`` from the database and the data (evaluations of every pilot year up to the
    last one asked, so the warning sees the trend; the project progress of each year; PV's need). ``ledger`` (the
    installations ledger with ``conn``'s edits) and ``roofs`` (the rooftops layer) are read here unless given
    (the app passes its cached copies)."""
    from cyc_geo.indicators.catalogue import YEARS
    from cyc_geo.indicators.evaluation import evaluate_years
    from cyc_geo.planning.progress import progress_table
    from cyc_geo.pv.installations import load_ledger
    from cyc_geo.pv.rooftops import load_rooftops

    last = max(years)
    long = evaluate_years([y for y in YEARS if y <= last], conn, spatial, catalogue=catalogue)
    ledger = load_ledger(conn) if ledger is None else ledger
    roofs = load_rooftops() if roofs is None else roofs
    progress = {int(y): progress_table(conn, int(y), ledger, roofs) for y in years}
    try:
        need: warn.PvNeed | None = warn.pv_needed_now(as_of, last)
    except (OSError, ValueError, KeyError):
        need = None
    goals = text_goals.with_values(conn, last)
    return Inputs(long, catalogue, progress, goals, need, demo)


# ---------------------------------------------------------------- annex maps


ANNEX_MAPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("光伏装机分布图", "PV installations", ("county", "townships", "pv_installations")),
    ("森林分布图", "Forest", ("county", "townships", "forest")),
    ("重点项目分布图", "Priority project sites", ("county", "townships", "projects")),
]
"""The annex maps: caption (zh, en) and the print layout's layers (:mod:`cyc_geo.mapview.print_layout`)."""


def annex_maps(lang: str) -> list[tuple[str, Any]]:
    """(caption, prepared layers) of each annex map, drawn by :mod:`cyc_geo.mapview.print_layout`
    (the PDF as layout pages with legend and scale bar, the Word file as pictures)."""
    from cyc_geo.mapview.print_layout import prepare_layers

    return [(_t(lang, zh, en), prepare_layers(list(ids))) for zh, en, ids in ANNEX_MAPS]


def map_png(drawn: Any, width_mm: float = 250.0, height_mm: float = 150.0) -> bytes:
    """A map picture of ``drawn`` over the county (for the Word annex)."""
    from cyc_geo.mapview.print_layout import Frame, _county_bounds, fit_extent, render_map_png

    frame = Frame(0, 0, width_mm, height_mm)
    return render_map_png(drawn, fit_extent(_county_bounds(drawn), frame.w, frame.h), frame, dpi=110)


# ---------------------------------------------------------------- PDF


KEEP_MM = 40.0
"""Space a heading needs below it on the page (itself and the first lines of what follows); else it starts a new page."""


def pdf_bytes(report: AnnualReport, maps: list[tuple[str, Any]] | None = None) -> bytes:
    """The report as a PDF (A4 landscape, :class:`cyc_geo.exports.pdf.PdfReport`: title block, the demo note
    on every page); a heading never ends a page (it moves to the next page with what follows); ``maps``
    (from :func:`annex_maps`) become print-layout pages after the report."""
    from cyc_geo.exports import pdf

    out = pdf.new_report(report.meta, landscape=True)
    for block in report.blocks:
        if block.kind == "heading":
            if block.text == HEADINGS["annex"][report.lang != "zh"] and maps:
                break  # the annex is drawn as layout pages below
            if out.get_y() + KEEP_MM > out.page_break_trigger:
                out.add_page()
            out.heading(block.text, size=13 if block.level == 1 else 11)
        elif block.kind == "paragraph":
            # fpdf2 wraps at spaces and justifies: Chinese text with a few spaces would be stretched across
            # the line; non-breaking spaces make it wrap by character like the rest of the Chinese text
            out.paragraph(block.text.replace(" ", "\u00a0") if report.lang == "zh" else block.text)
        elif block.kind == "note":
            out.set_text_color(110, 110, 110)
            out.paragraph(block.text)
            out.set_text_color(0, 0, 0)
        elif block.kind == "table" and block.table is not None:
            widths = [out.content_width * w for w in block.widths] if block.widths else None
            out.table(block.table, font_size=7, col_widths=widths)
        elif block.kind == "image" and block.image:
            out.image_bytes(block.image, width=out.content_width)
    if maps:
        from cyc_geo.mapview.print_layout import _county_bounds, map_page

        for caption, drawn in maps:
            map_page(out, drawn, _county_bounds(drawn), f"{HEADINGS['annex'][report.lang != 'zh']} · {caption}", "A4", True)
    return out.to_bytes()


def write(path: Any, report: AnnualReport, maps: list[tuple[str, Any]] | None = None) -> Any:
    """Write ``report`` to ``path`` (``.docx`` or ``.pdf``), atomically; the Word file gets the maps as pictures."""
    from pathlib import Path

    from cyc_geo.exports.docx import report_docx

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        if maps:
            report.blocks.append(Block("heading", HEADINGS["annex"][report.lang != "zh"]))
            for caption, drawn in maps:
                report.blocks.append(Block("heading", caption, level=2))
                report.blocks.append(Block("image", image=map_png(drawn)))
        data = report_docx(report)
    elif suffix == ".pdf":
        data = pdf_bytes(report, maps)
    else:
        raise ValueError(f"评估报告须为 .docx 或 .pdf / the report is written as .docx or .pdf, not {path.suffix!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
