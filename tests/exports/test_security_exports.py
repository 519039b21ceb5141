"""Formula injection: names that start a formula (= + - @), imported through the real import paths
(townships layer, PV ledger) or typed as scenario and site names, never become a live formula in
any Excel export of the app and are written neutralised (a leading ') in every CSV export; a name
with a control character exports without error (cyc_geo.exports.cells)."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import streamlit as st
from shapely.geometry import box

from cyc_geo.exports.cells import QUOTE, csv_bytes, safe_cell, safe_frame

NAMES = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3"]
"""Names that a spreadsheet would run as formulas."""
CONTROL = "控\x01制\x1f镇"
"""A name with control characters (openpyxl refuses them: IllegalCharacterError)."""
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def test_safe_cell_neutralises_text_and_keeps_numbers():
    for name in NAMES + ["\t=1+1", "\r@x", "＝1+1"]:
        assert safe_cell(name) == QUOTE + name
    assert safe_cell(CONTROL) == "控制镇"
    assert safe_cell("=a\x00b") == "'=ab"
    for number in (-2.5, -3, 0, 7.25, None, True):
        assert safe_cell(number) is number or safe_cell(number) == number
    assert safe_cell("-0.35") == "-0.35" and safe_cell("-12") == "-12" and safe_cell("-5%") == "-5%"
    assert safe_cell("蒲西街道") == "蒲西街道" and safe_cell("a=b") == "a=b"
    assert safe_cell(safe_cell(NAMES[0])) == QUOTE + NAMES[0]  # idempotent
    frame = safe_frame(pd.DataFrame({NAMES[1]: [NAMES[3], "ok"], "kW": [-1.5, 2.0]}))
    assert list(frame.columns) == [QUOTE + NAMES[1], "kW"]
    assert list(frame.iloc[:, 0]) == [QUOTE + NAMES[3], "ok"] and list(frame["kW"]) == [-1.5, 2.0]


def _formula_cells(data: bytes) -> list[tuple[str, str, object]]:
    """(sheet, cell, value) of every cell stored as a formula or as text a spreadsheet would run."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if c.data_type == "f" or (isinstance(v, str) and v.startswith(TRIGGERS) and safe_cell(v) != v):
                    bad.append((ws.title, c.coordinate, v))
    return bad


def _texts(data: bytes) -> set[str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}


def _csv_fields(data: bytes) -> list[str]:
    return [f for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for f in row]


def _check_csv(data: bytes, must_hold: list[str]) -> None:
    fields = _csv_fields(data)
    live = [f for f in fields if f.startswith(TRIGGERS) and safe_cell(f) != f]
    assert not live, live
    for name in must_hold:
        assert QUOTE + name in fields, (name, fields[:40])


def _import_townships(tmp_path: Path) -> gpd.GeoDataFrame:
    """The demo townships with five names replaced, imported through the importer as a planner's file."""
    from cyc_geo.ingest.importer import import_file
    from cyc_geo.places.townships import load_townships

    towns = load_townships()[["code", "name", "name_en", "geometry"]].copy()
    towns.loc[towns.index[:5], "name"] = NAMES + [CONTROL]
    towns.loc[towns.index[:5], "name_en"] = NAMES + [CONTROL]
    towns.to_file(tmp_path / "towns.gpkg")
    import_file(tmp_path / "towns.gpkg", "townships", "cli:planner")
    imported = load_townships()
    assert list(imported["name"][:5]) == NAMES + [CONTROL]  # the importer kept the names as typed
    return imported


def _import_ledger(tmp_path: Path) -> None:
    from cyc_geo.ingest.importer import import_file

    rows = ["序号,乡镇,项目名称,建筑类型,装机容量(kW),建设状态,并网时间"]
    for i, name in enumerate(NAMES + [CONTROL], start=1):
        quoted = '"' + name.replace('"', '""') + '"'
        rows.append(f"{i},蒲西街道,{quoted},工商业,{100 * i},已并网,2023-0{i}-01")
    path = tmp_path / "台账.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rec = import_file(path, "pv_installations", "cli:planner")
    assert rec["features"] == 5 and not rec["rows_skipped"]


@pytest.mark.slow
def test_names_from_imports_never_become_formulas_in_any_export(demo_data_dir: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # before: the PV workbook stored =HYPERLINK(...) as a formula, the CSVs wrote the names raw, and the
    # control character made the PV workbook raise IllegalCharacterError
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    import ui.common as common
    from cyc_geo import db
    from cyc_geo.geo.crs import AREA_CRS
    from cyc_geo.indicators import catalogue as ind
    from cyc_geo.indicators import evaluation
    from cyc_geo.indicators.catalogue import SpatialValue
    from cyc_geo.indicators.export import to_csv_bytes, to_excel_bytes
    from cyc_geo.planning import compliance, report
    from cyc_geo.planning.landcheck import CheckContext, check_site
    from cyc_geo.planning.projects import load_projects
    from cyc_geo.pv import compare, scenarios, tables
    from cyc_geo.pv.scenarios import Scenario

    st.cache_data.clear()
    st.cache_resource.clear()
    towns = _import_townships(tmp_path)
    _import_ledger(tmp_path)
    conn = db.connect()
    named = {NAMES[0]: Scenario(), NAMES[3]: Scenario.from_dict({"adoption": {"rural": 0.4}}), CONTROL: Scenario()}
    for name, sc in named.items():
        scenarios.save_scenario(conn, name, sc, "cli:planner")

    exports: dict[str, bytes] = {}
    csvs: dict[str, bytes] = {}
    scenario = Scenario()
    # PV page: township table (CSV and Excel, with a saved scenario's name), comparison
    shown = tables.township_display(common.township_table(scenario), "zh")
    csvs["pv_townships.csv"] = csv_bytes(shown)
    town_names = dict(zip(towns["code"], towns["name"], strict=True))
    exports["pv_townships.xlsx"] = tables.workbook(shown, common.roof_summary(scenario), scenario, True,
                                                   scenario_name=NAMES[0], town_names=town_names)
    exports["pv_townships_en.xlsx"] = tables.workbook(tables.township_display(common.township_table(scenario), "en"),
                                                      common.roof_summary(scenario), scenario, True,
                                                      scenario_name=CONTROL, lang="en", town_names=town_names)
    loaded = {n: scenarios.load_scenario(conn, n) for n in named}
    result = compare.compare(loaded, common.roofs()[1], towns, estimate=common.per_roof, lang="zh")
    exports["pv_scenarios_compared.xlsx"] = compare.workbook(result, "zh", True)
    # carbon page: the by-township table as downloaded (names from the township layer)
    csvs["carbon_by_township.csv"] = csv_bytes(pd.DataFrame({"code": towns["code"], "name": towns["name"],
                                                             "sink_t_co2": 1.5}))
    # indicators page: 附件1 workbook and CSV (PV scenario named in the header), the evaluation workbook
    cat = ind.load_catalogue()
    spatial = {int(n): SpatialValue(12.5, "test") for n in cat.index[cat["source"] == "spatial"]}
    ev = ind.evaluate(2024, None, spatial, cat)
    exports["indicators.xlsx"] = to_excel_bytes(ev, cat, True, scenario=NAMES[2])
    csvs["indicators.csv"] = to_csv_bytes(ev, cat)
    exports["evaluation.xlsx"] = evaluation.workbook_bytes(evaluation.evaluate_years((2024,), conn, spatial, cat),
                                                           True, "zh")
    # projects page: a site across the renamed townships, its compliance report (site named by the planner),
    # the project report and the summary
    area = towns.to_crs(AREA_CRS)
    a, b = area.geometry.iloc[0].representative_point(), area.geometry.iloc[1].representative_point()
    site = gpd.GeoDataFrame(geometry=[box(min(a.x, b.x), min(a.y, b.y), max(a.x, b.x) + 50, max(a.y, b.y) + 50)],
                            crs=AREA_CRS)
    empty = gpd.GeoDataFrame(geometry=[], crs=AREA_CRS)
    ctx = CheckContext(townships=towns, forest=None, belt=empty.assign(zone=[]), devzone=empty.assign(name=[]),
                       sites=empty.assign(project_no=[], site_kind=[]), farmland=None, eco_redline=None,
                       urban_boundary=None, cropland=None)
    checked = check_site(site, context=ctx)
    assert {t.name for t in checked.townships} & set(NAMES)  # the site lies in renamed townships
    exports["compliance.xlsx"] = compliance.report_xlsx(checked, ctx, "zh", site_label=NAMES[1])
    project = load_projects().iloc[0]
    numbered = dataclasses.replace(checked, project_no=int(project["序号"]))
    exports["project.xlsx"] = report.project_report_xlsx(project, numbered)
    exports["summary.xlsx"] = report.summary_xlsx(report.summary_table([numbered]))
    conn.close()

    for name, data in exports.items():
        assert _formula_cells(data) == [], name
    texts = _texts(exports["pv_townships.xlsx"])
    assert {QUOTE + n for n in NAMES} <= texts and "控制镇" in texts  # the names are there, as text
    assert QUOTE + NAMES[0] + " (MW)" in _texts(exports["pv_scenarios_compared.xlsx"])  # a scenario as a header
    assert QUOTE + NAMES[1] in _texts(exports["compliance.xlsx"])
    assert QUOTE + NAMES[2] in _texts(exports["indicators.xlsx"])
    _check_csv(csvs["pv_townships.csv"], NAMES)
    _check_csv(csvs["carbon_by_township.csv"], NAMES)
    _check_csv(csvs["indicators.csv"], [])
    assert "控制镇" in _csv_fields(csvs["pv_townships.csv"])
    st.cache_data.clear()
    st.cache_resource.clear()


def test_every_spreadsheet_writer_goes_through_the_neutraliser():
    # before: views/pv.py, views/carbon.py and the indicators export wrote CSVs with DataFrame.to_csv, and
    # five modules saved their workbooks with Workbook.save, none of them neutralised
    import re

    repo = Path(__file__).resolve().parents[2]
    writers = re.compile(r"\.to_csv\(|\.to_excel\(|csv\.writer|csv\.DictWriter|xlsxwriter|\bwb\.save\(|"
                         r"Workbook\(\)\.save|\.save\(buf\)")
    found = []
    for folder in ("cyc_geo", "ui", "views"):
        for path in sorted((repo / folder).rglob("*.py")):
            for _n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if writers.search(line):
                    found.append((path.relative_to(repo).as_posix(), line.strip()))
    for path in sorted(repo.glob("*.py")):
        found += [(path.name, line.strip()) for line in path.read_text(encoding="utf-8").splitlines()
                  if writers.search(line)]
    # the writers of cyc_geo.exports, and elsewhere only a table neutralised on the spot
    assert ("cyc_geo/exports/cells.py", 'return safe_frame(df).to_csv(index=False).encode("utf-8-sig")') in found
    assert ("cyc_geo/exports/excel.py", "wb.save(buf)") in found
    stray = [(p, line) for p, line in found if not p.startswith("cyc_geo/exports/") and "safe_frame(" not in line]
    assert stray == []
