"""Plausible capacity of one PV installation per building class (the ledger's rows and the app's edits).

A ledger row far above what its kind of installation can be is a typing or unit error (a row in W
under a kW header, a stray run of zeros): read as is, one household row of 1e9 kW would "meet" the
city's 70 MW goal a million times over. The bounds follow the national rules for distributed PV,
国家能源局《分布式光伏发电开发建设管理办法》(国能发新能规〔2025〕7号, docs/sources.md,
"PV ledger plausibility"): the largest project of the category a building class belongs to.

=============  ==============  ===========================================================================
class          largest (kW)    why
=============  ==============  ===========================================================================
``rural``      6,000           户用: 自然人户用 connects at ≤ 380 V; 非自然人户用 (an investor's project on
                               residents' roofs) at ≤ 10 (20) kV with at most 6 MW in all
``gov``        6,000           一般工商业 covers 党政机关 and public institutions: ≤ 10 (20) kV, in principle
``public``     6,000           ≤ 6 MW
``commercial`` 50,000          大型工商业: ≤ 20 MW at 35 kV, ≤ 50 MW at 110 (66) kV
``other``      100,000         ground-mounted, carports or an unstated class: project choice, above the
                               city's whole 2024 goal (70 MW, docs/sources.md, "Plan goals")
=============  ==============  ===========================================================================

A ``rural`` row above :data:`SINGLE_HOUSEHOLD_MAX_KW` is kept with a caveat: more than one
household's 380 V connection carries (it should be a 非自然人户用 project).
"""

from __future__ import annotations

CLASS_MAX_KW: dict[str, float] = {"rural": 6_000.0, "gov": 6_000.0, "public": 6_000.0,
                                  "commercial": 50_000.0, "other": 100_000.0}
"""Largest plausible capacity (kW) of one installation by building class (module docstring;
docs/sources.md, "PV ledger plausibility")."""

SINGLE_HOUSEHOLD_MAX_KW = 400.0
"""Largest generator on a 380 V connection (kW): above it a ``rural`` row is not one household's
installation (docs/sources.md, "PV ledger plausibility")."""

CLASS_WORDS: dict[str, tuple[str, str]] = {
    "rural": ("户用/农村居民", "household / rural homes"), "gov": ("党政机关", "government"),
    "public": ("公共建筑", "public buildings"), "commercial": ("工商业", "industry & commerce"),
    "other": ("其他", "other"),
}
"""Building classes as the messages name them (zh, en)."""


def max_kw(building_class: str) -> float:
    """The bound of ``building_class`` (kW); an unknown class gets the ``other`` bound."""
    return CLASS_MAX_KW.get(building_class, CLASS_MAX_KW["other"])


def capacity_problem(building_class: str, capacity_kw: float) -> tuple[str, str] | None:
    """(zh, en) why ``capacity_kw`` cannot be one installation of ``building_class``, or None when plausible."""
    bound = max_kw(building_class)
    if capacity_kw <= bound:
        return None
    zh, en = CLASS_WORDS.get(building_class, CLASS_WORDS["other"])
    return (f"装机容量 {capacity_kw:,.1f} kW 超过{zh}光伏单个项目的合理上限 {bound:,.0f} kW"
            "（《分布式光伏发电开发建设管理办法》；单位或位数可能有误）",
            f"capacity {capacity_kw:,.1f} kW exceeds the plausible largest {en} installation, {bound:,.0f} kW "
            "(NEA distributed-PV rules, 2025; check the unit and the digits)")


def capacity_caveat(building_class: str, capacity_kw: float) -> tuple[str, str] | None:
    """(zh, en) caveat for a plausible but unusual row (a ``rural`` row above one household's connection)."""
    if building_class == "rural" and SINGLE_HOUSEHOLD_MAX_KW < capacity_kw <= max_kw("rural"):
        return (f"户用装机 {capacity_kw:,.1f} kW 超过单户 380 V 并网的上限 {SINGLE_HOUSEHOLD_MAX_KW:,.0f} kW："
                "请确认为非自然人户用（多户汇总）项目",
                f"a household row of {capacity_kw:,.1f} kW is more than one home's 380 V connection carries "
                f"({SINGLE_HOUSEHOLD_MAX_KW:,.0f} kW): check it is an investor's multi-home project")
    return None
