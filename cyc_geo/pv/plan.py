"""The plan's PV figures: the 2024 installed-capacity goal and the whole-city rooftop project (附件2 #3).

Figures from the plan (docs/sources.md, "Plan goals", "附件2", "Plan arithmetic").
"""

from __future__ import annotations

import math

from cyc_geo.places.profile import profile

_PLAN = profile().plan
GOAL_MW = float(_PLAN.get("pv_goal_mw", math.nan))
"""光伏装机容量力争达到 7 万千瓦 by 2024 (plan 三、重点工作 二; docs/sources.md, "Plan goals"); the county
profile's ``[plan] pv_goal_mw``, NaN when the county has no plan goals."""
PROJECT_MW = float(_PLAN.get("pv_project_mw", math.nan))
"""The plan's whole-city rooftop PV project (整市屋顶光伏项目): 新建20万千瓦屋顶光伏 (docs/sources.md, "附件2" #3)."""
PROJECT_GWH = float(_PLAN.get("pv_project_gwh", math.nan))
"""The same project's 年均发电量 19820万kWh (docs/sources.md, "附件2" #3)."""
SEED_SPECIFIC_YIELD = PROJECT_GWH * 1e6 / (PROJECT_MW * 1e3)
"""991 kWh/kWp: the plan's implied yield (docs/sources.md, "Plan arithmetic")."""
