-- learn_labels: one row per premises that inspectors have seen inside, up to the run date.
-- The latest inside visit decides (a later correction supersedes); 违法违规 is a hit,
-- 未发现问题 a miss. 无法进入/未找到 teach nothing and are left out. The features are
-- those of the run whose list sent the inspector: the latest run on or before the visit
-- that listed the premises; failing that (a visit not from a list), the latest run on or
-- before the visit; failing that (a visit before any run), this run.
DELETE FROM learn_labels WHERE run_id = $run_id;
INSERT INTO learn_labels
WITH latest AS (
    SELECT premises_id, arg_max(finding, visit_date) AS finding, max(visit_date) AS visit_date
    FROM stg_outcomes
    WHERE visit_date <= $run_date AND finding IN ('违法违规', '未发现问题')
    GROUP BY premises_id
),
listed AS (
    SELECT l.premises_id, max(v.run_id) AS run_id, arg_max(v.random_pick, v.run_id) AS random_pick
    FROM latest l
    JOIN visit_lists v USING (premises_id)
    JOIN runs r ON r.run_id = v.run_id AND r.run_date <= l.visit_date
    GROUP BY l.premises_id
),
any_run AS (
    SELECT l.premises_id, max(r.run_id) AS run_id
    FROM latest l JOIN runs r ON r.run_date <= l.visit_date
    GROUP BY l.premises_id
)
SELECT $run_id AS run_id, l.premises_id, l.visit_date, (l.finding = '违法违规') AS hit,
       li.run_id IS NOT NULL AS listed, coalesce(li.random_pick, false) AS random_pick,
       coalesce(li.run_id, a.run_id, $run_id) AS feature_run_id
FROM latest l
LEFT JOIN listed li USING (premises_id)
LEFT JOIN any_run a USING (premises_id)
ORDER BY l.visit_date, l.premises_id;
