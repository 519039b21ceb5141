"""Text from files shown in Streamlit elements that interpret Markdown (``st.error``, ``st.markdown``, …).

The escape itself lives in :mod:`cyc_geo.exports.markdown` (the library's functions that return Markdown use it
too); the pages import it from here.
"""

from __future__ import annotations

from cyc_geo.exports.markdown import md_escape, md_join

__all__ = ["md_escape", "md_join"]
