-- 无证无照 (seed 二(一)3): a place drawing business-level power with no market registration
-- and no licence at all. Ordinary homes (residential accounts at household levels) stay silent.
WITH shape AS (
    SELECT premises_id,
           count(*) FILTER (WHERE source IN ('registry', 'licenses')) AS n_registered,
           count(*) FILTER (WHERE source = 'power_accounts') AS n_accounts
    FROM premises_members GROUP BY premises_id
),
acc AS (
    SELECT ap.premises_id, string_agg(DISTINCT ap.category, '、' ORDER BY ap.category) AS categories,
           bool_or(ap.category IN ('大工业用电', '一般工商业用电')) AS business_tariff
    FROM sig_account_premises ap GROUP BY ap.premises_id
),
use AS (
    SELECT premises_id, avg(kwh) AS daily, bool_or(grain = 'month') AS from_bills FROM sig_use
    WHERE day > $as_of - $recent_days AND day <= $as_of GROUP BY premises_id
)
SELECT s.premises_id,
       least(1.0, 0.3 + 0.7 * (u.daily - $min_daily_kwh) / ($full_daily_kwh - $min_daily_kwh)) AS strength,
       round(u.daily, 1) AS value, '无市场主体登记、无危化品许可' AS baseline,
       format('用电户（{}）近{}周日均用电 {:,.0f} kWh{}，但该处无营业执照登记、无危化品许可', a.categories,
              ($recent_days // 7)::INTEGER, u.daily, CASE WHEN u.from_bills THEN '（按月度电量折算）' ELSE '' END) AS sentence
FROM shape s JOIN acc a USING (premises_id) JOIN use u USING (premises_id)
WHERE s.n_registered = 0 AND s.n_accounts > 0
  -- a person-named meter at a registered business's door that has none of its own (prepare.sql)
  AND s.premises_id NOT IN (SELECT premises_id FROM sig_firm_meter)
  AND u.daily >= CASE WHEN a.business_tariff THEN $min_daily_kwh ELSE $min_daily_kwh_residential END
