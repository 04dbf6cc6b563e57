-- A licensed firm operating outside its licence (seed 二(一)1): hazmat goods received that
-- its licence scope does not name, or goods received / power drawn after the licence expired.
-- Run by license_scope.py, which supplies _ls_explained: the waybills that are its registered
-- trade's ordinary use (waybill_unlicensed's rule: what the industry uses, daytime, use scale).
-- A firm licensed to use, say, ethanol and acetone that takes a daytime drum of shoe glue for
-- its own shoe line is using, not producing or storing beyond its licence.
-- The end date is the one prepare.sql reads (sig_licences: unknown where the record contradicts it).
WITH lic AS (
    SELECT premises_id, license_no, license_type, scope, valid_to FROM sig_licences
),
latest AS (
    SELECT premises_id, max(valid_to) AS valid_to, string_agg(DISTINCT scope, '；' ORDER BY scope) AS scope,
           string_agg(DISTINCT license_no, '、' ORDER BY license_no) AS license_nos
    FROM lic GROUP BY premises_id
),
wb AS (
    SELECT m.premises_id, w.waybill_no, w.goods, w.un_no, w.depart_at::DATE AS day
    FROM premises_members m JOIN stg_waybills w ON m.source = 'waybills' AND w.waybill_no = m.source_key
    WHERE w.depart_at IS NULL OR w.depart_at::DATE <= $as_of
),
-- a good is covered when the licence scope names it or one of its aliases
chem AS (
    SELECT name, list_concat([name], CASE WHEN aliases IS NULL OR aliases = '' THEN [] ELSE string_split(aliases, ';') END) AS words
    FROM ref_chemicals
),
judged AS (
    SELECT wb.premises_id, wb.waybill_no, any_value(wb.goods) AS goods, any_value(wb.day) AS day,
           any_value(lt.scope) AS scope, any_value(lt.valid_to) AS valid_to,
           bool_or(contains(coalesce(lt.scope, ''), coalesce(w.word, wb.goods)))
             OR bool_or(wb.waybill_no IN (SELECT waybill_no FROM _ls_explained)) AS covered
    FROM wb JOIN latest lt USING (premises_id)
    LEFT JOIN (SELECT name, unnest(words) AS word FROM chem) w
           ON contains(wb.goods, w.name) OR contains(wb.goods, w.word)
    GROUP BY wb.premises_id, wb.waybill_no
),
after_expiry AS (
    SELECT premises_id, count(*) AS n, min(day) AS first_day
    FROM judged WHERE valid_to IS NOT NULL AND day > valid_to GROUP BY premises_id
),
power_after AS (
    SELECT d.premises_id, avg(d.kwh) AS daily
    FROM sig_use d JOIN latest lt USING (premises_id)
    WHERE lt.valid_to IS NOT NULL AND d.day > lt.valid_to AND d.day <= $as_of
    GROUP BY d.premises_id
),
outside AS (
    SELECT premises_id, count(*) AS n, string_agg(DISTINCT goods, '、' ORDER BY goods) AS goods
    FROM judged WHERE NOT coalesce(covered, false) GROUP BY premises_id
)
SELECT lt.premises_id,
       least(1.0, 0.6 + 0.2 * (coalesce(ae.n, 0) > 0)::INT + 0.2 * (coalesce(o.n, 0) > 1)::INT
                       + 0.2 * (coalesce(pa.daily, 0) >= $min_daily_kwh)::INT) AS strength,
       coalesce(o.goods, '') AS value,
       '许可范围：' || coalesce(lt.scope, '不详') || '；有效期至 ' || coalesce(strftime(lt.valid_to, '%Y-%m-%d'), '不详') AS baseline,
       concat_ws('；',
           CASE WHEN o.n > 0 THEN format('收到 {} 等危货运单 {} 张，不在其危化品许可范围（{}）内', o.goods, o.n, coalesce(lt.scope, '不详')) END,
           CASE WHEN ae.n > 0 THEN format('许可（{}）已于 {} 到期，此后仍收危货运单 {} 张', lt.license_nos,
                                            strftime(lt.valid_to, '%Y-%m-%d'), ae.n) END,
           CASE WHEN ae.n IS NULL AND pa.daily >= $min_daily_kwh THEN format('许可（{}）已于 {} 到期，此后日均用电仍有 {:,.0f} kWh',
                                            lt.license_nos, strftime(lt.valid_to, '%Y-%m-%d'), pa.daily) END
       ) AS sentence
FROM latest lt
LEFT JOIN outside o USING (premises_id)
LEFT JOIN after_expiry ae USING (premises_id)
LEFT JOIN power_after pa USING (premises_id)
WHERE o.n > 0 OR ae.n > 0 OR pa.daily >= $min_daily_kwh
