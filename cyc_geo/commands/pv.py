"""``pv`` and ``emissions`` commands: rooftop PV potential and MWh -> tce / CO2 conversions."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from cyc_geo.cli import UserError, command, emit
from cyc_geo.places.profile import MissingTable, profile
from cyc_geo.pv import aggregation, emissions, report, yield_model
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import ROOF_TYPES, Scenario, resolve_params


def _scenario(name: str | None, preset: str | None, weather: str | None = None,
              climate: str | None = None) -> Scenario:
    """A saved scenario (or the default) with an emission preset and the site's own weather: an hourly
    EPW / PVGIS TMY file (``weather``) or monthly climate means (``climate``, CSV like
    ``data/reference/climate_changyuan.csv``) replace the bundled monthly means (docs/pv.md)."""
    scenario = _named_scenario(name)
    if preset:
        emissions.get_preset(preset)
        scenario = Scenario.from_dict({**scenario.to_dict(), "params": {**scenario.params, "emission_preset": preset}})
    own = {key: str(Path(value).expanduser().resolve())
           for key, value in (("weather_file", weather), ("climate_file", climate)) if value}
    if own:
        try:
            scenario = Scenario.from_dict({**scenario.to_dict(), "params": {**scenario.params, **own}})
        except (OSError, ValueError) as exc:
            raise UserError(str(exc)) from None
    return scenario


def _named_scenario(name: str | None) -> Scenario:
    if name:
        from cyc_geo import db
        from cyc_geo.pv import scenarios

        conn = db.connect()
        try:
            scenario = scenarios.load_scenario(conn, name)
        finally:
            conn.close()
        return scenario
    return Scenario()


def _roofs(footprints: str | None):
    from cyc_geo.pv import rooftops

    if footprints:
        return rooftops.load_footprint_file(footprints)
    return rooftops.load_rooftops()


def estimate_payload(footprints: str | None = None, scenario_name: str | None = None,
                     preset: str | None = None, weather: str | None = None, climate: str | None = None) -> dict:
    """The ``pv estimate --json`` document (also used by tests)."""
    from cyc_geo.places.townships import load_townships

    scenario = _scenario(scenario_name, preset, weather, climate)
    roofs = _roofs(footprints)
    per_roof = pv.estimate(pd.DataFrame(roofs.drop(columns="geometry")), scenario)
    table = aggregation.township_table(per_roof, load_townships())
    rows = [report.township_row(r, code=r.code, name=r.name, name_en=r.name_en) for r in table.itertuples(index=False)]
    return report.estimate_payload(aggregation.summary(per_roof), rows, scenario, roofs, roofs.attrs.get("skipped"),
                                   scenario_label=scenario_name or "default (NEA 整县推进 shares)", with_yields=True,
                                   share_caps=pv.share_caps(per_roof, scenario))


def estimate_workbook(footprints: str | None = None, scenario_name: str | None = None,
                      preset: str | None = None, lang: str = "zh", weather: str | None = None,
                      climate: str | None = None) -> bytes:
    """The PV page's Excel download for a scenario (``pv estimate --xlsx``): township table, summary, scenario."""
    from cyc_geo.catalog.provenance import provenance_of
    from cyc_geo.places.townships import load_townships
    from cyc_geo.pv import tables

    scenario = _scenario(scenario_name, preset, weather, climate)
    roofs = _roofs(footprints)
    towns = load_townships()
    per_roof = pv.estimate(pd.DataFrame(roofs.drop(columns="geometry")), scenario)
    shown = tables.township_display(aggregation.township_table(per_roof, towns), lang)
    names = dict(zip(towns["code"].astype(str), towns["name" if lang == "zh" else "name_en"], strict=True))
    return tables.workbook(shown, aggregation.summary(per_roof), scenario, not provenance_of(roofs).is_real,
                           scenario_name=scenario_name, lang=lang, town_names=names)


def cmd_pv_estimate(args: argparse.Namespace) -> int:
    try:
        from cyc_geo.pv.engine import cli_payload, default_engine

        engine = args.engine or default_engine()
        if engine == "local" and not args.source:
            out = estimate_payload(args.footprints, args.scenario, args.preset, args.weather, args.climate)
        else:  # same estimate on partitioned data / dask.distributed (cyc_geo.pv.engine, docs/scale.md)
            out = cli_payload(args.source or args.footprints,
                              _scenario(args.scenario, args.preset, args.weather, args.climate), engine)
    except KeyError as exc:
        raise UserError(exc.args[0] if exc.args else str(exc)) from None
    demo = "  [演示数据 demo data]" if out["demo"] else ""
    lines = [
        f"屋顶 roofs: {out['roofs']:,} / {out['buildings']:,} buildings{demo}",
        f"情景潜力 scenario potential: {out['capacity_mw']:.1f} MW  ({out['potential_kind']}; "
        + (f"已并网与 {out['goal_mw']:.0f} MW 目标 installed vs the goal: python -m cyc_geo pv progress)"
         if out["goal_mw"] is not None else "本县域没有规划目标 the county profile has no plan goals)"),
        *(f"  {c}: {v['share']:.0%} 受可用面积封顶（每个屋顶），提高比例不增加潜力 capped by the usable area on every roof; "
          f"a higher share adds nothing" for c, v in out.get("adoption_capped_by_usable_area", {}).items() if v["capped"]),
        f"发电 generation: {out['annual_gwh']:.1f} GWh/yr   标煤 {out['tce']:,.0f} tce   CO2 {out['co2_t']:,.0f} t "
        f"({emissions.factor_label(out['emission_preset'], 'zh')} / {emissions.factor_label(out['emission_preset'], 'en')})",
        "",
        *(f"{t['code']} {t['name']:<6} {t['capacity_mw']:8.1f} MW {t['annual_gwh']:8.1f} GWh" for t in out["by_township"]),
    ]
    if out["skipped"]:
        lines.append(f"skipped: {out['skipped']}")
    if args.xlsx:
        path = Path(args.xlsx)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.write_bytes(estimate_workbook(args.footprints, args.scenario, args.preset, args.lang,
                                               args.weather, args.climate))
        except KeyError as exc:
            raise UserError(exc.args[0] if exc.args else str(exc)) from None
        lines.append(f"wrote {path}")
    emit(out, args.json, "\n".join(lines))
    return 0


def cmd_emissions(args: argparse.Namespace) -> int:
    if args.mwh is None or args.mwh < 0:
        raise UserError("--mwh 须为非负数 / --mwh must be a non-negative number")
    preset = emissions.get_preset(args.preset)
    res = emissions.convert(args.mwh, preset.id)
    out = {"mwh": args.mwh, "preset": preset.id, "tce": res["tce"], "co2_t": res["co2_t"],
           "tco2_per_mwh": preset.co2_factor(), **preset.fields(), "source": preset.source}
    emit(out, args.json, f"{args.mwh:,.1f} MWh -> {res['tce']:,.1f} tce, {res['co2_t']:,.1f} t CO2  "
                         f"[{preset.id}: {preset.label('en')}]")
    return 0


def cmd_pv_scenarios(args: argparse.Namespace) -> int:
    from cyc_geo import db
    from cyc_geo.pv import scenarios

    conn = db.connect()
    try:
        rows = scenarios.list_scenarios(conn)
    finally:
        conn.close()
    emit(rows, args.json, "\n".join(f"{r['name']}  {r['updated_at']}  {r['updated_by']}" for r in rows) or "(none)")
    return 0


PROGRESS_KEYS = ("goal_mw", "goal_year", "capacity_basis", "installed_mw", "opening_stock", "opening_stock_applied",
                 "ledger_installed_mw", "installed_dc_only_mwp", "by_year", "pipeline_mw", "goal_status", "gap_mw",
                 "by_township", "remaining_potential_mw", "demo")
"""The keys of ``pv progress --json``, in order."""


def progress_payload(as_of: str | None = None) -> dict:
    """``pv progress`` JSON: installed capacity from the ledger (with app edits) against the 70 MW goal."""
    from cyc_geo.places.townships import load_townships
    from cyc_geo.pv import progress
    from cyc_geo.pv.installations import load_ledger
    from cyc_geo.pv.opening_stock import load_opening_stock
    from cyc_geo.pv.rooftops import load_rooftops

    try:
        day = progress.as_of_date(as_of)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    out = progress.progress_summary(load_ledger(), day, load_townships(), load_rooftops(),
                                    opening=load_opening_stock())
    return {k: out[k] for k in PROGRESS_KEYS}


def cmd_pv_progress(args: argparse.Namespace) -> int:
    if "pv_goal_mw" not in profile().plan:
        raise MissingTable("光伏装机目标（规划目标）", "installed-PV goal (plan goals)")
    out = progress_payload(args.as_of)
    demo = "  [演示数据 demo data]" if out["demo"] else ""
    stock = out["opening_stock"]
    opening = ("期初 opening stock: none (progress counts the ledger's rows only; set one: pv opening-stock --set)"
               if stock is None else
               f"期初 {stock['label_zh']} {stock['mw']:.1f} MW ({stock['source']}; {stock['updated_by']})"
               + ("" if out["opening_stock_applied"] else "  [not applied: as-of is before its date]"))
    lines = [
        f"已并网 installed (AC): {out['installed_mw']:.1f} MW  (目标 goal {out['goal_mw']:.0f} MW by {out['goal_year']}, "
        f"{out['goal_status']}, 缺口 gap {out['gap_mw']:.1f} MW){demo}",
        opening,
        f"在建+备案 pipeline: {out['pipeline_mw']:.1f} MW   剩余情景潜力（整县推进最低比例）remaining scenario potential (NEA minimum "
        "shares): "
        f"{out['remaining_potential_mw']:.1f} MW",
        "",
        *(f"{y['year']}  +{y['added_mw']:7.1f}  = {y['cumulative_mw']:7.1f} MW" for y in out["by_year"]),
        "",
        *(f"{t['code']} {t['name']:<6} {t['installed_mw']:8.1f} MW" for t in out["by_township"]),
    ]
    emit(out, args.json, "\n".join(lines))
    return 0


def cmd_pv_opening_stock(args: argparse.Namespace) -> int:
    """``pv opening-stock``: show, set (audited, ``--actor``) or clear the PV opening stock."""
    from cyc_geo import db
    from cyc_geo.pv import opening_stock

    conn = db.connect()
    try:
        if args.set is not None or args.clear:
            if not args.actor:
                raise UserError("--set/--clear 需要 --actor / --set and --clear need --actor (recorded in the audit log)")
            if args.clear:
                opening_stock.clear_opening_stock(conn, args.actor)
            else:
                try:
                    opening_stock.save_opening_stock(conn, args.set, args.as_of, args.source, args.actor)
                except ValueError as exc:
                    raise UserError(str(exc)) from None
        stock = opening_stock.read_opening_stock(conn)
    finally:
        conn.close()
    out = {"opening_stock": None if stock is None else stock.as_dict()}
    text = ("期初容量未设置 / no opening stock" if stock is None else
            f"{stock.label(True)} {stock.mw:.4f} MW (AC)  来源 source: {stock.source}  "
            f"{stock.updated_by} {stock.updated_at}")
    emit(out, args.json, text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pv", help="rooftop PV potential toward the 70 MW goal")
    psub = p.add_subparsers(dest="pv_command", required=True)
    e = command(psub, "estimate", cmd_pv_estimate, help="county estimate with township breakdown")
    e.add_argument("--footprints", help="a planner's footprint file (gpkg, geojson, shp, zip, parquet)")
    e.add_argument("--scenario", help="name of a saved scenario (default: NEA 整县推进 shares)")
    e.add_argument("--preset", choices=list(emissions.PRESETS), help="emission preset (overrides the scenario's)")
    e.add_argument("--engine", choices=["local", "dask"],
                   help="local = in-process pandas, dask = dask.distributed (default: CYC_GEO_ENGINE or engine.toml)")
    e.add_argument("--source", help="GeoParquet file or partition folder, e.g. data/rooftops/scaled_5000000")
    e.add_argument("--xlsx", metavar="FILE", help="also write the PV page's Excel workbook (townships, summary, scenario)")
    e.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the --xlsx workbook")
    add_weather_args(e)
    g = command(psub, "progress", cmd_pv_progress, help="installed PV (ledger) against the 70 MW goal of 2024")
    g.add_argument("--as-of", help="date YYYY-MM-DD (default: today)")
    o = command(psub, "opening-stock", cmd_pv_opening_stock,
                help="the opening stock progress starts from (截至 YYYY 年底累计并网容量, AC MW): show, --set or --clear")
    o.add_argument("--set", type=float, metavar="MW", help="grid-connected capacity (AC MW) on --as-of")
    o.add_argument("--as-of", help="date YYYY-MM-DD the figure is at, e.g. 2021-12-31")
    o.add_argument("--source", help=f"where the figure comes from, e.g. {profile().grid_company_zh}")
    o.add_argument("--actor", help="who enters it (recorded in the audit log)")
    o.add_argument("--clear", action="store_true", help="remove the opening stock (audited)")
    command(psub, "scenarios", cmd_pv_scenarios, help="list saved PV scenarios")
    register_yield(psub)
    m = command(sub, "emissions", cmd_emissions, help="standard coal saved and CO2 avoided for X MWh")
    m.add_argument("--mwh", type=float, required=True)
    m.add_argument("--preset", default=emissions.DEFAULT_PRESET, choices=list(emissions.PRESETS))


# ---------------------------------------------------------------- pv yield


def cmd_pv_yield(args: argparse.Namespace) -> int:
    """``pv yield``: the yield model per roof type (cyc_geo.pv.yield_model.yield_payload)."""
    scenario = _scenario(args.scenario, None, args.weather, args.climate)
    try:
        out = yield_model.yield_payload(resolve_params(scenario))
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from None
    lines = [f"GHI {out['ghi_kwh_m2']:,.0f} kWh/m²·yr ({out['climate']}); plan implies {out['plan_implied_kwh_kwp']:.0f} kWh/kWp "
             f"= {100 * out['plan_vs_lifetime_flat']:.0f} % of the flat roof's {out['lifetime_years']}-year average "
             f"(degradation {out['degradation_pct_per_yr']:g} %/yr); fixed losses x{out['fixed_loss_factor']:.3f}"]
    for t in ROOF_TYPES:
        r = out[t]
        gcr = f", GCR {r['gcr']:.2f}" if r["gcr"] is not None else ""
        lines.append(f"{t:<8} tilt {r['tilt_deg']:.1f}°{gcr}  POA/GHI {r['poa_ghi_ratio']:.3f}  "
                     f"{r['specific_yield_kwh_kwp']:,.0f} kWh/kWp first year, "
                     f"{r['specific_yield_lifetime_kwh_kwp']:,.0f} lifetime average  PR {r['performance_ratio']:.3f}")
    emit(out, args.json, "\n".join(lines))
    return 0


def register_yield(psub: argparse._SubParsersAction) -> None:
    """Add ``pv yield [--scenario NAME] [--json]``."""
    y = command(psub, "yield", cmd_pv_yield, help="specific yield, monthly profile and loss table per roof type")
    y.add_argument("--scenario", help="name of a saved scenario whose parameters to use (default: defaults)")
    add_weather_args(y)


def add_weather_args(parser: argparse.ArgumentParser) -> None:
    """``--weather FILE`` (hourly EPW / PVGIS TMY) and ``--climate CSV`` (monthly means) for the yield model."""
    parser.add_argument("--weather", metavar="FILE",
                        help="hourly weather year for the site: EPW or PVGIS TMY (csv/json); replaces the monthly means")
    parser.add_argument("--climate", metavar="CSV",
                        help="monthly means: month, ghi_kwh_m2_day, t_air_c, t_range_c (like "
                             "data/reference/climate_changyuan.csv), e.g. from the county's 气象局")
