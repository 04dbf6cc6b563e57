-- One row per premises for this run: score, rank in community and subdistrict, category.
-- Ties: equal scores are ordered by premises_id, so the same data gives the same order.
INSERT INTO scores
WITH ev AS (
    SELECT e.premises_id, e.signal, e.family, e.strength * w.weight AS points
    FROM evidence e JOIN ref_signal_weights w USING (signal)
    WHERE e.run_id = $run_id
),
agg AS (
    SELECT premises_id, sum(points) AS raw, count(DISTINCT family) AS families,
           bool_or(family IN ('power', 'transport', 'sites', 'tips')) AS activity,
           bool_or(signal = 'cover_name') AS cover
    FROM ev GROUP BY premises_id
),
shape AS (
    SELECT premises_id,
           count(*) FILTER (WHERE source = 'registry') AS n_registry,
           count(*) FILTER (WHERE source = 'licenses') AS n_licenses
    FROM premises_members GROUP BY premises_id
),
scored AS (
    SELECT p.premises_id, p.community,
           round(least($max_score, coalesce(a.raw, 0) * (1 + $bonus * (coalesce(a.families, 1) - 1))), 1) AS score,
           coalesce(a.families, 0) AS families,
           CASE WHEN NOT coalesce(a.activity, false) THEN NULL
                WHEN s.n_licenses > 0 THEN 1
                WHEN a.cover THEN 5
                WHEN s.n_registry >= 2 THEN 4
                WHEN s.n_registry = 1 THEN 2
                ELSE 3 END AS category
    FROM premises p LEFT JOIN agg a USING (premises_id) LEFT JOIN shape s USING (premises_id)
)
SELECT $run_id AS run_id, premises_id, community, score, families, category,
       row_number() OVER (PARTITION BY community ORDER BY score DESC, premises_id) AS rank_in_community,
       row_number() OVER (ORDER BY score DESC, premises_id) AS rank
FROM scored;
