"""``evaluation`` command: the annual evaluation of the indicators (年度评估) as Excel (附件1 layout) or PDF.

Examples::

    python -m cyc_geo evaluation --year 2024 --out out/评估2024.xlsx
    python -m cyc_geo evaluation --pilot --out out/试点期评估.pdf
"""

from __future__ import annotations

import argparse

from cyc_geo import db
from cyc_geo.cli import UserError, command, emit
from cyc_geo.indicators import evaluation
from cyc_geo.indicators.catalogue import YEARS, load_catalogue


def cmd_evaluation(args: argparse.Namespace) -> int:
    if (args.year is None) == (not args.pilot):
        raise UserError("请给出 --year YEAR 或 --pilot / give --year YEAR or --pilot")
    years = YEARS if args.pilot else (args.year,)
    cat = load_catalogue()
    conn = db.connect()
    try:
        long = evaluation.evaluate_years(years, conn, catalogue=cat)
    finally:
        conn.close()
    demo = evaluation.inputs_demo()
    try:
        path = evaluation.write(args.out, long, cat, demo, args.lang)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    counts = long.groupby("year")["status"].value_counts().unstack(fill_value=0)
    doc = {"out": str(path), "years": list(years), "demo": demo,
           "status_counts": {str(y): {k: int(v) for k, v in r.items()} for y, r in counts.iterrows()}}
    emit(doc, args.json, f"wrote {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "evaluation", cmd_evaluation,
                help="annual evaluation of the indicators: Excel in the 附件1 layout or a printable PDF")
    p.add_argument("--year", type=int, choices=YEARS, help="evaluate one year")
    p.add_argument("--pilot", action="store_true", help="evaluate the whole pilot 2022–2024")
    p.add_argument("--out", required=True, metavar="FILE.xlsx|FILE.pdf", help="where to write the report")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the header labels (default zh)")
