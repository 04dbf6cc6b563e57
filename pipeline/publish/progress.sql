-- Per community, over the campaign so far (up to the run date): premises that have been on
-- a visit list, how many were visited (latest return), found 违法违规, could not be entered
-- or found, are still pending, and are overdue. A listed premises not yet seen inside is
-- due by the campaign's visit deadline, or `grace_days` after it was first listed when
-- that is later (the lists keep adding places); past that day it is overdue.
WITH runs_dated AS (SELECT run_id, coalesce(run_date, as_of) AS run_date FROM runs),
listed AS (
    SELECT v.premises_id, arg_min(v.community, v.run_id) AS community,
           min(coalesce(r.run_date, $run_date)) AS first_listed
    FROM visit_lists v LEFT JOIN runs_dated r USING (run_id)
    WHERE v.run_id <= $run_id
    GROUP BY v.premises_id
),
latest AS (
    SELECT premises_id, arg_max(finding, (visit_date, batch_id, src_row)) AS finding
    FROM stg_outcomes WHERE visit_date <= $run_date GROUP BY premises_id
),
state AS (
    SELECT l.*, o.finding,
           coalesce(o.finding IN ('无法进入', '未找到'), true) AS open,
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
