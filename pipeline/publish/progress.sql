-- Per community, over the campaign so far (up to the run date): premises that have been on
-- a visit list, how many were visited (latest return), found 违法违规, could not be entered
-- or found, are still pending, and are overdue. A listed premises not yet seen inside is
-- due by the campaign's visit deadline, or `grace_days` after it was first listed when
-- that is later (the lists keep adding places); past that day it is overdue.
--
-- Only what was handed out counts: this run's lists, the earlier lists' rows by score, and an
-- earlier random pick only when it was visited — a pick drawn for a week and rotated out
-- unvisited was never a place to go (issue 10, item 13: 上过清单 11 for an 8-row list).
-- Pending and overdue are what is on this run's list and not yet seen inside: a place that
-- left the lists unvisited (no evidence any more, or rotated out) is nobody's task.
WITH runs_dated AS (SELECT run_id, coalesce(run_date, as_of) AS run_date FROM runs),
latest AS (
    SELECT premises_id, arg_max(finding, (visit_date, batch_id, src_row)) AS finding
    FROM stg_outcomes WHERE visit_date <= $run_date GROUP BY premises_id
),
handed AS (
    SELECT v.premises_id, v.community, v.run_id, r.run_date
    FROM visit_lists v LEFT JOIN runs_dated r USING (run_id)
    WHERE v.run_id <= $run_id
      AND (v.run_id = $run_id OR NOT coalesce(v.random_pick, false)
           OR v.premises_id IN (SELECT premises_id FROM latest))
),
listed AS (
    SELECT premises_id, arg_min(community, run_id) AS community,
           min(coalesce(run_date, $run_date)) AS first_listed,
           bool_or(run_id = $run_id) AS on_list
    FROM handed
    GROUP BY premises_id
),
state AS (
    SELECT l.*, o.finding,
           l.on_list AND coalesce(o.finding IN ('无法进入', '未找到'), true) AS open,
           CASE WHEN $visit_due IS NULL THEN NULL
                ELSE greatest($visit_due::DATE, l.first_listed + $grace_days::INTEGER) END AS due
    FROM listed l LEFT JOIN latest o USING (premises_id)
),
comms AS (SELECT name AS community, work_point FROM ref_communities)
SELECT c.community, c.work_point,
       count(s.premises_id) AS listed,
       count(s.finding) AS visited,
       count(*) FILTER (WHERE s.finding = '违法违规') AS found_illegal,
       count(*) FILTER (WHERE s.finding IN ('无法进入', '未找到')) AS no_access,
       count(*) FILTER (WHERE s.open AND (s.due IS NULL OR $run_date <= s.due)) AS pending,
       count(*) FILTER (WHERE s.open AND $run_date > s.due) AS overdue
FROM comms c
LEFT JOIN state s USING (community)
GROUP BY c.community, c.work_point
ORDER BY c.work_point, c.community
