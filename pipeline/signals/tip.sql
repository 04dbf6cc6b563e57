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
--
-- Repeated vague tips: tips that name only a community (and perhaps a road) with no door
-- number stay premises of their own, each as weak as one tip. Several of them about one area
-- (community + road, or the community alone) up to the run date are a lead: from
-- $area_min_reports on, they count together on the premises of the area's first tip, which
-- the community's list then carries with the tips' text. Each tip still counts for its own
-- premises too: vague tips in one village may well be about different places.
WITH vague AS (
    SELECT m.premises_id, s.tip_id, s.received_at, p.community, coalesce(q.road, '') AS road
    FROM premises_members m JOIN premises p USING (premises_id)
    JOIN stg_tips s ON s.tip_id = m.source_key
    JOIN int_link_parsed q ON q.source = 'tips' AND q.source_key = m.source_key
    WHERE m.source = 'tips' AND q.number IS NULL AND p.name IS NULL      -- names no firm either
      AND p.community IS NOT NULL AND p.community <> '未归属社区'
      AND (s.received_at IS NULL OR s.received_at::DATE <= $as_of)
      AND NOT EXISTS (SELECT 1 FROM premises_members m2 WHERE m2.premises_id = m.premises_id AND m2.source <> 'tips')
),
area AS (
    SELECT tip_id, premises_id, community, road, count(*) OVER w AS n_area,
           first_value(premises_id) OVER (w ORDER BY received_at NULLS LAST, tip_id
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS lead_premises
    FROM vague WINDOW w AS (PARTITION BY community, road)
),
direct AS (
    SELECT m.premises_id, s.tip_id, s.received_at, s.content, 1.0 AS share,
           CASE WHEN a.n_area >= $area_min_reports AND a.lead_premises = m.premises_id
                THEN a.community || '社区' || a.road END AS area
    FROM premises_members m JOIN stg_tips s ON m.source = 'tips' AND s.tip_id = m.source_key
    LEFT JOIN area a ON a.tip_id = s.tip_id
    UNION ALL
    -- the area's other tips, on its lead premises
    SELECT a.lead_premises, s.tip_id, s.received_at, s.content, 1.0, a.community || '社区' || a.road
    FROM area a JOIN stg_tips s USING (tip_id)
    WHERE a.n_area >= $area_min_reports AND a.premises_id <> a.lead_premises
),
-- a tip that stayed its own premises, but at a place with other premises
alone AS (
    SELECT d.*, pl.n_premises FROM direct d JOIN premises p USING (premises_id) JOIN places pl USING (place_id)
    WHERE pl.n_premises > 1 AND d.area IS NULL
      AND NOT EXISTS (SELECT 1 FROM premises_members m2 WHERE m2.premises_id = d.premises_id AND m2.source <> 'tips')
),
shared AS (
    SELECT o.premises_id, a.tip_id, a.received_at, a.content, $shared_share / (a.n_premises - 1) AS share, NULL AS area
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
       CASE WHEN max(area) IS NOT NULL THEN
       format('群众举报 {} 次（{}）均指向{}一带、未给出门牌号，需走访确定具体场所：{}', count(*),
              CASE WHEN min(received_at)::DATE = max(received_at)::DATE THEN strftime(max(received_at), '%Y-%m-%d')
                   ELSE coalesce(strftime(min(received_at), '%Y-%m-%d') || '至' || strftime(max(received_at), '%Y-%m-%d'), '日期不详') END,
              max(area),
              -- the two latest tips' text, each masked before it is clipped
              string_agg('「' || coalesce(left(ing_mask_text(content, NULL, NULL), 30), '（内容为空）') || '」', ''
                         ORDER BY received_at DESC NULLS LAST, tip_id DESC) FILTER (WHERE rn <= 2))
       ELSE
       format('群众举报 {} 次（最近 {}）{}：{}', count(*),
              coalesce(strftime(max(received_at), '%Y-%m-%d'), '日期不详'),
              CASE WHEN max(share) < 1 THEN '，举报指向同一地址' ELSE '' END,
              coalesce(left(ing_mask_text(arg_max(content, (received_at, tip_id)), NULL, NULL), 40), '（内容为空）')) END AS sentence
FROM (SELECT *, row_number() OVER (PARTITION BY premises_id ORDER BY received_at DESC NULLS LAST, tip_id DESC) AS rn FROM t)
GROUP BY premises_id
