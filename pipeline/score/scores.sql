-- One row per premises for this run: score, rank in community and subdistrict, category.
-- Ties: equal scores are ordered by premises_id, so the same data gives the same order.
--
-- Discounts: power and transport evidence at a place that holds a valid hazardous-chemicals
-- licence, or whose registered name is a legitimate hazmat receiver (加油站 …), counts at
-- `licensed_discount`; the reason is shown in the list (discount_note).
INSERT INTO scores
WITH shape AS (
    SELECT m.premises_id,
           count(*) FILTER (WHERE m.source = 'registry') AS n_registry,
           count(*) FILTER (WHERE m.source = 'licenses') AS n_licenses,
           -- a licence that expired within the renewal grace is most often being renewed (换证)
           bool_or(m.source = 'licenses' AND (l.valid_to IS NULL OR l.valid_to >= $as_of - $grace_days)) AS licensed,
           string_agg(DISTINCT l.license_no, '、')
               FILTER (WHERE l.valid_to IS NULL OR l.valid_to >= $as_of - $grace_days) AS license_nos,
           bool_or(m.source = 'licenses' AND l.valid_to < $as_of AND l.valid_to >= $as_of - $grace_days) AS renewing,
           bool_or(m.source = 'registry' AND regexp_matches(r.name, $legit_re)) AS legit_name,
           bool_or(m.source = 'registry' AND regexp_matches(r.name, $cover_re)) AS cover_named
    FROM premises_members m
    LEFT JOIN stg_licenses l ON m.source = 'licenses' AND l.license_no = m.source_key
    LEFT JOIN stg_registry r ON m.source = 'registry' AND r.source_key = m.source_key
    GROUP BY m.premises_id
),
ev AS (
    SELECT e.premises_id, e.signal, e.family,
           e.strength * w.weight
             * CASE WHEN e.family IN ('power', 'transport') AND (s.licensed OR s.legit_name)
                    THEN $licensed_discount ELSE 1.0 END AS points
    FROM evidence e JOIN ref_signal_weights w USING (signal) LEFT JOIN shape s USING (premises_id)
    WHERE e.run_id = $run_id
),
agg AS (
    SELECT premises_id, sum(points) AS raw, count(DISTINCT family) AS families,
           bool_or(family IN ('power', 'transport', 'sites', 'tips') OR signal IN ('license_scope', 'multi_entity',
                   'unregistered_power', 'status_mismatch', 'cover_name')) AS activity,
           bool_or(signal = 'cover_name') AS cover,
           bool_or(signal = 'license_scope') AS beyond_licence,
           bool_or(signal = 'multi_entity') AS multi
    FROM ev GROUP BY premises_id
),
scored AS (
    SELECT p.premises_id, p.community,
           round(least($max_score, coalesce(a.raw, 0) * (1 + $bonus * (coalesce(a.families, 1) - 1))), 1) AS score,
           coalesce(a.families, 0) AS families,
           -- 整治类别 of the seed's 附件3, from the shape of the premises and what fired:
           -- 1 licensed firm beyond its licence; 5 cover name; 4 an unregistered occupant of a
           -- building shared with others (厂中厂); 2 a registered non-chemical firm; 3 无证无照
           CASE WHEN NOT coalesce(a.activity, false) THEN NULL
                WHEN s.n_licenses > 0 THEN 1
                WHEN a.cover OR (s.cover_named AND s.n_registry > 0) THEN 5
                WHEN a.multi OR (coalesce(s.n_registry, 0) = 0 AND pl.n_premises > 1) THEN 4
                WHEN s.n_registry > 0 THEN 2
                ELSE 3 END AS category,
           CASE WHEN (s.licensed OR s.legit_name) AND a.raw IS NOT NULL THEN
                CASE WHEN s.licensed AND s.renewing THEN '危化品许可（' || s.license_nos || '）到期未满换证宽限期，用电/运输证据按 '
                     WHEN s.licensed THEN '持有有效危化品许可（' || s.license_nos || '），用电/运输证据按 '
                     ELSE '登记为合法危化品收货场所（如加油站），用电/运输证据按 ' END
                || CAST(round(100 * $licensed_discount) AS INTEGER) || '% 计分' END AS discount_note
    FROM premises p
    LEFT JOIN agg a USING (premises_id)
    LEFT JOIN shape s USING (premises_id)
    LEFT JOIN places pl USING (place_id)
)
SELECT $run_id AS run_id, premises_id, community, score, families, category,
       row_number() OVER (PARTITION BY community ORDER BY score DESC, premises_id) AS rank_in_community,
       row_number() OVER (ORDER BY score DESC, premises_id) AS rank,
       discount_note
FROM scored;
