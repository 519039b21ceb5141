"""Printable PDF reports with Chinese text kept as text (fpdf2, WenQuanYi Micro Hei embedded as a subset).

``PdfReport`` is the one way the project writes a PDF: it opens with the export's title and
header block (``ExportMeta``), puts the demo note on every page while any input is demo, and
numbers every page with the export date. The font comes from Debian's ``fonts-wqy-microhei``
(installed by ``scripts/setup.sh``); without it the report refuses with a clear error rather than
printing empty boxes.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, cast

import pandas as pd
from fpdf import FPDF
from fpdf import image_parsing as fpdf_images
from fpdf.enums import XPos, YPos

from cyc_geo.exports.excel import header_label
from cyc_geo.exports.meta import DEMO_NOTE, MISSING, ExportMeta, fmt

FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
"""Chinese fonts with TrueType outlines (Debian ``fonts-wqy-microhei``, else ``fonts-wqy-zenhei``).
Noto Sans CJK is CFF-based: fpdf2 embeds it so that text extractors (pypdf, pdfminer) read
nothing back, i.e. the PDF would not be searchable. See docs/sources.md, "PDF fonts"."""

FAMILY = "cjk"

IMAGE_ZLIB_LEVEL = 3
"""zlib level of the images the PDFs embed (the maps): fpdf2's setting is process-wide and defaults to zlib's 6.
Level 3 compresses an A3 atlas map in a third of the time for a fifth more bytes (docs/sources.md, "PDF images")."""
fpdf_images.SETTINGS.compression_level = IMAGE_ZLIB_LEVEL


def cjk_font_file() -> Path:
    """The TrueType CJK font collection to embed; ``RuntimeError`` if none is installed."""
    for f in FONT_FILES:
        if f.exists():
            return f
    raise RuntimeError("Chinese PDF font not found: install Debian's fonts-wqy-microhei "
                       "(apt-get install fonts-wqy-microhei) / 未找到中文字体")


LINE_START_FORBIDDEN = frozenset("。，、；：？！）》」』】〕〉”’…—·%‰,.;:?!)]}")
"""Characters a Chinese line must not start with (closing punctuation; docs/sources.md, "Chinese line breaking")."""
LINE_END_FORBIDDEN = frozenset("（《「『【〔〈“‘([{")
"""Characters a Chinese line must not end with (opening punctuation; docs/sources.md, "Chinese line breaking")."""
_TOKEN = re.compile(r"[!-~]+|\s|.", re.S)
"""A run of printable ASCII (a number, code or Latin word, kept whole), one space, or one other character."""


def cjk_lines(pdf: FPDF, text: str, width: float) -> str:
    """``text`` with a line break wherever ``multi_cell(width, …)`` in the current font would wrap it, placed by
    the Chinese rules: no line starts with closing punctuation (the character before it goes down with it) or
    ends with opening punctuation, and a number or Latin word is not split when it fits on a line.

    fpdf2's character wrap breaks before any character ("…《标点符号用法》" then "）" alone at the start of the
    next line); its word wrap needs spaces. ``width`` in mm, the cell margins taken off as ``multi_cell`` does.
    Pass the result to ``multi_cell`` (and ``text_height``) with the same width."""
    room = width - 2 * pdf.c_margin - 0.01
    out: list[str] = []
    for para in text.split("\n"):
        line: list[str] = []
        widths: list[float] = []  # each token's width: a line's width is their sum (fpdf2 adds the glyphs' widths)
        for tok in _TOKEN.findall(para):
            tok_w = pdf.get_string_width(tok)
            if line and sum(widths) + tok_w > room:
                carry: list[str] = []
                if tok[0] in LINE_START_FORBIDDEN:  # take the character before down with it (and its like)
                    while len(line) > 1 and (not carry or carry[0][0] in LINE_START_FORBIDDEN):
                        carry.insert(0, line.pop())
                while len(line) > 1 and line[-1][-1] in LINE_END_FORBIDDEN:
                    carry.insert(0, line.pop())
                out.append("".join(line).rstrip())
                widths = widths[len(widths) - len(carry):] if carry else []
                line = carry
                if not line and tok.isspace():
                    continue  # a space at a break is dropped
            line.append(tok)
            widths.append(tok_w)
        out.append("".join(line).rstrip())
    return "\n".join(out)


HEADING_KEEP_MM = 15.0
"""Least room (mm) left under a heading on its page, else it starts the next page (project choice: a table
header and a row or two)."""


class PdfReport(FPDF):
    """An A4/A3 report page set in a CJK TrueType font, with header block, demo note and page footer.

    ``paper``: ``"A4"`` or ``"A3"``; ``landscape``: orientation. Sizes are in millimetres.
    """

    def __init__(self, meta: ExportMeta, paper: str = "A4", landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format=paper.upper())
        self.meta = meta
        self.text_layouts: dict[tuple[str, float, float], tuple[str, float]] = {}
        """Paragraphs laid out in this document: (text, width mm, size pt) → (text with its line breaks, height
        mm); the pages of an atlas share their foot."""
        self.add_font(FAMILY, "", str(cjk_font_file()))
        # The collection has no bold face (headings are set larger): style "B" is the same face, parsed and
        # embedded once (fpdf2 parses the ~30k-glyph collection per add_font, ~0.2 s of CPU per report).
        self.fonts[FAMILY + "B"] = self.fonts[FAMILY]
        self.set_auto_page_break(True, margin=15)
        self.set_margins(12, 12, 12)
        self.set_title(meta.title_text)
        self.set_creator("cyc-geo")
        self.set_font(FAMILY, size=10)

    # fpdf2 hooks ---------------------------------------------------------
    def header(self) -> None:
        if self.meta.demo:
            self.set_font(FAMILY, "B", 8)
            self.set_fill_color(252, 229, 205)
            self.set_text_color(120, 60, 0)
            self.cell(0, 5, self.meta.text(DEMO_NOTE), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
            self.set_text_color(0, 0, 0)
            self.ln(1)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILY, "", 7)
        self.set_text_color(90, 90, 90)
        page = f"第 {self.page_no()} 页" if self.meta.lang == "zh" else f"Page {self.page_no()}"
        self.cell(0, 5, f"{self.meta.title_text} · {self.meta.date_text} · {page}", align="C")
        self.set_text_color(0, 0, 0)

    # building blocks -----------------------------------------------------
    @property
    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def title_block(self) -> None:
        """The title and the header block (date, filters, sources, demo note)."""
        if self.page_no() == 0:
            self.add_page()
        self.set_font(FAMILY, "B", 16)
        self.multi_cell(0, 8, self.meta.title_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 9)
        for label, value in self.meta.header_lines():
            self.multi_cell(0, 5, f"{label}：{value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def heading(self, text: str, size: float = 12, keep_with: float = HEADING_KEEP_MM) -> None:
        """A bold heading, begun on a new page when fewer than ``keep_with`` mm would follow it on this one
        (a heading never ends a page apart from its content)."""
        self.set_font(FAMILY, "B", size)
        height = self.text_height(0, size * 0.6, text)
        if self.will_page_break(height + 1 + keep_with):
            self.add_page()
        self.multi_cell(0, size * 0.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 10)
        self.ln(1)

    def text_height(self, w: float, h: float, text: str, **kw: Any) -> float:
        """Height (mm) ``text`` would take as a ``multi_cell(w, h, …)`` in the current font, nothing drawn."""
        return float(cast(float, self.multi_cell(w, h, text, dry_run=True, output="HEIGHT", **kw)))

    def figure(self, heading: str, png: bytes, width: float | None = None) -> None:
        """A heading and its image kept on one page: the image at ``width`` mm (default: the content width),
        scaled down to fit a page under the heading, on a new page when it does not fit this one."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as im:
            ratio = im.height / im.width
        self.set_font(FAMILY, "B", 12)
        head = self.text_height(0, 12 * 0.6, heading) + 1
        w = width or self.content_width
        if self.will_page_break(head + w * ratio):
            self.add_page()  # the page header (demo note) sets where the content starts: measure after it
        room = self.page_break_trigger - self.get_y() - head - 0.5
        w = min(w, room / ratio)
        self.heading(heading, keep_with=w * ratio)
        self.image_bytes(png, width=w)

    def paragraph(self, text: str, size: float = 9.5) -> None:
        self.set_font(FAMILY, "", size)
        self.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def image_bytes(self, png: bytes, width: float | None = None, x: float | None = None,
                    y: float | None = None, height: float | None = None) -> None:
        """A PNG (bytes) placed at (``x``, ``y``) mm or in the flow, ``width``/``height`` in mm."""
        kwargs: dict[str, Any] = {"w": width or 0, "h": height or 0}
        if x is not None:
            kwargs["x"] = x
        if y is not None:
            kwargs["y"] = y
        self.image(io.BytesIO(png), **kwargs)

    # Deliberately replaces fpdf2's FPDF.table() (a context-manager builder) with a DataFrame writer that
    # callers and tests use; renaming it (e.g. df_table) would remove the ignore.
    def table(self, df: pd.DataFrame, units: dict[str, str] | None = None, font_size: float = 8,  # type: ignore[override]
              col_widths: list[float] | None = None, fills: list[tuple[int, int, int] | None] | None = None) -> None:
        """``df`` as a bordered table with unit-bearing headers; ``fills`` colours whole rows."""
        units = units or {}
        cols = [str(c) for c in df.columns]
        if df.empty:
            self.paragraph(MISSING)
            return
        widths = col_widths or [self.content_width / len(cols)] * len(cols)
        self.set_font(FAMILY, "", font_size)
        with self.table_context(widths, font_size) as t:
            head = t.row()
            for c in cols:
                head.cell(header_label(c, units.get(c)))
            for i, row in enumerate(df.itertuples(index=False)):
                fill = (fills or [None] * len(df))[i] if fills else None
                r = t.row(style=None if fill is None else _fill_style(fill))
                for c, v in zip(df.columns, row, strict=True):
                    r.cell(fmt(v, units.get(c)))
        self.ln(2)

    def table_context(self, widths: list[float], font_size: float):
        from fpdf.fonts import FontFace

        return super().table(col_widths=tuple(widths), text_align="LEFT", line_height=font_size * 0.55,
                             headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                             first_row_as_headings=True)

    def key_values(self, rows: list[tuple[str, Any]], units: dict[str, str] | None = None) -> None:
        """Label–value rows as a two-column table."""
        df = pd.DataFrame(rows, columns=["项目" if self.meta.lang == "zh" else "Item",
                                         "数值" if self.meta.lang == "zh" else "Value"])
        self.table(df, col_widths=[self.content_width * 0.4, self.content_width * 0.6])

    def output(self, *args: Any, **kwargs: Any) -> Any:
        """fpdf2's ``output`` with the bold alias set aside, so the one face is subset and embedded once."""
        alias = self.fonts.pop(FAMILY + "B", None)
        try:
            return super().output(*args, **kwargs)
        finally:
            if alias is not None:
                self.fonts[FAMILY + "B"] = alias

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def _fill_style(rgb: tuple[int, int, int]):
    from fpdf.fonts import FontFace

    return FontFace(fill_color=rgb)


def new_report(meta: ExportMeta, paper: str = "A4", landscape: bool = False) -> PdfReport:
    """A report with its first page begun and the title block written."""
    pdf = PdfReport(meta, paper=paper, landscape=landscape)
    pdf.add_page()
    pdf.title_block()
    return pdf


def pdf_text(data: bytes) -> str:
    """All text of a PDF as a reader's search sees it (pypdf): for tests and checks."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
