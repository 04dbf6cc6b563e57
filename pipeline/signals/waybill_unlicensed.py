"""Signal waybill_unlicensed (family transport): hazmat e-waybills unloading at a premises
that holds no valid hazmat licence on the waybill's day.

- Waybills: those linked to the premises (their unloading place), departed in the
  `lookback_days` before the run date.
- Licence: a licence linked to the premises not expired on the waybill's day (an expired
  licence is none; a licence with no end date counts as valid; the start date does not
  limit — an export lists current licences, and the day before one started was most
  likely covered by the licence it renewed). A validly licensed
  premises is silent here — goods outside its licence scope are the license_scope signal's.
- Explained use: a registered, active (status not `inactive_status_words`) firm whose
  registered industry (GB/T 4754 division, first two digits) is a known user of the goods
  (`industry_use`: division → chemical names, e.g. 19 皮革制鞋 → shoe-glue solvents) is not
  held to need a licence for ordinary use: a daytime delivery of such goods at use scale
  (at most `explained_max_kg`: drums or IBCs; a tanker load implies bulk storage a user
  is not set up for) is not counted. A night departure (campaign night hours) is never
  explained — that is how illegal workshops take deliveries.
- Strength: 0.5 for one waybill rising to 1 at `full_count`; times `stale_factor` when
  none falls in the recent window (windows.recent_days); plus `night_bonus` × the night
  share; plus `character_bonus` when the place has residential/agricultural power
  (`residential_categories`), is on the idle-site inventory, has no registration at all,
  or is registered in an industry that neither makes chemicals (`chemical_divisions`) nor
  uses them (`industry_use`).
- Value: unexplained waybills; baseline: 0 (a place without a licence receives none).
"""

from __future__ import annotations

import pandas as pd

from pipeline.signals import LEXICON

OUT = ["premises_id", "strength", "value", "baseline", "sentence"]


def ensure_lexicon(con) -> None:
    """ref_chemicals (built once per run by compute_evidence); built here when missing."""
    have = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ref_chemicals'").fetchall()[0][0]
    if not have:
        lex = pd.read_csv(LEXICON, dtype=str, keep_default_na=False)
        con.register("_lexicon_wb", lex)
        con.execute("CREATE OR REPLACE TEMP TABLE ref_chemicals AS SELECT * FROM _lexicon_wb")
        con.unregister("_lexicon_wb")


def _night_sql(col: str, night_hours: list) -> str:
    parts = [f"(hour({col}) >= {int(a)} AND hour({col}) < {int(b)})" for a, b in night_hours]
    return "(" + " OR ".join(parts) + ")" if parts else "false"


def judged_waybills(con, params: dict) -> pd.DataFrame:
    """Every waybill linked to a premises in the look-back window with: canonical goods,
    licensed (valid licence on its day), expired licence end date, night, explained use."""
    ensure_lexicon(con)
    use = params.get("industry_use") or {}
    pairs = [(str(div), str(g)) for div, goods in use.items() for g in goods]
    con.register("_wb_use", pd.DataFrame(pairs, columns=["division", "chem"]) if pairs
                 else pd.DataFrame({"division": pd.Series(dtype=str), "chem": pd.Series(dtype=str)}))
    inactive = params.get("inactive_status_words_re") or "吊销|注销|停业|迁出"
    night = _night_sql("w.depart_at", params.get("night_hours", [[22, 24], [0, 6]]))
    try:
        return con.execute(f"""
            WITH wb AS (
                SELECT m.premises_id, w.waybill_no, w.goods, w.quantity_kg, w.consignee, w.consignee_uscc,
                       w.depart_at, w.depart_at::DATE AS day, coalesce({night}, false) AS night
                FROM premises_members m JOIN stg_waybills w ON m.source = 'waybills' AND w.waybill_no = m.source_key
                WHERE w.depart_at IS NOT NULL AND w.depart_at::DATE <= $as_of
                  AND w.depart_at::DATE > $as_of::DATE - $lookback::INTEGER
            ),
            lic AS (
                SELECT premises_id, valid_from, valid_to FROM sig_licences   -- end date as prepare.sql reads it
            ),
            chem AS (
                SELECT name, unnest(list_concat([name], CASE WHEN coalesce(aliases, '') = '' THEN []
                                                            ELSE string_split(aliases, ';') END)) AS word
                FROM ref_chemicals
            ),
            goods AS (      -- canonical names of each waybill's goods (longest word match first)
                SELECT wb.waybill_no, arg_max(c.name, (length(c.word), c.word, c.name)) AS chem
                FROM wb JOIN chem c ON contains(wb.goods, c.word) GROUP BY wb.waybill_no
            ),
            reg AS (
                SELECT m.premises_id,
                       bool_or(NOT regexp_matches(coalesce(r.status, ''), $inactive)) AS active,
                       list(DISTINCT substr(r.industry_code, 1, 2) ORDER BY substr(r.industry_code, 1, 2)) FILTER (WHERE r.industry_code IS NOT NULL) AS divisions,
                       bool_or(list_contains($chem_divs, substr(r.industry_code, 1, 2))) AS chem_industry,
                       string_agg(DISTINCT r.industry, '、' ORDER BY r.industry) AS industry
                FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
                GROUP BY m.premises_id
            )
            SELECT wb.*, g.chem,
                   -- only the end date limits: an export lists the current licence, and a
                   -- day before its start was most likely covered by the one it renewed
                   EXISTS (SELECT 1 FROM lic WHERE lic.premises_id = wb.premises_id
                             AND (lic.valid_to IS NULL OR wb.day <= lic.valid_to)) AS licensed,
                   (SELECT max(valid_to) FROM lic WHERE lic.premises_id = wb.premises_id) AS lic_valid_to,
                   coalesce(reg.active, false) AS registered_active, reg.industry,
                   coalesce(reg.chem_industry, false) AS chem_industry,
                   reg.premises_id IS NOT NULL AS registered,
                   coalesce(reg.active, false) AND NOT wb.night
                     AND coalesce(wb.quantity_kg, 0) <= $max_kg
                     AND EXISTS (SELECT 1 FROM _wb_use u WHERE u.chem = g.chem
                                   AND list_contains(coalesce(reg.divisions, []), u.division)) AS explained
            FROM wb LEFT JOIN goods g USING (waybill_no) LEFT JOIN reg USING (premises_id)
        """, {"as_of": params["as_of"], "lookback": int(params.get("lookback_days", 182)),
              "inactive": inactive, "max_kg": float(params.get("explained_max_kg", 5000)),
              "chem_divs": [str(x) for x in params.get("chemical_divisions", ["25", "26", "27", "28", "29"])]
                           + [str(k) for k in use]}).df()
    finally:
        con.unregister("_wb_use")


def _character(con, params: dict) -> pd.DataFrame:
    """Premises of residential/agricultural power or on the idle-site inventory."""
    cats = params.get("residential_categories") or ["居民生活用电", "农业生产用电"]
    return con.execute("""
        SELECT m.premises_id,
               string_agg(DISTINCT CASE WHEN m.source = 'power_accounts' THEN a.category END, '、'
                          ORDER BY CASE WHEN m.source = 'power_accounts' THEN a.category END) AS res_cat,
               bool_or(m.source = 'sites') AS idle_site
        FROM premises_members m
        LEFT JOIN int_power_accounts a ON m.source = 'power_accounts' AND a.account_no = m.source_key
                                      AND list_contains(?, a.category)
        WHERE m.source IN ('power_accounts', 'sites')
        GROUP BY m.premises_id
    """, [list(cats)]).df()


def evidence(con, cfg, params) -> pd.DataFrame:
    wb = judged_waybills(con, params)
    if not len(wb):
        return pd.DataFrame(columns=OUT)
    un = wb[~wb["licensed"] & ~wb["explained"]].copy()
    if not len(un):
        return pd.DataFrame(columns=OUT)
    ch = _character(con, params).set_index("premises_id")
    as_of = pd.Timestamp(params["as_of"])
    recent_from = as_of - pd.Timedelta(days=int(params.get("recent_days", 28)))
    full = max(int(params.get("full_count", 5)), 2)
    rows = []
    for pid, g in un.groupby("premises_id", sort=True):
        n = len(g)
        n_night = int(g["night"].sum())
        n_recent = int((pd.to_datetime(g["day"]) > recent_from).sum())
        mine = wb[wb["premises_id"] == pid]
        n_explained = int((mine["explained"] & ~mine["licensed"]).sum())
        goods = "、".join(sorted(g["chem"].fillna(g["goods"]).astype(str).unique()))
        last = pd.to_datetime(g["depart_at"]).max().strftime("%Y-%m-%d")
        kg = g["quantity_kg"].sum(min_count=1)
        s = min(1.0, 0.5 + 0.5 * (n - 1) / (full - 1))
        if n_recent == 0:
            s *= float(params.get("stale_factor", 0.6))
        s += float(params.get("night_bonus", 0.3)) * n_night / n
        notes = []
        res_cat = ch["res_cat"].get(pid) if pid in ch.index else None
        if isinstance(res_cat, str) and res_cat:
            notes.append(f"用电类别为{res_cat}")
        if pid in ch.index and bool(ch["idle_site"].get(pid)):
            notes.append("在闲置场所清单上")
        if not bool(g["registered"].iloc[0]):
            notes.append("无工商登记")
        elif not bool(g["chem_industry"].iloc[0]) and isinstance(g["industry"].iloc[0], str):
            notes.append(f"登记行业为{g['industry'].iloc[0]}，不使用危化品")
        if notes:
            s += float(params.get("character_bonus", 0.2))
        vt = g["lic_valid_to"].dropna()
        lic_text = (f"其危化品许可已于 {pd.Timestamp(vt.max()).strftime('%Y-%m-%d')} 过期"
                    if len(vt) else "该处无危险化学品许可")
        parts = [f"近 {int(params.get('lookback_days', 182))} 天危货电子运单 {n} 张卸货于此（{goods}"
                 + (f"，共 {kg / 1000:,.1f} 吨" if pd.notna(kg) and kg > 0 else "")
                 + (f"；其中夜间起运 {n_night} 张" if n_night else "")
                 + f"；近 {int(params.get('recent_days', 28))} 天 {n_recent} 张，最近 {last}）",
                 lic_text]
        if n_explained:
            parts.append(f"另 {n_explained} 张为其登记行业（{g['industry'].iloc[0]}）白天的日常用料，未计入")
        if notes:
            parts.append("收货地" + "、".join(notes))
        rows.append({"premises_id": pid, "strength": min(1.0, s), "value": str(n), "baseline": "0",
                     "sentence": "，".join(parts)})
    return pd.DataFrame(rows, columns=OUT)
