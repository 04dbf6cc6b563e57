"""power_status_mismatch — power drawn where the power office's own records say none should be.

Two cases:
- an account whose status is 暂停 (suspended) or 销户 (closed) still records consumption at
  the end of the data: at least `min_active_days` of its last `tail_days` readings carry at
  least `min_daily_kwh`, the latest day of the data among them (a closing account's readings
  simply stop, so a closure inside the window is not a mismatch);
- at a place (same address cluster, premises.place_id) whose old account is 暂停/销户 or whose
  registered business is 吊销/注销/停业/迁出, a meter opened since (within `new_account_days`)
  under another name draws at least `min_daily_kwh` a day: the old business resumed under a
  new meter.
"""

from __future__ import annotations

import pandas as pd

from pipeline.signals import power_common as pc

DEAD_ACCOUNT = ("暂停", "销户")
DEAD_ENTITY = ("吊销", "注销", "停业", "迁出")


def evidence(con, cfg, params) -> pd.DataFrame:
    p = {k: params[k] for k in ("as_of", "tail_days", "min_daily_kwh", "min_active_days")}
    direct = con.execute(
        """
        WITH tail AS (
            SELECT ap.premises_id, a.account_no, a.account_name, a.status,
                   count(*) FILTER (WHERE r.kwh >= $min_daily_kwh) AS active, avg(r.kwh) AS daily,
                   max(r.day) FILTER (WHERE r.kwh >= $min_daily_kwh) AS last_day
            FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no)
            JOIN stg_power_readings r ON r.account_no = a.account_no AND r.period = 'day'
            WHERE a.status IN ('暂停', '销户') AND r.day > $as_of - $tail_days AND r.day <= $as_of
            GROUP BY ALL
        )
        SELECT * FROM tail
        WHERE active >= $min_active_days
          AND last_day >= (SELECT max(day) FROM stg_power_readings WHERE period = 'day' AND day <= $as_of)
        """, p).df()
    rows = []
    for r in direct.itertuples():
        rows.append((r.premises_id, 1.0, round(r.daily, 1), r.status,
                     f"户号 {r.account_no}（{r.account_name}）用户状态为{r.status}，但最近{params['tail_days']}天中有 "
                     f"{r.active} 天计量用电，日均 {r.daily:,.0f} kWh（至 {pc.md(r.last_day)}）"))
    resumed = con.execute(
        """
        WITH place_of AS (SELECT premises_id, coalesce(place_id, premises_id) AS place FROM premises),
        dead_acc AS (
            SELECT po.place, a.account_no AS old_no, a.account_name AS old_name, a.status AS old_status
            FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no) JOIN place_of po USING (premises_id)
            WHERE a.status IN ('暂停', '销户')
        ),
        dead_reg AS (
            SELECT po.place, r.name AS old_name, r.status AS old_status
            FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
            JOIN place_of po USING (premises_id)
            WHERE r.status IN ('吊销', '注销', '停业', '迁出')
        ),
        dead AS (
            SELECT place, string_agg(DISTINCT
                       CASE WHEN old_no IS NOT NULL THEN '原户 ' || old_no || '（' || coalesce(old_name, '') || '）' || old_status
                            ELSE '登记主体' || coalesce(old_name, '') || '登记状态' || old_status END, '；'
                       ORDER BY CASE WHEN old_no IS NOT NULL THEN '原户 ' || old_no || '（' || coalesce(old_name, '') || '）' || old_status
                                     ELSE '登记主体' || coalesce(old_name, '') || '登记状态' || old_status END) AS what
            FROM (SELECT place, old_no, old_name, old_status FROM dead_acc
                  UNION ALL SELECT place, NULL, old_name, old_status FROM dead_reg)
            GROUP BY place
        ),
        fresh AS (
            SELECT ap.premises_id, po.place, a.account_no, a.account_name, a.opened, avg(r.kwh) AS daily
            FROM sig_account_premises ap JOIN int_power_accounts a USING (account_no) JOIN place_of po USING (premises_id)
            JOIN stg_power_readings r ON r.account_no = a.account_no AND r.period = 'day'
            WHERE a.status NOT IN ('暂停', '销户') AND a.opened > $as_of - $new_account_days
              AND r.day > $as_of - $recent_days AND r.day <= $as_of
            GROUP BY ALL
        )
        SELECT f.*, d.what FROM fresh f JOIN dead d USING (place)
        WHERE f.daily >= $min_daily_kwh
        """, {k: params[k] for k in ("as_of", "new_account_days", "recent_days", "min_daily_kwh")}).df()
    rw = pc.weeks(params["recent_days"])
    for r in resumed.itertuples():
        rows.append((r.premises_id, 0.8, round(r.daily, 1), r.what,
                     f"同址{r.what}；{pc.ymd(r.opened)}另立新户 {r.account_no}（户名 {r.account_name}），"
                     f"近{rw}周日均用电 {r.daily:,.0f} kWh"))
    out = pd.DataFrame(rows, columns=pc.empty().columns)
    return out.sort_values(["strength", "premises_id", "sentence"], ascending=[False, True, True]).drop_duplicates("premises_id")
