"""idle_site — a place on the idle/abandoned site inventory (闲置厂房/废弃养殖场/闲置民房/矿山宕口)
that draws power.

An idle site draws next to nothing (a light, a guard's fridge). The signal fires when the
premises' recent daily mean is at least `min_daily_kwh` and the draw is new: its level
before the change point (power_surge's arithmetic: per-weekday medians of comparable days,
holidays left out) was at most `idle_daily_kwh`, or the draw rose at least `min_ratio`
times over it. A site that has drawn a steady working load all along is not idle — the
inventory entry is stale or the premises link is wrong, a matter for the inventory, not a
workshop: silent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc
from pipeline.signals.power_surge import surge_table


def evidence(con, cfg, params) -> pd.DataFrame:
    site = con.execute(
        """SELECT m.premises_id, string_agg(DISTINCT s.site_type, '、' ORDER BY s.site_type) AS site_type
           FROM premises_members m JOIN stg_sites s ON m.source = 'sites' AND s.site_id = m.source_key
           GROUP BY m.premises_id""").df()
    if site.empty:
        return pc.empty()
    lv, _ = surge_table(con, cfg, params)
    if lv.empty:
        return pc.empty()
    df = site.merge(lv, on="premises_id")
    df = df[df["recent"] >= params["min_daily_kwh"]]
    rw = pc.weeks(params["recent_days"])
    rows = []
    for r in df.itertuples():
        was_idle = r.has_history and r.expected <= params["idle_daily_kwh"]
        rose = r.has_history and r.ratio >= params["min_ratio"]
        if not (was_idle or rose or r.new_meter):
            continue
        strength = float(np.clip(0.5 + 0.5 * (r.recent - params["min_daily_kwh"])
                                 / max(params["full_daily_kwh"] - params["min_daily_kwh"], 1e-9), 0.5, 1.0))
        if r.new_meter:
            own = f"，{pc.md(r.first_day)}起才有用电记录"
        else:
            own = f"（自 {pc.md(r.cp_day)}起；此前{r.base_weeks}周同星期日均 {r.expected:,.1f} kWh）"
        sentence = (f"列入闲置场所台账（{r.site_type or '类型不详'}），但近{rw}周日均用电 {r.recent:,.0f} kWh{own}")
        rows.append((r.premises_id, strength, round(r.recent, 1),
                     None if np.isnan(r.expected) else round(r.expected, 1), sentence))
    return pd.DataFrame(rows, columns=pc.empty().columns)
