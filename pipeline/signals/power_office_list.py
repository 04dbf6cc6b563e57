"""power_office_list — the power office's own 电量激增清单 (seed: "短期内电量激增的用户清单").

The office flags accounts by its own rule in its 营销系统; chemsieve takes each flagged
account as evidence *with the office named as its source*, after checking the office's
figures:

- Rows of `stg_power_surge_list` whose 统计期 ends on or before the run date and within
  `lookback_days` of it, for accounts linked to a premises.
- Growths are recomputed from the office's own kWh (本期 against 同期 and 上期). Where the
  stated 增幅 and the kWh disagree by more than `max_growth_gap` (5 percentage points), the
  kWh win and the sentence says so; where only the stated 增幅 is given, it is used.
- Daily readings win: an account whose daily readings cover at least half the flagged
  period is power_surge's to judge (it sees the change point and the night), so the list
  row is silent there.
- A new business commissioning its plant (power_monthly.new_factories) is silent.
- Strength: ratio = 1 + the larger growth; 0.5 at `min_ratio` (doubling), 1 at `full_ratio`,
  never below `floor` (the office listed it: that alone is worth a look).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import power_common as pc
from pipeline.signals.power_monthly import new_factories

_SQL = """
SELECT ap.premises_id, s.account_no, s.account_name, s.office, s.period_start, s.period_end,
       s.kwh, s.kwh_prev, s.kwh_last_year, s.growth_mom, s.growth_yoy,
       (SELECT count(DISTINCT r.day) FROM stg_power_readings r
        WHERE r.account_no = s.account_no AND r.period = 'day'
          AND r.day BETWEEN s.period_start AND s.period_end) AS daily_days
FROM stg_power_surge_list s JOIN sig_account_premises ap USING (account_no)
WHERE s.period_end <= $as_of AND s.period_end > $as_of - $lookback_days
"""


def _growth(now, before):
    return now / before - 1.0 if (pd.notna(now) and pd.notna(before) and before > 0) else np.nan


def _pct(g: float) -> str:
    return f"{g * 100:+,.0f}%".replace("+", "增长 ").replace("-", "下降 ")


def _period(a, b) -> str:
    a, b = pd.Timestamp(a), pd.Timestamp(b)
    if a.day == 1 and b == b + pd.offsets.MonthEnd(0) and (a.year, a.month) == (b.year, b.month):
        return f"{a.year}年{a.month}月"
    if a.day == 1 and b == b + pd.offsets.MonthEnd(0):
        return f"{a.year}年{a.month}月–{b.year}年{b.month}月" if a.year != b.year else f"{a.year}年{a.month}–{b.month}月"
    return f"{pc.ymd(a)}–{pc.ymd(b)}"


def evidence(con, cfg, params) -> pd.DataFrame:
    df = con.execute(_SQL, {"as_of": params["as_of"], "lookback_days": int(params.get("lookback_days", 120))}).df()
    if df.empty:
        return pc.empty()
    span_days = (pd.to_datetime(df["period_end"]) - pd.to_datetime(df["period_start"])).dt.days + 1
    df = df[df["daily_days"] < 0.5 * span_days].copy()
    df = df[~df["premises_id"].isin(new_factories(con, cfg, params))]
    if df.empty:
        return pc.empty()
    gap = float(params.get("max_growth_gap", 0.05))
    lo, hi, floor = float(params.get("min_ratio", 2.0)), float(params.get("full_ratio", 6.0)), float(params.get("floor", 0.4))
    rows = []
    for r in df.itertuples(index=False):
        yoy_kwh, mom_kwh = _growth(r.kwh, r.kwh_last_year), _growth(r.kwh, r.kwh_prev)
        notes = []
        picked = {}
        for label, kwh_g, stated in (("同比", yoy_kwh, r.growth_yoy), ("环比", mom_kwh, r.growth_mom)):
            if pd.notna(kwh_g):
                if pd.notna(stated) and abs(stated - kwh_g) > gap:
                    notes.append(f"清单所列{label}{_pct(stated)}与电量不符，按电量计为{_pct(kwh_g)}")
                picked[label] = kwh_g
            elif pd.notna(stated):
                picked[label] = float(stated)
        new = pd.notna(r.kwh_last_year) and r.kwh_last_year == 0 and pd.notna(r.kwh) and r.kwh > 0
        g = max(picked.values()) if picked else np.nan
        ratio = np.inf if new else (1.0 + g if pd.notna(g) else np.nan)
        strength = floor if np.isnan(ratio) else float(np.clip(0.5 + 0.5 * (min(ratio, 1e6) - lo) / max(hi - lo, 1e-9), floor, 1.0))
        parts = [f"电量 {r.kwh:,.0f} kWh" if pd.notna(r.kwh) else "电量未列"]
        if new:
            parts.append("上年同期无用电")
        elif "同比" in picked:
            parts.append(f"同比{_pct(picked['同比'])}" + (f"（上年同期 {r.kwh_last_year:,.0f} kWh）" if pd.notna(r.kwh_last_year) else ""))
        if "环比" in picked:
            parts.append(f"环比{_pct(picked['环比'])}" + (f"（上期 {r.kwh_prev:,.0f} kWh）" if pd.notna(r.kwh_prev) else ""))
        office = f"（{r.office}）" if isinstance(r.office, str) and r.office else ""
        sentence = (f"供电所电量激增清单{office}：{_period(r.period_start, r.period_end)} " + "，".join(parts)
                    + ("；" + "；".join(notes) if notes else ""))
        rows.append({"premises_id": r.premises_id, "strength": strength, "period_end": r.period_end,
                     "value": f"{r.kwh:,.0f} kWh" if pd.notna(r.kwh) else "",
                     "baseline": (f"{r.kwh_last_year:,.0f} kWh（同期）" if pd.notna(r.kwh_last_year)
                                  else f"{r.kwh_prev:,.0f} kWh（上期）" if pd.notna(r.kwh_prev) else ""),
                     "sentence": sentence})
    ev = pd.DataFrame(rows)
    # one row per premises: the strongest flagged period (latest on a tie); how often listed
    n = ev.groupby("premises_id").size()
    ev = ev.sort_values(["premises_id", "strength", "period_end", "sentence"], ascending=[True, False, False, True])
    ev = ev.drop_duplicates("premises_id").copy()
    many = ev["premises_id"].map(n)
    ev.loc[many > 1, "sentence"] = ev.loc[many > 1, "sentence"] + "（清单共列入 " + many[many > 1].astype(str) + " 期）"
    ev.loc[many > 1, "strength"] = np.minimum(1.0, ev.loc[many > 1, "strength"] + 0.1)
    return ev[pc.empty().columns.tolist()].reset_index(drop=True)
