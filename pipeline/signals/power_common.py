"""Shared arithmetic of the power signals (not a signal itself: it is not listed in
scoring.yaml). Everything works on one premises × day matrix built from `sig_daily` and
`sig_daily_tou` (prepare.sql), so each step is a handful of numpy operations over all
premises at once — no Python loop over accounts.

- Holidays: days on which the whole population draws far less than on the same weekday
  usually (the Spring Festival shutdown) are left out of every baseline and window.
- Comparable days: a baseline is the premises' median per weekday, so recent days are
  compared with the same weekdays before (a factory's Sunday with its earlier Sundays).
- Change point: the single split of a premises' daily series (log scale) that best
  separates a lower level before from a higher level after (one step of binary
  segmentation, the CUSUM statistic sqrt(nL·nR/n)·(meanR − meanL)), found for all premises
  at once with cumulative sums.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

MAD_SIGMA = 1.4826          # MAD → standard deviation of a normal distribution
MIN_HOLIDAY_POPULATION = 20  # fewer premises than this: no population-wide holiday test


def md(day) -> str:
    """6月3日"""
    day = pd.Timestamp(day)
    return f"{day.month}月{day.day}日"


def ymd(day) -> str:
    day = pd.Timestamp(day)
    return f"{day.year}年{day.month}月{day.day}日"


def weeks(days: int) -> int:
    return max(1, int(round(days / 7)))


def surge_settings(cfg) -> dict:
    """Settings of power_surge that the other power signals share (holidays, history)."""
    return dict((cfg.scoring.get("signals") or {}).get("power_surge") or {})


def _hours(spans) -> float:
    return float(sum((b - a) % 24 or 24 for a, b in spans)) if spans else 0.0


def valley_hours(cfg) -> float:
    """Hours a day in the valley (谷) tariff period, from campaign.yaml time_of_use."""
    return _hours((cfg.campaign.get("time_of_use") or {}).get("valley_hours", [[0, 8]]))


def peak_hours(cfg) -> float:
    return _hours((cfg.campaign.get("time_of_use") or {}).get("peak_hours", [[10, 12], [15, 20]]))


def matrix(con, as_of: dt.date, search_days: int, holiday_ratio: float) -> "Matrix":
    """The run's Matrix for these settings, built once per run (read-only to its users)."""
    from pipeline.signals.shared import shared

    key = ("matrix", as_of, search_days, holiday_ratio)
    return shared(key, lambda: Matrix(con, as_of, search_days, holiday_ratio))


class Matrix:
    """Premises × day matrices over `search_days` up to `as_of` (NaN where no reading)."""

    def __init__(self, con, as_of: dt.date, search_days: int, holiday_ratio: float):
        self.key = (as_of, search_days, holiday_ratio)
        as_of = pd.Timestamp(as_of)
        start = as_of - pd.Timedelta(days=search_days - 1)
        self.days = pd.date_range(start, as_of, freq="D")
        df = con.execute(
            """SELECT premises_id, day, kwh, kwh_valley, kwh_peak FROM sig_daily
               WHERE day >= ?::DATE AND day <= ?::DATE""",
            [start.date(), as_of.date()]).df()
        self.ids = np.array(sorted(df["premises_id"].unique())) if len(df) else np.array([], dtype=object)
        P, D = len(self.ids), len(self.days)
        self.K = np.full((P, D), np.nan)
        self.V = np.full((P, D), np.nan)
        self.PK = np.full((P, D), np.nan)
        if P:
            r = pd.Index(self.ids).get_indexer(df["premises_id"])
            c = ((pd.to_datetime(df["day"]) - start).dt.days).to_numpy()
            self.K[r, c] = df["kwh"].to_numpy(float)
            self.V[r, c] = df["kwh_valley"].to_numpy(float)
            self.PK[r, c] = df["kwh_peak"].to_numpy(float)
        self.dow = self.days.day_of_week.to_numpy()
        self.holiday = self._holidays(holiday_ratio)
        self.obs = ~np.isnan(self.K) & ~self.holiday[None, :]

    def _holidays(self, ratio: float) -> np.ndarray:
        hol = np.zeros(len(self.days), bool)
        if len(self.ids) < MIN_HOLIDAY_POPULATION:
            return hol
        total = np.nansum(self.K, axis=0)
        seen = (~np.isnan(self.K)).any(axis=0)           # days before the data begin are not holidays
        for d in range(7):
            cols = (self.dow == d) & seen
            typical = np.median(total[cols])
            hol[cols] = total[cols] < ratio * typical
        return hol

    def holiday_spans(self) -> list[str]:
        """Holiday days as '2月4日–2月25日' spans, for the sentences."""
        out, run = [], []
        for day, h in zip(self.days, self.holiday):
            if h:
                run.append(day)
            elif run:
                out.append(f"{md(run[0])}–{md(run[-1])}"); run = []
        if run:
            out.append(f"{md(run[0])}–{md(run[-1])}")
        return out

    def col_of(self, day) -> int:
        return int((pd.Timestamp(day) - self.days[0]).days)


def best_split(Y: np.ndarray, M: np.ndarray, min_left: int, min_right: int):
    """Per row, the split column j (left = cols < j) maximising the upward CUSUM statistic
    sqrt(nL·nR/n)·(mean(Y right) − mean(Y left)) over observed cells (M), with at least
    `min_left` / `min_right` observations on each side; j must be an observed day.
    Returns (j, stat), j = -1 when no split is admissible."""
    P, D = Y.shape
    Yz = np.where(M, Y, 0.0)
    cs = np.concatenate([np.zeros((P, 1)), np.cumsum(Yz, axis=1)], axis=1)[:, :D]   # sum of cols < j
    cn = np.concatenate([np.zeros((P, 1)), np.cumsum(M, axis=1)], axis=1)[:, :D]
    S, N = Yz.sum(axis=1, keepdims=True), M.sum(axis=1, keepdims=True)
    nL, nR = cn, N - cn
    ok = (nL >= min_left) & (nR >= min_right) & M
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = np.sqrt(nL * nR / np.maximum(N, 1)) * ((S - cs) / nR - cs / nL)
    stat = np.where(ok, stat, -np.inf)
    j = np.argmax(stat, axis=1) if D else np.zeros(P, int)
    best = stat[np.arange(P), j] if D else np.full(P, -np.inf)
    j = np.where(np.isfinite(best), j, -1)
    return j, np.where(np.isfinite(best), best, np.nan)


def dow_baseline(X: np.ndarray, base: np.ndarray, dow: np.ndarray, min_per_dow: int = 2):
    """Per row and weekday, the median of X over baseline cells; weekdays with fewer than
    `min_per_dow` values fall back to the median of all baseline cells. Returns P × 7."""
    P = X.shape[0]
    out = np.full((P, 7), np.nan)
    allmed = nanmedian_rows(np.where(base, X, np.nan))
    for d in range(7):
        cols = dow == d
        sub = np.where(base[:, cols], X[:, cols], np.nan)
        cnt = (~np.isnan(sub)).sum(axis=1)
        med = nanmedian_rows(sub)
        out[:, d] = np.where(cnt >= min_per_dow, med, allmed)
    return out


def nanmedian_rows(A: np.ndarray) -> np.ndarray:
    if A.shape[1] == 0:
        return np.full(A.shape[0], np.nan)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(A, axis=1)


def nanmean_rows(A: np.ndarray) -> np.ndarray:
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(A, axis=1)


def levels(m: Matrix, recent_days: int, baseline_days: int, min_seg: int, min_baseline_days: int) -> pd.DataFrame:
    """Per premises: the change point of its daily kWh, the level before it (per-weekday
    medians of up to `baseline_days` comparable days before the change), the recent level
    (the last `recent_days`, or the days since the change when it falls inside them), the
    ratio and a robust z of recent against the expected comparable-day baseline."""
    P, D = m.K.shape
    cols = np.arange(D)
    if P == 0:
        return pd.DataFrame(columns=["premises_id"])
    Y = np.log1p(np.clip(np.nan_to_num(m.K), 0, None))
    j, stat = best_split(Y, m.obs, min_baseline_days, min_seg)
    recent_start = max(0, D - recent_days)
    any_obs = ~np.isnan(m.K)
    first_obs = np.where(any_obs.any(axis=1), np.argmax(any_obs, axis=1), D)
    data_start = int(first_obs.min()) if P else 0        # the first day any premises has a reading
    # readings that begin well inside the window: a new meter, no history of its own
    new_meter = first_obs > data_start + min_baseline_days
    cp = np.where(new_meter | (j < 0), first_obs, j)
    base = m.obs & (cols[None, :] < cp[:, None]) & (cols[None, :] >= (cp - baseline_days)[:, None])
    n_base = base.sum(axis=1)
    rstart = np.maximum(cp, recent_start)
    rmask = m.obs & (cols[None, :] >= rstart[:, None])
    recent = nanmean_rows(np.where(rmask, m.K, np.nan))
    n_recent = rmask.sum(axis=1)
    med = dow_baseline(m.K, base, m.dow)
    E = med[:, m.dow]                                   # expected kWh on each day, per premises
    expected = nanmean_rows(np.where(rmask, E, np.nan))
    resid = np.where(base, m.K - E, np.nan)
    mad = nanmedian_rows(np.abs(resid - nanmedian_rows(resid)[:, None])) * MAD_SIGMA
    spread = np.maximum(np.nan_to_num(mad), np.maximum(1.0, 0.05 * np.nan_to_num(expected)))
    floor_exp = np.maximum(np.nan_to_num(expected), 1.0)
    out = pd.DataFrame({
        "premises_id": m.ids,
        "first_day": [m.days[i] if i < D else pd.NaT for i in first_obs],
        "cp_day": [m.days[i] if 0 <= i < D else pd.NaT for i in cp],
        "has_history": ~new_meter & (j >= 0) & (n_base >= min_baseline_days),
        "new_meter": new_meter,
        "base_holiday": (m.holiday[None, :] & (cols[None, :] < cp[:, None])
                         & (cols[None, :] >= (cp - baseline_days)[:, None])).any(axis=1),
        "n_base": n_base, "n_recent": n_recent,
        "recent": recent, "expected": expected,
        "base_median": nanmedian_rows(np.where(base, m.K, np.nan)),
        "ratio": np.nan_to_num(recent) / floor_exp,
        "z": (np.nan_to_num(recent) - np.nan_to_num(expected)) / spread,
        "cp_in_recent": cp > recent_start,
        "stat": stat,
    })
    out["base_weeks"] = [weeks(n) for n in np.minimum(n_base, baseline_days)]
    out["recent_days"] = n_recent
    return out


def premises_category(con, as_of, recent_days: int) -> pd.DataFrame:
    """Each premises' 用电类别: that of its account drawing the most in the recent window
    (else any account's), with that account and capacity."""
    return con.execute(
        """
        WITH use AS (
            SELECT ap.premises_id, ap.account_no, min(ap.category) AS category,
                   coalesce(sum(r.kwh), 0) AS kwh
            FROM sig_account_premises ap
            LEFT JOIN stg_power_readings r ON r.account_no = ap.account_no AND r.period = 'day'
                 AND r.day > ?::DATE - ?::INTEGER AND r.day <= ?::DATE
            GROUP BY ap.premises_id, ap.account_no
        )
        SELECT premises_id, arg_max(category, (kwh, account_no)) AS category, arg_max(account_no, (kwh, account_no)) AS account_no
        FROM use GROUP BY premises_id
        """, [as_of, recent_days, as_of]).df()


def _norm_name(s) -> str:
    return re.sub(r"[\s（）()·]", "", str(s or ""))


def new_business(con, as_of, window_days: int, max_gap_days: int, grace_days: int) -> pd.DataFrame:
    """Premises whose power account opened within `window_days` before `as_of` is held by a
    market entity registered at the same premises, in the same name, active (not 吊销/注销/
    停业/迁出), founded at most `max_gap_days` before the account opened (and no more than
    `grace_days` after): a newly set-up business commissioning its plant. Returns
    premises_id, account_no, entity name, founded, opened."""
    df = con.execute(
        """
        SELECT ap.premises_id, a.account_no, a.account_name, a.opened, r.name, r.founded, r.status
        FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no)
        JOIN premises_members m ON m.premises_id = ap.premises_id AND m.source = 'registry'
        JOIN int_registry r ON r.source_key = m.source_key
        WHERE a.opened > ?::DATE - ?::INTEGER AND a.opened <= ?::DATE
          AND coalesce(r.status, '存续') NOT IN ('吊销', '注销', '停业', '迁出')
          AND r.founded IS NOT NULL
          AND a.opened - r.founded BETWEEN -?::INTEGER AND ?::INTEGER
        """, [as_of, window_days, as_of, grace_days, max_gap_days]).df()
    if df.empty:
        return df
    df = df[df["account_name"].map(_norm_name) == df["name"].map(_norm_name)]
    return df.sort_values(["premises_id", "account_no"]).drop_duplicates("premises_id")


def new_accounts(con, as_of, window_days: int) -> pd.DataFrame:
    """Accounts opened within `window_days` before as_of, with their premises."""
    return con.execute(
        """
        SELECT ap.premises_id, a.account_no, a.account_name, a.opened, a.category
        FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no)
        WHERE a.opened > ?::DATE - ?::INTEGER AND a.opened <= ?::DATE
        """, [as_of, window_days, as_of]).df()


def peer_stats(values: pd.Series, groups: pd.Series, min_peers: int = 0) -> pd.DataFrame:
    """Median and MAD-sigma of `values` per group. A group with fewer than `min_peers`
    members has no reliable statistics of its own: it gets those of the whole population
    (peer_group '全部用户')."""
    # numeric even when empty: an empty object column made `v - median` a str/float TypeError
    df = pd.DataFrame({"g": groups.fillna("未知类别").to_numpy(),
                       "v": pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)}).dropna()
    med = df.groupby("g")["v"].median()
    mad = df.assign(d=(df["v"] - df["g"].map(med)).abs()).groupby("g")["d"].median() * MAD_SIGMA
    n = df.groupby("g")["v"].size()
    out = pd.DataFrame({"peer_median": med, "peer_sigma": mad, "peer_n": n})
    out["peer_group"] = out.index
    small = out["peer_n"] < min_peers
    if small.any() and len(df):
        allmed = df["v"].median()
        out.loc[small, ["peer_median", "peer_sigma", "peer_n", "peer_group"]] = (
            allmed, (df["v"] - allmed).abs().median() * MAD_SIGMA, len(df), "全部用户")
    return out


def empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["premises_id", "strength", "value", "baseline", "sentence"])


# --------------------------------------------------------------------------- trade peers
# Trades have their own rhythm: printing and dyeing run night shifts, a shoe-material
# cutter does not. A premises is compared with the premises of its registered trade
# (industry code 中类, else 大类, else the industry text of its registration or of the power
# office's 行业分类, else the trade word of its name) and of similar size.
SIZE_BANDS = (50.0, 300.0, 1500.0)       # recent daily kWh: shop · workshop · factory · large


def size_band(daily: pd.Series) -> pd.Series:
    edges = [-np.inf, *SIZE_BANDS, np.inf]
    return pd.Series(np.searchsorted(edges, pd.to_numeric(daily, errors="coerce").fillna(0).to_numpy(),
                                     side="right") - 1, index=daily.index)


def size_text(band: int) -> str:
    edges = (0.0, *SIZE_BANDS)
    if band >= len(SIZE_BANDS):
        return f"日均 {edges[-1]:,.0f} kWh 以上"
    return f"日均 {edges[band]:,.0f}–{edges[band + 1]:,.0f} kWh"


def premises_trade_sql() -> str:
    """premises_id → trade keys, from the most to the least specific source: a registry
    industry code (中类 and 大类: the first 3 / 2 digits), the registry's or the power office's
    industry text, the trade word of any of the premises' names (int_link_parsed.trade).
    `label` is what the sentence shows."""
    return """
    WITH reg AS (
        SELECT m.premises_id, regexp_replace(r.industry_code, '[^0-9]', '', 'g') AS code, r.industry
        FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
    ),
    regc AS (
        SELECT premises_id, min(code) AS code, min(industry) FILTER (WHERE industry IS NOT NULL) AS industry
        FROM reg WHERE length(code) >= 2 OR industry IS NOT NULL GROUP BY premises_id
    ),
    bill AS (
        SELECT ap.premises_id, min(r.industry) AS industry
        FROM stg_power_readings r JOIN sig_account_premises ap USING (account_no)
        WHERE r.industry IS NOT NULL AND trim(r.industry) <> '' GROUP BY ap.premises_id
    ),
    nm AS (
        SELECT m.premises_id, min(q.trade) AS trade
        FROM premises_members m JOIN int_link_parsed q ON q.source = m.source AND q.source_key = m.source_key
        WHERE q.trade IS NOT NULL GROUP BY m.premises_id
    ),
    ids AS (SELECT premises_id FROM regc UNION SELECT premises_id FROM bill UNION SELECT premises_id FROM nm)
    SELECT ids.premises_id,
           CASE WHEN length(regc.code) >= 3 THEN 'C' || left(regc.code, 3)
                WHEN regc.industry IS NOT NULL THEN 'T' || regc.industry
                WHEN bill.industry IS NOT NULL THEN 'T' || bill.industry
                WHEN nm.trade IS NOT NULL THEN 'N' || nm.trade END AS trade_fine,
           CASE WHEN length(regc.code) >= 2 THEN 'C' || left(regc.code, 2)
                WHEN regc.industry IS NOT NULL THEN 'T' || regc.industry
                WHEN bill.industry IS NOT NULL THEN 'T' || bill.industry
                WHEN nm.trade IS NOT NULL THEN 'N' || nm.trade END AS trade_coarse,
           coalesce(regc.industry, bill.industry, nm.trade) AS label
    FROM ids LEFT JOIN regc USING (premises_id) LEFT JOIN bill USING (premises_id) LEFT JOIN nm USING (premises_id)
    """


def premises_trade(con) -> pd.DataFrame:
    return con.execute(premises_trade_sql()).df()


def trade_peers(df: pd.DataFrame, value: str, min_peers: int) -> pd.DataFrame:
    """Per row of df (premises_id, `value`, daily, trade_fine, trade_coarse, label): the
    peers it is compared with — the same fine trade and size band, else the same fine trade,
    else the same coarse trade — with their median, MAD-sigma, 90th percentile, count and a
    Chinese description. Rows without a trade, or whose trade has fewer than `min_peers`
    premises, get NaN (no trade comparison)."""
    d = df[["premises_id", value, "daily", "trade_fine", "trade_coarse", "label"]].copy()
    d["band"] = size_band(d["daily"])
    out = pd.DataFrame({"premises_id": d["premises_id"], "trade_median": np.nan, "trade_sigma": np.nan,
                        "trade_q90": np.nan, "trade_n": 0, "trade_text": None}, index=d.index)
    v = pd.to_numeric(d[value], errors="coerce")
    known = d["trade_fine"].notna() & v.notna()
    todo = known.copy()
    levels = [(["trade_fine", "band"], True), (["trade_fine"], False), (["trade_coarse"], False)]
    for keys, sized in levels:
        # every premises of the trade is a peer; only those not yet compared take the result
        grp = d[known].assign(v=v).groupby(keys, sort=True)["v"]
        stats = pd.DataFrame({"n": grp.size(), "med": grp.median(), "q90": grp.quantile(0.9)})
        if stats.empty:
            continue
        dev = d[known].assign(v=v).join(stats["med"], on=keys)
        mad = (dev["v"] - dev["med"]).abs().groupby([dev[k] for k in keys], sort=True).median() * MAD_SIGMA
        stats["sigma"] = mad
        row = d.join(stats, on=keys)
        ok = todo & (row["n"] >= min_peers)
        out.loc[ok, "trade_median"] = row.loc[ok, "med"]
        out.loc[ok, "trade_sigma"] = row.loc[ok, "sigma"]
        out.loc[ok, "trade_q90"] = row.loc[ok, "q90"]
        out.loc[ok, "trade_n"] = row.loc[ok, "n"].astype(int)
        out.loc[ok, "trade_text"] = [
            f"同行业（{lab}）" + (f"同规模（{size_text(int(b))}）" if sized else "") + f"用户 {int(n)} 户"
            for lab, b, n in zip(d.loc[ok, "label"], d.loc[ok, "band"], row.loc[ok, "n"])]
        todo = todo & ~ok
    return out
