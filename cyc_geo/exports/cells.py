"""Text cells that a spreadsheet shows as text: the one neutraliser of every Excel and CSV export.

A spreadsheet program runs a cell as a formula when its text starts with ``=``, ``+``, ``-`` or
``@`` (also after a leading tab or carriage return), in an ``.xlsx`` written by openpyxl (which
stores such a string as a formula) as in a ``.csv`` opened in Excel: a township, ledger, site or
scenario name like ``=HYPERLINK("http://x","y")`` would become a live link or command. Following
OWASP's CSV-injection guidance (docs/sources.md, "Security defaults", row "spreadsheet
exports"), :func:`safe_cell` puts a single quote in front of such text, so the cell shows the
text as typed with a leading ``'``. Numbers stay numbers: ``int`` and ``float`` cells (``-2.5``)
are not touched, and neither is text that is just a negative decimal number (``"-0.35"``, as the
app writes a parameter value), which a spreadsheet reads as that number, not as a formula. Any
other text starting so is neutralised, ``+1`` and ``-2+3`` included. Control
characters (U+0000–U+001F except tab, line feed and carriage return, which XML 1.0 cannot hold
and openpyxl refuses with ``IllegalCharacterError``) are removed from all text.

:func:`safe_frame` applies it to the cells and column names of a table, :func:`csv_bytes` writes
a table as every CSV download does (UTF-8 with BOM, so Excel shows the Chinese text), and
:func:`cyc_geo.exports.excel.save_bytes` applies it to every cell of a workbook before saving.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
"""First characters that make a spreadsheet read a cell as a formula: ``= + - @``, tab and carriage
return (OWASP CSV Injection), and the full-width forms a Chinese input method types (treated
alike: project choice, docs/sources.md, "Security defaults")."""

QUOTE = "'"
"""Prefix that keeps a text cell as text (OWASP CSV Injection)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters XML 1.0 cannot hold (openpyxl's ``ILLEGAL_CHARACTERS_RE``): removed from text."""

_NEGATIVE_NUMBER = re.compile(r"-(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")
"""Text that is just a negative decimal number (``-0.35``, ``-12``, ``-1e3``, ``-5%``): kept as is."""


def safe_cell(value: Any) -> Any:
    """``value`` as an export writes it: text without control characters, with a leading ``'`` when it
    would start a formula; anything that is not text (numbers, dates, None) unchanged.

    Idempotent: a neutralised text starts with ``'`` and passes through unchanged.
    """
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value)
    if text.startswith(FORMULA_TRIGGERS) and not _NEGATIVE_NUMBER.fullmatch(text):
        return QUOTE + text
    return text


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with :func:`safe_cell` applied to every text cell and every column name
    (a column may be named after a scenario); numeric columns are not touched."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(safe_cell)
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples([tuple(safe_cell(c) for c in col) for col in out.columns])
    else:
        out.columns = [safe_cell(c) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as a CSV download: neutralised (:func:`safe_frame`), no index, UTF-8 with BOM."""
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")
