-- The run 本周新增 compares with: the last run of an EARLIER week than $as_of. A rerun, or a
-- second run in the same week, marks the same places as new as the week's first run did:
-- identical inputs in one week give identical lists (comparing with the previous run flipped
-- every 是 to 否 on a rerun). A run without a runs row (stage tests) counts as an earlier week's.
SELECT max(v.run_id) FROM visit_lists v LEFT JOIN runs r USING (run_id)
WHERE v.run_id < $run_id
  AND (r.run_id IS NULL
       OR date_trunc('week', coalesce(r.run_date, r.as_of))::DATE < date_trunc('week', $as_of::DATE)::DATE);
