"""power_industrial_on_residential — industrial-level consumption on a residential (居民生活用电)
or agricultural (农业生产用电) account (seed 五(二): 民房、养殖场 drawing power).

An account of those categories fires when its recent daily mean is at least
`min_daily_kwh` (beyond any household: air conditioning, cooking and an electric car stay
well under it) and at least `min_peer_multiple` times its category's median, and either
- it rose to that level: at least `min_ratio` times its own comparable-day baseline before
  its change point (power_surge's arithmetic, on the premises' series), or
- it is beyond what any home or smallholding draws (`full_daily_kwh`) even if it has drawn
  so all along.
A steady, moderately heavy residential account (a shop or small restaurant on a home tariff)
is a tariff matter for the power office, not a workshop: silent. So is a steady one at a
registered business's door where that business has no meter of its own (sig_firm_meter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc
from pipeline.signals.power_surge import surge_table


def evidence(con, cfg, params) -> pd.DataFrame:
    acc = con.execute(
        """
        SELECT ap.premises_id, ap.account_no, ap.category, a.account_name, avg(r.kwh) AS daily
        FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no)
        JOIN stg_power_readings r ON r.account_no = ap.account_no AND r.period = 'day'
        WHERE r.day > $as_of - $recent_days AND r.day <= $as_of
        GROUP BY ALL
        """, {k: params[k] for k in ("as_of", "recent_days")}).df()
    acc = acc[acc["category"].isin(params["categories"])]
    if acc.empty:
        return pc.empty()
    peers = pc.peer_stats(acc["daily"], acc["category"])
    acc = acc.join(peers, on="category")
    # the peer comparison needs enough peers to mean anything
    enough = acc["peer_n"] >= params["min_peers"]
    acc = acc[(acc["daily"] >= params["min_daily_kwh"])
              & (~enough | (acc["daily"] >= params["min_peer_multiple"] * acc["peer_median"]))]
    if acc.empty:
        return pc.empty()
    lv, _ = surge_table(con, cfg, params)
    acc = acc.merge(lv[["premises_id", "has_history", "expected", "ratio", "cp_day", "base_weeks"]],
                    on="premises_id", how="left")
    firm_meter = {r[0] for r in con.execute("SELECT premises_id FROM sig_firm_meter").fetchall()}
    lo, hi = float(params["min_daily_kwh"]), float(params["full_daily_kwh"])
    rw = pc.weeks(params["recent_days"])
    rows = []
    for r in acc.sort_values(["daily", "account_no"], ascending=[False, True]).itertuples():
        rose = bool(r.has_history) and r.ratio >= params["min_ratio"]
        # drawn so all along at a registered business's door that has no meter of its own:
        # the business's supply on a home tariff (prepare.sql sig_firm_meter), a tariff matter
        if not (rose or r.daily >= hi and r.premises_id not in firm_meter):
            continue
        strength = float(np.clip(0.5 + 0.5 * (r.daily - lo) / max(hi - lo, 1e-9), 0.5, 1.0))
        own = (f"；此前{r.base_weeks}周同星期日均仅 {r.expected:,.1f} kWh，自 {pc.md(r.cp_day)}起升至现水平"
               if rose else "；长期保持此水平，远超任何住户或农户用电")
        peer = (f"为同类用户中位数 {r.peer_median:,.1f} kWh 的 {r.daily / max(r.peer_median, 0.1):,.0f} 倍"
                if r.peer_n >= params["min_peers"] else f"远超住户、农户用电（不少于 {lo:,.0f} kWh）")
        sentence = f"{r.category}户 {r.account_no}（户名 {r.account_name}）近{rw}周日均用电 {r.daily:,.0f} kWh，{peer}{own}"
        rows.append((r.premises_id, strength, round(r.daily, 1), round(r.peer_median, 1), sentence))
    return pd.DataFrame(rows, columns=pc.empty().columns).drop_duplicates("premises_id")
