-- The rows of this run's lists, one per scored premises with evidence, DESIGN §4 columns.
WITH ev AS (
    SELECT e.premises_id, e.signal, e.sentence, e.strength * w.weight AS pts,
           -- signals that tell the same fact (the same waybills, the same rise in power, the
           -- same closed business, the same unregistered occupant, the same truck stops): one
           -- reason per kind, the strongest (issue 10, item 20: licence expiry three times)
           CASE WHEN e.signal IN ('waybill_unlicensed', 'license_scope') THEN 'hazmat_receipts'
                WHEN e.signal IN ('power_surge', 'power_industrial_on_residential') THEN 'power_rise'
                WHEN e.signal IN ('status_mismatch', 'power_status_mismatch') THEN 'closed_business'
                WHEN e.signal IN ('multi_entity', 'unregistered_power') THEN 'unregistered_occupant'
                WHEN e.signal IN ('truck_stop', 'waybill_stop_mismatch') THEN 'truck_stops'
                ELSE e.signal END AS kind
    FROM evidence e JOIN ref_signal_weights w USING (signal)
    WHERE e.run_id = $run_id AND coalesce(e.sentence, '') <> ''
    QUALIFY row_number() OVER (PARTITION BY e.premises_id, kind ORDER BY pts DESC, e.signal) = 1
),
reasons AS (
    -- the strongest reasons first, at most $max_reasons of them
    -- each cut to $max_chars (the evidence table keeps the whole sentence)
    SELECT premises_id, array_to_string(list(CASE WHEN length(sentence) > $max_chars
                                                  THEN left(sentence, $max_chars - 1) || '…' ELSE sentence END
                                             ORDER BY pts DESC, signal)[1:$max_reasons], $sep) AS reasons
    FROM ev GROUP BY premises_id
),
-- one kind of reason worth little: the list says how sure it is
weak AS (
    SELECT premises_id FROM ev GROUP BY premises_id HAVING count(*) = 1 AND max(pts) < $weak_points
),
accounts AS (
    SELECT premises_id, string_agg(source_key, ';' ORDER BY source_key) AS accounts
    FROM premises_members WHERE source = 'power_accounts' GROUP BY premises_id
),
people AS (
    SELECT m.premises_id, arg_min(r.legal_rep, r.source_key) AS legal_rep,
           arg_min(r.phone, r.source_key) AS phone
    FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
    GROUP BY m.premises_id
),
-- 本周新增: not on the list of $prev_run, the last run of an earlier week (publish.last_week_run)
prev AS (
    SELECT premises_id FROM visit_lists WHERE run_id = $prev_run
)
SELECT s.rank, v.list_rank AS rank_in_community, s.community, c.work_point, s.premises_id, p.name, p.address, p.uscc,
       a.accounts, pe.legal_rep, pe.phone, s.score, s.category,
       CASE WHEN v.random_pick THEN $random_note
            -- a fill row says first why it is on the list although below the line
            ELSE concat_ws($sep, CASE WHEN v.filled THEN format($fill_note, s.score, $min_score) END,
                           CASE WHEN w.premises_id IS NOT NULL THEN $weak_note || r.reasons ELSE r.reasons END,
                           m.sentence, s.discount_note, s.category_note) END AS reasons, p.lon, p.lat,
       s.premises_id NOT IN (SELECT premises_id FROM prev) AS is_new,
       v.premises_id IS NOT NULL AS listed
FROM scores s
JOIN premises p USING (premises_id)
LEFT JOIN ref_communities c ON c.name = s.community
LEFT JOIN reasons r USING (premises_id)
LEFT JOIN weak w USING (premises_id)
LEFT JOIN accounts a USING (premises_id)
LEFT JOIN people pe USING (premises_id)
LEFT JOIN visit_lists v ON v.run_id = s.run_id AND v.premises_id = s.premises_id
-- the learned model's line, when it is in use and moved the score
LEFT JOIN model_scores m ON m.run_id = s.run_id AND m.premises_id = s.premises_id AND abs(m.model_points) >= 0.05
WHERE s.run_id = $run_id AND (s.score > 0 OR v.premises_id IS NOT NULL)
ORDER BY s.rank;
