"""Text from files shown in Streamlit elements that interpret Markdown (``st.error``, ``st.markdown``, …).

A column name, a township name or a file name is data: it is shown as it is, never as a link,
an image, emphasis or HTML. :func:`md_escape` backslash-escapes every ASCII punctuation
character (CommonMark allows that for each of them), which also breaks GFM's bare-URL
autolinks (``http://``, ``www.``), Streamlit's ``:color[…]`` / ``:material/…:`` directives and
``$…$`` formulas.
"""

from __future__ import annotations

import re
import string
from html import escape

_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def md_escape(text: object) -> str:
    """``text`` as a Markdown literal: punctuation backslash-escaped, line breaks as spaces
    (a file's value is one line of a table or message); ``None`` is the empty string."""
    return _PUNCT.sub(r"\\\1", _BREAKS.sub(" ", "" if text is None else str(text)))


def md_join(items: object, sep: str = ", ") -> str:
    """Items of a list (file columns, layer names) escaped one by one and joined with ``sep``."""
    return sep.join(md_escape(i) for i in (items or []))  # type: ignore[union-attr]


DOWNLOAD_LINK_STYLE = (
    "display:inline-block;padding:.4rem .75rem;border:1px solid rgba(49,51,63,.2);border-radius:.5rem;"
    "text-decoration:none;color:inherit")
"""A download link drawn like Streamlit's buttons."""


def download_link(url: str, file_name: str, label: str) -> str:
    """HTML of a link that downloads ``url`` (a static file, e.g. :func:`cyc_geo.exports.static_files.publish`)
    as ``file_name``; every text HTML-escaped (for ``st.markdown(..., unsafe_allow_html=True)``)."""
    return (f'<a href="{escape(url, quote=True)}" download="{escape(file_name, quote=True)}" '
            f'style="{DOWNLOAD_LINK_STYLE}">{escape(label)}</a>')
