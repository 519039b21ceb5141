"""``indicators`` command: the 18 pilot indicators (附件1) with target, actual value and status.

Examples::

    python -m cyc_geo indicators --year 2024 --json
    python -m cyc_geo indicators --year 2023 --export out/indicators_2023.xlsx
    python -m cyc_geo indicators --year 2024 --set 1=7.8 --actor 张三 --note "统计公报"
"""

from __future__ import annotations

import argparse
import math

from cyc_geo import db
from cyc_geo.cli import UserError, emit
from cyc_geo.indicators.catalogue import (
    YEARS,
    SpatialValue,
    ValidationError,
    evaluate,
    load_catalogue,
    save_values,
    spatial_values,
    validate_entries,
)
from cyc_geo.indicators.export import export


def _num(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _save_set_values(conn, args: argparse.Namespace, cat) -> None:
    """Store the ``--set NO=VALUE`` values for ``--year`` (audited as ``--actor``)."""
    if not args.actor:
        raise UserError("--set 需要 --actor / --set needs --actor (who reports the value)")
    entries = []
    for item in args.set:
        no, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--set 格式为 序号=数值 / --set expects NO=VALUE, got {item!r}")
        entries.append({"no": no.strip(), "year": args.year, "value": value, "note": args.note})
    from cyc_geo.indicators import text_goals

    try:
        annex = [e for e in entries if not text_goals.is_goal(e["no"])]
        goals = [e for e in entries if text_goals.is_goal(e["no"])]
        validate_entries(goals, text_goals.as_catalogue())  # both checked before either is written
        changed = save_values(conn, annex, args.actor, cat) + text_goals.save_values(conn, goals, args.actor)
    except ValidationError as exc:
        raise UserError("; ".join(exc.errors)) from exc
    if not args.json:
        print(f"saved {changed} value(s) for {args.year}")


def _figure(v) -> dict | None:
    """A row figure (:class:`~cyc_geo.indicators.catalogue.ReportedValue`, ``MapEstimate`` or ``ReferenceFigure``)
    as JSON, None when absent."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v.as_dict()


SCORED = {"reported": "reported", "spatial": "map_estimate", "derived": "derived", "none": None}
"""``scored`` of a JSON row: which figure the status used (``value_source`` in the row's own words)."""


def _row(r) -> dict:
    """One evaluated indicator as a JSON row: ``actual`` (the same as ``value``) is the figure the status used,
    ``scored`` names it (reported / map_estimate / derived / null); ``reported`` and ``map_estimate`` are shown
    whether scored or not; ``reference`` is a figure beside the indicator, never scored."""
    return {
        "no": int(r.no),
        "name": r.name,
        "name_en": r.name_en,
        "unit": r.unit,
        "baseline": _num(r.baseline),
        "target": _num(r.target),
        "value": _num(r.value),
        "actual": _num(r.value),
        "status": r.status,
        "status_en": r.status_en,
        "reference_path": _num(r.reference_path),
        "source": r.source,
        "value_source": r.value_source,
        "direction": r.direction,
        "reason": r.reason,
        "data_year": None if r.data_year is None or math.isnan(r.data_year) else int(r.data_year),
        "entered_by": r.entered_by or None,
        "entered_at": r.entered_at or None,
        "scored": SCORED.get(r.value_source),
        "reported": _figure(r.reported),
        "map_estimate": _figure(r.map_estimate),
        "reference": _figure(r.reference),
    }


def _warnings(args: argparse.Namespace, conn, spatial, cat, ev) -> dict[int, dict]:
    """Per indicator: ``warning`` (normal/watch/alert, :mod:`cyc_geo.indicators.warning`), its basis and the
    amount still needed; for PV (#19) ``needed_mw`` and ``needed_per_month_mw`` from the ledger at ``--as-of``."""
    import pandas as pd

    from cyc_geo.indicators import warning

    earlier = [evaluate(y, conn, spatial, cat) for y in YEARS if y < args.year]
    long = pd.concat([*earlier, ev], ignore_index=True)
    out: dict[int, dict] = {}
    for no, w in warning.warnings(long, cat, args.year).items():
        out[no] = {"warning": w.status, "warning_zh": w.label("zh"), "warning_basis": w.basis[1],
                   "projected_2024": _num(w.projected), "needed_to_target": _num(w.needed)}
    if warning.PV_INDICATOR in out and not args.no_spatial:
        try:
            need = warning.pv_needed_now(args.as_of, args.year)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        out[warning.PV_INDICATOR].update({
            "as_of": need.as_of.date().isoformat(), "installed_at_as_of_mw": round(need.installed_mw, 3),
            "needed_mw": round(need.needed_mw, 3), "months_left": round(need.months_left, 2),
            "needed_per_month_mw": None if need.per_month_mw is None else round(need.per_month_mw, 3)})
    return out


def cmd_indicators(args: argparse.Namespace) -> int:
    cat = load_catalogue()
    conn = db.connect()
    try:
        if args.set:
            _save_set_values(conn, args, cat)
        spatial = (
            {int(n): SpatialValue(None, "空间计算已跳过 / skipped (--no-spatial)") for n in cat.index[cat["source"] == "spatial"]}
            if args.no_spatial
            else spatial_values(cat, years=(args.year,))
        )
        ev = evaluate(args.year, conn, spatial, cat)
        early = _warnings(args, conn, spatial, cat, ev)
    finally:
        conn.close()
    if args.export:
        from cyc_geo.catalog.loader import load_layer
        from cyc_geo.catalog.provenance import provenance_of
        from cyc_geo.catalog.registry import load_registry

        demo = any(provenance_of(load_layer(layer)).demo for layer in load_registry() if layer.feeds_indicators)
        path = export(ev, cat, args.export, demo=demo)
        if not args.json:
            print(f"wrote {path}")
    shown = ev[["no", "name", "unit", "baseline", "target", "value", "status", "value_source"]].copy()
    shown["value_source"] = shown["value_source"].map(SCORED)
    shown["reported"] = [None if f is None else f.value for f in ev["reported"]]
    shown["map_estimate"] = [None if f is None else f.value for f in ev["map_estimate"]]
    shown["map_data_year"] = [None if f is None else f.data_year for f in ev["map_estimate"]]
    text = shown.rename(columns={"value": "actual", "value_source": "scored"}).to_string(index=False)
    refs = [f"#{int(n)} {f.name_zh}: {f.value:.2f} {f.unit} — {f.definition_zh}"
            for n, f in zip(ev["no"], ev["reference"], strict=True) if f is not None]
    text = "\n".join([text, *refs])
    emit([{**_row(r), **early.get(int(r.no), {})} for r in ev.itertuples(index=False)], args.json, text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("indicators", help="the 18 pilot indicators (附件1): target, actual value, status 达标/未达标/无数据")
    p.add_argument("--year", type=int, default=YEARS[-1], choices=YEARS, help="target year (default %(default)s)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {no, name, unit, target, actual, status, scored, reported, map_estimate, ...}")
    p.add_argument("--no-spatial", action="store_true", help="skip map-computed indicators (forest sink/stock, PV capacity)")
    p.add_argument("--export", metavar="PATH", help="also write the 附件1-layout table to PATH (.xlsx or .csv)")
    p.add_argument("--set", action="append", metavar="NO=VALUE", help="store a reported value for --year (repeatable)")
    p.add_argument("--actor", help="who reports the values (recorded in the audit log)")
    p.add_argument("--note", default="", help="note stored with --set values (e.g. the statistical source)")
    p.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                   help="date of PV's 'what it would take' (default: the ledger's latest grid connection, not after today "
                        "nor after the end of --year)")
    p.set_defaults(func=cmd_indicators)
