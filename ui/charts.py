"""Altair charts drawn without re-validating their Vega-Lite spec on every run.

``st.altair_chart`` converts a chart with ``chart.to_dict()``, which validates the whole spec against
the Vega-Lite JSON schema, and Altair validates every channel object when it is made (its "debug
mode"). On the PV page that was about a third of a run's server time (py-spy, 7 charts;
docs/map.md "Serving a planning office"). :func:`altair_chart` sends the same spec through
``st.vega_lite_chart`` with validation off; the test suite turns it on again
(``CYC_GEO_VALIDATE_CHARTS=1``, set by ``tests/conftest.py``), so a malformed chart still fails a
test instead of drawing an error box.
"""

from __future__ import annotations

import os
from typing import Any

import altair as alt
import streamlit as st
from altair.utils import schemapi

VALIDATE_ENV = "CYC_GEO_VALIDATE_CHARTS"


def validating() -> bool:
    """Whether specs are validated (``CYC_GEO_VALIDATE_CHARTS=1``)."""
    return os.environ.get(VALIDATE_ENV, "0") == "1"


def configure() -> None:
    """Turn Altair's construction-time validation off for the app process unless :func:`validating`
    (called once by ``app.py``; page tests that run a page file alone keep Altair's default)."""
    if not validating():
        schemapi.disable_debug_mode()


def spec(made: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of an Altair chart (a plain dict a page may cache), validated against the schema only when
    :func:`validating`."""
    return made.to_dict(validate=validating())


def draw(chart_spec: dict[str, Any], **kwargs: Any) -> Any:
    """Draw a spec made by :func:`spec` (``kwargs`` as for ``st.altair_chart``)."""
    return st.vega_lite_chart(spec=chart_spec, **kwargs)


def altair_chart(made: alt.TopLevelMixin, **kwargs: Any) -> Any:
    """Draw an Altair chart as ``st.altair_chart(made, **kwargs)`` would, from its Vega-Lite spec (:func:`spec`)."""
    return draw(spec(made), **kwargs)
