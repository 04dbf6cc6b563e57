-- 厂中厂 (seed 二(一)4): one building holds several premises, and one of them — with no
-- registration or licence of its own — draws industrial-level power or receives hazmat goods.
-- The evidence goes to that premises; the sentence names its neighbours.
WITH shared AS (
    SELECT p.premises_id, p.place_id, p.address, pl.n_premises
    FROM premises p JOIN places pl USING (place_id)
    WHERE pl.n_premises > 1
),
shape AS (
    SELECT premises_id,
           count(*) FILTER (WHERE source = 'registry') AS n_registry,
           count(*) FILTER (WHERE source = 'licenses') AS n_licenses,
           count(*) FILTER (WHERE source = 'power_accounts') AS n_accounts,
           count(*) FILTER (WHERE source = 'waybills') AS n_waybills
    FROM premises_members GROUP BY premises_id
),
use AS (
    SELECT premises_id, avg(kwh) AS daily FROM sig_daily
    WHERE day > $as_of - $recent_days AND day <= $as_of GROUP BY premises_id
),
neighbours AS (
    SELECT s.premises_id,
           string_agg(DISTINCT o.name, '、' ORDER BY o.name) FILTER (WHERE o.name IS NOT NULL) AS names
    FROM shared s JOIN premises o ON o.place_id = s.place_id AND o.premises_id <> s.premises_id
    GROUP BY s.premises_id
)
SELECT s.premises_id,
       least(1.0, 0.5 + 0.5 * coalesce(u.daily, 0) / $full_daily_kwh + 0.25 * (sh.n_waybills > 0)::INT) AS strength,
       s.n_premises AS value, '同址其他主体：' || coalesce(nb.names, '不详') AS baseline,
       format('同一地址（{}）共有 {} 个用电/登记主体（另有：{}），本户{}，', coalesce(s.address, '不详'), s.n_premises,
              coalesce(nb.names, '名称不详'), '无营业执照登记')
         || concat_ws('、',
              CASE WHEN u.daily >= $min_daily_kwh THEN format('近{}周日均用电 {:,.0f} kWh', ($recent_days // 7)::INTEGER, u.daily) END,
              CASE WHEN sh.n_waybills > 0 THEN format('收到危货运单 {} 张', sh.n_waybills) END) AS sentence
FROM shared s JOIN shape sh USING (premises_id)
LEFT JOIN use u USING (premises_id)
LEFT JOIN neighbours nb USING (premises_id)
WHERE sh.n_licenses = 0
  AND sh.n_registry = 0
  AND (u.daily >= $min_daily_kwh OR sh.n_waybills > 0)
