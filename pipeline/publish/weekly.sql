-- Hit rate week by week (weeks start on Monday): visits that saw inside, up to the run
-- date, split by how the premises came onto a list — by its score, or as a random pick
-- (the latest run on or before the visit that listed it decides). A visit to a premises
-- that was never listed counts as 清单外.
WITH runs_dated AS (SELECT run_id, coalesce(run_date, as_of) AS run_date FROM runs),
visits AS (
    SELECT premises_id, visit_date, finding = '违法违规' AS hit
    FROM stg_outcomes
    WHERE visit_date <= $run_date AND finding IN ('违法违规', '未发现问题')
),
how AS (
    SELECT v.premises_id, v.visit_date, arg_max(l.random_pick, l.run_id) AS random_pick
    FROM visits v
    JOIN visit_lists l USING (premises_id)
    JOIN runs_dated r ON r.run_id = l.run_id AND r.run_date <= v.visit_date
    GROUP BY ALL
)
SELECT date_trunc('week', v.visit_date)::DATE AS week,
       CASE WHEN h.random_pick IS NULL THEN 'other' WHEN h.random_pick THEN 'random' ELSE 'list' END AS part,
       count(*) AS visits, count(*) FILTER (WHERE v.hit) AS hits
FROM visits v LEFT JOIN how h USING (premises_id, visit_date)
GROUP BY ALL
ORDER BY week, part
