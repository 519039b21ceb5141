"""Scale-bar lengths: the longest round length that fits the room on paper (used by the print layouts and the
report maps)."""

from __future__ import annotations

import math

SCALE_STEPS = (1.0, 2.0, 5.0)
"""Scale-bar lengths are 1, 2 or 5 × 10ⁿ km (docs/sources.md, "Print layouts")."""


def nice_scale_length_m(m_per_mm: float, max_mm: float) -> float:
    """The longest scale-bar length (metres) of 1, 2 or 5 × 10ⁿ km that fits in ``max_mm`` of paper
    at ``m_per_mm`` ground metres per paper millimetre (docs/sources.md, "Print layouts")."""
    if m_per_mm <= 0 or max_mm <= 0:
        raise ValueError("scale and space must be positive")
    limit_km = m_per_mm * max_mm / 1000.0
    exp = math.floor(math.log10(limit_km))
    best = None
    for e in (exp - 1, exp):
        for s in SCALE_STEPS:
            km = s * 10.0**e
            if km <= limit_km * (1 + 1e-9):
                best = km
    if best is None:
        raise ValueError(f"no scale bar step fits {max_mm} mm at {m_per_mm} m/mm")
    return float(best) * 1000.0
