-- Apply the model's points to this run's scores and rank again (same tie rule as
-- scores.sql: equal scores in premises_id order).
UPDATE scores SET score = round(m.rule_score + m.model_points, 1)
FROM model_scores m
WHERE scores.run_id = $run_id AND m.run_id = $run_id AND m.premises_id = scores.premises_id;
UPDATE scores SET rank = r.rank, rank_in_community = r.rank_in_community
FROM (
    SELECT premises_id,
           row_number() OVER (PARTITION BY community ORDER BY score DESC, premises_id) AS rank_in_community,
           row_number() OVER (ORDER BY score DESC, premises_id) AS rank
    FROM scores WHERE run_id = $run_id
) r
WHERE scores.run_id = $run_id AND scores.premises_id = r.premises_id;
