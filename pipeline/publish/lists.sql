-- visit_lists: which premises are on this run's community lists, and at what rank.
-- A premises whose latest return (up to the run date) saw inside — 未发现问题 or 违法违规 —
-- has been dealt with and leaves the lists; one the inspectors could not enter or find
-- stays on. The remaining premises at or above the score line are ranked per community by
-- their subdistrict rank (ties already broken by premises_id) and cut at list_length.
-- Then a share of each list (random_share) is drawn at random from the community's other
-- premises, below the cut, and marked random_pick: visits chosen by the score alone say
-- nothing about what the score misses, these do (an honest estimate of the lists' hit rate
-- and of a learned model's lift).
--
-- The draw is made once per campaign week (weeks start on Monday, as the report's weekly
-- table): the order is a hash of premises and the week's Monday, so a rerun, or a second run
-- in the same week, draws the same places; the picks of the week's previous run come first,
-- so a pick stays until it is visited (and replaced by the next in the week's order) or the
-- week ends. Drawing anew on every run made same-day reruns rotate the picks (issue 10,
-- item 13). as_of here is the run date.
CREATE TABLE IF NOT EXISTS visit_lists (run_id INTEGER, premises_id VARCHAR, community VARCHAR, list_rank BIGINT,
                                        random_pick BOOLEAN);
ALTER TABLE visit_lists ADD COLUMN IF NOT EXISTS random_pick BOOLEAN;
-- a row below the score line, on the list because the list was short (fill_short_lists)
ALTER TABLE visit_lists ADD COLUMN IF NOT EXISTS filled BOOLEAN;
DELETE FROM visit_lists WHERE run_id = $run_id;
INSERT INTO visit_lists BY NAME
WITH week AS (SELECT date_trunc('week', $as_of::DATE)::DATE AS monday),
done AS (
    SELECT premises_id FROM (
        SELECT premises_id, arg_max(finding, (visit_date, batch_id, src_row)) AS finding
        FROM stg_outcomes WHERE visit_date <= $as_of GROUP BY premises_id)
    WHERE finding IN ('未发现问题', '违法违规')
),
-- A list shorter than list_length above the score line is filled with the next best premises
-- with any evidence (score > 0), by rank: the lists ran dry mid-campaign while places with
-- some evidence were never visited (issue 10, item 15). The rank orders by score, so the
-- rows above the line always come first and fill rows only take what is left.
ranked AS (
    SELECT premises_id, community, score < $min_score AS filled,
           row_number() OVER (PARTITION BY community ORDER BY rank) AS list_rank
    FROM scores
    WHERE run_id = $run_id AND (score >= $min_score OR ($fill AND score > 0))
      AND premises_id NOT IN (SELECT premises_id FROM done)
),
top AS (SELECT * FROM ranked WHERE list_rank <= $list_length),
-- every community of the run, also one with nothing left by score: its random picks (at
-- least random_min) keep going when the list itself is empty
sizes AS (
    SELECT c.community, count(t.premises_id) AS n
    FROM (SELECT DISTINCT community FROM scores WHERE run_id = $run_id) c LEFT JOIN top t USING (community)
    GROUP BY c.community
),
-- the latest earlier run of this week (unfinished runs are removed before a run starts)
same_week AS (
    SELECT max(run_id) AS r FROM runs
    WHERE run_id < $run_id AND date_trunc('week', coalesce(run_date, as_of))::DATE = (SELECT monday FROM week)
),
kept AS (
    SELECT premises_id FROM visit_lists
    WHERE run_id = (SELECT r FROM same_week) AND random_pick
),
below AS (
    SELECT s.premises_id, s.community,
           row_number() OVER (PARTITION BY s.community
                              ORDER BY s.premises_id IN (SELECT premises_id FROM kept) DESC,
                                       hash(s.premises_id || ':' || (SELECT monday FROM week)::VARCHAR),
                                       s.premises_id) AS k
    FROM scores s
    WHERE s.run_id = $run_id AND s.premises_id NOT IN (SELECT premises_id FROM top)
      AND s.premises_id NOT IN (SELECT premises_id FROM done)
),
picks AS (
    SELECT b.premises_id, b.community, z.n + b.k AS list_rank
    FROM below b JOIN sizes z USING (community)
    WHERE b.k <= CASE WHEN $random_share <= 0 THEN 0 ELSE greatest($random_min, ceil($random_share * z.n)) END
)
SELECT $run_id AS run_id, premises_id, community, list_rank, false AS random_pick, filled FROM top
UNION ALL
SELECT $run_id, premises_id, community, list_rank, true, false FROM picks;
