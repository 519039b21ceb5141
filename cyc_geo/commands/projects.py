"""``land-check``, ``projects`` and ``project-report`` commands: priority projects and their land."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cyc_geo.cli import UserError, command, emit

if TYPE_CHECKING:
    from cyc_geo.planning.site import LandCheck


def _findings_text(result: LandCheck) -> str:
    head = (
        f"area {result.area_m2:,.0f} m² = {result.area_ha:,.2f} ha = {result.area_mu:,.1f} 亩; "
        f"status {result.status}"
    )
    towns = ", ".join(f"{t.name} {100 * t.share:.1f}%" for t in result.townships) or "-"
    lines = [head, f"townships: {towns}"]
    if result.standalone_siting:
        lines.append("declared: 单独选址项目 / standalone-siting project")
    lines += [f"[{f.level:<8}] {f.check:<13} {f.reason_zh} / {f.reason_en}" for f in result.findings]
    return "\n".join(lines)


def cmd_land_check(args: argparse.Namespace) -> int:
    from cyc_geo.planning.jzd import jzd_bytes
    from cyc_geo.planning.landcheck import check_site
    from cyc_geo.planning.projects import export_site, read_site_file
    from cyc_geo.planning.site import IndustryFigures

    figures = {"division": args.industry, "floor_area_m2": args.floor_area, "footprint_m2": args.footprint,
               "office_land_m2": args.office_land, "green_land_m2": args.green_land, "investment_wan": args.investment}
    industry = IndustryFigures(**figures) if any(v is not None for v in figures.values()) else None
    try:
        site = read_site_file(Path(args.site), swap_xy=args.swap_xy)
        support = read_site_file(Path(args.support)) if args.support else None
        result = check_site(site, args.project, site_type=args.type, redline_activity=args.redline_activity,
                            standalone_siting=args.standalone_siting, industry=industry, support=support,
                            support_area_m2=args.support_area)
    except (TypeError, ValueError, FileNotFoundError, KeyError) as exc:
        raise UserError(str(exc)) from exc
    if args.export_jzd:
        out = Path(args.export_jzd)
        read_in = result.site.crs_read if result.site is not None else None  # the check's CRS reading: no second guess
        out.write_bytes(jzd_bytes(export_site(site, read_in), name=out.stem))  # a 界址点 file keeps its names, uses
        result.exported_jzd = str(out)
    emit(result.to_dict(), args.json, _findings_text(result))
    return 0


def project_records(conn=None) -> list[dict]:
    """Every project's attributes, current site and land-check status (for ``projects --json``)."""
    from cyc_geo.planning.landcheck import CheckContext, check_projects
    from cyc_geo.planning.projects import load_project_sites, load_projects

    projects = load_projects()
    sites = load_project_sites(conn)
    checks = {r.project_no: r for r in check_projects(conn, CheckContext(sites=sites))}
    site_info = sites.drop(columns="geometry").set_index("project_no")
    out = []
    for _, row in projects.iterrows():
        no = int(row["序号"])
        rec = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        s = site_info.loc[no] if no in site_info.index else None
        rec["site"] = None if s is None else {
            "kind": s["site_kind"],
            "source": s["source"],
            "demo": bool(s["demo"]),
            "version": int(s["version"]),
            "updated_by": s["updated_by"],
            "updated_at": s["updated_at"],
            "area_m2": round(float(s["area_m2"]), 2),
        }
        chk = checks.get(no)
        rec["land_check"] = None if chk is None else {
            "status": chk.status,
            "area_m2": chk.area_m2,
            "area_mu": chk.area_mu,
            "townships": [t.name for t in chk.townships],
            "counts": {lvl: chk.count(lvl) for lvl in ("conflict", "warning", "ok", "info")},
            "issues": [
                {"level": f.level, "layer": f.check, "reason_zh": f.reason_zh, "reason_en": f.reason_en}
                for f in chk.findings
                if f.level not in ("ok", "info")
            ],
        }
        out.append(rec)
    return out


PROGRESS_KEYS = {"status": "status", "状态": "status", "investment": "investment_wan", "完成投资": "investment_wan",
                 "progress": "progress_text", "形象进度": "progress_text", "benefit": "benefit_text",
                 "实际效益": "benefit_text", "tce": "tce_saved", "节能量": "tce_saved"}
"""``--set`` keys of ``projects progress`` (English or the record's Chinese field names)."""


def cmd_progress(args: argparse.Namespace) -> int:
    """``projects progress``: show a year's records (and project 3's MW from the ledger), or save one with ``--set``."""
    from cyc_geo import db
    from cyc_geo.planning import progress as pp

    if args.year is None:
        raise UserError("projects progress 需要 --year / needs --year")
    conn = db.connect()
    try:
        if args.set:
            if args.project is None or not args.actor:
                raise UserError("--set 需要 --project 与 --actor / --set needs --project and --actor")
            fields = {}
            for item in args.set:
                key, sep, value = item.partition("=")
                if not sep or key.strip() not in PROGRESS_KEYS:
                    raise UserError(f"--set 格式为 键=值，键为 {sorted(set(PROGRESS_KEYS))} / --set expects KEY=VALUE: {item!r}")
                fields[PROGRESS_KEYS[key.strip()]] = value
            try:
                changed = pp.save_progress(conn, args.project, args.year, fields, args.actor)
            except pp.ProgressError as exc:
                raise UserError(str(exc)) from exc
            if not args.json:
                print(f"{'saved' if changed else 'unchanged'}: project {args.project}, {args.year}")
        table = pp.progress_table(conn, args.year)
    finally:
        conn.close()
    rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in table.to_dict("records")]
    text = "\n".join(f"{r['序号']}  {r['项目名称']}  {r['status'] or '—'}  {r['investment_wan'] or '—'} 万元  "
                     f"{r['progress_text'] or ''}" + (f"  connected {r['connected_mw']:.2f} MW" if r["connected_mw"] is not None else "")
                     for r in rows)
    emit(rows, args.json, text)
    return 0


def cmd_projects(args: argparse.Namespace) -> int:
    if args.action == "progress":
        return cmd_progress(args)
    rows = project_records()
    text = "\n".join(
        f"{r['序号']}  {r['项目名称']}  {r['投资规模(万元)']:,.0f} 万元  "
        f"site={r['site']['source'] if r['site'] else '-'}  land-check={r['land_check']['status'] if r['land_check'] else '-'}"
        for r in rows
    )
    emit(rows, args.json, text)
    return 0


def cmd_project_report(args: argparse.Namespace) -> int:
    from cyc_geo.planning.report import write_project_reports

    written = write_project_reports(Path(args.out), None if args.project is None else [args.project])
    emit([str(p) for p in written], args.json, "\n".join(str(p) for p in written))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "land-check", cmd_land_check,
                help="land-allocation check of a site (三区三线, 三调 耕地, PV rules, belt, forest, zone)")
    p.add_argument("--site", required=True, help="site file: 界址点 .txt, GeoJSON, GeoPackage, zipped Shapefile, KML, GeoParquet; any CRS")
    p.add_argument("--swap-xy", action="store_true",
                   help="exchange X and Y of the site file (a 界址点 file written easting-first: 点号,圈号,Y,X)")
    p.add_argument("--project", type=int, default=None, help="project number (序号, 附件2) to compare with its land need")
    p.add_argument("--type", choices=["industrial", "pv", "public", "other"], default=None,
                   help="site type (default: from the project, else other)")
    p.add_argument("--redline-activity", default=None,
                   help="declare a permitted limited human activity in the red line (cyc_geo.planning.rules.REDLINE_ACTIVITIES key)")
    p.add_argument("--standalone-siting", action="store_true",
                   help="declare the site a 单独选址 project (outside the 城镇开发边界 an industrial site is then a warning)")
    p.add_argument("--support", default=None, metavar="FILE",
                   help="PV: the 配套设施 part (升压站, 运维, roads) as its own site file, checked as construction land")
    p.add_argument("--support-area", type=float, default=None, metavar="M2",
                   help="PV: the 配套设施 area in m² when it has no polygon")
    g = p.add_argument_group("industrial project figures (国土资发〔2008〕24号; override the project table's)")
    g.add_argument("--industry", default=None, metavar="DIV",
                   help="国民经济行业分类 division, GB/T 4754-2002 two digits (e.g. 35 通用设备制造业)")
    g.add_argument("--floor-area", type=float, default=None, metavar="M2", help="total floor area (建筑面积), m²")
    g.add_argument("--footprint", type=float, default=None, metavar="M2", help="building footprint (建筑物构筑物占地), m²")
    g.add_argument("--office-land", type=float, default=None, metavar="M2", help="office and living-service land, m²")
    g.add_argument("--green-land", type=float, default=None, metavar="M2", help="green land (绿地), m²")
    g.add_argument("--investment", type=float, default=None, metavar="WAN", help="fixed-asset investment, 万元")
    p.add_argument("--export-jzd", default=None, metavar="OUT.txt",
                   help="also write the site as a 界址点 file (CGCS2000 3-degree zone 38, GBK)")
    pj = command(sub, "projects", cmd_projects, help="priority projects (附件2) with their sites and land-check status; "
                 "'projects progress' shows or sets the yearly progress records")
    pj.add_argument("action", nargs="?", choices=["progress"], help="progress: the yearly progress records")
    pj.add_argument("--year", type=int, default=None, help="progress: the year (2022–2024)")
    pj.add_argument("--project", type=int, default=None, help="progress: the project number (序号, 附件2)")
    pj.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="progress: status=前期|在建|投产, investment=万元, progress=形象进度, benefit=实际效益, tce=t saved a year")
    pj.add_argument("--actor", default=None, help="progress: who enters the record (audit log)")
    r = command(sub, "project-report", cmd_project_report, help="write land-check reports (Excel + printable HTML) and a summary")
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--project", type=int, default=None, help="only this project (default: all)")
