-- A place on the idle/abandoned site inventory that draws power.
WITH site AS (
    SELECT m.premises_id, any_value(s.site_type) AS site_type
    FROM premises_members m JOIN stg_sites s ON m.source = 'sites' AND s.site_id = m.source_key
    GROUP BY m.premises_id
),
use AS (
    SELECT premises_id, avg(kwh) AS daily FROM sig_daily
    WHERE day > $as_of - $recent_days GROUP BY premises_id
)
SELECT premises_id, least(1.0, 0.5 + daily / 400) AS strength, round(daily, 1) AS value,
       $min_daily_kwh AS baseline,
       format('列入闲置场所台账（{}），但近{}周日均用电 {:,.0f} kWh', coalesce(site_type, '类型不详'),
              ($recent_days // 7)::INTEGER, daily) AS sentence
FROM site JOIN use USING (premises_id)
WHERE daily >= $min_daily_kwh;
