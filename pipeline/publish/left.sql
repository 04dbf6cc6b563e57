-- Premises on the previous run's lists that are not on this run's, with the reason.
WITH prev_run AS (SELECT max(run_id) AS r FROM scores WHERE run_id < $run_id),
prev AS (
    SELECT s.premises_id, s.community, s.score
    FROM scores s WHERE s.run_id = (SELECT r FROM prev_run)
      AND s.score >= $min_score AND s.rank_in_community <= $list_length
),
cur AS (SELECT * FROM scores WHERE run_id = $run_id)
SELECT p.premises_id, p.community, p.score AS previous_score, c.score AS score,
       CASE WHEN c.premises_id IS NULL THEN '场所已合并或记录已删除（编号不再存在）'
            WHEN NOT EXISTS (SELECT 1 FROM evidence e WHERE e.run_id = $run_id AND e.premises_id = p.premises_id)
                 THEN '本周已无任何证据'
            WHEN c.score < $min_score THEN format('风险分降至 {:.1f}，低于上榜线 {}', c.score, $min_score)
            ELSE format('风险分 {:.1f}，排在本社区第 {} 名，超出清单长度 {}', c.score, c.rank_in_community, $list_length)
       END AS reason
FROM prev p LEFT JOIN cur c USING (premises_id)
WHERE c.premises_id IS NULL OR NOT (c.score >= $min_score AND c.rank_in_community <= $list_length)
ORDER BY p.community, p.premises_id
