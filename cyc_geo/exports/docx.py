"""Word (.docx) export of a report (python-docx): real headings, real tables, editable by the bureau.

Writes an :class:`cyc_geo.indicators.annual_report.AnnualReport` (or anything with ``meta`` and ``blocks``) on
A4 landscape: the title and header block (date, period, sources, demo note), then each block: ``heading``
as Word's 标题 1/2 (Heading 1/2, so the navigation pane and a table of contents see them), ``paragraph``,
``note`` (grey, for the bureau to replace), ``table`` as a Word table (style Table Grid, header row bold and
repeated on every page), ``image`` as an inline picture. The demo note is in the page header, so it is on
every page while demo data are in the report.

Fonts: the East Asian font is set through ``w:rFonts/@w:eastAsia`` on every style used (Word takes CJK
glyphs from it, not from the Latin font): :data:`EAST_ASIA_FONT` (Noto Sans CJK SC, the font of the app's
maps), declared in the document's font table with 宋体 (SimSun, in every Chinese Windows and WPS) as its
``w:altName``, the fallback Word uses where Noto is not installed (ECMA-376 part 1, 17.8.3.1 altName).
"""

from __future__ import annotations

import io
from typing import Any

from cyc_geo.exports.meta import DEMO_NOTE

EAST_ASIA_FONT = "Noto Sans CJK SC"
FALLBACK_FONT = "宋体"
LATIN_FONT = "Arial"
PAGE_CM = (29.7, 21.0)
"""A4 landscape, cm."""
MARGIN_CM = 1.8
STYLES = ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid", "Header", "Footer")


def _east_asia(style_or_run: Any, name: str = EAST_ASIA_FONT) -> None:
    """Set the Latin and East Asian fonts of a style or run (``w:rFonts`` ascii/hAnsi and eastAsia)."""
    from docx.oxml.ns import qn

    style_or_run.font.name = LATIN_FONT
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _declare_fallback(doc: Any) -> None:
    """Add :data:`EAST_ASIA_FONT` to the font table with :data:`FALLBACK_FONT` as its alternative name."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    for rel in doc.part.rels.values():
        if rel.reltype == RT.FONT_TABLE:
            part = rel.target_part
            root = parse_xml(part.blob)
            root.append(parse_xml(
                f'<w:font {nsdecls("w")} w:name="{EAST_ASIA_FONT}"><w:altName w:val="{FALLBACK_FONT}"/>'
                '<w:charset w:val="86"/><w:family w:val="swiss"/><w:pitch w:val="variable"/></w:font>'))
            from docx.opc.oxml import serialize_part_xml

            part._blob = serialize_part_xml(root)
            return


def _repeat_header(row: Any) -> None:
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    trpr.append(el)


def report_docx(report: Any) -> bytes:
    """The report as .docx bytes."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt, RGBColor

    meta = report.meta
    doc = Document()
    _declare_fallback(doc)
    for name in STYLES:
        try:
            style = doc.styles[name]
        except KeyError:
            continue
        _east_asia(style)
        if name.startswith("Heading") or name == "Title":
            style.font.color.rgb = RGBColor(0, 0, 0)
    doc.styles["Normal"].font.size = Pt(10.5)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    width = Cm(PAGE_CM[0] - 2 * MARGIN_CM)
    head = section.header.paragraphs[0]
    head.text = meta.text(DEMO_NOTE) if meta.demo else meta.title_text
    foot = section.footer.paragraphs[0]
    foot.text = f"{meta.title_text} · {meta.date_text}"
    doc.core_properties.title = meta.title_text
    doc.core_properties.author = "cyc-geo"

    doc.add_heading(meta.title_text, level=0)
    for label, value in meta.header_lines():
        p = doc.add_paragraph()
        run = p.add_run(f"{label}{'：' if meta.lang == 'zh' else ': '}{value}")
        run.font.size = Pt(9)
    for block in report.blocks:
        if block.kind == "heading":
            doc.add_heading(block.text, level=block.level)
        elif block.kind == "paragraph":
            doc.add_paragraph(block.text)
        elif block.kind == "note":
            run = doc.add_paragraph().add_run(block.text)
            run.italic = True
            run.font.color.rgb = RGBColor(110, 110, 110)
        elif block.kind == "table" and block.table is not None:
            _table(doc, block, width)
        elif block.kind == "image" and block.image:
            doc.add_picture(io.BytesIO(block.image), width=width)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _table(doc: Any, block: Any, width: int) -> None:
    from docx.shared import Pt

    df = block.table
    t = doc.add_table(rows=1, cols=len(df.columns))
    t.style = doc.styles["Table Grid"]
    t.autofit = False
    widths = block.widths or [1 / len(df.columns)] * len(df.columns)
    for i, c in enumerate(df.columns):
        cell = t.rows[0].cells[i]
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(c))
        run.bold = True
        run.font.size = Pt(8)
    _repeat_header(t.rows[0])
    for rec in df.itertuples(index=False):
        cells = t.add_row().cells
        for i, v in enumerate(rec):
            cells[i].text = ""
            cells[i].paragraphs[0].add_run(str(v)).font.size = Pt(8)
    for row in t.rows:
        for i, cell in enumerate(row.cells):
            cell.width = int(width * widths[i])
    doc.add_paragraph()
