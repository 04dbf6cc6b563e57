"""cover_name: a name crowned with 生物/科技/新材料/化工厂 whose registration claims no
production (technology development or services), while the meter or the trucks say
something is being made (seed 二(一)5).

Activity: recent daily consumption at an industrial level, or hazmat waybills unloading
at the premises. Without activity a cover name is just a name (most 科技 firms are
offices) and the signal stays silent.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.signals.registry_chemical import lexicon_path
from pipeline.signals.scope import load_lexicon, read_scope

_SQL = """
WITH reg AS (
    SELECT m.premises_id, r.name, r.scope, r.industry_code, r.industry
    FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
),
power AS (
    SELECT premises_id, avg(kwh) AS daily, bool_or(grain = 'month') AS from_bills FROM sig_use
    WHERE day > $as_of - $recent_days AND day <= $as_of GROUP BY premises_id
),
wb AS (
    SELECT m.premises_id, count(*) AS n, string_agg(DISTINCT w.goods, '、' ORDER BY w.goods) AS goods
    FROM premises_members m JOIN stg_waybills w ON m.source = 'waybills' AND w.waybill_no = m.source_key
    WHERE w.depart_at IS NULL OR w.depart_at::DATE <= $as_of
    GROUP BY m.premises_id
),
lic AS (SELECT DISTINCT premises_id FROM premises_members WHERE source = 'licenses')
SELECT reg.*, coalesce(power.daily, 0) AS daily, coalesce(power.from_bills, false) AS from_bills, coalesce(wb.n, 0) AS waybills, wb.goods
FROM reg LEFT JOIN power USING (premises_id) LEFT JOIN wb USING (premises_id)
WHERE regexp_matches(reg.name, $words_re) AND reg.premises_id NOT IN (SELECT premises_id FROM lic)
"""


def evidence(con, cfg, params) -> pd.DataFrame:
    rows = con.execute(_SQL, {k: params[k] for k in ("as_of", "recent_days", "words_re")}).df()
    min_kwh = float(params.get("min_daily_kwh", 150))
    full_kwh = float(params.get("full_daily_kwh", 800))
    weeks = int(params["recent_days"]) // 7
    lex = load_lexicon(lexicon_path(cfg))
    out = []
    for r in rows.itertuples(index=False):
        rd = read_scope(r.scope, lex)
        if rd.makes_anything and not rd.services_only:
            continue                      # it says it produces: not a cover name
        active_power = r.daily >= min_kwh
        if not (active_power or r.waybills > 0):
            continue
        word = "、".join(dict.fromkeys(re.findall(params["words_re"], r.name)))
        strength = min(1.0, 0.5 + 0.5 * max(0.0, (r.daily - min_kwh) / (full_kwh - min_kwh))
                       + (0.25 if r.waybills > 0 else 0.0))
        act = []
        if active_power:
            act.append(f"近{weeks}周日均用电 {r.daily:,.0f} kWh" + ("（按月度电量折算）" if r.from_bills else ""))
        if r.waybills > 0:
            act.append(f"收到危货运单 {r.waybills} 张（{r.goods or '品名不详'}）")
        scope = "技术开发/服务" if rd.services_only else "未含生产"
        sentence = (f"名称冠以“{word}”，登记经营范围为{scope}（行业 {r.industry or r.industry_code or '不详'}），"
                    f"但{'、'.join(act)}，与所登记业务不符")
        out.append((r.premises_id, strength, word, f"日均 {min_kwh:,.0f} kWh 以下或无运单", sentence))
    df = pd.DataFrame(out, columns=["premises_id", "strength", "value", "baseline", "sentence"])
    return df.sort_values(["premises_id", "strength", "sentence"], ascending=[True, False, True]).drop_duplicates("premises_id")
