-- visit_lists: which premises are on this run's community lists, and at what rank.
-- A premises whose latest return (up to the run date) saw inside — 未发现问题 or 违法违规 —
-- has been dealt with and leaves the lists; one the inspectors could not enter or find
-- stays on. The remaining premises at or above the score line are ranked per community by
-- their subdistrict rank (ties already broken by premises_id) and cut at list_length.
CREATE TABLE IF NOT EXISTS visit_lists (run_id INTEGER, premises_id VARCHAR, community VARCHAR, list_rank BIGINT);
DELETE FROM visit_lists WHERE run_id = $run_id;
INSERT INTO visit_lists
WITH done AS (
    SELECT premises_id FROM (
        SELECT premises_id, arg_max(finding, visit_date) AS finding
        FROM stg_outcomes WHERE visit_date <= $as_of GROUP BY premises_id)
    WHERE finding IN ('未发现问题', '违法违规')
),
ranked AS (
    SELECT premises_id, community,
           row_number() OVER (PARTITION BY community ORDER BY rank) AS list_rank
    FROM scores
    WHERE run_id = $run_id AND score >= $min_score AND premises_id NOT IN (SELECT premises_id FROM done)
)
SELECT $run_id, premises_id, community, list_rank FROM ranked WHERE list_rank <= $list_length;
