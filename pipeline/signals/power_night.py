"""power_night — 夜间用电 (seed 五(二)): the share of consumption in the valley (谷, night)
hours, compared twice:

- with the premises' 用电类别 peers: recent share at least `min_peer_z` robust standard
  deviations (median/MAD) above the peers' median, and at least `min_share` absolute (most
  of the energy at night), with at least `min_valley_kwh` a day drawn at night (more than a
  home charging an electric car);
- with its own past: the share over the comparable days before its change point (the same
  split search as power_surge, run on the daily night share). A share that rose by at least
  `min_jump` is a new night operation: full strength. A place that has always run at night
  at the same scale (bakery, night-shift factory) is a look-alike: it fires only when its
  night load is beyond what such trades show (`steady_min_share`), at `steady_factor` of the
  strength. A steady share whose night kWh grew by power_surge's `min_ratio` is not steady.
  A 用电类别 with fewer than `min_peers` premises is compared with the whole population.
A new meter has no past of its own and is judged against its peers.

Trades have their own rhythm (a printing or dyeing works runs night shifts, a shoe-material
cutter does not): a premises is also compared with the premises of its registered trade and
size (power_common.trade_peers). A share at least `trade_min_share`, `min_peer_z` robust
standard deviations above its trade's median and `trade_margin` beyond the trade's 90th
percentile fires even below `min_share` — half the energy at night is a threshold for a
category of mixed trades, not for one whose own premises draw a tenth at night. With fewer
than `trade_min_peers` premises in the trade, the category comparison alone applies.
Only a new meter or a changed rhythm counts so: a premises that has always drawn beyond its
trade's 90th percentile is one of the trade's night shifts. A share that rose by `min_jump` across its change point to beyond the trade's (else the
category's) 90th percentile is a new night operation too, however far below half it stays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc


def night_table(con, cfg, params) -> tuple[pd.DataFrame, pc.Matrix]:
    s = {**pc.surge_settings(cfg)}
    m = pc.matrix(con, params["as_of"], int(s.get("search_days", 182)), float(s.get("holiday_ratio", 0.5)))
    P, D = m.K.shape
    if P == 0:
        return pd.DataFrame(), m
    rd, bd = params["recent_days"], params["baseline_days"]
    min_base = int(s.get("min_baseline_days", 14))
    cols = np.arange(D)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(m.K > 0, m.V / m.K, np.nan)
    obs = m.obs & ~np.isnan(share)
    j, _ = pc.best_split(np.nan_to_num(share), obs, min_base, int(s.get("min_segment_days", 7)))
    recent_start = max(0, D - rd)
    rmask = obs & (cols[None, :] >= recent_start)
    kwh_r = np.nansum(np.where(rmask, m.K, 0), axis=1)
    val_r = np.nansum(np.where(rmask, m.V, 0), axis=1)
    n_r = rmask.sum(axis=1)
    # own past: the comparable days before the change point when the share rose across it
    # by at least min_jump, else the baseline weeks before the recent window (steady)
    def before(cut):
        bmask = obs & (cols[None, :] < cut[:, None]) & (cols[None, :] >= (cut - bd)[:, None])
        kb = np.nansum(np.where(bmask, m.K, 0), axis=1)
        vb = np.nansum(np.where(bmask, m.V, 0), axis=1)
        nb = bmask.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return vb / np.where(kb > 0, kb, np.nan), nb, vb / np.where(nb > 0, nb, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_r = val_r / kwh_r
    cut_cp = np.where(j >= 0, np.minimum(j, recent_start), recent_start)
    sh_cp, n_cp, vd_cp = before(cut_cp)
    steady_cut = np.full(P, recent_start)
    sh_st, n_st, vd_st = before(steady_cut)
    use_cp = (j >= 0) & (n_cp >= min_base) & (share_r - sh_cp >= float(params["min_jump"]))
    cut = np.where(use_cp, cut_cp, steady_cut)
    base_share = np.where(use_cp, sh_cp, sh_st)
    base_valley = np.where(use_cp, vd_cp, vd_st)
    n_b = np.where(use_cp, n_cp, n_st)
    any_obs = ~np.isnan(m.K)
    first_obs = np.where(any_obs.any(axis=1), np.argmax(any_obs, axis=1), D)
    new_meter = first_obs > int(first_obs.min()) + min_base
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({
            "premises_id": m.ids,
            "share": val_r / kwh_r, "daily": kwh_r / n_r, "valley_daily": val_r / n_r,
            "base_share": np.where((n_b >= min_base) & ~new_meter, base_share, np.nan),
            "base_valley": base_valley,
            "first_day": [m.days[c] if c < D else pd.NaT for c in first_obs],
            "new_meter": new_meter,
            "n_base": n_b, "base_weeks": [pc.weeks(n) for n in n_b],
            "cp_day": [m.days[c] if 0 <= c < D else pd.NaT for c in cut],
        })
    return out, m


def evidence(con, cfg, params) -> pd.DataFrame:
    nt, m = night_table(con, cfg, params)
    if nt.empty:
        return pc.empty()
    cat = pc.premises_category(con, params["as_of"], params["recent_days"])
    nt = nt.merge(cat, on="premises_id", how="left")
    nt["category"] = nt["category"].fillna("未知类别")
    peers = pc.peer_stats(nt["share"], nt["category"], int(params["min_peers"]))
    nt = nt.join(peers, on="category")
    nt["peer_z"] = (nt["share"] - nt["peer_median"]) / nt["peer_sigma"].clip(lower=0.01)
    trade = nt[["premises_id", "share", "daily"]].merge(pc.premises_trade(con), on="premises_id", how="left")
    nt = nt.merge(pc.trade_peers(trade, "share", int(params["trade_min_peers"])), on="premises_id", how="left")
    nt["trade_z"] = (nt["share"] - nt["trade_median"]) / nt["trade_sigma"].clip(lower=0.02)
    lo, hi = float(params["min_share"]), float(params["full_share"])
    by_cat = (nt["share"] >= lo) & (nt["peer_z"] >= params["min_peer_z"])
    # beyond its own trade's night rhythm, even below half of its energy, and drawing more
    # per night hour than per day hour (a flat round-the-clock load is power_flat's); it
    # counts only for a new meter or a changed rhythm (below)
    hv = pc.valley_hours(cfg)
    night_heavy = nt["share"] / hv >= (1 - nt["share"]) / max(24 - hv, 1e-9)
    by_trade = night_heavy & (nt["share"] >= float(params["trade_min_share"])) & (nt["trade_z"] >= params["min_peer_z"]) \
        & (nt["share"] >= nt["trade_q90"] + float(params["trade_margin"]))
    # its own rhythm changed: the share rose across its change point by min_jump to beyond
    # what nine in ten of its trade (else of its 用电类别) draw at night
    q90 = nt["trade_q90"].fillna(nt.groupby("category")["share"].transform(lambda v: v.quantile(0.9)))
    jumped = night_heavy & (nt["share"] - nt["base_share"] >= float(params["min_jump"])) \
        & (nt["share"] >= float(params["trade_min_share"])) & (nt["share"] >= q90 + float(params["trade_margin"]))
    nt["by_trade"] = (by_trade | jumped) & ~by_cat
    nt["ref_q90"] = q90
    cand = nt[(by_cat | by_trade | jumped) & (nt["valley_daily"] >= params["min_valley_kwh"])]
    rows = []
    rw = pc.weeks(params["recent_days"])
    surge_ratio = float(pc.surge_settings(cfg).get("min_ratio", 2.0))
    for r in cand.itertuples():
        if r.by_trade:
            tlo = r.ref_q90 + float(params["trade_margin"])
            strength = float(np.clip(0.5 + 0.5 * (r.share - tlo) / max(hi - tlo, 1e-9), 0.5, 1.0))
            peer_txt = (f"{r.trade_text}中位数 {100 * r.trade_median:.0f}%，九成不超过 {100 * r.trade_q90:.0f}%"
                        if isinstance(r.trade_text, str) else
                        f"同类用户（{r.category}）中位数 {100 * r.peer_median:.0f}%，九成不超过 {100 * r.ref_q90:.0f}%")
        else:
            strength = float(np.clip(0.5 + 0.5 * (r.share - lo) / max(hi - lo, 1e-9), 0.5, 1.0))
            peer_txt = (f"同类用户（{r.category}）中位数 {100 * r.peer_median:.0f}%" if r.peer_group != "全部用户"
                        else f"全部用户中位数 {100 * r.peer_median:.0f}%（{r.category}用户不足 {params['min_peers']} 户）")
            if isinstance(r.trade_text, str):
                peer_txt += f"，{r.trade_text}中位数 {100 * r.trade_median:.0f}%"
        head = f"近{rw}周谷时段（夜间）用电占 {100 * r.share:.0f}%（日均 {r.daily:,.0f} kWh，其中夜间 {r.valley_daily:,.0f} kWh），{peer_txt}"
        if r.new_meter:
            own = f"；该户 {pc.md(r.first_day)}起才有用电记录，" + ("自始以夜间用电为主" if r.share >= 0.5 else "自始如此")
        elif np.isnan(r.base_share):
            own = "；无此前用电记录可比"
        elif r.share - r.base_share >= params["min_jump"]:
            own = f"；此前{r.base_weeks}周仅 {100 * r.base_share:.0f}%，自 {pc.md(r.cp_day)}起夜间用电占比上升"
        elif r.valley_daily >= surge_ratio * r.base_valley:
            own = (f"；此前{r.base_weeks}周占比同为 {100 * r.base_share:.0f}%，但夜间用电由日均 {r.base_valley:,.0f} kWh "
                   f"增至 {r.valley_daily:,.0f} kWh")
        elif r.share >= params["steady_min_share"] and not r.by_trade:
            # always at night, but beyond what night trades show. Beyond its own trade's 90th
            # percentile alone is no evidence: a tenth of every trade is there, and trades
            # run night shifts (on varied worlds this fired on ≈70 ordinary premises a world)
            strength *= float(params["steady_factor"])
            ratio = (r.share / hv) / max((1 - r.share) / (24 - hv), 1e-9)
            own = (f"；此前{r.base_weeks}周同为 {100 * r.base_share:.0f}%，"
                   + ("长期以夜间用电为主，" if r.share >= 0.5 else "长期如此，")
                   + f"夜间平均负荷为白天的 {ratio:.1f} 倍")
        else:
            continue   # has always run at night at a level night trades show: a look-alike
        rows.append((r.premises_id, strength, round(r.share, 3),
                     f"{r.peer_median:.3f}" + ("" if np.isnan(r.base_share) else f"/{r.base_share:.3f}"),
                     head + own))
    return pd.DataFrame(rows, columns=pc.empty().columns)
