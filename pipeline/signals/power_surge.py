"""power_surge — 短期内电量激增 (seed 五(二)): recent consumption against the place's own
level before its change point.

For every premises the change point of its daily series is located (power_common.levels:
one binary-segmentation step over the last `search_days`, holidays left out), the level
before it is the per-weekday median of up to `baseline_days` comparable days, and the recent
level is the mean of the last `recent_days` (or of the days since the change, when it falls
inside them). Fires when recent ≥ `min_recent_kwh`, recent / expected ≥ `min_ratio` and the
rise is ≥ `min_z` robust standard deviations (MAD) of the baseline days.

A premises with no history (its readings start inside the window — a new meter) is compared
with its 用电类别 peers instead and fires only above their median. A new meter held by a
business registered at the same place in the same name shortly before the account was opened
(`new_business_max_gap_days`) is a new factory being commissioned: silent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc
from pipeline.signals.shared import shared


def surge_table(con, cfg, params) -> tuple[pd.DataFrame, pc.Matrix]:
    """Change points and levels of every premises (shared by power_surge, idle_site and
    power_industrial_on_residential within a run)."""
    s = {**pc.surge_settings(cfg), **params}
    m = pc.matrix(con, params["as_of"], int(s.get("search_days", 182)), float(s.get("holiday_ratio", 0.5)))
    args = (params["recent_days"], params["baseline_days"], int(s.get("min_segment_days", 7)),
            int(s.get("min_baseline_days", 14)))
    lv = shared(("levels", params["as_of"], m.key, *args), lambda: pc.levels(m, *args))
    return lv.copy(), m


def _strength(ratio, lo, hi):
    return np.clip(0.5 + 0.5 * (ratio - lo) / max(hi - lo, 1e-9), 0.5, 1.0)


def evidence(con, cfg, params) -> pd.DataFrame:
    lv, m = surge_table(con, cfg, params)
    if lv.empty:
        return pc.empty()
    rd = params["recent_days"]
    lo, hi = float(params["min_ratio"]), float(params["full_ratio"])
    rows = []
    hol = m.holiday_spans()
    hol_note = f"（已剔除全网停工日 {'、'.join(hol)}）" if hol else ""
    window = int(params.get("search_days", 182))
    biz = pc.new_business(con, params["as_of"], window, int(params["new_business_max_gap_days"]),
                          int(params.get("new_business_grace_days", 90)))
    explained = set(biz["premises_id"]) if len(biz) else set()

    # 1. premises with a history: recent against the comparable days before the change
    old = lv[lv["has_history"] & (lv["recent"] >= params["min_recent_kwh"])
             & (lv["ratio"] >= lo) & (lv["z"] >= params["min_z"]) & ~lv["premises_id"].isin(explained)]
    for r in old.itertuples():
        recent_lbl = (f"自{pc.md(r.cp_day)}起" if r.cp_in_recent else f"近{pc.weeks(rd)}周")
        note = hol_note if r.base_holiday else ""
        if r.expected >= 1:
            sentence = (f"{recent_lbl}日均 {r.recent:,.0f} kWh，为此前{r.base_weeks}周的 {r.ratio:.1f} 倍"
                        f"（此前同星期日均 {r.expected:,.0f} kWh；自 {pc.md(r.cp_day)}起）{note}")
        else:
            sentence = (f"{recent_lbl}日均 {r.recent:,.0f} kWh，此前{r.base_weeks}周几乎不用电"
                        f"（同星期日均 {r.expected:,.1f} kWh；自 {pc.md(r.cp_day)}起）{note}")
        rows.append((r.premises_id, float(_strength(r.ratio, lo, hi)), round(r.recent, 1), round(r.expected, 1), sentence))

    # 2. new meters: no history, against the 用电类别 peers
    new = lv[lv["new_meter"] & (lv["recent"] >= params["min_recent_kwh"])]
    if len(new):
        cat = pc.premises_category(con, params["as_of"], rd)
        allv = lv[["premises_id", "recent"]].merge(cat, on="premises_id", how="left")
        peers = pc.peer_stats(allv["recent"], allv["category"])
        new = new.merge(cat, on="premises_id", how="left")
        new["category"] = new["category"].fillna("未知类别")
        new = new.join(peers, on="category")
        opened = pc.new_accounts(con, params["as_of"], window)
        for r in new.itertuples():
            if r.premises_id in explained or not r.peer_median > 0:
                continue
            pr = r.recent / r.peer_median
            if pr < 1.0:
                continue
            acc = opened[opened["premises_id"] == r.premises_id].sort_values(["opened", "account_no"])
            who = (f"{pc.ymd(acc.iloc[-1].opened)}新立户（户名 {acc.iloc[-1].account_name}，无同名新设市场主体）"
                   if len(acc) else f"{pc.md(r.first_day)}起才有用电记录")
            sentence = (f"{who}，立户前无用电；近{pc.weeks(min(rd, r.n_recent))}周日均 {r.recent:,.0f} kWh，"
                        f"为同类（{r.category}）用户中位数 {r.peer_median:,.0f} kWh 的 {pr:.1f} 倍")
            rows.append((r.premises_id, float(_strength(pr, 1.0, hi)), round(r.recent, 1),
                         round(r.peer_median, 1), sentence))
    # 3. a new meter inside an established premises (a second meter in a private name inside
    #    a factory): the new account's own draw against its 用电类别 peers
    fired = {r[0] for r in rows}
    window = int(params.get("search_days", 182))
    opened = pc.new_accounts(con, params["as_of"], window)
    inside = opened[opened["premises_id"].isin(set(lv.loc[~lv["new_meter"], "premises_id"]))
                    & ~opened["premises_id"].isin(fired | explained)]
    if len(inside):
        use = con.execute(
            """SELECT a.account_no, a.category, avg(r.kwh) AS daily
               FROM int_power_accounts a JOIN stg_power_readings r USING (account_no)
               WHERE r.period = 'day' AND r.day > ?::DATE - ?::INTEGER AND r.day <= ?::DATE
               GROUP BY ALL""", [params["as_of"], rd, params["as_of"]]).df()
        use["category"] = use["category"].fillna("未知类别")
        peers = pc.peer_stats(use["daily"], use["category"])
        inside = inside.drop(columns="category").merge(use, on="account_no").join(peers, on="category")
        for r in inside.itertuples():
            if not (r.daily >= params["min_recent_kwh"] and r.peer_median > 0 and r.daily >= r.peer_median):
                continue
            pr = r.daily / r.peer_median
            sentence = (f"场所内{pc.ymd(r.opened)}新立户 {r.account_no}（户名 {r.account_name}，无同名新设市场主体），"
                        f"立户前无用电；近{pc.weeks(rd)}周日均 {r.daily:,.0f} kWh，为同类（{r.category}）用户中位数 "
                        f"{r.peer_median:,.0f} kWh 的 {pr:.1f} 倍")
            rows.append((r.premises_id, float(_strength(pr, 1.0, hi)), round(r.daily, 1),
                         round(r.peer_median, 1), sentence))
    return pd.DataFrame(rows, columns=pc.empty().columns)
