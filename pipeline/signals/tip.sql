-- Tip-offs about the place, weighted by recency and by what they describe (odours, tankers,
-- night work, drums: how a chemical workshop gives itself away). A tip that names only an
-- address shared by several premises counts, at reduced strength, for each of them: the
-- tip's own premises (the address) keeps it whole, the others split `shared_share` between
-- them — a tip naming a multi-tenant building (厂中厂 parks hold dozens) must not put every
-- tenant on the list.
-- The excerpt is masked again (ing_mask_text, pipeline/ingest/mask.py: phones, contact ids,
-- names the caller gives) BEFORE it is clipped to 40 characters, so a number cut at the clip
-- cannot survive; stg_tips is already masked at ingest, this is defence in depth for rows
-- stored otherwise. Reporter identity (tip_reporters) is never read here. tip.py registers
-- the function and runs this query.
WITH direct AS (
    SELECT m.premises_id, s.tip_id, s.received_at, s.content, 1.0 AS share
    FROM premises_members m JOIN stg_tips s ON m.source = 'tips' AND s.tip_id = m.source_key
),
-- a tip that stayed its own premises, but at a place with other premises
alone AS (
    SELECT d.*, pl.n_premises FROM direct d JOIN premises p USING (premises_id) JOIN places pl USING (place_id)
    WHERE pl.n_premises > 1
      AND NOT EXISTS (SELECT 1 FROM premises_members m2 WHERE m2.premises_id = d.premises_id AND m2.source <> 'tips')
),
shared AS (
    SELECT o.premises_id, a.tip_id, a.received_at, a.content, $shared_share / (a.n_premises - 1) AS share
    FROM alone a JOIN premises p ON p.premises_id = a.premises_id
    JOIN premises o ON o.place_id = p.place_id AND o.premises_id <> a.premises_id
),
t AS (
    SELECT *,
           share * pow(0.5, greatest(0, date_diff('day', coalesce(received_at::DATE, $as_of), $as_of)) / $half_life_days)
             * CASE WHEN regexp_matches(coalesce(content, ''), $words_re) THEN 1.0 ELSE $plain_share END AS w
    FROM (SELECT * FROM direct UNION ALL SELECT * FROM shared)
    WHERE received_at IS NULL OR received_at::DATE <= $as_of
)
SELECT premises_id,
       least(1.0, sum(w) / $full_weight) AS strength,
       count(*) AS value, round(sum(w), 2) AS baseline,
       format('群众举报 {} 次（最近 {}）{}：{}', count(*),
              coalesce(strftime(max(received_at), '%Y-%m-%d'), '日期不详'),
              CASE WHEN max(share) < 1 THEN '，举报指向同一地址' ELSE '' END,
              coalesce(left(ing_mask_text(arg_max(content, (received_at, tip_id)), NULL, NULL), 40), '（内容为空）')) AS sentence
FROM t GROUP BY premises_id
