-- Per community, over the campaign so far: premises that have been on a visit list (this
-- run or an earlier one), how many were visited (latest return up to the run date), found
-- 违法违规, could not be entered or found, are still pending, and overdue (not yet seen
-- inside and the run date is past the phase's list deadline).
WITH listed AS (
    SELECT DISTINCT premises_id, community FROM visit_lists WHERE run_id <= $run_id
),
latest AS (
    SELECT premises_id, arg_max(finding, visit_date) AS finding
    FROM stg_outcomes WHERE visit_date <= $as_of GROUP BY premises_id
),
comms AS (SELECT name AS community, work_point FROM ref_communities)
SELECT c.community, c.work_point,
       count(l.premises_id) AS listed,
       count(o.premises_id) FILTER (WHERE l.premises_id IS NOT NULL) AS visited,
       count(*) FILTER (WHERE o.finding = '违法违规' AND l.premises_id IS NOT NULL) AS found_illegal,
       count(*) FILTER (WHERE o.finding IN ('无法进入', '未找到') AND l.premises_id IS NOT NULL) AS no_access,
       count(*) FILTER (WHERE l.premises_id IS NOT NULL AND coalesce(o.finding IN ('无法进入', '未找到'), true)
                          AND NOT $overdue) AS pending,
       count(*) FILTER (WHERE l.premises_id IS NOT NULL AND coalesce(o.finding IN ('无法进入', '未找到'), true)
                          AND $overdue) AS overdue
FROM comms c
LEFT JOIN listed l USING (community)
LEFT JOIN latest o USING (premises_id)
GROUP BY c.community, c.work_point
ORDER BY c.work_point, c.community
