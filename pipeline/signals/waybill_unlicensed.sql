-- Hazmat waybills unloading at a place that holds no hazmat license.
WITH wb AS (
    SELECT m.premises_id, w.waybill_no, w.goods, w.depart_at
    FROM premises_members m JOIN stg_waybills w ON m.source = 'waybills' AND w.waybill_no = m.source_key
    WHERE w.depart_at IS NULL OR w.depart_at::DATE <= $as_of
)
SELECT premises_id,
       least(1.0, 0.5 + 0.5 * (count(*) - 1) / greatest($full_count - 1, 1)) AS strength,
       count(*) AS value, 0 AS baseline,
       format('危货电子运单 {} 张卸货于此（{}，最近 {}），该处无危险化学品许可',
              count(*), string_agg(DISTINCT goods, '、' ORDER BY goods),
              coalesce(strftime(max(depart_at), '%Y-%m-%d'), '日期不详')) AS sentence
FROM wb
WHERE premises_id NOT IN (SELECT premises_id FROM premises_members WHERE source = 'licenses')
GROUP BY premises_id;
