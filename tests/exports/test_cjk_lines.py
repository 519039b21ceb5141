"""Chinese line breaking in the PDFs (cyc_geo.exports.pdf.cjk_lines): GB/T 15834-2011's placement rules."""

from __future__ import annotations

import re

from fpdf.enums import WrapMode

from cyc_geo.exports.meta import ExportMeta
from cyc_geo.exports.pdf import FAMILY, LINE_END_FORBIDDEN, LINE_START_FORBIDDEN, PdfReport, cjk_lines

SOURCE = ("数据来源：乡镇界线（演示，数据年份 2024）；耕地（演示数据，依《第三次全国国土调查技术规程》（TD/T 1055-2019）"
          "编码）；森林（演示，数据年份 2023）；屋顶（演示）；光伏台账（数据年份 2024）。")


def _pdf() -> PdfReport:
    pdf = PdfReport(ExportMeta(title="测试"), paper="A4", landscape=False)
    pdf.add_page()
    pdf.set_font(FAMILY, "", 6.3)
    return pdf


def _lines_at_every_width(pdf: PdfReport, text: str) -> list[tuple[float, list[str]]]:
    """The lines at every width from 20 to 100 mm in steps of 0.25 mm (the print's texts run 45 to 400 mm wide;
    a line narrower than a number and its closing bracket cannot keep both rules)."""
    return [(w, cjk_lines(pdf, text, w).split("\n")) for w in [x / 4 for x in range(80, 400)]]


def test_no_line_starts_with_closing_or_ends_with_opening_punctuation_and_every_line_fits():
    pdf = _pdf()
    seen_push_down = False
    for width, lines in _lines_at_every_width(pdf, SOURCE):
        # nothing lost or added but the spaces at the breaks
        assert "".join(lines).replace(" ", "") == SOURCE.replace(" ", "")
        assert SOURCE.count(" ") - "".join(lines).count(" ") <= len(lines) - 1
        for i, line in enumerate(lines):
            assert line, (width, lines)
            if i > 0:
                assert line[0] not in LINE_START_FORBIDDEN, (width, lines)
            if i < len(lines) - 1:
                assert line[-1] not in LINE_END_FORBIDDEN, (width, lines)
            assert pdf.get_string_width(line) <= width - 2 * pdf.c_margin, (width, line)
        seen_push_down |= any(len(line) >= 2 and line[1] in "）》" for line in lines[1:])
    assert seen_push_down  # some width put a break right before "）" or "》": the character before went with it


def test_numbers_and_codes_are_not_split_when_they_fit():
    pdf = _pdf()
    runs = re.findall(r"[!-~]+", SOURCE)  # 2024, TD/T, 1055-2019 ...
    assert "1055-2019" in runs
    for width, lines in _lines_at_every_width(pdf, SOURCE):
        room = width - 2 * pdf.c_margin
        for run in runs:
            if pdf.get_string_width(run) <= room:
                assert any(run in line for line in lines), (width, run, lines)


def test_breaks_match_what_multi_cell_prints():
    """The pre-broken text prints on as many lines as it has: multi_cell does not wrap it again."""
    pdf = _pdf()
    width = 60.0
    text = cjk_lines(pdf, SOURCE, width)
    assert len(pdf.multi_cell(width, 3, text, dry_run=True, output="LINES", wrapmode=WrapMode.CHAR)) == len(text.split("\n"))
