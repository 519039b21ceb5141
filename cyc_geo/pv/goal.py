"""Adoption shares and the 70 MW goal: scaling a scenario's shares, and the shares the goal needs.

Capacity is proportional to each class's adoption share as long as no roof reaches its technical
cap (:func:`cyc_geo.pv.model.estimate` takes min(share x roof surface, usable area); the 70 MW goal
needs a few per cent of the NEA shares, far below the caps), so the shares that reach a goal are
the current ones times ``goal / capacity``, each capped at 100 %.
"""

from __future__ import annotations

from dataclasses import replace

from cyc_geo.pv.params import Scenario
from cyc_geo.pv.plan import GOAL_MW


def scale_adoption(scenario: Scenario, factor: float) -> Scenario:
    """``scenario`` with every class's adoption share multiplied by ``factor`` (capped at 1)."""
    return replace(scenario, adoption={c: min(1.0, float(v) * factor) for c, v in scenario.adoption.items()})


def map_scenario(adoption_scale: float = 1.0) -> Scenario:
    """The map page's scenario: the NEA default shares times the map's adoption knob."""
    return scale_adoption(Scenario(), adoption_scale)


def adoption_for_goal(scenario: Scenario, capacity_mw: float, goal_mw: float = GOAL_MW) -> dict[str, float] | None:
    """Adoption share per class that reaches ``goal_mw`` by scaling the current shares.

    ``capacity_mw`` is the scenario's capacity; None when it is zero (no scaling reaches the goal).
    """
    if capacity_mw <= 0:
        return None
    return scale_adoption(scenario, goal_mw / capacity_mw).adoption
