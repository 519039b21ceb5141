"""``locate`` command: what a search text names — a coordinate (decimal degrees, 度分秒, CGCS2000 3-degree X/Y with
or without the zone prefix) or a feature by parcel number, installation, project or place name
(:mod:`cyc_geo.mapview.locate`).

Examples::

    python -m cyc_geo locate "38 3896993 561925" --json
    python -m cyc_geo locate "114°40'48\\"E 35°12'N"
    python -m cyc_geo locate 0001 --json                # a parcel number (BSM / 图斑编号)
"""

from __future__ import annotations

import argparse

from cyc_geo.cli import UserError, command, emit


def locate_payload(query: str) -> dict:
    """The ``locate QUERY --json`` document: the query and its hits (exact first)."""
    from cyc_geo.mapview.locate import locate

    hits = locate(query)
    return {"query": query, "hits": [h.to_dict() for h in hits]}


def cmd_locate(args: argparse.Namespace) -> int:
    out = locate_payload(args.query)
    if not out["hits"]:
        raise UserError(f"未找到 {args.query!r} / nothing matches {args.query!r}")
    text = "\n".join(f"{h['kind']:<10} {h['layer'] or '':<16} {h['value'] or '':<24} {h['lon']:.6f}, {h['lat']:.6f}"
                     for h in out["hits"])
    emit(out, args.json, text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "locate", cmd_locate,
                help="find a coordinate (degrees, 度分秒, CGCS2000 X/Y) or a parcel / installation / project / place")
    p.add_argument("query", help="the search text")
