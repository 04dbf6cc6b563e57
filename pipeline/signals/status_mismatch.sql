-- Registered as revoked, cancelled or suspended (吊销/注销/停业/迁出) while the place still
-- draws power or receives hazmat goods.
WITH reg AS (
    SELECT m.premises_id, string_agg(DISTINCT r.status, '、' ORDER BY r.status) AS status, arg_min(r.name, r.source_key) AS name
    FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
    GROUP BY m.premises_id
    HAVING bool_and(r.status IN ('吊销', '注销', '停业', '迁出'))
),
use AS (
    SELECT premises_id, avg(kwh) AS daily, bool_or(grain = 'month') AS from_bills FROM sig_use
    WHERE day > $as_of - $recent_days AND day <= $as_of GROUP BY premises_id
),
wb AS (
    SELECT m.premises_id, count(*) AS n
    FROM premises_members m JOIN stg_waybills w ON m.source = 'waybills' AND w.waybill_no = m.source_key
    WHERE w.depart_at::DATE > $as_of - $recent_days - $baseline_days AND w.depart_at::DATE <= $as_of
    GROUP BY m.premises_id
)
SELECT reg.premises_id,
       least(1.0, 0.5 + 0.5 * coalesce(use.daily, 0) / $full_daily_kwh + 0.25 * (coalesce(wb.n, 0) > 0)::INT) AS strength,
       round(coalesce(use.daily, 0), 1) AS value, reg.status AS baseline,
       '登记状态为“' || reg.status || '”，但' ||
       concat_ws('、',
           CASE WHEN use.daily >= $min_daily_kwh THEN format('近{}周日均用电 {:,.0f} kWh{}', ($recent_days // 7)::INTEGER, use.daily, CASE WHEN use.from_bills THEN '（按月度电量折算）' ELSE '' END) END,
           CASE WHEN wb.n > 0 THEN format('近期收到危货运单 {} 张', wb.n) END) AS sentence
FROM reg LEFT JOIN use USING (premises_id) LEFT JOIN wb USING (premises_id)
WHERE use.daily >= $min_daily_kwh OR wb.n > 0
