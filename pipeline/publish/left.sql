-- Premises on the previous run's lists that are not on this run's, with the reason.
WITH prev_run AS (SELECT max(run_id) AS r FROM visit_lists WHERE run_id < $run_id),
prev_week AS (
    SELECT date_trunc('week', coalesce(run_date, as_of))::DATE AS monday FROM runs WHERE run_id = (SELECT r FROM prev_run)
),
prev AS (
    SELECT v.premises_id, v.community, s.score, v.random_pick, coalesce(v.filled, false) AS filled
    FROM visit_lists v JOIN scores s ON s.run_id = v.run_id AND s.premises_id = v.premises_id
    WHERE v.run_id = (SELECT r FROM prev_run)
),
cur AS (SELECT * FROM scores WHERE run_id = $run_id),
listed AS (SELECT premises_id, list_rank FROM visit_lists WHERE run_id = $run_id),
latest AS (
    SELECT premises_id, arg_max(finding, (visit_date, batch_id, src_row)) AS finding, max(visit_date) AS visit_date
    FROM stg_outcomes WHERE visit_date <= $as_of GROUP BY premises_id
)
SELECT p.premises_id, p.community, p.score AS previous_score, c.score AS score,
       CASE WHEN o.finding IN ('未发现问题', '违法违规')
                 THEN format('已检查（{}，结论：{}）', strftime(o.visit_date, '%Y-%m-%d'), o.finding)
            WHEN c.premises_id IS NULL THEN '场所已合并或记录已删除（编号不再存在）'
            -- the draw is weekly (lists.sql): a pick leaves unvisited when the week is over, or
            -- within the week only when the community's list, and so its random share, shrank
            WHEN p.random_pick AND (SELECT monday FROM prev_week) IS DISTINCT FROM date_trunc('week', $as_of::DATE)::DATE
                 THEN '随机抽查每周重新抽取：上周抽中、未检查，本周未再抽中'
            WHEN p.random_pick THEN '本社区清单变短，随机抽查名额减少'
            WHEN NOT EXISTS (SELECT 1 FROM evidence e WHERE e.run_id = $run_id AND e.premises_id = p.premises_id)
                 THEN '本周已无任何证据'
            WHEN p.filled AND c.score > 0 THEN '上次为补足未满清单列入，本次清单已由风险分更高的场所排满'
            WHEN c.score < $min_score THEN format('风险分降至 {:.1f}，低于上榜线 {}', c.score, $min_score)
            ELSE format('风险分 {:.1f}，排在本社区清单长度 {} 之外', c.score, $list_length)
       END AS reason
FROM prev p LEFT JOIN cur c USING (premises_id) LEFT JOIN latest o USING (premises_id)
WHERE p.premises_id NOT IN (SELECT premises_id FROM listed)
ORDER BY p.community, p.premises_id
