-- Night (谷) share of recent consumption, against the median share of the same 用电类别.
WITH acc AS (
    SELECT ap.premises_id, any_value(ap.category) AS category,
           sum(r.kwh_valley) / nullif(sum(r.kwh), 0) AS share,
           sum(r.kwh) / count(DISTINCT r.day) AS daily
    FROM stg_power_readings r JOIN sig_account_premises ap USING (account_no)
    WHERE r.period = 'day' AND r.day > $as_of - $recent_days AND r.day <= $as_of
    GROUP BY ap.premises_id
),
peers AS (SELECT category, median(share) AS peer_share FROM acc GROUP BY category)
SELECT premises_id,
       least(1.0, 0.5 + 0.5 * (share - $min_share) / ($full_share - $min_share)) AS strength,
       round(share, 3) AS value, round(peer_share, 3) AS baseline,
       format('近{}周谷时段（夜间）用电占 {:.0f}%，日均 {:,.0f} kWh；同类用户（{}）中位数 {:.0f}%',
              ($recent_days // 7)::INTEGER, 100 * share, daily, coalesce(category, '未知类别'), 100 * peer_share) AS sentence
FROM acc JOIN peers USING (category)
WHERE share >= $min_share AND daily >= $min_daily_kwh;
