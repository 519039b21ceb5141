"""JSON that can sit inside an HTML ``<script>`` element.

``json.dumps`` output is valid JavaScript, but inside a ``<script>`` the HTML parser ends
the script at ``</script>`` and U+2028/U+2029 were line terminators in older JavaScript.
Escaping ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\uXXXX`` keeps the text the same JSON
value and makes it inert for the HTML parser. No Streamlit here.
"""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_ESCAPES)


def script_safe_json(obj: Any) -> str:
    """``obj`` as compact JSON (non-ASCII kept) with ``< > &`` U+2028 U+2029 escaped as ``\\uXXXX``."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).translate(_TABLE)
