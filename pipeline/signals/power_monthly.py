"""power_monthly — 电量激增 read from monthly bills (营销系统 电费年月 × 总电量), for accounts the
power office handed over only monthly consumption for.

A power office can export a year or two of monthly bills far more easily than half a year
of daily time-of-use readings. Monthly data cannot show night work or a flat round-the-clock
load, and the sentence says so; it can show a level that rose:

1. Per premises and month, the bills of its accounts that have no daily readings in the
   recent months (daily readings win: power_surge reads them), whole months up to the run
   date only.
2. Recent = the last `recent_months` bills. Against the same months a year earlier
   (同比: seasons and the Spring Festival cancel out) and against the median month of the
   `prior_months` before them (环比). Fires when the recent monthly mean is at least
   `min_month_kwh` and 同比 ≥ `min_ratio` — or, for an account less than a year old, the 环比
   ratio ≥ `min_ratio`. The month the level first rose is named.
3. Already high (a workshop running since before the bills start has no change to see): a
   residential or farm account (`residential_categories`) whose every recent month is beyond
   `steady_min_month_kwh` and `steady_peer_multiple` × the median of its 用电类别 peers fires
   at `steady_factor` of the strength. Business tariffs are not judged this way: a large
   factory is an ordinary thing, a house drawing like one is not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc

_SQL = """
WITH acc AS (
    -- accounts with daily readings in the recent months are power_surge's
    SELECT ap.premises_id, ap.account_no, ap.category FROM sig_account_premises ap
    WHERE NOT EXISTS (SELECT 1 FROM stg_power_readings x
                      WHERE x.account_no = ap.account_no AND x.period = 'day'
                        AND x.day > $as_of - 92 AND x.day <= $as_of)
)
SELECT acc.premises_id, r.day AS month, sum(r.kwh) AS kwh,
       string_agg(DISTINCT acc.category, '、' ORDER BY acc.category) AS categories
FROM stg_power_readings r JOIN acc USING (account_no)
WHERE r.period = 'month' AND last_day(r.day) <= $as_of
GROUP BY acc.premises_id, r.day
"""


def _ym(ts) -> str:
    ts = pd.Timestamp(ts)
    return f"{ts.year}年{ts.month}月"


def _span(first, last) -> str:
    a, b = pd.Timestamp(first), pd.Timestamp(last)
    if a == b:
        return _ym(a)
    return f"{a.year}年{a.month}–{b.month}月" if a.year == b.year else f"{_ym(a)}–{_ym(b)}"


def _strength(ratio, lo, hi) -> float:
    return float(np.clip(0.5 + 0.5 * (ratio - lo) / max(hi - lo, 1e-9), 0.5, 1.0))


def monthly_table(con, as_of) -> pd.DataFrame:
    """premises × month consumption of the accounts read only monthly (sorted)."""
    df = con.execute(_SQL, {"as_of": as_of}).df()
    if len(df):
        df["month"] = pd.to_datetime(df["month"])
    return df.sort_values(["premises_id", "month"]).reset_index(drop=True)


NOTE = "（仅有月度电量，无法判断夜间用电）"


def new_factories(con, cfg, params) -> set:
    """Premises of a new business commissioning its plant (meter opened within a year)."""
    s = pc.surge_settings(cfg)
    biz = pc.new_business(con, params["as_of"], 366, int(s.get("new_business_max_gap_days", 365)),
                          int(s.get("new_business_grace_days", 90)))
    return set(biz["premises_id"]) if len(biz) else set()


def evidence(con, cfg, params) -> pd.DataFrame:
    df = monthly_table(con, params["as_of"])
    if df.empty:
        return pc.empty()
    df = df[~df["premises_id"].isin(new_factories(con, cfg, params))]
    n_recent, n_prior = int(params.get("recent_months", 3)), int(params.get("prior_months", 6))
    lo, hi = float(params.get("min_ratio", 2.0)), float(params.get("full_ratio", 6.0))
    min_kwh = float(params.get("min_month_kwh", 900))
    # the last whole month up to the run date (not the data's last month: an account whose
    # bills stop early has no recent months)
    last = (pd.Timestamp(params["as_of"]) + pd.Timedelta(days=1)).to_period("M").start_time - pd.DateOffset(months=1)
    recent_months = pd.date_range(end=last, periods=n_recent, freq="MS")
    wide = df.pivot(index="premises_id", columns="month", values="kwh")
    cats = df.groupby("premises_id")["categories"].last()
    get = lambda months: wide.reindex(columns=months)  # noqa: E731
    rec = get(recent_months)
    yago = get(recent_months - pd.DateOffset(years=1))
    prior = get(pd.date_range(end=recent_months[0] - pd.DateOffset(months=1), periods=n_prior, freq="MS"))
    rec_mean = rec.mean(axis=1, skipna=False)              # all recent months billed
    yago_mean = yago.mean(axis=1, skipna=False)
    prior_med = prior.median(axis=1)
    n_prior_ok = prior.notna().sum(axis=1)
    rows = []
    fired = set()
    for pid in wide.index[(rec_mean >= min_kwh).to_numpy()]:
        rm, ym, pm = rec_mean[pid], yago_mean[pid], prior_med[pid]
        yoy = rm / ym if ym > 0 else (np.inf if ym == 0 else np.nan)
        mom = rm / pm if (n_prior_ok[pid] >= 3 and pm > 0) else (np.inf if pm == 0 and n_prior_ok[pid] >= 3 else np.nan)
        ratio = yoy if not np.isnan(yoy) else mom
        if np.isnan(ratio) or ratio < lo:
            continue
        base = ym if not np.isnan(yoy) else pm
        # the month it rose: first month (from a year back) at or above lo × the base
        series = wide.loc[pid].dropna()
        series = series[series.index > recent_months[0] - pd.DateOffset(years=1)]
        up = series[series >= lo * max(base, 1.0)]
        since = f"，自{_ym(up.index[0])}起" if len(up) else ""
        span = _span(recent_months[0], recent_months[-1])
        if not np.isnan(yoy):
            comp = (f"为上年同期（月均 {ym:,.0f} kWh）的 {yoy:.1f} 倍" if ym > 0
                    else "上年同期无用电")
            if not np.isnan(mom) and pm > 0:
                comp += f"，此前{n_prior}个月月均中位数 {pm:,.0f} kWh"
        else:
            comp = (f"为此前{n_prior}个月（月中位数 {pm:,.0f} kWh）的 {mom:.1f} 倍" if pm > 0
                    else f"此前{n_prior}个月几乎不用电")
        sentence = f"月度电量：{span} 月均 {rm:,.0f} kWh，{comp}{since}{NOTE}"
        strength = _strength(min(ratio, 1e6), lo, hi)
        rows.append((pid, strength, round(float(rm), 1), round(float(base), 1), sentence))
        fired.add(pid)
    # already high on a residential / farm tariff, every recent month
    res = set(params.get("residential_categories", ["居民生活用电", "农业生产用电"]))
    steady_min = float(params.get("steady_min_month_kwh", 1800))
    mult = float(params.get("steady_peer_multiple", 5.0))
    factor = float(params.get("steady_factor", 0.6))
    rec_min = rec.min(axis=1, skipna=False)
    peers = pc.peer_stats(rec_mean.dropna(), cats.reindex(rec_mean.dropna().index).fillna("未知类别"))
    for pid in wide.index[(rec_min >= steady_min).to_numpy()]:
        cat = cats.get(pid) or ""
        if pid in fired or not (set(cat.split("、")) & res) or cat not in peers.index:
            continue
        med = float(peers.loc[cat, "peer_median"])
        if not med > 0 or rec_min[pid] < mult * med:
            continue
        multiple = rec_mean[pid] / med
        span = _span(recent_months[0], recent_months[-1])
        sentence = (f"月度电量：{cat}户 {span} 每月均在 {rec_min[pid]:,.0f} kWh 以上（月均 {rec_mean[pid]:,.0f} kWh），"
                    f"为同类用户中位数 {med:,.0f} kWh 的 {multiple:.1f} 倍，已是工业级用电{NOTE}")
        rows.append((pid, factor * _strength(multiple / mult * lo, lo, hi), round(float(rec_mean[pid]), 1),
                     round(med, 1), sentence))
    return pd.DataFrame(rows, columns=pc.empty().columns)
