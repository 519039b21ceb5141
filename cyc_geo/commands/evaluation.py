"""``evaluation`` command: the annual evaluation of the indicators (年度评估) as Excel (附件1 layout) or PDF.

Examples::

    python -m cyc_geo evaluation --year 2024 --out out/评估2024.xlsx
    python -m cyc_geo evaluation --pilot --out out/试点期评估.pdf
    python -m cyc_geo evaluation --year 2023 --format docx --out out/2023年度评估.docx --lang en

Excel is the 附件1-layout scorecard (:mod:`cyc_geo.indicators.evaluation`); Word and PDF are the 年度评估
report (:mod:`cyc_geo.indicators.annual_report`: 一、总体进展 … 六、下一步工作 and the annex maps).
"""

from __future__ import annotations

import argparse

from cyc_geo import db
from cyc_geo.cli import UserError, command, emit
from cyc_geo.indicators import evaluation
from cyc_geo.indicators.catalogue import YEARS, load_catalogue

FORMATS = ("xlsx", "pdf", "docx")


def _target(args: argparse.Namespace, years: tuple[int, ...]) -> tuple[str, str]:
    """(format, output path) from ``--format`` and ``--out`` (the suffix decides when no format is given)."""
    from pathlib import Path

    fmt = args.format or (Path(args.out).suffix.lower().lstrip(".") if args.out else "xlsx")
    if fmt not in FORMATS:
        raise UserError(f"格式须为 {FORMATS} 之一 / format must be one of {FORMATS}, not {fmt!r}")
    label = f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}"
    out = args.out or f"out/evaluation_{label}_{args.lang}.{fmt}"
    if Path(out).suffix.lower() != f".{fmt}":
        raise UserError(f"--out 的扩展名须为 .{fmt} / --out must end in .{fmt}: {out}")
    return fmt, out


def _report(args: argparse.Namespace, years: tuple[int, ...], fmt: str, out: str) -> int:
    """Word or PDF: the 年度评估 report with the annex maps."""
    from cyc_geo.indicators import annual_report as ar

    cat = load_catalogue()
    demo = evaluation.inputs_demo()
    conn = db.connect()
    try:
        inputs = ar.evaluation_inputs(years, conn, cat, demo, as_of=args.as_of)
    finally:
        conn.close()
    report = ar.build(inputs, years, args.lang)
    maps = [] if args.no_maps else ar.annex_maps(args.lang)
    path = ar.write(out, report, maps)
    long = inputs.long[inputs.long["year"].isin(years)]
    counts = long.groupby("year")["status"].value_counts().unstack(fill_value=0)
    doc = {"out": str(path), "format": fmt, "years": list(years), "demo": demo, "headings": report.headings(),
           "status_counts": {str(y): {k: int(v) for k, v in r.items()} for y, r in counts.iterrows()}}
    emit(doc, args.json, f"wrote {path}")
    return 0


def cmd_evaluation(args: argparse.Namespace) -> int:
    if (args.year is None) == (not args.pilot):
        raise UserError("请给出 --year YEAR 或 --pilot / give --year YEAR or --pilot")
    years = tuple(YEARS) if args.pilot else (args.year,)
    fmt, out = _target(args, years)
    if fmt != "xlsx":
        return _report(args, years, fmt, out)
    args.out = out
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
    p.add_argument("--out", default=None, metavar="FILE.xlsx|FILE.pdf|FILE.docx",
                   help="where to write (default out/evaluation_<years>_<lang>.<format>)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="xlsx: the 附件1 scorecard; pdf / docx: the 年度评估 report (default: from --out, else xlsx)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (default zh)")
    p.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                   help="date of PV's 'what it would take' (default: the ledger's latest grid connection, not after the year's end)")
    p.add_argument("--no-maps", action="store_true", help="leave out the annex maps (faster)")
