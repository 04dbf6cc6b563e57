"""power_level — a load that was already high when the daily readings start.

A workshop running since before the half-year of daily readings has no change point in
them: power_surge cannot see it, and it ranks with the silent. Two things the offices hand
over still show it:

1. The monthly history (营销系统 电费年月): power offices export bills for months before the
   daily window. Per account, one series of daily-equivalent kWh per month — the month's
   daily readings where there are any, else its bill spread over its days; no month before
   the one after it opened (a meter that starts is not a load that rose) — and the single
   step up that best splits it (power_common.best_split on the log series, at least
   `min_months` months on each side). The step fires when it lies before the daily window
   could show it (no more than `min_baseline_days` of power_surge after the first daily
   reading), the level after is at least `min_ratio` × the level before (median months), and
   the last month still draws at least half that level and at least `min_daily_kwh`. A
   premises carries its strongest account.
2. Contract capacity against the trade: kWh per kVA (utilisation: recent daily kWh /
   (capacity × 24 h × power_factor, as power_utilisation)) of a premises far beyond the
   premises of its own registered trade and size (power_common.trade_peers): at least
   `min_util`, `min_peer_z` robust standard deviations above the trade's median and beyond
   its 90th percentile, drawing at least `min_capacity_daily_kwh` — at `trade_factor` of the
   strength, since a busy factory of a trade is an ordinary thing unless nothing else
   explains it. Premises whose daily readings show
   a change point of their own (power_surge's) and new businesses commissioning their plant
   are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc
from pipeline.signals.power_monthly import new_factories


def history_sql() -> str:
    """account × month: the month's daily readings (mean kWh a day) where there are any,
    else its bill spread over the month's days; whole months only for bills, and no month
    before the one after the account opened (its first month is a part month: a meter that
    starts is not a load that rose)."""
    return """
    WITH acc AS (
        SELECT ap.premises_id, ap.account_no, a.opened
        FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no)
    ),
    d AS (
        SELECT r.account_no, date_trunc('month', r.day) AS month, sum(r.kwh) / count(*) AS daily
        FROM stg_power_readings r JOIN acc USING (account_no)
        WHERE r.period = 'day' AND r.day <= $as_of GROUP BY ALL
    ),
    b AS (
        SELECT r.account_no, date_trunc('month', r.day) AS month,
               sum(r.kwh) / dayofmonth(last_day(min(r.day))) AS daily
        FROM stg_power_readings r JOIN acc USING (account_no)
        WHERE r.period = 'month' AND last_day(r.day) <= $as_of GROUP BY ALL
    )
    SELECT acc.premises_id, x.account_no, x.month, x.daily, x.from_daily
    FROM (
        SELECT coalesce(d.account_no, b.account_no) AS account_no, coalesce(d.month, b.month) AS month,
               coalesce(d.daily, b.daily) AS daily, d.daily IS NOT NULL AS from_daily
        FROM d FULL JOIN b ON d.account_no = b.account_no AND d.month = b.month
    ) x JOIN acc USING (account_no)
    WHERE acc.opened IS NULL OR x.month > date_trunc('month', acc.opened)
    ORDER BY acc.premises_id, x.account_no, x.month
    """


def _ym(ts) -> str:
    ts = pd.Timestamp(ts)
    return f"{ts.year}年{ts.month}月"


def _strength(ratio, lo, hi) -> float:
    return float(np.clip(0.5 + 0.5 * (ratio - lo) / max(hi - lo, 1e-9), 0.5, 1.0))


def _history(con, cfg, params, skip: set) -> list[tuple]:
    df = con.execute(history_sql(), {"as_of": params["as_of"]}).df()
    if df.empty:
        return []
    df["month"] = pd.to_datetime(df["month"])
    # only accounts with bills before their daily readings: the history the window lacks
    first_daily = df[df["from_daily"]].groupby("account_no")["month"].min()
    if first_daily.empty:           # bills only: power_monthly reads them
        return []
    fd_row = df["account_no"].map(first_daily)
    with_history = set(df.loc[~df["from_daily"] & (df["month"] < fd_row), "account_no"])
    df = df[df["account_no"].isin(with_history) & ~df["premises_id"].isin(skip)]
    if df.empty:
        return []
    wide = df.pivot(index="account_no", columns="month", values="daily").sort_index(axis=1)
    prem = df.drop_duplicates("account_no").set_index("account_no")["premises_id"]
    months = wide.columns
    X = wide.to_numpy(float)
    M = ~np.isnan(X)
    n_min = int(params["min_months"])
    j, _ = pc.best_split(np.log1p(np.clip(np.nan_to_num(X), 0, None)), M, n_min, n_min)
    lo, hi = float(params["min_ratio"]), float(params["full_ratio"])
    min_base = int(pc.surge_settings(cfg).get("min_baseline_days", 14))
    rows = []
    for i, acct in enumerate(wide.index):
        if j[i] < 0:
            continue
        before = X[i, :j[i]][M[i, :j[i]]]
        after = X[i, j[i]:][M[i, j[i]:]]
        base, level, recent = float(np.median(before)), float(np.median(after)), float(after[-1])
        step, fd = months[j[i]], first_daily[acct]
        # a step the daily readings can show (enough days before it) is power_surge's
        if step > fd + pd.Timedelta(days=min_base):
            continue
        ratio = level / max(base, 1.0)
        if ratio < lo or recent < float(params["min_daily_kwh"]) or recent < 0.5 * level:
            continue
        sentence = (f"月度电费记录：户号 {acct} 自{_ym(step)}起用电由日均 {base:,.0f} kWh 升至 {level:,.0f} kWh"
                    f"（{ratio:.1f} 倍），{pc.ymd(fd)}起的日用电数据开始时已处于高位，最近一月日均 {recent:,.0f} kWh")
        rows.append((prem[acct], _strength(ratio, lo, hi), round(level, 1), round(base, 1), sentence))
    # the strongest account of each premises
    rows.sort(key=lambda r: (r[0], -r[1], r[4]))
    out, seen = [], set()
    for r in rows:
        if r[0] not in seen:
            seen.add(r[0]); out.append(r)
    return out


def _capacity(con, cfg, params, lv: pd.DataFrame, skip: set) -> list[tuple]:
    df = con.execute(
        """
        WITH use AS (
            SELECT account_no, sum(kwh) AS kwh, count(DISTINCT day) AS n FROM stg_power_readings
            WHERE period = 'day' AND day > $as_of - $recent_days AND day <= $as_of GROUP BY account_no
        )
        SELECT ap.premises_id, sum(a.capacity_kva) AS capacity_kva, sum(u.kwh) / max(u.n) AS daily
        FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no) JOIN use u USING (account_no)
        WHERE a.capacity_kva > 0
        GROUP BY ap.premises_id
        """, {k: params[k] for k in ("as_of", "recent_days")}).df()
    if df.empty:
        return []
    pf = float(params["power_factor"])
    df["util"] = df["daily"] / (df["capacity_kva"] * 24 * pf)
    df = df.merge(pc.premises_trade(con), on="premises_id", how="left")
    df = df.merge(pc.trade_peers(df, "util", int(params["trade_min_peers"])), on="premises_id", how="left")
    df["z"] = (df["util"] - df["trade_median"]) / df["trade_sigma"].clip(lower=0.02)
    # a change point of its own in the daily readings: power_surge's (rose) or not high before
    changed = set(lv.loc[lv["has_history"] & (lv["ratio"] >= float(pc.surge_settings(cfg).get("min_ratio", 2.0))),
                         "premises_id"]) if len(lv) else set()
    # a small contract run flat out is power_utilisation's already
    pu = dict((cfg.scoring.get("signals") or {}).get("power_utilisation") or {})
    if pu:
        df = df[~((df["capacity_kva"] <= float(pu.get("max_capacity_kva", 100)))
                  & (df["util"] >= float(pu.get("min_util", 0.6))))]
    cand = df[(df["util"] >= float(params["min_util"])) & (df["z"] >= float(params["min_peer_z"]))
              & (df["util"] >= df["trade_q90"]) & (df["daily"] >= float(params["min_capacity_daily_kwh"]))
              & ~df["premises_id"].isin(skip | changed)]
    rows = []
    factor = float(params["trade_factor"])
    for r in cand.sort_values("premises_id").itertuples():
        strength = factor * float(np.clip(0.5 + 0.5 * (r.util - r.trade_q90) / max(1 - r.trade_q90, 1e-9), 0.5, 1.0))
        sentence = (f"合同容量 {r.capacity_kva:g} kVA，近{pc.weeks(params['recent_days'])}周日均用电 {r.daily:,.0f} kWh，"
                    f"为全天满载可供电量的 {100 * r.util:.0f}%；{r.trade_text}中位数 {100 * r.trade_median:.0f}%，"
                    f"九成不超过 {100 * r.trade_q90:.0f}%")
        rows.append((r.premises_id, strength, round(r.util, 3), f"{r.trade_median:.3f}/{r.trade_q90:.3f}", sentence))
    return rows


def evidence(con, cfg, params) -> pd.DataFrame:
    s = pc.surge_settings(cfg)
    m = pc.matrix(con, params["as_of"], int(s.get("search_days", 182)), float(s.get("holiday_ratio", 0.5)))
    lv = pc.levels(m, params["recent_days"], params["baseline_days"], int(s.get("min_segment_days", 7)),
                   int(s.get("min_baseline_days", 14))) if len(m.ids) else pd.DataFrame()
    skip = new_factories(con, cfg, params)
    rows = _history(con, cfg, params, skip)
    done = {r[0] for r in rows}
    rows += [r for r in _capacity(con, cfg, params, lv, skip) if r[0] not in done]
    return pd.DataFrame(rows, columns=pc.empty().columns)
