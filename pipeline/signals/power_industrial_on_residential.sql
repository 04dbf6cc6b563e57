-- Industrial-level consumption on a residential or agricultural account.
WITH acc AS (
    SELECT ap.premises_id, ap.account_no, ap.category,
           sum(r.kwh) / count(DISTINCT r.day) AS daily
    FROM stg_power_readings r JOIN sig_account_premises ap USING (account_no)
    WHERE r.period = 'day' AND r.day > $as_of - $recent_days AND r.day <= $as_of
      AND list_contains($categories, ap.category)
    GROUP BY ALL
),
peers AS (SELECT category, median(daily) AS peer FROM acc GROUP BY category)
SELECT premises_id,
       max(least(1.0, 0.5 + 0.5 * (daily - $min_daily_kwh) / ($full_daily_kwh - $min_daily_kwh))) AS strength,
       round(max(daily), 1) AS value, round(max(peer), 1) AS baseline,
       arg_max(format('{}户 {} 近{}周日均用电 {:,.0f} kWh，同类用户中位数 {:,.1f} kWh',
              category, account_no, ($recent_days // 7)::INTEGER, daily, peer), daily) AS sentence
FROM acc JOIN peers USING (category)
WHERE daily >= $min_daily_kwh
GROUP BY premises_id;
