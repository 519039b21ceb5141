"""Export the current map as a standalone HTML file (works offline) and as a PNG.

- :func:`standalone_html` renders a folium map and inlines every local script,
  stylesheet, stylesheet image and served image overlay as text or ``data:`` URIs,
  so the file opens from a USB stick with no server and no network (basemap
  tiles, if any, simply do not load; the vector layers still show).
- :func:`html_to_png` opens that HTML in headless Chromium (Playwright) and takes
  a screenshot of the map.
- :func:`add_title` puts a title, a subtitle (e.g. the demo-data note) and the
  legend on the map itself, so both exports are self-explanatory.

No Streamlit here.
"""

from __future__ import annotations

import base64
import mimetypes
import re
import time
from pathlib import Path

import folium
import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from cyc_geo.mapview.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 - re-exported for callers
from cyc_geo.mapview.legend import LegendSection, legend_html
from cyc_geo.mapview.macro import page_figure
from cyc_geo.mapview.tiles import STATIC_ROOT, STATIC_URL


class TitleControl(MacroElement):
    """A title box at the top of the map (title and an optional note line)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m){
            var c = L.control({position: 'topright'});
            c.onAdd = function(){ var d = L.DomUtil.create('div', 'cyc-map-title');
                d.innerHTML = {{ this.html_js }}; return d; };
            c.addTo(m);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, title: str, note: str = "") -> None:
        super().__init__()
        import html

        from cyc_geo.mapview.safe import script_safe_json

        self._name = "TitleControl"
        body = f"<b>{html.escape(title)}</b>"
        if note:
            body += f'<div class="cyc-map-note">{html.escape(note)}</div>'
        self.html_js = script_safe_json(body)


TITLE_CSS = (
    "<style>.cyc-map-title{background:rgba(255,255,255,.93);padding:6px 10px;border-radius:5px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.35);font:15px/1.4 'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;"
    "max-width:420px}.cyc-map-note{font-size:12px;color:#a15c00;margin-top:2px}"
    # an exported map's legend may use the whole window's height (the app's map keeps it to 46 %)
    ".cyc-legend{max-height:calc(100vh - 110px)}</style>"
)

PNG_KEEP = (".cyc-legend-ctl", ".cyc-map-title", ".leaflet-control-scale", ".leaflet-control-attribution")
"""Map controls a PNG keeps (legend, title, scale bar, attribution); every other control (zoom, full
screen, measure, search, copy link, fit to county …) is removed before the shot."""

_PNG_PREPARE = """
(keep) => {
    document.querySelectorAll('.leaflet-control').forEach(c => { if (!c.matches(keep)) { c.remove(); } });
    const leg = document.querySelector('.cyc-legend');
    let need = 0;
    if (leg) {
        leg.style.maxHeight = 'none'; leg.style.overflow = 'visible';
        const box = leg.getBoundingClientRect(), corner = leg.closest('.leaflet-bottom, .leaflet-top');
        const title = document.querySelector('.cyc-map-title');
        need = Math.ceil(box.height + 24 + (corner && corner.classList.contains('leaflet-top') && title
            ? title.getBoundingClientRect().height + 10 : 0) + 40);  // + scale bar and margins
    }
    return need;
}
"""

_PNG_REPORT = """
() => {
    const leg = document.querySelector('.cyc-legend'), b = leg ? leg.getBoundingClientRect() : null;
    return {viewport: [window.innerWidth, window.innerHeight],
            legend: b ? [b.left, b.top, b.right, b.bottom] : null,
            legend_scroll: leg ? [leg.scrollHeight, leg.clientHeight] : null,
            controls: Array.from(document.querySelectorAll('.leaflet-control')).map(c => c.className)};
}
"""


def add_title(fmap: folium.Map, title: str, note: str = "", legend: list[LegendSection] | None = None,
              legend_heading: str = "") -> folium.Map:
    """Title box, demo-data note and (static) legend for an exported map."""
    TitleControl(title, note).add_to(fmap)
    page_figure(fmap).header.add_child(folium.Element(TITLE_CSS))
    if legend:
        from cyc_geo.mapview.webmap import LegendControl

        LegendControl(legend_html(legend, legend_heading)).add_to(fmap)
    return fmap


def _local_path(url: str, static_root: Path) -> Path | None:
    """The file behind a ``/app/static/...`` URL, if it exists."""
    if not url.startswith(STATIC_URL + "/"):
        return None
    path = static_root / url[len(STATIC_URL) + 1 :].split("?")[0]
    return path if path.is_file() else None


def data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _inline_css(css: str, css_path: Path) -> str:
    """Replace relative ``url(...)`` references in a stylesheet with data URIs."""

    def repl(m: re.Match) -> str:
        ref = m.group(2)
        if ref.startswith(("data:", "http:", "https:", "#")):
            return m.group(0)
        target = (css_path.parent / ref.split("?")[0].split("#")[0]).resolve()
        return f"url({data_uri(target)})" if target.is_file() else m.group(0)

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", repl, css)


def inline_assets(html: str, static_root: Path = STATIC_ROOT) -> str:
    """Inline the app's own scripts, stylesheets and images (``/app/static/...``) into ``html``.

    Raises ``FileNotFoundError`` naming the asset if a referenced local file is
    missing (run ``python scripts/fetch_web_assets.py``), so an export never
    silently depends on the server.
    """

    def script(m: re.Match) -> str:
        path = _local_path(m.group(1), static_root)
        if path is None:
            raise FileNotFoundError(f"map asset missing: {m.group(1)}")
        code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def link(m: re.Match) -> str:
        path = _local_path(m.group(1), static_root)
        if path is None:
            raise FileNotFoundError(f"map asset missing: {m.group(1)}")
        return f"<style>{_inline_css(path.read_text(encoding='utf-8'), path)}</style>"

    def image(m: re.Match) -> str:
        path = _local_path(m.group(2), static_root)
        return f"{m.group(1)}{data_uri(path)}{m.group(3)}" if path else m.group(0)

    html = re.sub(r'<script\s+src="(/app/static/[^"]+)"\s*>\s*</script>', script, html)
    html = re.sub(r'<link\s+rel="stylesheet"\s+href="(/app/static/[^"]+)"\s*/?>', link, html)
    html = re.sub(r'(["\'])(/app/static/[^"\']+\.(?:png|jpg|jpeg|svg))(["\'])', image, html)
    return html


def standalone_html(fmap: folium.Map, static_root: Path = STATIC_ROOT) -> str:
    """The whole map as one offline HTML document (UTF-8)."""
    html = fmap.get_root().render()
    return inline_assets(html, static_root)


EXPORT_ORIGIN = "http://cyc-geo-export.invalid"
"""Origin the server's headless browser loads an exported map from (answered in-process, never
resolved): the page is not a ``file://`` document, so it cannot read local files."""


def _static_file(url: str, static_root: Path) -> Path | None:
    """The app's own static file behind ``EXPORT_ORIGIN + /app/static/...`` (none outside ``static_root``)."""
    prefix = EXPORT_ORIGIN + STATIC_URL + "/"
    if not url.startswith(prefix):
        return None
    root = static_root.resolve()
    path = (root / url[len(prefix):].split("?")[0].split("#")[0]).resolve()
    return path if root in path.parents and path.is_file() else None


def html_to_png(html: str, width: int = 1400, height: int = 900, settle_s: float = 0.3,
                timeout_s: float = 60.0, blocked: list[str] | None = None,
                static_root: Path = STATIC_ROOT, report: dict | None = None) -> bytes:
    """Screenshot of an HTML map in headless Chromium (Debian's ``/usr/bin/chromium``).

    The browser is sandboxed to the map (docs/sources.md, "Security defaults"): the page is
    served from :data:`EXPORT_ORIGIN` by request interception, not opened from a file, so
    ``file://`` loads are refused by Chromium; every request but the page itself and the
    app's own static files is aborted at once (so an offline machine does not wait for basemap
    tiles, and nothing in the data can reach the network). The URLs refused are appended to
    ``blocked`` when given. The vector layers, title and legend are rendered as on screen.

    The shot is taken once the map exists, the network has been quiet for 0.5 s (Playwright's
    ``networkidle``: static vector tiles have loaded) and ``settle_s`` more seconds have passed.
    The browser is the one kept by :mod:`cyc_geo.mapview.browser` (launched on the first export);
    each shot gets a fresh context.

    A picture is not a map to click: the interactive controls are removed (all but :data:`PNG_KEEP`),
    and the legend is shown whole (no scroll box): when it needs more than ``height`` pixels, the
    picture is made taller. ``report`` (a dict) receives the page's viewport, the legend's box and the
    controls left, as the shot saw them (for tests).
    """
    from cyc_geo.mapview import browser as kept

    page_url = EXPORT_ORIGIN + "/map.html"
    refused = blocked if blocked is not None else []

    def handle(route) -> None:
        url = route.request.url
        if url.split("#")[0] == page_url:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            return
        path = _static_file(url, static_root)
        if path is not None:
            route.fulfill(status=200, path=str(path))
            return
        refused.append(url)
        route.abort("blockedbyclient")

    def failed(request) -> None:  # loads Chromium itself refused (file://), never routed
        if request.url not in refused:
            refused.append(request.url)

    def shoot(browser) -> bytes:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      service_workers="block", accept_downloads=False)
        try:
            context.route("**/*", handle)
            page = context.new_page()
            page.on("requestfailed", failed)
            page.goto(page_url, timeout=timeout_s * 1000)
            page.wait_for_selector(".leaflet-container", timeout=timeout_s * 1000)
            page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
            need = int(page.evaluate(_PNG_PREPARE, ", ".join(PNG_KEEP)) or 0)
            if need > height:
                page.set_viewport_size({"width": width, "height": need})
                page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
            time.sleep(settle_s)
            if report is not None:
                report.update(page.evaluate(_PNG_REPORT))
            return page.screenshot(full_page=False)
        finally:
            context.close()

    return kept.run(shoot, timeout_s=timeout_s * 3)


def view_bounds(lat: float, lon: float, zoom: float, width_px: int = 1400, height_px: int = 900) -> tuple[float, float, float, float]:
    """(west, south, east, north) seen by a ``width_px`` × ``height_px`` map at a web-mercator zoom.

    Uses the ground size of a pixel, 156,543.03 m × cos φ / 2^z, and the local length of
    a degree (111,320 m of latitude; × cos φ of longitude): accurate to a few percent
    over a county-sized view, enough to pick the features an export should carry.
    """
    m_per_px = 156_543.03392 * np.cos(np.radians(lat)) / 2.0**zoom
    half_w = width_px / 2 * m_per_px / (111_320.0 * np.cos(np.radians(lat)))
    half_h = height_px / 2 * m_per_px / 111_320.0
    return lon - half_w, lat - half_h, lon + half_w, lat + half_h
