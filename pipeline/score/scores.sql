-- One row per premises for this run: score, rank in community and subdistrict, category.
-- Ties: equal scores are ordered by premises_id, so the same data gives the same order.
--
-- Discounts: power and transport evidence at a place that holds a valid hazardous-chemicals
-- licence, or whose registered name is a legitimate hazmat receiver (加油站 …), counts at
-- `licensed_discount`; the reason is shown in the list (discount_note). Tip-offs about a
-- legitimate receiver (by registered name or the name the tip gives) count at that share too.
INSERT INTO scores BY NAME
WITH lic AS (
    -- the licence's end date as the signals read it (prepare.sql, sig_licences): a recorded end
    -- before the start, or before 31 December of the issue year in its number + 2 (licences run
    -- three years), contradicts the licence and is taken as unknown
    SELECT l.license_no,
           CASE WHEN coalesce(l.valid_to < l.valid_from
                              OR l.valid_to < make_date(TRY_CAST(regexp_extract(l.license_no,
                                     '[〔\[［(（]((?:19|20)\d\d)[〕\]］)）]', 1) AS INTEGER) + 2, 12, 31), false)
                THEN NULL ELSE l.valid_to END AS valid_to
    FROM stg_licenses l
),
shape AS (
    SELECT m.premises_id,
           count(*) FILTER (WHERE m.source = 'registry') AS n_registry,
           count(*) FILTER (WHERE m.source = 'licenses') AS n_licenses,
           -- a licence that expired within the renewal grace is most often being renewed (换证)
           bool_or(m.source = 'licenses' AND (l.valid_to IS NULL OR l.valid_to >= $as_of - $grace_days)) AS licensed,
           string_agg(DISTINCT l.license_no, '、' ORDER BY l.license_no)
               FILTER (WHERE l.valid_to IS NULL OR l.valid_to >= $as_of - $grace_days) AS license_nos,
           bool_or(m.source = 'licenses' AND l.valid_to < $as_of AND l.valid_to >= $as_of - $grace_days) AS renewing,
           -- a legitimate hazmat receiver by its registered name, or by the name the premises
           -- goes by (a tip naming 某某加油站)
           bool_or(m.source = 'registry' AND regexp_matches(r.name, $legit_re))
             OR regexp_matches(coalesce(any_value(p.name), ''), $legit_re) AS legit_name,
           -- a tip, a power account or a waybill naming a firm by its legal form (…有限公司, …厂,
           -- …商行) names a business that holds a licence to trade (照) — a meter is opened and a
           -- consignment made out only on one — even when its registration did not link here
           bool_or(m.source IN ('tips', 'power_accounts', 'waybills') AND q.form IS NOT NULL
                   AND NOT coalesce(q.is_person, false)) AS named_firm,
           bool_or(m.source = 'registry' AND regexp_matches(r.name, $cover_re)
                   OR m.source IN ('tips', 'power_accounts', 'waybills') AND q.form IS NOT NULL
                      AND regexp_matches(q.name, $cover_re)) AS cover_named
    FROM premises_members m
    JOIN premises p USING (premises_id)
    LEFT JOIN lic l ON m.source = 'licenses' AND l.license_no = m.source_key
    LEFT JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
    LEFT JOIN int_link_parsed q ON m.source IN ('tips', 'power_accounts', 'waybills')
                               AND q.source = m.source AND q.source_key = m.source_key
    GROUP BY m.premises_id
),
ev AS (
    SELECT e.premises_id, e.signal, e.family, e.baseline, e.strength * w.weight AS full_points,
           e.strength * w.weight
             * CASE WHEN e.family IN ('power', 'transport') AND (s.licensed OR s.legit_name)
                    THEN $licensed_discount
                    -- a tip about a fuel station's smell or its night tanker is its trade
                    WHEN e.family = 'tips' AND s.legit_name THEN $licensed_discount
                    ELSE 1.0 END AS points
    FROM evidence e JOIN ref_signal_weights w USING (signal) LEFT JOIN shape s USING (premises_id)
    WHERE e.run_id = $run_id
),
-- an office corroborates only with evidence worth at least corroboration_min_points: a trace
-- (a scope word on the market office's keyword list, an old vague tip) is counted and shown
-- but does not make that office an independent second source
fam AS (
    SELECT premises_id, count(*) AS n FROM (
        SELECT premises_id, family FROM ev GROUP BY ALL HAVING sum(points) >= $min_family_points
    ) GROUP BY premises_id
),
agg AS (
    -- an exact (decimal) sum: a float sum depends on the order parallel threads add in
    SELECT premises_id, sum(points::DECIMAL(18, 6))::DOUBLE AS raw,
           sum(full_points::DECIMAL(18, 6))::DOUBLE AS raw_full,
           greatest(1, coalesce(any_value(fam.n), 0)) AS families,
           bool_or(family IN ('power', 'transport', 'sites', 'tips') OR signal IN ('license_scope', 'multi_entity',
                   'unregistered_power', 'status_mismatch', 'cover_name')) AS activity,
           bool_or(signal = 'cover_name') AS cover,
           bool_or(signal = 'license_scope') AS beyond_licence,
           bool_or(signal = 'multi_entity') AS multi,
           -- a new meter at the place of a registered business that was revoked/closed or whose
           -- account was suspended: that business resumed under another name, not a tenant
           -- (power_status_mismatch names the old business in its baseline)
           bool_or(signal = 'power_status_mismatch' AND contains(baseline, '登记主体')) AS successor,
           bool_or(signal = 'power_status_mismatch' AND contains(baseline, '登记主体')
                   AND regexp_matches(baseline, $cover_re)) AS successor_cover
    FROM ev LEFT JOIN fam USING (premises_id) GROUP BY premises_id
),
scored AS (
    SELECT p.premises_id, p.community,
           round(least($max_score, coalesce(a.raw, 0) * (1 + $bonus * (coalesce(a.families, 1) - 1))), 1) AS score,
           coalesce(a.families, 0) AS families,
           -- 整治类别 of the seed's 附件3, from the shape of the premises and what fired:
           -- 1 licensed firm beyond its licence; 5 cover name; a registered business resumed on a
           -- new meter after its revocation/suspension keeps its own category (2, or 5 when
           -- cover-named); 4 an occupant of a building shared with others — unregistered, or
           -- registered in a sub-unit (3号厂房, 后座, 厂区内) of another firm's premises (multi_entity,
           -- 厂中厂/租赁); 2 a registered non-chemical firm (or one a tip, meter or waybill names by its legal form);
           -- 3 无证无照
           CASE WHEN NOT coalesce(a.activity, false) THEN NULL
                WHEN s.n_licenses > 0 THEN {'c': 1, 'why': $why_licensed}
                WHEN a.cover OR (s.cover_named AND (s.n_registry > 0 OR s.named_firm)) THEN {'c': 5, 'why': $why_cover}
                WHEN a.successor THEN CASE WHEN a.successor_cover THEN {'c': 5, 'why': $why_cover}
                                           ELSE {'c': 2, 'why': $why_resumed} END
                WHEN a.multi OR (coalesce(s.n_registry, 0) = 0 AND NOT s.named_firm AND pl.n_premises > 1)
                     THEN {'c': 4, 'why': $why_shared}
                WHEN s.n_registry > 0 OR s.named_firm THEN {'c': 2, 'why': $why_registered}
                ELSE {'c': 3, 'why': $why_unregistered} END AS suggestion,
           -- the note only where the discount took points, saying how many: "按 50% 计分" beside
           -- a score still at the cap, or on evidence that was never discounted, misleads
           CASE WHEN (s.licensed OR s.legit_name) AND a.raw_full > a.raw THEN
                CASE WHEN s.licensed AND s.renewing THEN '危化品许可（' || s.license_nos || '）到期未满换证宽限期，用电/运输证据按 '
                     WHEN s.licensed THEN '持有有效危化品许可（' || s.license_nos || '），用电/运输证据按 '
                     ELSE '登记为合法危化品收货场所（如加油站），用电/运输/举报证据按 ' END
                || CAST(round(100 * $licensed_discount) AS INTEGER) || '% 计分'
                || CASE WHEN round(least($max_score, a.raw_full * (1 + $bonus * (a.families - 1))), 1)
                             <= round(least($max_score, a.raw * (1 + $bonus * (a.families - 1))), 1)
                        THEN '，折算后仍达上限 ' || $max_score::INTEGER || ' 分'
                        ELSE '（风险分少计 ' || printf('%.1f',
                               round(least($max_score, a.raw_full * (1 + $bonus * (a.families - 1))), 1)
                               - round(least($max_score, a.raw * (1 + $bonus * (a.families - 1))), 1)) || ' 分）' END
                END AS discount_note
    FROM premises p
    LEFT JOIN agg a USING (premises_id)
    LEFT JOIN shape s USING (premises_id)
    LEFT JOIN places pl USING (place_id)
)
SELECT $run_id AS run_id, premises_id, community, score, families, suggestion.c AS category,
       row_number() OVER (PARTITION BY community ORDER BY score DESC, premises_id) AS rank_in_community,
       row_number() OVER (ORDER BY score DESC, premises_id) AS rank,
       discount_note, suggestion.why AS category_note
FROM scored;
