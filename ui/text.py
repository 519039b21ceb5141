"""Text from files shown in Streamlit elements that interpret Markdown (``st.error``, ``st.markdown``, …).

The escape itself lives in :mod:`cyc_geo.exports.markdown` (the library's functions that return Markdown use it
too); the pages import it from here.
"""

from __future__ import annotations

from html import escape

from cyc_geo.exports.markdown import md_escape, md_join

__all__ = ["DOWNLOAD_LINK_STYLE", "download_link", "md_escape", "md_join"]

DOWNLOAD_LINK_STYLE = (
    "display:inline-block;padding:.4rem .75rem;border:1px solid rgba(49,51,63,.2);border-radius:.5rem;"
    "text-decoration:none;color:inherit")
"""A download link drawn like Streamlit's buttons."""


def download_link(url: str, file_name: str, label: str) -> str:
    """HTML of a link that downloads ``url`` (a static file, e.g. :func:`cyc_geo.exports.static_files.publish`)
    as ``file_name``; every text HTML-escaped (for ``st.markdown(..., unsafe_allow_html=True)``)."""
    return (f'<a href="{escape(url, quote=True)}" download="{escape(file_name, quote=True)}" '
            f'style="{DOWNLOAD_LINK_STYLE}">{escape(label)}</a>')
