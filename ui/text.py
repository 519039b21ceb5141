"""Showing text that comes from files (names, columns, values) in Streamlit's Markdown as text."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&])")


def md_escape(text: object) -> str:
    """``text`` with every Markdown-significant character backslash-escaped (CommonMark allows an
    escape before any ASCII punctuation), so ``[c](javascript:…)``, ``**b**``, ``<b>``, ``:red[x]``
    or ``$x$`` are shown as typed, never as a link, emphasis, HTML, a Streamlit directive or maths.
    Line breaks become spaces (a file's value is one line of a table or message)."""
    s = "" if text is None else str(text)
    return _MD_SPECIAL.sub(r"\\\1", s.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
