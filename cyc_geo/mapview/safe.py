"""JSON that is safe to write inside an HTML ``<script>`` element.

Layer data (names, tooltips, legends) come from planners' files and are written into the
map page's scripts. JSON alone is not enough there: a ``</script>`` inside a string ends the
script element, ``<!--`` changes how the HTML parser reads it, and U+2028/U+2029 end a line
in older JavaScript engines. :func:`script_safe_json` writes ``<``, ``>``, ``&``, U+2028 and
U+2029 as ``\\uXXXX`` escapes, which denote the same characters in JSON and JavaScript, so the
value the browser reads is unchanged. These characters can only occur inside JSON strings, so
escaping already serialised JSON text (:func:`script_safe`) is exact too
(docs/sources.md, "Security defaults").
"""

from __future__ import annotations

import json
from typing import Any

_SCRIPT_ESCAPES = str.maketrans({
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
})


def script_safe(json_text: str) -> str:
    """Already serialised JSON ``json_text`` with ``< > &`` U+2028 U+2029 written as ``\\uXXXX``.

    Idempotent; the result parses to the same value as the input.
    """
    return json_text.translate(_SCRIPT_ESCAPES)


def script_safe_json(value: Any, **dumps_kwargs: Any) -> str:
    """``json.dumps(value)`` (UTF-8 kept, compact) safe to embed in a ``<script>`` element."""
    kwargs: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":")}
    kwargs.update(dumps_kwargs)
    return script_safe(json.dumps(value, **kwargs))
