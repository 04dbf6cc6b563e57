"""power_flat — round-the-clock flat load, seven days a week.

A workshop running its reactors or blenders day and night draws the same power every hour:
each tariff period then carries its share of the day's hours (valley 8/24, peak 7/24 under
the Fujian tariff in campaign.yaml), every weekday draws the same, and one day is much like
the next. A factory shows a day/night swing and a weekly rhythm (a quieter Sunday).

Fires on premises drawing at least `min_daily_kwh` whose valley and peak shares are within
`max_share_gap` of their hours' shares, whose quietest weekday draws at least
`min_weekday_ratio` of the busiest, and whose day-to-day coefficient of variation is at most
`max_cv` — over the recent window, holidays left out.

Cold stores, ice plants, aquaculture pumps and the like legitimately run flat: a premises
whose active market registration names such a trade (`explain_words` in its name, industry
or scope), or that holds a valid hazardous-chemicals licence (a licensed continuous
process), is a look-alike an inspector would accept, and stays silent.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc


def evidence(con, cfg, params) -> pd.DataFrame:
    s = pc.surge_settings(cfg)
    m = pc.matrix(con, params["as_of"], int(params["recent_days"]), float(s.get("holiday_ratio", 0.5)))
    P, D = m.K.shape
    if P == 0:
        return pc.empty()
    obs = m.obs
    n = obs.sum(axis=1)
    K = np.where(obs, m.K, np.nan)
    tot = np.nansum(K, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = tot / n
        vshare = np.nansum(np.where(obs, m.V, np.nan), axis=1) / tot
        pshare = np.nansum(np.where(obs, m.PK, np.nan), axis=1) / tot
        cv = np.nanstd(K, axis=1) / daily
    dow_mean = np.full((P, 7), np.nan)
    for d in range(7):
        cols = m.dow == d
        if cols.any():
            dow_mean[:, d] = pc.nanmean_rows(K[:, cols])
    with np.errstate(invalid="ignore", divide="ignore"):
        wk_ratio = np.nanmin(dow_mean, axis=1) / np.nanmax(dow_mean, axis=1)
    hv, hp = pc.valley_hours(cfg) / 24, pc.peak_hours(cfg) / 24
    gap = float(params["max_share_gap"])
    ok = ((daily >= params["min_daily_kwh"]) & (np.abs(vshare - hv) <= gap) & (np.abs(pshare - hp) <= gap)
          & (wk_ratio >= params["min_weekday_ratio"]) & (cv <= params["max_cv"]) & (n >= 7))
    if not ok.any():
        return pc.empty()
    cand = pd.DataFrame({"premises_id": m.ids[ok], "daily": daily[ok], "vshare": vshare[ok],
                         "pshare": pshare[ok], "cv": cv[ok], "wk": wk_ratio[ok]})
    reg = con.execute(
        """SELECT m.premises_id, r.name, coalesce(r.industry, '') || ' ' || coalesce(r.scope, '') AS what
           FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
           WHERE coalesce(r.status, '存续') NOT IN ('吊销', '注销', '停业', '迁出')""").df()
    words = re.compile(params["explain_words_re"])
    hit = reg[reg["name"].fillna("").str.contains(words) | reg["what"].str.contains(words)]
    # a valid hazardous-chemicals licence covers a licensed continuous process
    lic = con.execute(
        """SELECT DISTINCT premises_id FROM sig_licences
           WHERE coalesce(valid_to, ?::DATE) >= ?::DATE""", [params["as_of"], params["as_of"]]).df()
    cand = cand[~cand["premises_id"].isin(set(hit["premises_id"]) | set(lic["premises_id"]))]
    rows = []
    for r in cand.itertuples():
        strength = float(np.clip(0.5 + 0.5 * (r.daily - params["min_daily_kwh"])
                                 / max(params["full_daily_kwh"] - params["min_daily_kwh"], 1e-9), 0.5, 1.0))
        sentence = (f"近{pc.weeks(params['recent_days'])}周全天候平稳用电：日均 {r.daily:,.0f} kWh，"
                    f"谷/峰时段电量占 {100 * r.vshare:.0f}%/{100 * r.pshare:.0f}%，与时段时长占比 "
                    f"{100 * hv:.0f}%/{100 * hp:.0f}% 相当（昼夜无起伏）；每周七天用电相同"
                    f"（最低的星期为最高的 {100 * r.wk:.0f}%），逐日波动 {100 * r.cv:.0f}%；"
                    f"未登记为冷库等需连续用电的行业，亦无有效危化品许可")
        rows.append((r.premises_id, strength, round(r.daily, 1), f"{hv:.3f}", sentence))
    return pd.DataFrame(rows, columns=pc.empty().columns)
