-- Recent daily mean against the place's own earlier baseline (median of daily totals).
WITH win AS (
    SELECT premises_id,
           avg(kwh) FILTER (WHERE day > $as_of - $recent_days) AS recent,
           median(kwh) FILTER (WHERE day <= $as_of - $recent_days
                                 AND day > $as_of - $recent_days - $baseline_days) AS base
    FROM sig_daily GROUP BY premises_id
)
SELECT premises_id,
       least(1.0, 0.5 + 0.5 * (recent / greatest(base, 1.0) - $min_ratio) / ($full_ratio - $min_ratio)) AS strength,
       round(recent, 1) AS value, round(base, 1) AS baseline,
       format('近{}周日均用电 {:,.0f} kWh，为此前{}周（中位数 {:,.0f} kWh）的 {:.1f} 倍',
              ($recent_days // 7)::INTEGER, recent, ($baseline_days // 7)::INTEGER, base,
              recent / greatest(base, 1.0)) AS sentence
FROM win
WHERE recent >= $min_recent_kwh AND recent >= $min_ratio * greatest(base, 1.0);
