"""The map as of a year, and the one compare control of the map (swipe divider between two sides).

- **Year**: with a year Y the map draws every layer as of Y (:func:`cyc_geo.catalog.vintages.layer_for_year`:
  the installations connected by 31 Dec of Y, the land cover and forest of Y) and says which layers have no
  version of Y ("沿用 2022 年数据"). :data:`MAP_YEARS` are the years offered; the URL keeps them (``year``,
  ``cmp``; :func:`parse_years`).
- **Compare**: two sides, ``a`` (left of the divider) and ``b`` (right), each drawn in its own map panes
  (:func:`side_panes`), clipped by the Leaflet side-by-side plugin (``static/vendor/leaflet-side-by-side``,
  pinned in ``scripts/fetch_web_assets.py``). What the sides hold is the caller's: two years (the year
  control), two layers or two PV scenarios (the URL's ``swipe``, :func:`parse_swipe`) — :class:`Compare` names
  them, :class:`SwipeControl` only clips panes.
- **Change layer** between two years (:mod:`cyc_geo.planning.change`): :func:`change_layer_def`,
  :func:`change_frame`, :func:`change_legend`.

No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
from jinja2 import Template

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.mapview.legend import LegendSection
from cyc_geo.mapview.macro import VerbatimMacro
from cyc_geo.mapview.safe import script_safe_json
from cyc_geo.planning import change as chg

MAP_YEARS = (2021, 2022, 2023, 2024)
"""Years of the map's year control: the plan's base year 2021 (附件1's first column) and the pilot years
2022–2024 (docs/sources.md, "The map by year and the change between two years"; the demo's land cover has a
version for each, "Demo vintages")."""

SIDES = ("a", "b")
AGG_PANE, DETAIL_PANE, OVERLAY_PANE = "cycAgg", "cycDetail", "overlayPane"
"""The panes a side's panes nest in (:data:`cyc_geo.mapview.webmap.AGG_PANE`, ``DETAIL_PANE``, Leaflet's
overlay pane), so the zoom rule hiding hexagons at building zoom holds for both sides."""
TOP_PANE = "cycCompareTop"
"""Pane above both sides (in the overlay pane, z-index 1 there): what is drawn over both, the change layer."""


def parse_years(query: Mapping[str, str]) -> tuple[int | None, int | None]:
    """``(year, compare_year)`` from the URL's ``year`` and ``cmp``: a year of :data:`MAP_YEARS`, else None
    (the map of today); ``cmp`` only with a year and different from it. Malformed values are ignored."""

    def one(key: str) -> int | None:
        text = str(query.get(key, "")).strip()
        return int(text) if text.isdigit() and int(text) in MAP_YEARS else None

    year, other = one("year"), one("cmp")
    if year is None or other == year:
        other = None
    return year, other


def years_query(year: int | None, compare: int | None) -> dict[str, str]:
    """The URL parameters of :func:`parse_years` (empty for the map of today)."""
    if year is None:
        return {}
    return {"year": str(year), **({"cmp": str(compare)} if compare is not None and compare != year else {})}


def varies_by_year(layer: LayerDef) -> bool:
    """Whether the map draws ``layer`` differently by year: it declares a ``year_frame``, or it is a raster
    layer (its version of the year is another file)."""
    return bool(layer.year_frame) or layer.geometry == "raster"


def side_panes(side: str) -> dict[str, str]:
    """Pane names of a compare side: ``agg`` (hexagons), ``detail`` (vector tiles), ``over`` (vector layers
    and raster overlays)."""
    s = side.upper()
    return {"agg": f"cycAgg{s}", "detail": f"cycDetail{s}", "over": f"cycOver{s}"}


SWIPE_KINDS = ("layers", "scenarios")
"""What the URL's ``swipe`` compares besides two years: two visible layers, or two PV adoption scales of the
rooftop potential layer."""
PCT_MAX, PCT_STEP = 200, 10
"""Adoption scale (% of the NEA county-wide minimum shares) of the map's PV knob: 0–200 in steps of 10, as the
page's ``pvpct`` (docs/sources.md, "NEA rooftop shares", NEA 2021)."""


@dataclass(frozen=True)
class SwipeChoice:
    """Two layers (``kind`` ``"layers"``, ``a`` / ``b`` layer ids) or two PV scenarios (``"scenarios"``, ``a`` /
    ``b`` adoption scales in % as text) left and right of the divider."""

    kind: str
    a: str
    b: str

    @property
    def pcts(self) -> tuple[int, int]:
        """The two adoption scales (%) of a ``"scenarios"`` choice."""
        return int(self.a), int(self.b)


def _pct(text: str) -> str | None:
    text = text.strip()
    return str(int(text)) if text.isdigit() and int(text) <= PCT_MAX and int(text) % PCT_STEP == 0 else None


def parse_swipe(query: Mapping[str, str], known_layers: list[str] | None = None) -> SwipeChoice | None:
    """The URL's ``swipe``: ``layers:<left id>,<right id>`` or ``scenarios:<left %>,<right %>``; None when absent,
    malformed, naming an unknown layer or a scale off the knob's steps, or the same thing twice. Two years
    (``cmp``) take precedence: with them the swipe is None."""
    if parse_years(query)[1] is not None:
        return None
    kind, _, rest = str(query.get("swipe", "")).partition(":")
    parts = rest.split(",")
    if kind not in SWIPE_KINDS or len(parts) != 2:
        return None
    if kind == "layers":
        a, b = (x.strip() for x in parts)
        ok = bool(a) and bool(b) and (known_layers is None or (a in known_layers and b in known_layers))
    else:
        a, b = (_pct(x) or "" for x in parts)
        ok = bool(a) and bool(b)
    return SwipeChoice(kind, a, b) if ok and a != b else None


def swipe_query(choice: SwipeChoice | None) -> dict[str, str]:
    """The URL parameter of :func:`parse_swipe` (empty without a choice)."""
    return {"swipe": f"{choice.kind}:{choice.a},{choice.b}"} if choice is not None else {}


@dataclass(frozen=True)
class Compare:
    """What the two sides of the map show: ``kind`` ``"years"`` (or ``"layers"`` / ``"scenarios"``) and the
    label of each side, drawn above the divider."""

    kind: str
    label_a: str
    label_b: str


class SwipeControl(VerbatimMacro):
    """The compare control: creates each side's panes and clips them at a draggable divider
    (``L.control.sideBySide``), and the pane :data:`TOP_PANE` over both sides. Add it to the first feature group
    of the map, before the layers drawn in these panes; removing the group removes the control and the clipping."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(g, m){
            var sides = {{ this.panes_js }}, labels = {{ this.labels_js }};
            function panes(side){ return sides[side].map(function(x){
                return m.getPane(x[0]) || m.createPane(x[0], m.getPane(x[1])); }); }
            // one "layer" per side for the plugin: it clips the side's panes (the plugin clips one container)
            var PaneSet = L.Layer.extend({
                initialize: function(list){ var st = {}; this._st = st;
                    Object.defineProperty(st, 'clip', {set: function(v){ list.forEach(function(p){ p.style.clip = v; }); }});
                },
                onAdd: function(){}, onRemove: function(){ this._st.clip = ''; },
                getContainer: function(){ return {style: this._st}; }
            });
            var left = new PaneSet(panes('a')), right = new PaneSet(panes('b')), ctl = null, box = null;
            function on(){
                if (ctl || !L.control.sideBySide) { return; }
                left.addTo(m); right.addTo(m);
                ctl = L.control.sideBySide(left, right).addTo(m);
                box = L.DomUtil.create('div', 'cyc-sbs-labels', ctl._container);
                var a = L.DomUtil.create('span', 'cyc-sbs-a', box), b = L.DomUtil.create('span', 'cyc-sbs-b', box);
                a.textContent = labels[0]; b.textContent = labels[1];
                function place(e){ a.style.right = (m.getSize().x - e.x + 8) + 'px'; b.style.left = (e.x + 8) + 'px'; }
                ctl.on('dividermove', place); place({x: ctl.getPosition()});
                m.getContainer().setAttribute('data-cyc-compare', labels.join('|'));
            }
            function off(){ if (!ctl) { return; } ctl.remove(); ctl = null; m.removeLayer(left); m.removeLayer(right);
                m.getContainer().removeAttribute('data-cyc-compare'); }
            panes('a'); panes('b');
            if (!m.getPane({{ this.top_js }})) { m.createPane({{ this.top_js }}, m.getPane('overlayPane')).style.zIndex = 1; }
            g.on('add', on); g.on('remove', off);
            if (g._map || m.hasLayer(g)) { on(); }
        })({{ this._parent.get_name() }}, {{ this._parent._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, compare: Compare) -> None:
        super().__init__()
        self._name = "SwipeControl"
        parents = {"agg": AGG_PANE, "detail": DETAIL_PANE, "over": OVERLAY_PANE}
        self.panes_js = script_safe_json({s: [[name, parents[k]] for k, name in side_panes(s).items()] for s in SIDES})
        self.labels_js = script_safe_json([compare.label_a, compare.label_b])
        self.top_js = script_safe_json(TOP_PANE)


SWIPE_CSS = (
    ".cyc-sbs-labels span{position:absolute;top:8px;z-index:1000;background:rgba(255,255,255,.9);padding:1px 6px;"
    "border-radius:3px;font:600 13px 'Noto Sans CJK SC','Noto Sans SC',sans-serif;color:#222;"
    "box-shadow:0 1px 3px rgba(0,0,0,.3);pointer-events:none}"
)
"""Style of the side labels above the divider."""


# ---------------------------------------------------------------- the change layer


def change_layer_def() -> LayerDef:
    """How the change layer is drawn: area kinds filled in their colour (farmland lost as an outline, over the
    forest gained it often lies under), new installations as points; tooltip: what changed and its figures."""
    colours = {k: ("transparent" if k == chg.FARMLAND_LOST else c) for k, c in chg.COLOURS.items()}
    return LayerDef(
        id="change", title_zh="变化图层", title_en="Change layer", geometry="polygon", source="-",
        tooltip=("what", "area_ha", "name", "capacity_kw", "date"),
        tooltip_labels_zh=("变化", "合计面积(ha)", "项目名称", "装机容量(kW)", "并网日期"),
        tooltip_labels_en=("Change", "Total area (ha)", "Name", "Capacity (kW)", "Connected"),
        style={"color": "#333333", "weight": 1, "fill_opacity": 0.55, "category_field": "kind",
               "category_colors": colours, "stroke_col": "_stroke"},
    )


def change_frame(change: chg.Change, lang: str) -> gpd.GeoDataFrame:
    """The change's features as the change layer draws them (``what`` in ``lang``, ``_stroke`` colour)."""
    out = change.features.copy()
    i = 0 if lang == "zh" else 1
    out["what"] = [chg.LABELS[k][i] for k in out["kind"]]
    out["_stroke"] = [chg.COLOURS[chg.FARMLAND_LOST] if k == chg.FARMLAND_LOST else "#333333" for k in out["kind"]]
    for col in ("area_ha", "capacity_kw"):
        out[col] = out[col].astype(float).round(2)
    for col in ("name", "date"):
        out[col] = out[col].fillna("")
    return out


def change_legend(change: chg.Change, lang: str) -> LegendSection:
    """The change layer's legend: one row per kind with its total (MW, ha, 亩)."""
    zh = lang == "zh"
    title = f"变化图层 {change.year_a}→{change.year_b}" if zh else f"Change layer {change.year_a}→{change.year_b}"
    return LegendSection(title, chg.legend_rows(change, lang))
