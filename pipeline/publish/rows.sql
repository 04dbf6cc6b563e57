-- The rows of this run's lists, one per scored premises with evidence, DESIGN §4 columns.
WITH reasons AS (
    SELECT e.premises_id,
           -- the strongest reasons first, at most $max_reasons of them
           array_to_string(list(e.sentence ORDER BY e.strength * w.weight DESC, e.signal)[1:$max_reasons], $sep) AS reasons
    FROM evidence e JOIN ref_signal_weights w USING (signal)
    WHERE e.run_id = $run_id
    GROUP BY e.premises_id
),
accounts AS (
    SELECT premises_id, string_agg(source_key, ';' ORDER BY source_key) AS accounts
    FROM premises_members WHERE source = 'power_accounts' GROUP BY premises_id
),
people AS (
    SELECT m.premises_id, arg_min(r.legal_rep, r.source_key) AS legal_rep,
           arg_min(r.phone, r.source_key) AS phone
    FROM premises_members m JOIN stg_registry r ON m.source = 'registry' AND r.source_key = m.source_key
    GROUP BY m.premises_id
),
prev AS (
    SELECT premises_id FROM visit_lists WHERE run_id = (SELECT max(run_id) FROM visit_lists WHERE run_id < $run_id)
)
SELECT s.rank, v.list_rank AS rank_in_community, s.community, c.work_point, s.premises_id, p.name, p.address, p.uscc,
       a.accounts, pe.legal_rep, pe.phone, s.score, s.category,
       CASE WHEN v.random_pick THEN $random_note
            -- a fill row says first why it is on the list although below the line
            ELSE concat_ws($sep, CASE WHEN v.filled THEN format($fill_note, s.score, $min_score) END,
                           r.reasons, m.sentence, s.discount_note, s.category_note) END AS reasons, p.lon, p.lat,
       s.premises_id NOT IN (SELECT premises_id FROM prev) AS is_new,
       v.premises_id IS NOT NULL AS listed
FROM scores s
JOIN premises p USING (premises_id)
LEFT JOIN ref_communities c ON c.name = s.community
LEFT JOIN reasons r USING (premises_id)
LEFT JOIN accounts a USING (premises_id)
LEFT JOIN people pe USING (premises_id)
LEFT JOIN visit_lists v ON v.run_id = s.run_id AND v.premises_id = s.premises_id
-- the learned model's line, when it is in use and moved the score
LEFT JOIN model_scores m ON m.run_id = s.run_id AND m.premises_id = s.premises_id AND abs(m.model_points) >= 0.05
WHERE s.run_id = $run_id AND (s.score > 0 OR v.premises_id IS NOT NULL)
ORDER BY s.rank;
