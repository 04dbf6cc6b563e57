"""power_utilisation — consumption against the contract capacity of a small account.

Utilisation = recent daily kWh / (capacity_kva × 24 h × `power_factor`): the share of the
energy the contract could deliver running flat out around the clock. Shops, offices and
ordinary workshops use a fraction of it (load factors of 10–30%); a small account
(capacity ≤ `max_capacity_kva`) drawing at least `min_util` of it around the clock — or more
than its contract allows at all — is carrying a load it was not set up for.

A new meter held by a business registered at the place in the same name shortly before the
account was opened (the power_surge rule) is a new factory whose contract has not caught up
with its commissioning: silent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc


def evidence(con, cfg, params) -> pd.DataFrame:
    df = con.execute(
        """
        SELECT ap.premises_id, a.account_no, a.account_name, a.category, a.capacity_kva,
               avg(r.kwh) AS daily, count(*) AS n
        FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no)
        JOIN stg_power_readings r ON r.account_no = a.account_no AND r.period = 'day'
        WHERE r.day > $as_of - $recent_days AND r.day <= $as_of
          AND a.capacity_kva > 0 AND a.capacity_kva <= $max_capacity_kva
        GROUP BY ALL
        """, {k: params[k] for k in ("as_of", "recent_days", "max_capacity_kva")}).df()
    if df.empty:
        return pc.empty()
    pf = float(params["power_factor"])
    df["cap_kwh"] = df["capacity_kva"] * 24 * pf
    df["util"] = df["daily"] / df["cap_kwh"]
    df = df[(df["util"] >= params["min_util"]) & (df["daily"] >= params["min_daily_kwh"])]
    s = pc.surge_settings(cfg)
    biz = pc.new_business(con, params["as_of"], int(s.get("search_days", 182)),
                          int(s.get("new_business_max_gap_days", 365)), int(s.get("new_business_grace_days", 90)))
    if len(biz):
        df = df[~df["account_no"].isin(set(biz["account_no"]))]
    lo, hi = float(params["min_util"]), float(params["full_util"])
    rows = []
    for r in df.sort_values(["util", "account_no"], ascending=[False, True]).itertuples():
        strength = float(np.clip(0.5 + 0.5 * (r.util - lo) / max(hi - lo, 1e-9), 0.5, 1.0))
        over = "，超出合同容量全天满载可供电量" if r.util > 1 else ""
        sentence = (f"{r.category or '未知类别'}户 {r.account_no}（合同容量 {r.capacity_kva:g} kVA）近"
                    f"{pc.weeks(params['recent_days'])}周日均用电 {r.daily:,.0f} kWh，为其全天满载可供电量 "
                    f"{r.cap_kwh:,.0f} kWh（容量×24小时×功率因数 {pf:g}）的 {100 * r.util:.0f}%{over}")
        rows.append((r.premises_id, strength, round(r.util, 3), f"{r.cap_kwh:.1f}", sentence))
    out = pd.DataFrame(rows, columns=pc.empty().columns)
    return out.drop_duplicates("premises_id")   # the most utilised account of each premises
